"""Links between the bank's own accounts: shared identifiers, one customer, and money between them.

Every link joins two of the bank's accounts (``account_a < account_b`` as text) and has a
``kind``, a ``weight`` in (0, 1] and its evidence counts; raw identifier values never leave this
module.

=========== ======================================================================================
kind        what it means and how it is weighted
=========== ======================================================================================
customer    both accounts belong to the same customer (``accounts.customer_id``): weight 1.
phone,      both accounts carry the same normalised identifier. An identifier held by ``n``
email,      accounts gives each pair ``1 / (n - 1)`` (2 accounts: 1; 3: 0.5; 5: 0.25), so a phone
address,    shared by two people counts fully and a dormitory address counts little; identifiers
device      held by more than ``max_identifier_accounts`` accounts (a call centre, a shelter, a
            carrier address) are dropped. Several shared identifiers of one kind add up (capped
            at 1); ``evidence`` counts them.
money       money moved between the two accounts (transfers, P2P, payroll, rent: any row whose
            ``counterparty_id`` is one of the bank's accounts). For each direction the strength is
            the larger of "share of the payer's outflow" and "share of the payee's inflow"; the
            link keeps the larger direction. Links with a strength under ``min_money_share`` are
            dropped. An account with more than ``hub_partners`` money partners of strength
            ``hub_share`` or more is a hub (a large employer, landlord or merchant): each of its
            links is multiplied by ``hub_partners / partners``, unless the hub is suspicious (the
            first-pass score reaches ``suspicion_threshold``, or it collects most of the inflow
            of at least two feeders: see :func:`collector_accounts`, or two or more suspicious
            accounts make at least ``collector_inflow_share`` of its inflow).
=========== ======================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fintrak.network._accounts import AccountIndex

__all__ = [
    "IDENTIFIER_KINDS",
    "LINK_COLUMNS",
    "BENEFICIARY_CHANNELS",
    "LinkSettings",
    "MoneyFlows",
    "beneficiary_links",
    "collector_accounts",
    "household_links",
    "identifier_links",
    "money_flows",
    "suspicious_identifier_pairs",
    "money_links",
]

#: Identifier kinds used for links (other kinds in the table are ignored).
IDENTIFIER_KINDS: tuple[str, ...] = ("phone", "email", "address", "device")
#: Channels of payments to an outside payee that count for beneficiary links (not cards).
BENEFICIARY_CHANNELS: tuple[str, ...] = ("wire", "p2p", "ach", "check")
#: Fewest payers an outside payee needs to make links: two customers paying one name may be
#: a family or a name collision (two John Smiths), not a ring.
MIN_BENEFICIARY_PAYERS = 3
#: Share of the payer's outflow each flow of a split feeder must carry (see MoneyFlows.feeds).
SPLIT_FEED_SHARE = 0.1
#: Most collectors a split feeder pays regularly: a victim splits the takings between the
#: controller and one or two others; an account paying four or more people regularly is an
#: employer's payroll or a household's bills, not a split feeder.
MAX_SPLIT_COLLECTORS = 3
#: Most of its own inflow a feeder can pass on through its regular flows: a payer whose regular
#: flows add up to more pays from elsewhere (an employer's payroll from cash takings or
#: reserves), it does not pass its takings on.
MAX_PASSED_ON = 1.25
#: Fewest suspicious holders of one identifier that tie them together whatever its rarity.
MIN_SUSPICIOUS_HOLDERS = 3
#: Columns of every link table.
LINK_COLUMNS: tuple[str, ...] = ("account_a", "account_b", "kind", "weight", "evidence", "amount")


@dataclass(frozen=True)
class LinkSettings:
    """Options of the link step (keyword-only; defaults tuned on the synthetic bank).

    Parameters
    ----------
    max_identifier_accounts : int
        An identifier held by more accounts than this is a hub and makes no links.
    min_money_share : float
        Money links weaker than this share of the payer's outflow or the payee's inflow are
        dropped (a coffee paid back to a friend).
    hub_share : float
        Strength from which a money partner counts towards an account's hub size.
    hub_partners : int
        Number of such partners above which an account is a hub and its links are down-weighted.
    suspicion_threshold : float
        First-pass score from which a hub is suspicious and keeps its links.
    feeder_share : float
        Share of an account's inflow passed on to one account that makes it a feeder of that
        account (victims' sweeps, workers' wage hand-backs).
    feeder_outflow_share : float
        A feeder must also send at least this share of its outflow to that account.
    feeder_per_month : float
        A feeder must pay that account at least this often (transfers per month of their
        active span): sweeps are daily or weekly, rent is monthly.
    suspicion_boost : float
        Factor applied to the money links of a suspicious account (capped at weight 1).
    collector_inflow_share : float
        An account paid by two or more suspicious accounts that make at least this share of its
        inflow is suspicious too (the collector the first pass missed).
    beneficiary_share : float
        Share of an account's outflow that it must send to an outside payee to count as one of
        that payee's payers (a coffee paid to a friend does not).
    max_beneficiary_payers : int
        An outside payee paid by more of the bank's accounts than this (any amount) is a hub
        (a utility, a merchant, a popular payee) and makes no links.
    sender_min_count, sender_max_count : int
        A suspicious account paid by this many one-off senders (see ``sender_max_transfers``)
        is tied to each of them (F14 / H5: several apparently unrelated customers sending to
        one beneficiary); more than ``sender_max_count`` is a hub (a merchant) and ties none.
    sender_max_transfers : int
        A one-off sender made at most this many transfers to the account ...
    sender_max_span_days : float
        ... over at most this many days, not mostly by ACH: sends for one arrangement, not rent
        or a standing payment.
    """

    max_identifier_accounts: int = 20
    min_money_share: float = 0.02
    hub_share: float = 0.05
    hub_partners: int = 6
    suspicion_threshold: float = 0.5
    feeder_share: float = 0.4
    feeder_outflow_share: float = 0.2
    feeder_per_month: float = 2.0
    suspicion_boost: float = 1.0
    collector_inflow_share: float = 0.2
    beneficiary_share: float = 0.05
    max_beneficiary_payers: int = 20
    sender_min_count: int = 2
    sender_max_count: int = 20
    sender_max_transfers: int = 4
    sender_max_span_days: float = 62.0

    def __post_init__(self) -> None:
        if self.max_identifier_accounts < 2:
            raise ValueError(
                "max_identifier_accounts must be >= 2. "
                f"Got {self.max_identifier_accounts!r} instead."
            )
        if self.max_beneficiary_payers < 2:
            raise ValueError(
                f"max_beneficiary_payers must be >= 2. Got {self.max_beneficiary_payers!r} instead."
            )
        for name in (
            "min_money_share",
            "hub_share",
            "feeder_share",
            "feeder_outflow_share",
            "beneficiary_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]. Got {value!r} instead.")
        if self.hub_partners < 1:
            raise ValueError(f"hub_partners must be >= 1. Got {self.hub_partners!r} instead.")


def _pairs_frame(
    index: AccountIndex,
    a: np.ndarray,
    b: np.ndarray,
    kind: str,
    weight: np.ndarray,
    evidence: np.ndarray,
    amount: np.ndarray,
) -> pd.DataFrame:
    """Link table from code pairs (``a < b``), sorted by the pair."""
    order = np.lexsort((b, a))
    return pd.DataFrame(
        {
            "account_a": pd.array(index.ids[a[order]], dtype="string"),
            "account_b": pd.array(index.ids[b[order]], dtype="string"),
            "kind": pd.array(np.full(len(a), kind, dtype=object), dtype="string"),
            "weight": np.asarray(weight, dtype=np.float64)[order],
            "evidence": np.asarray(evidence, dtype=np.int64)[order],
            "amount": np.asarray(amount, dtype=np.float64)[order],
        }
    )


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_a": pd.array([], dtype="string"),
            "account_b": pd.array([], dtype="string"),
            "kind": pd.array([], dtype="string"),
            "weight": np.zeros(0),
            "evidence": np.zeros(0, dtype=np.int64),
            "amount": np.zeros(0),
        }
    )


def _group_pairs(group: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)`` of row positions with the same group and ``member[i] < member[j]``.

    Vectorised: rows are sorted by group, and each row is paired with every later row of its
    group (group sizes are bounded by the caller).
    """
    order = np.lexsort((member, group))
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    pos_in = np.arange(len(g)) - np.repeat(starts, sizes)
    later = np.repeat(sizes, sizes) - pos_in - 1  # rows after each row in its group
    left = np.repeat(np.arange(len(g)), later)
    offs = np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later) + 1
    right = left + offs
    return order[left], order[right]


def identifier_links(
    identifiers: pd.DataFrame,
    index: AccountIndex,
    *,
    settings: LinkSettings | None = None,
) -> pd.DataFrame:
    """Links from identifiers shared by two or more accounts, weighted by rarity.

    Parameters
    ----------
    identifiers : pandas.DataFrame
        Long table ``account_id, kind, value`` of normalised identifiers (the output of
        ``fintrak.identifiers.account_identifiers``). Kinds outside :data:`IDENTIFIER_KINDS` and
        accounts outside ``index`` are ignored.
    index : AccountIndex
        The bank's accounts.
    settings : LinkSettings, optional
        ``max_identifier_accounts`` is used.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS`; one row per pair and kind; ``evidence`` = identifiers shared,
        ``amount`` = 0.

    Examples
    --------
    >>> ids = pd.DataFrame({"account_id": ["a", "b", "c", "a"], "kind": ["phone"] * 3 + ["email"],
    ...                     "value": ["+15550100", "+15550100", "+15550199", "x@y.z"]})
    >>> identifier_links(ids, AccountIndex(ids["account_id"]))[["account_a", "account_b", "weight"]]
      account_a account_b  weight
    0         a         b     1.0
    """
    s = settings or LinkSettings()
    frame = identifiers.loc[
        identifiers["kind"].isin(IDENTIFIER_KINDS) & identifiers["value"].notna(),
        ["account_id", "kind", "value"],
    ]
    acct = index.codes(frame["account_id"])
    keep = acct >= 0
    frame, acct = frame[keep], acct[keep]
    if len(frame) == 0:
        return _empty_links()
    kinds = frame["kind"].astype(str).to_numpy()
    key = pd.MultiIndex.from_arrays([kinds, frame["value"].astype(str).to_numpy()])
    ident = pd.factorize(key)[0]
    # one row per (identifier, account)
    uniq = pd.unique(ident.astype(np.int64) * (len(index) + 1) + acct)
    ident, acct = uniq // (len(index) + 1), uniq % (len(index) + 1)
    held = np.bincount(ident)
    n = held[ident]
    keep = (n >= 2) & (n <= s.max_identifier_accounts)
    ident, acct = ident[keep], acct[keep]
    kind_of = pd.factorize(key)[1].get_level_values(0).to_numpy()
    out = []
    for kind in IDENTIFIER_KINDS:
        sel = kind_of[ident] == kind
        if not sel.any():
            continue
        i, j = _group_pairs(ident[sel], acct[sel])
        a, b = acct[sel][i], acct[sel][j]
        w = 1.0 / (held[ident[sel][i]] - 1.0)
        pair = a * len(index) + b
        codes, first = pd.factorize(pair)
        weight = np.minimum(np.bincount(codes, weights=w), 1.0)
        evidence = np.bincount(codes)
        out.append(
            _pairs_frame(
                index,
                first // len(index),
                first % len(index),
                kind,
                weight,
                evidence,
                np.zeros(len(first)),
            )
        )
    if not out:
        return _empty_links()
    return pd.concat(out, ignore_index=True)


def suspicious_identifier_pairs(
    identifiers: pd.DataFrame,
    index: AccountIndex,
    suspicious: np.ndarray,
    *,
    max_holders: int,
    settings: LinkSettings | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of suspicious accounts tied by an identifier on which suspicious accounts cluster.

    An identifier held by ``n`` accounts (at most ``max_identifier_accounts``), of which ``k``
    are suspicious, with ``k >= 3`` (:data:`MIN_SUSPICIOUS_HOLDERS`), ``k`` at least a fifth of
    ``n`` and ``k <= max_holders``, ties every pair of its suspicious holders: six flagged
    accounts among the twenty at one address are a ring's address, not a coincidence, even
    though the address alone is too common to link its residents. Two flagged accounts in a
    large building, or a shelter where a few of many residents are flagged, tie nothing.

    Parameters
    ----------
    identifiers : pandas.DataFrame
        ``account_id, kind, value`` (as for :func:`identifier_links`).
    index : AccountIndex
        The bank's accounts.
    suspicious : numpy.ndarray of bool
        Per account code.
    max_holders : int
        Most suspicious holders that still tie each other (more: a hub of its own).
    settings : LinkSettings, optional
        ``max_identifier_accounts`` is used.

    Returns
    -------
    a, b : numpy.ndarray
        Codes of the tied pairs (``a < b``), unique and sorted.
    """
    s = settings or LinkSettings()
    empty = np.zeros(0, dtype=np.int64)
    frame = identifiers.loc[
        identifiers["kind"].isin(IDENTIFIER_KINDS) & identifiers["value"].notna(),
        ["account_id", "kind", "value"],
    ]
    acct = index.codes(frame["account_id"])
    keep = acct >= 0
    frame, acct = frame[keep], acct[keep]
    if len(frame) == 0 or not np.asarray(suspicious, dtype=bool).any():
        return empty, empty
    key = pd.MultiIndex.from_arrays(
        [frame["kind"].astype(str).to_numpy(), frame["value"].astype(str).to_numpy()]
    )
    ident = pd.factorize(key)[0].astype(np.int64)
    uniq = pd.unique(ident * (len(index) + 1) + acct)
    ident, acct = uniq // (len(index) + 1), uniq % (len(index) + 1)
    held = np.bincount(ident)
    sus = np.asarray(suspicious, dtype=bool)[acct]
    k = np.bincount(ident, weights=sus.astype(np.float64), minlength=len(held))
    ok = (
        (held <= s.max_identifier_accounts)
        & (k >= MIN_SUSPICIOUS_HOLDERS)
        & (k <= max_holders)
        & (5 * k >= held)
    )
    sel = sus & ok[ident]
    if not sel.any():
        return empty, empty
    i, j = _group_pairs(ident[sel], acct[sel])
    a, b = acct[sel][i], acct[sel][j]
    pair = np.unique(np.minimum(a, b) * len(index) + np.maximum(a, b))
    return pair // len(index), pair % len(index)


def household_links(accounts: pd.DataFrame | None, index: AccountIndex) -> pd.DataFrame:
    """Links of weight 1 between accounts of the same customer (``accounts.customer_id``).

    Parameters
    ----------
    accounts : pandas.DataFrame or None
        Canonical accounts table; without ``customer_id`` no links are made.
    index : AccountIndex
        The bank's accounts.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS` with kind ``customer``; ``evidence`` = 1.

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["a", "b", "c"], "customer_id": ["C1", "C1", "C2"]})
    >>> household_links(acc, AccountIndex(acc["account_id"]))[["account_a", "account_b"]]
      account_a account_b
    0         a         b
    """
    if accounts is None or "customer_id" not in accounts.columns:
        return _empty_links()
    frame = accounts.loc[accounts["customer_id"].notna(), ["account_id", "customer_id"]]
    acct = index.codes(frame["account_id"])
    cust = pd.factorize(frame["customer_id"].astype(str))[0]
    keep = acct >= 0
    acct, cust = acct[keep], cust[keep]
    uniq = pd.unique(cust.astype(np.int64) * (len(index) + 1) + acct)
    cust, acct = uniq // (len(index) + 1), uniq % (len(index) + 1)
    i, j = _group_pairs(cust, acct)
    a, b = acct[i], acct[j]
    ones = np.ones(len(a))
    return _pairs_frame(index, a, b, "customer", ones, ones.astype(np.int64), np.zeros(len(a)))


@dataclass(frozen=True)
class MoneyFlows:
    """Money between the bank's own accounts, aggregated per directed pair.

    Attributes
    ----------
    index : AccountIndex
        The bank's accounts.
    payer, payee : numpy.ndarray
        Codes of each directed pair (sorted by payer, then payee).
    amount : numpy.ndarray
        Money moved from payer to payee. When both sides of a transfer are in the extract (a
        debit on the payer and a credit on the payee), the larger of the two sides' sums is
        kept, so a transfer is never counted twice and a one-sided extract still works.
    n_transactions : numpy.ndarray
        Transfers counted on the same side as ``amount``.
    span_days : numpy.ndarray
        Days between the pair's first and last transfer (0 for a single transfer).
    ach_amount : numpy.ndarray
        Part of ``amount`` moved by ACH (payroll, rent, business payments).
    inflow, outflow : numpy.ndarray
        Every account's total credits and debits (all channels, all counterparties), by code.
    cash_inflow : numpy.ndarray
        Every account's credits by cash or ATM deposit, by code.
    """

    index: AccountIndex
    payer: np.ndarray
    payee: np.ndarray
    amount: np.ndarray
    n_transactions: np.ndarray
    span_days: np.ndarray
    ach_amount: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    cash_inflow: np.ndarray

    def strength(self) -> tuple[np.ndarray, np.ndarray]:
        """Share of the payer's outflow and share of the payee's inflow, per directed pair."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out_share = np.where(
                self.outflow[self.payer] > 0, self.amount / self.outflow[self.payer], 0.0
            )
            in_share = np.where(
                self.inflow[self.payee] > 0, self.amount / self.inflow[self.payee], 0.0
            )
        return np.minimum(out_share, 1.0), np.minimum(in_share, 1.0)

    def per_month(self) -> np.ndarray:
        """Transfers per month of the pair's active span (a single month at least)."""
        return self.n_transactions / np.maximum(self.span_days / 30.44, 1.0)

    def feeds(self, settings: LinkSettings | None = None) -> np.ndarray:
        """Whether each directed pair is a feeder flow (see :func:`collector_accounts`).

        Also a feeder flow: one of several regular flows (each at least ``feeder_per_month``
        and :data:`SPLIT_FEED_SHARE` of the payer's outflow) that together pass
        ``feeder_share`` of the payer's inflow and ``feeder_outflow_share`` of its outflow
        on (a victim splitting the takings between the controller and a second collector).
        Neither when the payer's regular flows add up to more than :data:`MAX_PASSED_ON` of
        its inflow: it pays from elsewhere (a small employer's payroll), it does not pass on.
        """
        s = settings or LinkSettings()
        out_share, _ = self.strength()
        single = (
            (self.feeder_share() >= s.feeder_share)
            & (out_share >= s.feeder_outflow_share)
            & (self.per_month() >= s.feeder_per_month)
            & self._passes_on(s)
        )
        return single | self._split(s)[0]

    def _passes_on(self, s: LinkSettings) -> np.ndarray:
        """Per pair: whether the payer passes on at most :data:`MAX_PASSED_ON` of its inflow."""
        regular = self.per_month() >= s.feeder_per_month
        passed = np.bincount(
            self.payer[regular], weights=self.feeder_share()[regular], minlength=len(self.index)
        )
        return passed[self.payer] <= MAX_PASSED_ON

    def _split(self, s: LinkSettings) -> tuple[np.ndarray, np.ndarray]:
        """Split feeder flows and the share of the payer's inflow they pass on together."""
        out_share, _ = self.strength()
        share = self.feeder_share()
        regular = (self.per_month() >= s.feeder_per_month) & (out_share >= SPLIT_FEED_SHARE)
        n = len(self.index)
        total_in = np.bincount(self.payer[regular], weights=share[regular], minlength=n)
        total_out = np.bincount(self.payer[regular], weights=out_share[regular], minlength=n)
        count = np.bincount(self.payer[regular], minlength=n)
        split = (
            regular
            & (count[self.payer] >= 2)
            & (count[self.payer] <= MAX_SPLIT_COLLECTORS)
            & (total_in[self.payer] >= s.feeder_share)
            & (total_out[self.payer] >= s.feeder_outflow_share)
            & self._passes_on(s)
        )
        return split, np.where(split, np.minimum(total_in[self.payer], 1.0), 0.0)

    def feeder_share(self) -> np.ndarray:
        """Share of the payer's own inflow that it passed to the payee, per directed pair."""
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                self.inflow[self.payer] > 0, self.amount / self.inflow[self.payer], 0.0
            )
        return np.minimum(share, 1.0)


def _seconds(stamps: pd.Series) -> np.ndarray:
    """Seconds since 1970 of a timestamp column (UTC-aware or naive), as int64."""
    stamps = pd.to_datetime(stamps)
    epoch = pd.Timestamp(0, tz="UTC") if stamps.dt.tz is not None else pd.Timestamp(0)
    return ((stamps - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64, na_value=0)


def money_flows(transactions: pd.DataFrame, index: AccountIndex) -> MoneyFlows:
    """Aggregate the transactions into flows between the bank's own accounts.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``account_id``, ``amount``, ``direction``, ``channel``,
        ``counterparty_id``).
    index : AccountIndex
        The bank's accounts; must hold every ``transactions.account_id``.

    Returns
    -------
    MoneyFlows

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "b", "a"], "amount": [50.0, 50.0, 50.0],
    ...                   "direction": ["debit", "credit", "debit"],
    ...                   "channel": ["p2p", "p2p", "card"], "counterparty_id": ["b", "a", None],
    ...                   "timestamp": pd.to_datetime(["2025-01-01"] * 3, utc=True)})
    >>> f = money_flows(t, AccountIndex(t["account_id"]))
    >>> f.amount.tolist(), f.outflow.tolist()
    ([50.0], [100.0, 0.0])
    """
    n = len(index)
    acct = index.codes(transactions["account_id"])
    amount = transactions["amount"].to_numpy(dtype=np.float64, na_value=0.0)
    credit = (transactions["direction"] == "credit").to_numpy(dtype=bool, na_value=False)
    debit = (transactions["direction"] == "debit").to_numpy(dtype=bool, na_value=False)
    ok = acct >= 0
    inflow = np.bincount(acct[ok & credit], weights=amount[ok & credit], minlength=n)
    outflow = np.bincount(acct[ok & debit], weights=amount[ok & debit], minlength=n)
    channel = transactions["channel"]
    cash = (channel.isin(("cash", "atm"))).to_numpy(dtype=bool, na_value=False) & credit & ok
    cash_inflow = np.bincount(acct[cash], weights=amount[cash], minlength=n)
    has_cp = transactions["counterparty_id"].notna().to_numpy(dtype=bool, na_value=False) & ok
    rows = np.flatnonzero(has_cp)
    cp = index.codes(transactions["counterparty_id"].iloc[rows])
    own = (cp >= 0) & (cp != acct[rows])
    rows, cp = rows[own], cp[own]
    me = acct[rows]
    is_debit = debit[rows]
    is_credit = credit[rows]
    ach = channel.iloc[rows].isin(("ach",)).to_numpy(dtype=bool, na_value=False)
    amt = amount[rows]
    when = _seconds(transactions["timestamp"].iloc[rows])
    keep = is_debit | is_credit
    payer = np.where(is_debit, me, cp)[keep]
    payee = np.where(is_debit, cp, me)[keep]
    side = is_debit[keep].astype(np.int64)
    amt, ach, when = amt[keep], ach[keep], when[keep]
    codes, first = pd.factorize(payer * n + payee, sort=True)
    m = len(first)
    sums = np.zeros((2, m))
    counts = np.zeros((2, m), dtype=np.int64)
    achs = np.zeros((2, m))
    for k in (0, 1):  # 0 = the payee's credit rows, 1 = the payer's debit rows
        sel = side == k
        sums[k] = np.bincount(codes[sel], weights=amt[sel], minlength=m)
        counts[k] = np.bincount(codes[sel], minlength=m)
        achs[k] = np.bincount(codes[sel], weights=np.where(ach[sel], amt[sel], 0.0), minlength=m)
    pick = (sums[1] >= sums[0]).astype(np.int64)
    cols = np.arange(m)
    first_t = np.full(m, np.iinfo(np.int64).max)
    last_t = np.full(m, np.iinfo(np.int64).min)
    np.minimum.at(first_t, codes, when)
    np.maximum.at(last_t, codes, when)
    return MoneyFlows(
        index=index,
        payer=(first // n).astype(np.int64),
        payee=(first % n).astype(np.int64),
        amount=sums[pick, cols],
        n_transactions=counts[pick, cols],
        span_days=(last_t - first_t) / 86400.0,
        ach_amount=achs[pick, cols],
        inflow=inflow,
        outflow=outflow,
        cash_inflow=cash_inflow,
    )


#: Share of the inflow made of cash deposits from which an account may be a funnel.
FUNNEL_CASH_SHARE = 0.5
#: Share of the inflow that must leave again for a funnel.
FUNNEL_PASS_THROUGH = 0.8
#: Share of the outflow paid by ACH to two or more of the bank's accounts (wages) that marks a
#: cash business paying its staff rather than a funnel.
PAYROLL_SHARE = 0.2


def funnel_accounts(flows: MoneyFlows) -> np.ndarray:
    """Per account code: cash deposits make at least half its inflow and 80% of it leaves.

    Not a funnel: an account paying at least :data:`PAYROLL_SHARE` of its outflow by ACH to
    two or more of the bank's accounts (a cash business paying its staff: funnel accounts move
    the money on by cash withdrawals, wires and transfers, FinCEN FIN-2014-A005).
    """
    n = len(flows.index)
    ach = flows.ach_amount >= 0.5 * flows.amount
    ach_paid = np.bincount(flows.payer[ach], weights=flows.amount[ach], minlength=n)
    ach_payees = np.bincount(flows.payer[ach], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        cash = np.where(flows.inflow > 0, flows.cash_inflow / flows.inflow, 0.0)
        through = np.where(flows.inflow > 0, flows.outflow / flows.inflow, 0.0)
        payroll = (ach_payees >= 2) & (
            np.where(flows.outflow > 0, ach_paid / flows.outflow, 0.0) >= PAYROLL_SHARE
        )
    return (cash >= FUNNEL_CASH_SHARE) & (through >= FUNNEL_PASS_THROUGH) & ~payroll


def collector_accounts(flows: MoneyFlows, *, settings: LinkSettings | None = None) -> np.ndarray:
    """Codes of accounts that collect most of the inflow of at least two feeders.

    A feeder of ``x`` passes at least ``feeder_share`` of its own inflow and
    ``feeder_outflow_share`` of its outflow to ``x``, at least ``feeder_per_month`` times a month
    (victims sweeping takings to a controller, workers handing wages back; a tenant paying a
    monthly rent is not a feeder). Also counted: employers two or more of whose payees feed a
    collector (the wage hand-back: the employer is part of the scheme).

    Parameters
    ----------
    flows : MoneyFlows
    settings : LinkSettings, optional
        ``feeder_share`` and ``min_money_share`` are used.

    Returns
    -------
    numpy.ndarray
        Sorted codes.
    """
    s = settings or LinkSettings()
    feed = flows.feeds(s)
    n = len(flows.index)
    feeders = np.bincount(flows.payee[feed], minlength=n)
    collectors = feeders >= 2
    # employers whose payees feed a collector
    fed_payers = np.zeros(n, dtype=bool)
    fed_payers[flows.payer[feed & collectors[flows.payee]]] = True
    _, in_share = flows.strength()
    wage = (flows.ach_amount > 0.5 * flows.amount) & (in_share >= 0.5) & fed_payers[flows.payee]
    collectors |= np.bincount(flows.payer[wage], minlength=n) >= 2
    return np.flatnonzero(collectors)


def one_off_senders(
    flows: MoneyFlows, suspicious: np.ndarray, *, settings: LinkSettings | None = None
) -> np.ndarray:
    """Per directed pair: a one-off sender paying a suspicious account that has several.

    FinCEN (FIN-2014-A008, F14; catalogue H5): multiple apparently unrelated customers send
    wires, cash deposits or P2P to one beneficiary, often below $3,000. Each such sender made at
    most ``sender_max_transfers`` transfers to the account over at most
    ``sender_max_span_days`` days, not mostly by ACH (so not rent, wages or a standing order),
    sent it at least ``beneficiary_share`` of its own outflow (not a coffee repaid), and is not
    suspicious itself; the account is suspicious and has between
    ``sender_min_count`` and ``sender_max_count`` such senders.

    Parameters
    ----------
    flows : MoneyFlows
        Output of :func:`money_flows`.
    suspicious : numpy.ndarray of bool
        Per account code.
    settings : LinkSettings, optional

    Returns
    -------
    numpy.ndarray of bool
        One value per directed pair of ``flows``.
    """
    s = settings or LinkSettings()
    flagged = np.asarray(suspicious, dtype=bool)
    out_share, _ = flows.strength()
    one_off = (
        ~flagged[flows.payer]
        & flagged[flows.payee]
        & (out_share >= s.beneficiary_share)
        & (flows.n_transactions <= s.sender_max_transfers)
        & (flows.span_days <= s.sender_max_span_days)
        & (flows.ach_amount < 0.5 * flows.amount)
    )
    count = np.bincount(flows.payee[one_off], minlength=len(flows.index))
    many = (count >= s.sender_min_count) & (count <= s.sender_max_count)
    return one_off & many[flows.payee]


def money_links(
    flows: MoneyFlows,
    *,
    suspicious: np.ndarray | None = None,
    settings: LinkSettings | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Money links between the bank's accounts, with hubs down-weighted.

    The strength of a direction ``a -> b`` is the share of ``a``'s outflow paid to ``b``, or,
    when ``a`` feeds ``b`` (:meth:`MoneyFlows.feeds`), the share of ``a``'s inflow passed to
    ``b`` if larger. The payee's point of view (the share of ``b``'s inflow coming from ``a``:
    every employee's salary, every landlord's rents) counts only when ``a`` or ``b`` is
    suspicious, and links of a suspicious account are multiplied by ``suspicion_boost``
    (capped at 1): a ring's collector keeps the weaker ties of its members.

    Parameters
    ----------
    flows : MoneyFlows
        Output of :func:`money_flows`.
    suspicious : numpy.ndarray of bool, optional
        Per account code, from the first-pass score. :func:`collector_accounts` are always
        added.
    settings : LinkSettings, optional

    Returns
    -------
    links : pandas.DataFrame
        :data:`LINK_COLUMNS` with kind ``money``; ``evidence`` = transfers (both directions),
        ``amount`` = money moved (both directions).
    suspicious : numpy.ndarray of bool
        Per account code: the accounts treated as suspicious (given, or collectors).
    """
    s = settings or LinkSettings()
    n = len(flows.index)
    flagged = np.zeros(n, dtype=bool)
    flagged[collector_accounts(flows, settings=s)] = True
    flagged |= funnel_accounts(flows)
    if suspicious is not None:
        flagged |= np.asarray(suspicious, dtype=bool)
    out_share, in_share = flows.strength()
    # an account fed by two or more suspicious accounts, which make at least
    # ``collector_inflow_share`` of its inflow, collects for them (a funnel's coordinator)
    paid = flagged[flows.payer] & ~flagged[flows.payee] & (out_share >= s.min_money_share)
    payers = np.bincount(flows.payee[paid], minlength=n)
    share = np.bincount(flows.payee[paid], weights=in_share[paid], minlength=n)
    flagged |= (payers >= 2) & (share >= s.collector_inflow_share)
    strength = np.where(flows.feeds(s), np.maximum(out_share, flows.feeder_share()), out_share)
    # a split feeder is tied to each of its collectors by what it passes on to all of them
    strength = np.maximum(strength, flows._split(s)[1])
    touch = flagged[flows.payer] | flagged[flows.payee]
    strength = np.where(
        touch, np.minimum(np.maximum(strength, in_share) * s.suspicion_boost, 1.0), strength
    )
    a = np.minimum(flows.payer, flows.payee)
    b = np.maximum(flows.payer, flows.payee)
    codes, first = pd.factorize(a * n + b, sort=True)
    weight = np.zeros(len(first))
    np.maximum.at(weight, codes, strength)
    evidence = np.bincount(codes, weights=flows.n_transactions).astype(np.int64)
    amount = np.bincount(codes, weights=flows.amount)
    pa, pb = first // n, first % n
    keep = weight >= s.min_money_share
    pa, pb, weight, evidence, amount = (
        pa[keep],
        pb[keep],
        weight[keep],
        evidence[keep],
        amount[keep],
    )
    strong = weight >= s.hub_share
    partners = np.bincount(pa[strong], minlength=n) + np.bincount(pb[strong], minlength=n)
    factor = np.minimum(1.0, s.hub_partners / np.maximum(partners, 1))
    factor = np.where(flagged, 1.0, factor)
    exempt = flagged[pa] | flagged[pb]
    weight = np.where(exempt, weight, weight * np.minimum(factor[pa], factor[pb]))
    return _pairs_frame(flows.index, pa, pb, "money", weight, evidence, amount), flagged


def _payee_keys(transactions: pd.DataFrame, rows: np.ndarray, index: AccountIndex) -> np.ndarray:
    """Integer key of the outside payee of each row (-1: none, or one of the bank's accounts).

    The payee is its ``counterparty_id`` when given (an account at another bank), otherwise its
    ``counterparty_name`` in capitals with punctuation and repeated spaces removed. Names are
    normalised once per distinct value.
    """
    cp = transactions["counterparty_id"].iloc[rows]
    name = (
        transactions["counterparty_name"].iloc[rows]
        if "counterparty_name" in transactions
        else None
    )
    has_id = cp.notna().to_numpy(dtype=bool, na_value=False)
    ours = np.zeros(len(rows), dtype=bool)
    ours[has_id] = index.codes(cp[has_id]) >= 0
    label = np.where(has_id, "i:" + cp.astype(object).fillna("").astype(str).to_numpy(), "")
    if name is not None:
        codes, uniq = pd.factorize(name, use_na_sentinel=True)
        norm = (
            pd.Series(np.asarray(uniq, dtype=object), dtype="string")
            .str.upper()
            .str.replace(r"[^0-9A-Z]+", " ", regex=True)
            .str.strip()
            .fillna("")
            .to_numpy(dtype=object)
        )
        norm = np.where(norm != "", np.char.add("n:", norm.astype(str)), "")
        named = np.where(codes >= 0, norm[np.maximum(codes, 0)] if len(norm) else "", "")
        label = np.where(has_id, label, named)
    key = pd.factorize(label)[0]
    key[(label == "") | ours] = -1
    return key


def beneficiary_links(
    transactions: pd.DataFrame,
    flows: MoneyFlows,
    *,
    settings: LinkSettings | None = None,
) -> pd.DataFrame:
    """Links between accounts that pay the same rare outside payee, weighted by rarity.

    Senders who each wire a share of their money to one person outside the bank (a smuggling
    ring's beneficiary, a funnel's coordinator held elsewhere) leave no transfer between
    themselves; what they share is the payee. A payer counts when the payee received at least
    ``beneficiary_share`` of its outflow by wire, P2P, ACH or cheque (:data:`BENEFICIARY_CHANNELS`;
    card purchases never count). A payee paid by ``n >= 3`` such payers
    (:data:`MIN_BENEFICIARY_PAYERS`) gives each pair of them ``1 / (n - 1)``, as a shared
    identifier does; a payee paid by more than
    ``max_beneficiary_payers`` of the bank's accounts (any amount: a utility, a merchant, an
    employer's payroll account, a popular payee) is a hub and makes no links. Payees that are
    the bank's own accounts are left to :func:`money_links`.

    Parameters
    ----------
    transactions : pandas.DataFrame
        Canonical transactions (``account_id``, ``amount``, ``direction``, ``channel``,
        ``counterparty_id``, ``counterparty_name``).
    flows : MoneyFlows
        Output of :func:`money_flows` (for the accounts' outflows).
    settings : LinkSettings, optional
        ``beneficiary_share`` and ``max_beneficiary_payers`` are used.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS` with kind ``beneficiary``; ``evidence`` = payees shared,
        ``amount`` = 0. No payee name or id.

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "b", "c", "d", "a", "b", "c", "d"],
    ...                   "amount": [900.0, 800.0, 700.0, 600.0, 100.0, 100.0, 100.0, 100.0],
    ...                   "direction": ["debit"] * 8,
    ...                   "channel": ["wire", "wire", "p2p", "card"] + ["card"] * 4,
    ...                   "counterparty_id": [None] * 8,
    ...                   "counterparty_name": ["Ana Diaz", "ANA  DIAZ.", "ana diaz", "Ana Diaz"]
    ...                                        + ["Shop"] * 4,
    ...                   "timestamp": pd.to_datetime(["2025-01-01"] * 8, utc=True)})
    >>> flows = money_flows(t, AccountIndex(t["account_id"]))
    >>> beneficiary_links(t, flows)[["account_a", "account_b", "kind", "weight"]]
      account_a account_b         kind  weight
    0         a         b  beneficiary     0.5
    1         a         c  beneficiary     0.5
    2         b         c  beneficiary     0.5
    """
    s = settings or LinkSettings()
    index = flows.index
    n = len(index)
    acct = index.codes(transactions["account_id"])
    debit = (transactions["direction"] == "debit").to_numpy(dtype=bool, na_value=False)
    channel = (
        transactions["channel"].isin(BENEFICIARY_CHANNELS).to_numpy(dtype=bool, na_value=False)
    )
    rows = np.flatnonzero(debit & channel & (acct >= 0))
    if len(rows) == 0:
        return _empty_links()
    payee = _payee_keys(transactions, rows, index)
    keep = payee >= 0
    rows, payee = rows[keep], payee[keep]
    if len(rows) == 0:
        return _empty_links()
    payer = acct[rows].astype(np.int64)
    amount = transactions["amount"].to_numpy(dtype=np.float64, na_value=0.0)[rows]
    codes, first = pd.factorize(payee.astype(np.int64) * n + payer, sort=True)
    total = np.bincount(codes, weights=amount, minlength=len(first))
    pe, pr = first // n, first % n
    payers_all = np.bincount(pe)[pe]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(flows.outflow[pr] > 0, total / flows.outflow[pr], 0.0)
    sig = (share >= s.beneficiary_share) & (payers_all <= s.max_beneficiary_payers)
    pe, pr = pe[sig], pr[sig]
    held = np.bincount(pe) if len(pe) else np.zeros(0, dtype=np.int64)
    sel = held[pe] >= MIN_BENEFICIARY_PAYERS if len(pe) else np.zeros(0, dtype=bool)
    pe, pr = pe[sel], pr[sel]
    if len(pe) == 0:
        return _empty_links()
    i, j = _group_pairs(pe, pr)
    a, b = pr[i], pr[j]
    w = 1.0 / (held[pe[i]] - 1.0)
    pcodes, pfirst = pd.factorize(a * n + b)
    weight = np.minimum(np.bincount(pcodes, weights=w), 1.0)
    evidence = np.bincount(pcodes)
    return _pairs_frame(
        index,
        pfirst // n,
        pfirst % n,
        "beneficiary",
        weight,
        evidence,
        np.zeros(len(pfirst)),
    )
