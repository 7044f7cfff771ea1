"""Flagged rows: the transactions of the kind a fired rule counts.

An alert's rule hits (``rule_hits.parquet``) name the feature each rule read. The alert page marks
an account's transactions as *flagged* when they are the kind of activity one of those features
counts, so the investigator sees which rows lie behind the rules. The mapping is a table
(:data:`FLAG_RULES`): each entry names a family of features (a regular expression over feature
names) and a row predicate, built from channels, MCC groups of ``mcc_groups.yaml`` (through
:class:`fintrak.features.settings.FeatureSettings`, the loader the features use) and a
direction.

A row is flagged when, in the :data:`FLAG_WINDOW_DAYS` days up to and including the run's as-of,

1. it matches the predicate of an entry whose features include a feature of a fired rule, or
2. its counterparty is another account of the same network (``networks.parquet``).

A flag says "this is the kind of row the rule counts", not "this row is suspicious": a rule that
counts cash deposits in 30 days flags every cash row of the 90 days. Features about the account
as a whole (shared phones, intelligence matches, a *low* share of everyday spending) point at no
row; the page lists them as such. See ``docs/report.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fintrak.features.settings import FeatureSettings
from fintrak.features.spending import SUSTENANCE_GROUPS

__all__ = [
    "FLAG_RULES",
    "FLAG_WINDOW_DAYS",
    "NETWORK_LABEL",
    "FlagRule",
    "flag_rows",
    "rules_for_features",
]

#: Rows older than this many days before the run's as-of are never flagged.
FLAG_WINDOW_DAYS = 90
#: Why a row whose counterparty is another member of the network is flagged.
NETWORK_LABEL = "money with another member of the account's network"


@dataclass(frozen=True)
class FlagRule:
    """One family of features and the transactions it counts.

    Attributes
    ----------
    family : str
        Short name shown beside each flagged row (e.g. ``"cash"``).
    features : str
        Regular expression that a feature name must match in full.
    label : str
        The row predicate in words, for the page and the docs.
    channels : tuple of str
        The row's channel is one of these (or, with ``mcc_groups``, its MCC is in a group).
    mcc_groups : tuple of str
        MCC groups of ``mcc_groups.yaml``.
    direction : {"credit", "debit"} or None
        Only rows in this direction; ``None`` for both.
    """

    family: str
    features: str
    label: str
    channels: tuple[str, ...] = ()
    mcc_groups: tuple[str, ...] = ()
    direction: str | None = None

    def matches(self, feature: str) -> bool:
        """Return whether this family counts ``feature``.

        Examples
        --------
        >>> FLAG_RULES[0].family, FLAG_RULES[0].matches("cash_deposits_30d")
        ('cash', True)
        """
        return re.fullmatch(self.features, feature) is not None

    def mask(self, rows: pd.DataFrame, settings: FeatureSettings) -> np.ndarray:
        """Return a boolean mask of the rows this family counts (window not applied)."""
        hit = np.isin(rows["channel"].astype(object).to_numpy(), list(self.channels))
        for group in self.mcc_groups:
            hit |= settings.mcc_in(group, rows["mcc"])
        if self.direction is not None:
            hit &= rows["direction"].astype(object).to_numpy() == self.direction
        return hit


#: The feature families and their row predicates, first to last (a feature may match several).
FLAG_RULES: tuple[FlagRule, ...] = (
    FlagRule(
        "cash",
        r"cash_.*|below_reporting_cash_.*|hours_deposit_to_withdrawal_.*|withdrawal_other_city_.*"
        r"|deposits_cover_debits_.*|night_atm_.*|wage_cash_out_.*",
        "cash deposits and withdrawals (channels cash and atm)",
        channels=("cash", "atm"),
    ),
    FlagRule(
        "lodging",
        r"lodging_.*",
        "hotel and motel charges (MCC group lodging)",
        mcc_groups=("lodging",),
        direction="debit",
    ),
    FlagRule(
        "ads",
        r"ad_.*",
        "payments to advertising and classified sites (MCC group ad_classified)",
        mcc_groups=("ad_classified",),
        direction="debit",
    ),
    FlagRule(
        "rides",
        r".*rideshare.*",
        "taxi and ride-share charges (MCC group rideshare)",
        mcc_groups=("rideshare",),
        direction="debit",
    ),
    FlagRule(
        "tickets",
        r"travel_tickets_.*",
        "air, rail and bus tickets (MCC group air_rail_bus)",
        mcc_groups=("air_rail_bus",),
        direction="debit",
    ),
    FlagRule(
        "venues",
        r"adult_venue_.*",
        "massage parlours, escort services and bars (MCC group adult_venue)",
        mcc_groups=("adult_venue",),
        direction="debit",
    ),
    FlagRule(
        "fast food",
        r"fastfood_.*",
        "fast-food charges (MCC group fast_food)",
        mcc_groups=("fast_food",),
        direction="debit",
    ),
    FlagRule(
        "personal care",
        r"personal_care_.*",
        "drug store, cosmetics and clothing charges (MCC group personal_care)",
        mcc_groups=("personal_care",),
        direction="debit",
    ),
    FlagRule(
        "phone top-ups",
        r"phone_topups_.*",
        "phone top-ups (MCC group telecom_topup)",
        mcc_groups=("telecom_topup",),
        direction="debit",
    ),
    FlagRule(
        "luxury",
        r"gambling_luxury_.*",
        "gambling, jewellery and car dealers (MCC group gambling_luxury)",
        mcc_groups=("gambling_luxury",),
        direction="debit",
    ),
    FlagRule(
        "living costs",
        r"sustenance_.*|biz_sustenance_.*",
        "lodging, travel, food and personal care (MCC groups " + ", ".join(SUSTENANCE_GROUPS) + ")",
        mcc_groups=SUSTENANCE_GROUPS,
        direction="debit",
    ),
    FlagRule(
        "P2P",
        r"p2p_.*|night_p2p_.*",
        "person-to-person payments (channel p2p)",
        channels=("p2p",),
    ),
    FlagRule(
        "transfers",
        r"transfer_senders_.*|forward_ratio_.*|sweep_out_.*",
        "money passed on by transfer (channels p2p and wire)",
        channels=("p2p", "wire"),
    ),
    FlagRule(
        "wires",
        r"small_wires_.*|border_transfers_.*|corridor_transfers_.*|shared_beneficiary_.*",
        "wires and money-transfer payments sent (channel wire, MCC group money_transfer)",
        channels=("wire",),
        mcc_groups=("money_transfer",),
        direction="debit",
    ),
    FlagRule(
        "wages",
        r"payroll_.*|wage_.*|biz_payroll_.*",
        "payroll and wages (channels ach and check)",
        channels=("ach", "check"),
    ),
    FlagRule(
        "card places",
        r"card_cities_.*",
        "card payments (channel card)",
        channels=("card",),
    ),
)


def rules_for_features(features: Iterable[str]) -> tuple[list[FlagRule], list[str]]:
    """Return the flag rules counting any of ``features``, and the features no rule counts.

    Parameters
    ----------
    features : iterable of str
        Feature names of the fired rules.

    Returns
    -------
    rules : list of FlagRule
        In :data:`FLAG_RULES` order.
    unmatched : list of str
        Sorted features that point at no transaction (e.g. ``shared_phone_accounts``).

    Examples
    --------
    >>> rules, rest = rules_for_features(["lodging_cities_14d", "shared_phone_accounts"])
    >>> [r.family for r in rules], rest
    (['lodging'], ['shared_phone_accounts'])
    """
    names = sorted(set(features))
    rules = [r for r in FLAG_RULES if any(r.matches(f) for f in names)]
    unmatched = [f for f in names if not any(r.matches(f) for r in FLAG_RULES)]
    return rules, unmatched


def flag_rows(
    rows: pd.DataFrame,
    features: Iterable[str],
    *,
    as_of: pd.Timestamp,
    account_id: str,
    members: Iterable[str] = (),
    settings: FeatureSettings | None = None,
) -> pd.Series:
    """Say why each of one account's transactions is flagged (empty string: not flagged).

    Parameters
    ----------
    rows : pandas.DataFrame
        The account's transactions (``timestamp`` in UTC, ``channel``, ``mcc``, ``direction``,
        ``counterparty_id``).
    features : iterable of str
        Features of the account's fired rules.
    as_of : pandas.Timestamp
        The run's as-of (UTC); only rows in the :data:`FLAG_WINDOW_DAYS` days up to it are flagged.
    account_id : str
        The account, left out of ``members``.
    members : iterable of str
        The accounts of its network.
    settings : FeatureSettings, optional
        MCC groups; default the shipped ones.

    Returns
    -------
    pandas.Series of str
        Indexed like ``rows``: the families that flag each row, joined by ``"; "``.

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "timestamp": pd.to_datetime(["2025-06-01", "2025-06-02", "2025-01-01"], utc=True),
    ...     "channel": ["cash", "card", "cash"], "direction": ["credit", "debit", "credit"],
    ...     "mcc": pd.array([None, 7011, None], dtype="Int16"),
    ...     "counterparty_id": [None, None, None]})
    >>> flag_rows(rows, ["cash_deposits_30d", "lodging_cities_14d"],
    ...           as_of=pd.Timestamp("2025-06-30", tz="UTC"), account_id="a").tolist()
    ['cash', 'lodging', '']
    """
    settings = settings or FeatureSettings.default()
    rules, _ = rules_for_features(features)
    window = pd.Timedelta(days=FLAG_WINDOW_DAYS)
    stamps = rows["timestamp"]
    recent = ((stamps > as_of - window) & (stamps <= as_of)).to_numpy(dtype=bool)
    reasons = [np.where(rule.mask(rows, settings) & recent, rule.family, "") for rule in rules]
    others = sorted(set(members) - {account_id})
    partner = rows["counterparty_id"].astype(object).isin(others).to_numpy(dtype=bool)
    reasons.append(np.where(partner & recent, "network", ""))
    joined = ["; ".join(r for r in parts if r) for parts in zip(*reasons, strict=True)]
    return pd.Series(joined, index=rows.index, dtype=object)
