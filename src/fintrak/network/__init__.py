"""The network step: link the bank's accounts, group them into networks and give each a role.

See ``docs/networks.md`` for the definitions in plain words. The step runs between per-account
features and scoring; it can use a first-pass per-account score (``suspicion``) so that a
suspicious hub keeps its links (two-pass scoring).

Examples
--------
>>> import pandas as pd
>>> txn = pd.DataFrame({
...     "account_id": ["v1", "v2", "c"], "amount": [900.0, 800.0, 100.0],
...     "direction": ["credit", "credit", "debit"], "channel": ["p2p", "p2p", "card"],
...     "counterparty_id": [None, None, None],
...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"], utc=True)})
>>> sweeps = pd.DataFrame({
...     "account_id": ["v1", "v2"] * 4, "amount": [700.0, 600.0] * 4,
...     "direction": ["debit"] * 8, "channel": ["p2p"] * 8, "counterparty_id": ["c"] * 8,
...     "timestamp": pd.to_datetime(["2025-01-02", "2025-01-02", "2025-01-09", "2025-01-09",
...                                  "2025-01-16", "2025-01-16", "2025-01-23", "2025-01-23"],
...                                 utc=True)})
>>> result = build_network(pd.concat([txn, sweeps], ignore_index=True))
>>> result.networks[["account_id", "network_size", "role"]]
  account_id  network_size        role
0          c             3  controller
1         v1             3      victim
2         v2             3      victim
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fintrak.network._accounts import AccountIndex
from fintrak.network.graph import (
    CLUSTER_KIND,
    NETWORK_COLUMNS,
    SUSPICIOUS_PAIR_BOOST,
    build_networks,
)
from fintrak.network.links import (
    LINK_COLUMNS,
    LinkSettings,
    beneficiary_links,
    household_links,
    identifier_links,
    money_flows,
    money_links,
    one_off_senders,
    suspicious_identifier_pairs,
)
from fintrak.network.roles import ROLES, SYNTHETIC_ROLES, assign_roles

__all__ = [
    "LINK_COLUMNS",
    "NETWORK_COLUMNS",
    "ROLES",
    "SYNTHETIC_ROLES",
    "LinkSettings",
    "NetworkResult",
    "NetworkSettings",
    "build_network",
    "build_networks",
]


@dataclass(frozen=True)
class NetworkSettings:
    """Options of :func:`build_network`.

    Parameters
    ----------
    links : LinkSettings
        Weights, hub rules and feeder definitions of the links.
    threshold : float
        Summed link weight from which two accounts are joined.
    max_network_size : int
        Larger networks are split by raising the threshold for their links.
    split_step : float
        Factor applied to the threshold at each splitting step.
    """

    links: LinkSettings = field(default_factory=LinkSettings)
    threshold: float = 0.5
    max_network_size: int = 40
    split_step: float = 1.25

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the run manifest."""
        out: dict[str, Any] = dict(self.links.__dict__)
        out.update(
            threshold=self.threshold,
            max_network_size=self.max_network_size,
            split_step=self.split_step,
        )
        return out


@dataclass
class NetworkResult:
    """Output of :func:`build_network`.

    Attributes
    ----------
    networks : pandas.DataFrame
        One row per account: ``account_id``, ``network_id``, ``network_size``, ``role``; sorted
        by ``network_id`` then ``account_id``.
    links : pandas.DataFrame
        One row per pair of accounts and kind of link: ``account_a``, ``account_b``, ``kind``
        (customer, phone, email, address, device, money, beneficiary), ``weight``, ``evidence``
        (shared identifiers, transfers or shared outside payees), ``amount`` (money moved; 0
        for other kinds). No raw identifier values or payee names.
    notes : dict
        Counts, settings and timings for the run manifest.
    """

    networks: pd.DataFrame
    links: pd.DataFrame
    notes: dict[str, Any]


def _identifiers(
    accounts: pd.DataFrame | None, transactions: pd.DataFrame
) -> tuple[pd.DataFrame | None, str]:
    try:
        module = importlib.import_module("fintrak.identifiers")
    except ImportError:
        return None, "skipped: fintrak.identifiers is not available"
    if accounts is None:
        accounts = pd.DataFrame({"account_id": pd.Series([], dtype="string")})
    return module.account_identifiers(accounts, transactions), "fintrak.identifiers"


def build_network(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    identifiers: pd.DataFrame | None = None,
    suspicion: pd.Series | None = None,
    *,
    settings: NetworkSettings | None = None,
) -> NetworkResult:
    """Link the bank's accounts, group them into networks and assign roles.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (validated).
    accounts : pandas.DataFrame, optional
        Canonical accounts; ``customer_id`` links accounts of one customer.
    identifiers : pandas.DataFrame, optional
        Normalised identifiers ``account_id, kind, value``; by default
        ``fintrak.identifiers.account_identifiers(accounts, transactions)`` when that module
        exists (otherwise identifier links are skipped and the notes say so).
    suspicion : pandas.Series, optional
        First-pass score per account (index ``account_id``, values 0-1). Accounts at or above
        ``settings.links.suspicion_threshold`` are suspicious: their money links are not
        down-weighted as hubs and count the payee's side, two suspicious accounts are joined by
        any money between them or a rare shared identifier (or one on which three or more of
        them cluster: :func:`~fintrak.network.links.suspicious_identifier_pairs`), an account
        paid by two or more of
        them is suspicious too, and accounts weakly tied to their network can join it. Use the
        per-account ``score`` of ``fintrak.pipeline.score`` (two-pass scoring).
    settings : NetworkSettings, optional

    Returns
    -------
    NetworkResult
    """
    cfg = settings or NetworkSettings()
    started = time.perf_counter()
    notes: dict[str, Any] = {"settings": cfg.as_dict()}
    if identifiers is None:
        identifiers, notes["identifiers"] = _identifiers(accounts, transactions)
    else:
        notes["identifiers"] = "given"
    index = AccountIndex(
        transactions["account_id"],
        None if accounts is None else accounts["account_id"],
        None if identifiers is None else identifiers["account_id"],
    )
    parts = [household_links(accounts, index)]
    if identifiers is not None:
        parts.append(identifier_links(identifiers, index, settings=cfg.links))
    flows = money_flows(transactions, index)
    given = np.zeros(len(index), dtype=bool)
    if suspicion is not None:
        score = pd.Series(suspicion).astype("float64")
        score.index = score.index.astype(str)
        score = score.groupby(level=0).max().reindex(index.ids)
        given = (score >= cfg.links.suspicion_threshold).to_numpy(dtype=bool, na_value=False)
    money, flagged = money_links(flows, suspicious=given, settings=cfg.links)
    parts.append(money)
    parts.append(beneficiary_links(transactions, flows, settings=cfg.links))
    links = pd.concat(parts, ignore_index=True)
    links = links.sort_values(["account_a", "account_b", "kind"], kind="stable")
    links = links.reset_index(drop=True)
    grouping = links
    notes["suspicious_cluster_pairs"] = 0
    if identifiers is not None and given.any():
        # suspicious accounts clustering on one identifier (a ring's address) are tied, up to
        # as many as a rare identifier ties (1 / (k - 1) reaching the suspicious-pair rule)
        most = 1 + int(min(SUSPICIOUS_PAIR_BOOST, 5.0) / cfg.threshold)
        ca, cb = suspicious_identifier_pairs(
            identifiers, index, given, max_holders=most, settings=cfg.links
        )
        notes["suspicious_cluster_pairs"] = len(ca)
        if len(ca):
            extra = pd.DataFrame(
                {
                    "account_a": pd.array(index.ids[ca], dtype="string"),
                    "account_b": pd.array(index.ids[cb], dtype="string"),
                    "kind": pd.array([CLUSTER_KIND] * len(ca), dtype="string"),
                    "weight": np.zeros(len(ca)),
                }
            )
            grouping = pd.concat([links, extra], ignore_index=True)
    sent = one_off_senders(flows, flagged, settings=cfg.links)
    notes["one_off_senders"] = int(sent.sum())
    networks = build_networks(
        grouping,
        index,
        threshold=cfg.threshold,
        max_network_size=cfg.max_network_size,
        split_step=cfg.split_step,
        suspicious=index.ids[flagged],
        senders=(index.ids[flows.payer[sent]], index.ids[flows.payee[sent]]),
    )
    label = pd.factorize(
        networks.set_index("account_id")["network_id"].reindex(index.ids).to_numpy()
    )[0]
    role = assign_roles(label, flows, settings=cfg.links)
    networks["role"] = pd.array(
        pd.Series(role, index=index.ids).reindex(networks["account_id"]).to_numpy(),
        dtype="string",
    )
    sizes = networks.drop_duplicates("network_id")["network_size"]
    notes.update(
        accounts=len(index),
        links={str(k): int(v) for k, v in links["kind"].value_counts().sort_index().items()},
        networks=int(len(sizes)),
        networks_with_2_or_more=int((sizes >= 2).sum()),
        largest_network=int(sizes.max()) if len(sizes) else 0,
        suspicious_given=int(given.sum()),
        suspicious_used=int(flagged.sum()),
        roles={str(k): int(v) for k, v in networks["role"].value_counts().sort_index().items()},
        seconds=round(time.perf_counter() - started, 3),
    )
    return NetworkResult(networks=networks, links=links, notes=notes)
