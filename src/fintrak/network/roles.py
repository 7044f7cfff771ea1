"""Roles of accounts inside their network, read from the money between the network's members.

Only money between two members of the same network counts (a network of one account can only be
``funnel`` or ``other``). "Feeds" is the feeder flow of :meth:`MoneyFlows.feeds`: at least 40% of
the payer's inflow and 20% of its outflow, paid at least twice a month. A "wage" is an ACH flow
that makes up at least half of the payee's inflow, paid at least twice a month.

============ ==================================================================================
role         definition (the first that applies, in this order)
============ ==================================================================================
employer     pays wages to two or more members.
controller   the collector: fed by two or more members, or fed by one member and no other member
             is fed more (money in from many members, little back).
worker       receives a wage from a member (an employer of the network).
recruiter    a second collector, in a network that has a controller or an employer: fed by a
             member, or paid by two or more members (fee repayments, a share of the sweeps),
             or paid by the network's employer without being its worker; not the controller.
victim       feeds a controller or recruiter of the network, or sends it at least 20% of its
             outflow (victims sweeping takings; senders paying a coordinator).
funnel       cash deposits are at least half of its inflow and at least 80% of the inflow leaves
             again (deposited in one place, withdrawn or sent on elsewhere); may be a network of
             its own.
other        none of the above (family members, buyers, a ring's ordinary contacts).
============ ==================================================================================
"""

from __future__ import annotations

import numpy as np

from fintrak.network.links import (
    FUNNEL_CASH_SHARE,
    FUNNEL_PASS_THROUGH,
    LinkSettings,
    MoneyFlows,
    funnel_accounts,
)

__all__ = ["ROLES", "SYNTHETIC_ROLES", "assign_roles"]

#: Role vocabulary, in the order the rules are applied.
ROLES: tuple[str, ...] = (
    "employer",
    "controller",
    "worker",
    "recruiter",
    "victim",
    "funnel",
    "other",
)

#: The synthetic bank's (typology, role) -> role of this module.
SYNTHETIC_ROLES: dict[tuple[str, str], str] = {
    ("sex_trafficking", "controller"): "controller",
    ("sex_trafficking", "recruiter"): "recruiter",
    ("sex_trafficking", "victim"): "victim",
    ("labour_trafficking", "employer"): "employer",
    ("labour_trafficking", "controller"): "controller",
    ("labour_trafficking", "recruiter"): "recruiter",
    ("labour_trafficking", "worker"): "worker",
    ("funnel", "funnel"): "funnel",
    ("funnel", "coordinator"): "controller",
    ("human_smuggling", "coordinator"): "controller",
    ("human_smuggling", "sender"): "victim",
}

# FUNNEL_CASH_SHARE and FUNNEL_PASS_THROUGH live in links.py (a funnel is suspicious there too)
_FUNNEL_RULE = (FUNNEL_CASH_SHARE, FUNNEL_PASS_THROUGH)


def assign_roles(
    network: np.ndarray,
    flows: MoneyFlows,
    *,
    settings: LinkSettings | None = None,
) -> np.ndarray:
    """Return the role of every account (by code) from the money inside its network.

    Parameters
    ----------
    network : numpy.ndarray of int
        Network label of every account code of ``flows.index``.
    flows : MoneyFlows
        Money between the bank's accounts.
    settings : LinkSettings, optional
        Feeder definitions.

    Returns
    -------
    numpy.ndarray of object
        One of :data:`ROLES` per account code.
    """
    s = settings or LinkSettings()
    n = len(flows.index)
    size = np.bincount(network, minlength=n)[network]
    inside = (network[flows.payer] == network[flows.payee]) & (size[flows.payer] >= 2)
    out_share, in_share = flows.strength()
    feeds = flows.feeds(s) & inside
    wage = (
        inside
        & (flows.ach_amount >= 0.5 * flows.amount)
        & (in_share >= 0.5)
        & (flows.per_month() >= s.feeder_per_month)
    )
    paid = inside & (out_share >= s.min_money_share)

    employer = np.bincount(flows.payer[wage], minlength=n) >= 2
    fed = np.bincount(flows.payee[feeds], minlength=n)
    top_fed = np.zeros(n, dtype=np.int64)
    np.maximum.at(top_fed, network, fed)
    controller = ~employer & ((fed >= 2) | ((fed >= 1) & (fed == top_fed[network])))
    worker = np.zeros(n, dtype=bool)
    worker[flows.payee[wage & employer[flows.payer]]] = True
    worker &= ~employer & ~controller
    payers = np.bincount(flows.payee[paid], minlength=n)
    from_employer = np.zeros(n, dtype=bool)
    from_employer[flows.payee[paid & employer[flows.payer]]] = True
    # a second collector only where the network has a first one (a controller or an employer):
    # in a family, a parent paid by two children is not a recruiter
    boss = np.zeros(n, dtype=bool)
    boss[network[employer | controller]] = True
    recruiter = (
        ~employer
        & ~controller
        & ~worker
        & boss[network]
        & ((fed >= 1) | (payers >= 2) | from_employer)
    )
    collector = controller | recruiter
    to_collector = inside & collector[flows.payee] & (feeds | (out_share >= s.feeder_outflow_share))
    victim = np.zeros(n, dtype=bool)
    victim[flows.payer[to_collector]] = True
    victim &= ~employer & ~controller & ~worker & ~recruiter
    funnel = funnel_accounts(flows)
    funnel &= ~employer & ~controller & ~worker & ~recruiter & ~victim

    role = np.full(n, "other", dtype=object)
    for name, mask in (
        ("funnel", funnel),
        ("victim", victim),
        ("recruiter", recruiter),
        ("worker", worker),
        ("controller", controller),
        ("employer", employer),
    ):
        role[mask] = name
    return role
