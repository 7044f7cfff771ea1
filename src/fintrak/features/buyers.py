"""The buyer's side of an illicit massage business: three quick P2P payments (catalogue row A8).

F26 (flag 9) describes a customer who sends three rapid sequential P2P transfers to three
separate accounts: a door fee, a service fee and a tip. A *burst* here is a moment when the
account's P2P debits of the last 15 minutes (inferred window) went to at least three distinct
payees (``cp_key``); consecutive qualifying debits less than 15 minutes apart belong to one burst.

The account-level feature counts bursts; the population feature asks whether the payees of an
account's bursts also receive such bursts from many other accounts (a venue's payee cluster).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes

__all__ = ["BURST_MINUTES", "BURST_PAYEES", "MAX_BURST_DEBITS", "burst_rows", "p2p_bursts"]

#: A8 (inferred): the three payments fall within this many minutes.
BURST_MINUTES = 15.0
#: F26: three separate accounts.
BURST_PAYEES = 3
#: Debits looked back over per row; a burst of more P2P debits in 15 minutes is judged on its
#: latest ones (more than enough to see three distinct payees).
MAX_BURST_DEBITS = 8


def burst_rows(ctx: FeatureContext, days: float) -> tuple[np.ndarray, np.ndarray]:
    """Find the P2P debits (last ``days``) in three-payee bursts, and where each burst starts.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.
    days : float
        Window.

    Returns
    -------
    members : numpy.ndarray of bool
        Rows (of ``ctx.transactions``) belonging to a burst: P2P debits in the 15 minutes up to
        and including a debit whose 15 minutes of P2P debits went to at least three distinct
        payees.
    starts : numpy.ndarray of bool
        The qualifying rows that start a new burst (no qualifying row of the same account in the
        15 minutes before).
    """
    txn = ctx.transactions
    n = len(txn)
    members = np.zeros(n, dtype=bool)
    starts = np.zeros(n, dtype=bool)
    codes = column_codes(ctx, "cp_key")
    rows = np.flatnonzero(
        ~txn["is_credit"].to_numpy()
        & (txn["channel"] == "p2p").to_numpy(dtype=bool)
        & ctx.within(days)
        & (codes >= 0)
    )
    if rows.size < BURST_PAYEES:
        return members, starts
    acct = txn["acct"].to_numpy()[rows]
    minutes = (-txn["age_days"].to_numpy()[rows]) * 1440.0
    payee = codes[rows]
    depth = min(MAX_BURST_DEBITS, rows.size)
    window = np.full((rows.size, depth), -1, dtype=np.int64)
    window[:, 0] = payee
    reach = [np.ones(rows.size, dtype=bool)]
    for k in range(1, depth):
        same = np.zeros(rows.size, dtype=bool)
        same[k:] = (acct[k:] == acct[:-k]) & (minutes[k:] - minutes[:-k] <= BURST_MINUTES)
        window[k:, k] = np.where(same[k:], payee[:-k], -1)
        reach.append(same)
    ordered = np.sort(window, axis=1)
    distinct = ((ordered[:, 1:] != ordered[:, :-1]) & (ordered[:, 1:] >= 0)).sum(axis=1)
    distinct += ordered[:, 0] >= 0
    hit = distinct >= BURST_PAYEES
    member = hit.copy()
    for k in range(1, depth):
        member[:-k] |= hit[k:] & reach[k][k:]
    # a new burst unless the previous qualifying debit of the account is within 15 minutes
    where = np.flatnonzero(hit)
    new = np.ones(where.size, dtype=bool)
    new[1:] = (acct[where[1:]] != acct[where[:-1]]) | (
        minutes[where[1:]] - minutes[where[:-1]] > BURST_MINUTES
    )
    members[rows[member]] = True
    starts[rows[where[new]]] = True
    return members, starts


@features(
    p2p_three_payee_bursts_30d=FeatureSpec(
        description="Counts bursts in the last 30 days in which the account sent P2P payments to "
        "three or more different payees within 15 minutes (door fee, service fee and tip).",
        reason="{value:.0f} times in the last 30 days, P2P payments went to three different "
        "people within 15 minutes (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A8", "F26"),
        unit="bursts",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "channel", "cp_key"),
)
def p2p_bursts(ctx: FeatureContext) -> pd.DataFrame:
    """Count three-payee P2P bursts in 30 days (A8, buyer side).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    _, starts = burst_rows(ctx, 30)
    return ctx.frame(p2p_three_payee_bursts_30d=ctx.count(starts))


@features(
    p2p_burst_payee_shared_payers_30d=FeatureSpec(
        description="For the payees of the account's three-payee P2P bursts in the last 30 days, "
        "the largest number of other accounts that also paid that payee within such a burst "
        "(a venue whose staff receive door fee, service fee and tip from many buyers).",
        reason="a payee of this account's rapid three-way P2P payments received the same pattern "
        "from {value:.0f} other accounts in the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A8", "F26"),
        unit="accounts",
        window="30D",
        kind="count",
    ),
    level="population",
    requires=("timestamp", "channel", "cp_key"),
)
def p2p_burst_payees(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Count other accounts whose bursts pay the same payees (A8, network side).

    A payee counts when it received one of the P2P debits belonging to a burst.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` (all accounts).
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    members, _ = burst_rows(ctx, 30)
    out = np.zeros(ctx.n_accounts)
    if members.any():
        pairs = pd.DataFrame(
            {
                "a": txn["acct"].to_numpy()[members],
                "k": column_codes(ctx, "cp_key")[members],
            }
        ).drop_duplicates()
        others = pairs.groupby("k")["a"].transform("size").to_numpy() - 1
        top = pd.Series(others).groupby(pairs["a"].to_numpy()).max()
        out[top.index.to_numpy()] = top.to_numpy()
    return ctx.frame(p2p_burst_payee_shared_payers_30d=out)
