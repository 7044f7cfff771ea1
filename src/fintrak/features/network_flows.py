"""Money-flow network features: sweeps, fan-out, scatter-gather, short cycles and wage hand-backs.

Published red flags describe money that does not stay where it lands:

- victims' earnings swept into a few controller accounts within a day or two, and a controller
  receiving the earnings of several victims (A7, J2, G1, C2; F20, F26, AU22);
- money spread from one source over several intermediaries that pass it on to one common
  destination (*scatter-gather*), or gathered from several sources into a hub that spreads it on
  (*gather-scatter*), and money coming back to where it started within days (*short cycles*):
  the layering shapes of funnel and controller networks (J2, E1; F20, FT16);
- many workers of one employer handing most of each wage to one common counterparty (J3, C2;
  F20, FATF18), and an employer's workers living at one address (J1, C1; F14, F20).

**Between own accounts.** A transaction is between the bank's own accounts when its
``counterparty_id`` is one of :attr:`FeatureContext.account_ids` (and not the account itself).
Scatter-gather, gather-scatter and cycles follow only such transfers, because only the bank's own
accounts show what happened next; sweeps and fan-out count every counterparty by ``cp_key``.
A transfer between two own accounts usually appears twice (the sender's debit and the receiver's
credit); both sides are merged into one edge, and the features count distinct accounts, so an
extract holding only one side gives the same values.

**Transfers.** Only the channels in :data:`TRANSFER_CHANNELS` (ACH, P2P, wire, check) move money
to a counterparty here; card purchases and cash are not transfers.

The thresholds below are module-level constants (inferred, fintrak design; tune them): they are
proportions, hours and days, not currency amounts, so they do not belong in ``thresholds.yaml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes
from fintrak.features.labour import payroll_credits

try:  # the shared identifier normaliser, where it exists
    from fintrak.identifiers import normalise_addresses as _normalise_addresses
except ImportError:  # pragma: no cover - depends on the checkout
    from fintrak.features.population import normalise_address as _normalise_addresses

__all__ = [
    "CYCLE_DAYS",
    "HANDBACK_DAYS",
    "HANDBACK_SHARE",
    "HANDBACK_WAGE_SHARE",
    "MIN_INTERMEDIARIES",
    "MIN_PAYEES",
    "PASS_ON_SHARE",
    "RELAY_DAYS",
    "SWEEP_HOURS",
    "SWEEP_SHARE",
    "TRANSFER_CHANNELS",
    "own_edges",
]

#: Channels that move money to or from a named counterparty.
TRANSFER_CHANNELS: tuple[str, ...] = ("ach", "p2p", "wire", "check")
#: A7/J2 (inferred from F26 "immediately"; 48 h as in C2): a credit is swept when transfers to one
#: counterparty within this many hours after it add up to :data:`SWEEP_SHARE` of it.
SWEEP_HOURS = 48.0
#: A7/J2 (inferred): the share of a credit that must leave to one counterparty ("most of it").
SWEEP_SHARE = 0.8
#: Scatter-gather and gather-scatter (inferred): each hop follows the one before within this many
#: days.
RELAY_DAYS = 7.0
#: Scatter-gather and cycles (inferred): a hop passes money on when it moves at least this share
#: of the transfer it follows.
PASS_ON_SHARE = 0.5
#: Scatter-gather (inferred): intermediaries needed between one source and one destination.
MIN_INTERMEDIARIES = 2
#: Short cycles (inferred): the money is back at the first account within this many days of
#: leaving it.
CYCLE_DAYS = 7.0
#: J3 (inferred): a wage is handed back when transfers to one counterparty within this many days
#: after it add up to :data:`HANDBACK_SHARE` of it.
HANDBACK_DAYS = 3.0
#: J3 (inferred from "most of each wage"): share of a wage sent to one counterparty.
HANDBACK_SHARE = 0.5
#: J3 (inferred): a payee hands wages back to a counterparty when it does so with at least this
#: share of the wages it received from the employer ("each wage").
HANDBACK_WAGE_SHARE = 0.5
#: J3, J1 (inferred): employers with fewer payees (own accounts) get NaN.
MIN_PAYEES = 3

_NETWORK_DAYS = 180.0
_WAGE_DAYS = 180.0


# -- shared primitives -----------------------------------------------------------------------------


def _seconds(ctx: FeatureContext) -> np.ndarray:
    """Whole seconds before ``as_of`` as a non-decreasing clock (int64, later = larger)."""
    return np.rint(-ctx.transactions["age_days"].to_numpy(dtype=np.float64) * 86400.0).astype(
        np.int64
    )


def _transfer_rows(ctx: FeatureContext) -> np.ndarray:
    return ctx.channel_in(TRANSFER_CHANNELS)


def _own_counterparty(ctx: FeatureContext) -> np.ndarray:
    """Position in ``account_ids`` of each row's counterparty (-1: outside the bank or itself)."""
    txn = ctx.transactions
    out = np.full(len(txn), -1, dtype=np.int64)
    if "counterparty_id" not in txn.columns or len(txn) == 0:
        return out
    column = txn["counterparty_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        lookup = ctx.account_ids.get_indexer(column.cat.categories.astype(object))
        known = codes >= 0
        out[known] = lookup[codes[known]]
    else:
        out = ctx.account_ids.get_indexer(column.astype(object)).astype(np.int64)
    out[out == txn["acct"].to_numpy()] = -1
    return out


def _expand(
    left_key: np.ndarray, lo: np.ndarray, hi: np.ndarray, right_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j): ``right_key[j]`` in ``(left_key[i] + lo[i], left_key[i] + hi[i]]``.

    ``right_key`` must be sorted. Returns the left and right positions of every pair.
    """
    start = np.searchsorted(right_key, left_key + lo, side="right")
    stop = np.searchsorted(right_key, left_key + hi, side="right")
    count = np.maximum(stop - start, 0)
    left = np.repeat(np.arange(len(left_key)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return left, np.repeat(start, count) + offset


def _composite(group: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """One sortable int64 key: group first, then time (seconds fit in 2**36, ~2,000 years)."""
    return group.astype(np.int64) * (1 << 36) + (seconds + (1 << 35))


def _top_onward(
    ctx: FeatureContext, credits: np.ndarray, hours: float, *, not_back_to_sender: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each credit row, the largest sum of transfers to one counterparty in the next hours.

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    credits : numpy.ndarray of bool
        Credit rows to follow.
    hours : float
        Horizon after each credit, ``(t, t + hours]``.
    not_back_to_sender : bool
        Ignore transfers back to the credit's own sender.

    Returns
    -------
    rows : numpy.ndarray of int
        The credit rows (positions in ``ctx.transactions``).
    top : numpy.ndarray of float
        Largest per-counterparty sum of the account's transfer debits in the horizon (0 if none).
    top_row : numpy.ndarray of int
        A debit row to that counterparty (-1 if none), to read who it is.
    """
    txn = ctx.transactions
    codes = column_codes(ctx, "cp_key")
    seconds = _seconds(ctx)
    acct = txn["acct"].to_numpy()
    amount = txn["amount"].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(credits)
    debits = np.flatnonzero(~txn["is_credit"].to_numpy() & _transfer_rows(ctx) & (codes >= 0))
    top = np.zeros(len(rows))
    top_row = np.full(len(rows), -1, dtype=np.int64)
    if len(rows) == 0 or len(debits) == 0:
        return rows, top, top_row
    debit_key = _composite(acct[debits], seconds[debits])  # sorted: rows are by account, time
    order = np.argsort(debit_key, kind="stable")
    debits, debit_key = debits[order], debit_key[order]
    left, right = _expand(
        _composite(acct[rows], seconds[rows]),
        np.zeros(len(rows), dtype=np.int64),
        np.full(len(rows), int(round(hours * 3600))),
        debit_key,
    )
    debit_rows = debits[right]
    keep = np.ones(len(left), dtype=bool)
    if not_back_to_sender:
        keep = codes[debit_rows] != codes[rows[left]]
    left, debit_rows = left[keep], debit_rows[keep]
    if len(left) == 0:
        return rows, top, top_row
    pairs = pd.DataFrame({"c": left, "k": codes[debit_rows], "v": amount[debit_rows]})
    pairs["r"] = debit_rows
    sums = pairs.groupby(["c", "k"], sort=True).agg(v=("v", "sum"), r=("r", "min"))
    sums = sums.reset_index().sort_values(["c", "v", "r"], ascending=[True, False, True])
    best = sums.drop_duplicates("c")
    top[best["c"].to_numpy()] = best["v"].to_numpy()
    top_row[best["c"].to_numpy()] = best["r"].to_numpy()
    return rows, top, top_row


def _swept(ctx: FeatureContext, days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Credits of the last ``days``, whether each was swept, and the own account it went to."""
    txn = ctx.transactions
    amount = txn["amount"].to_numpy(dtype=np.float64)
    credits = txn["is_credit"].to_numpy() & ctx.within(days) & (amount > 0)
    rows, top, top_row = _top_onward(ctx, credits, SWEEP_HOURS, not_back_to_sender=True)
    credit = amount[rows]
    swept = (top > 0) & (top >= SWEEP_SHARE * credit)
    to_acct = np.full(len(rows), -1, dtype=np.int64)
    own = _own_counterparty(ctx)
    to_acct[top_row >= 0] = own[top_row[top_row >= 0]]
    return rows, swept, to_acct


def own_edges(ctx: FeatureContext, days: float) -> pd.DataFrame:
    """Transfers between the bank's own accounts in the last ``days``, one row per transfer.

    Debit rows (account -> counterparty) and credit rows (counterparty -> account) are merged, so
    a transfer recorded on both sides is one edge.

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    days : float
        Window.

    Returns
    -------
    pandas.DataFrame
        Columns ``src``, ``dst`` (positions in ``account_ids``), ``t`` (seconds, later = larger)
        and ``amount``, sorted by ``src``, ``t``, ``dst``, ``amount``.
    """
    txn = ctx.transactions
    own = _own_counterparty(ctx)
    rows = (own >= 0) & _transfer_rows(ctx) & ctx.within(days)
    credit = txn["is_credit"].to_numpy()
    acct = txn["acct"].to_numpy().astype(np.int64)
    edges = pd.DataFrame(
        {
            "src": np.where(credit, own, acct)[rows],
            "dst": np.where(credit, acct, own)[rows],
            "t": _seconds(ctx)[rows],
            "amount": np.round(txn["amount"].to_numpy(dtype=np.float64)[rows], 2),
        }
    )
    edges = edges.drop_duplicates().sort_values(["src", "t", "dst", "amount"], kind="stable")
    return edges.reset_index(drop=True)


def _relays(edges: pd.DataFrame, days: float, *, share: float | None) -> pd.DataFrame:
    """Two-hop paths a -> b -> c where the second transfer follows the first within ``days``.

    With ``share``, the second transfer moves at least that share of the first. The paths may
    return to their start (c == a).
    """
    if len(edges) == 0:
        return pd.DataFrame(
            {"a": [], "b": [], "c": [], "t1": [], "t2": [], "v2": []}, dtype="int64"
        )
    out_key = _composite(edges["src"].to_numpy(), edges["t"].to_numpy())  # sorted
    dst = edges["dst"].to_numpy()
    t = edges["t"].to_numpy()
    left, right = _expand(
        _composite(dst, t),
        np.zeros(len(edges), dtype=np.int64),
        np.full(len(edges), int(round(days * 86400))),
        out_key,
    )
    paths = pd.DataFrame(
        {
            "a": edges["src"].to_numpy()[left],
            "b": dst[left],
            "c": dst[right],
            "t1": t[left],
            "t2": t[right],
            "v2": edges["amount"].to_numpy()[right],
        }
    )
    if share is not None:
        paths = paths[paths["v2"].to_numpy() >= share * edges["amount"].to_numpy()[left]]
    return paths[paths["c"] != paths["b"]].reset_index(drop=True)


def _count_per_account(ctx: FeatureContext, accounts: np.ndarray) -> np.ndarray:
    return np.bincount(accounts.astype(np.int64), minlength=ctx.n_accounts).astype(np.float64)


# -- account level: sweeps and fan-out ------------------------------------------------------------


@features(
    sweep_credit_share_30d=FeatureSpec(
        description="Share of the money credited in the last 30 days (all credits) that came in "
        "as credits of which at least 80% left to one single counterparty other than the sender "
        "within 48 hours (ACH, P2P, wire or check debits). Each credit is judged on its own. NaN "
        "when there is no credit.",
        reason="{value:.0%} of money received in the last 30 days was passed on, credit by credit, "
        "mostly to one counterparty within 48 hours (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("A7", "J2", "G1", "C2", "F20", "F26", "AU22"),
        unit="share of credits",
        window="30D",
        kind="share",
    ),
    fan_out_30d=FeatureSpec(
        description="Counts distinct counterparties (cp_key) that received the account's ACH, "
        "P2P, wire or check debits in the last 30 days (fan-out).",
        reason="money went to {value:.0f} different counterparties by transfer in the last 30 "
        "days (peers: {peer:.0f})",
        typologies=("funnel", "human_smuggling", "sex_trafficking"),
        refs=("J2", "E1", "F20", "FT16"),
        unit="counterparties",
        window="30D",
        kind="count",
    ),
    own_account_senders_30d=FeatureSpec(
        description="Counts distinct other accounts of this bank that sent the account money by "
        "ACH, P2P, wire or check in the last 30 days (in-degree from own accounts: a collector "
        "receiving from several victims' or workers' accounts).",
        reason="{value:.0f} other accounts at this bank sent money to the account in the last 30 "
        "days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "human_smuggling", "funnel"),
        refs=("J2", "A7", "H5", "F20", "F26", "F14"),
        unit="accounts",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "amount", "channel", "cp_key"),
)
def sweeps_and_fans(ctx: FeatureContext) -> pd.DataFrame:
    """Credits swept to one counterparty within 48 h, fan-out and own-account fan-in (A7, J2).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    amount = txn["amount"].to_numpy(dtype=np.float64)
    window = ctx.within(30)
    acct = txn["acct"].to_numpy()
    rows, swept, _ = _swept(ctx, 30)
    credited = np.bincount(acct[rows], weights=amount[rows], minlength=ctx.n_accounts)
    swept_money = np.bincount(
        acct[rows[swept]], weights=amount[rows[swept]], minlength=ctx.n_accounts
    )
    debit = ~txn["is_credit"].to_numpy() & _transfer_rows(ctx) & window
    codes = column_codes(ctx, "cp_key")
    own = _own_counterparty(ctx)
    incoming = txn["is_credit"].to_numpy() & _transfer_rows(ctx) & window & (own >= 0)
    return ctx.frame(
        sweep_credit_share_30d=ctx.share(swept_money, credited),
        fan_out_30d=ctx.nunique(codes, debit & (codes >= 0)),
        own_account_senders_30d=ctx.nunique(own, incoming),
    )


# -- population: collectors, scatter-gather, gather-scatter, cycles -------------------------------


@features(
    swept_in_senders_180d=FeatureSpec(
        description="Counts distinct other accounts of this bank that, in the last 180 days, "
        "swept credits to this account: at least 80% of a credit sent on to it within 48 hours "
        "(a controller collecting several victims' takings).",
        reason="{value:.0f} other accounts at this bank passed most of their incoming money on "
        "to this account within 48 hours in the last 180 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking", "funnel"),
        refs=("J2", "A7", "F20", "F26", "AU22"),
        unit="accounts",
        window="180D",
        kind="count",
    ),
    scatter_gather_source_180d=FeatureSpec(
        description="Counts the accounts of this bank that, in the last 180 days, received this "
        "account's money through two or more different intermediary accounts of the bank, each "
        "passing on at least half of what it received within 7 days (scatter-gather, as source).",
        reason="money from this account reached {value:.0f} accounts through several "
        "intermediaries within 7 days in the last 180 days (peers: {peer:.0f})",
        typologies=("labour_trafficking", "funnel", "sex_trafficking"),
        refs=("J2", "J3", "F20", "FATF18"),
        unit="destinations",
        window="180D",
        kind="count",
    ),
    scatter_gather_relay_180d=FeatureSpec(
        description="Counts the scatter-gather patterns (one source, one destination, two or more "
        "intermediaries, each hop within 7 days and passing on at least half) of the last 180 "
        "days in which this account was an intermediary.",
        reason="the account relayed money in {value:.0f} scatter-gather patterns in the last 180 "
        "days (peers: {peer:.0f})",
        typologies=("labour_trafficking", "sex_trafficking", "funnel"),
        refs=("J2", "J3", "F20", "FATF18"),
        unit="patterns",
        window="180D",
        kind="count",
    ),
    scatter_gather_dest_180d=FeatureSpec(
        description="Counts the accounts of this bank whose money reached this account in the "
        "last 180 days through two or more different intermediary accounts, each hop within 7 "
        "days and passing on at least half (scatter-gather, as destination).",
        reason="money from {value:.0f} accounts reached this account through several "
        "intermediaries within 7 days in the last 180 days (peers: {peer:.0f})",
        typologies=("labour_trafficking", "sex_trafficking", "funnel"),
        refs=("J2", "J3", "F20", "FATF18"),
        unit="sources",
        window="180D",
        kind="count",
    ),
    gather_scatter_hub_180d=FeatureSpec(
        description="Gather-scatter through this account in the last 180 days: the largest, over "
        "its incoming own-account transfers, of the smaller of two counts - distinct own accounts "
        "that sent it money in the 7 days up to that transfer, and distinct own accounts it sent "
        "money to in the 7 days after. 2 or more means money gathered from several accounts was "
        "spread over several others.",
        reason="the account gathered money from and spread it to {value:.0f} accounts of this "
        "bank within 7 days (gather-scatter, last 180 days; peers: {peer:.0f})",
        typologies=("funnel", "sex_trafficking", "human_smuggling"),
        refs=("J2", "E1", "F20", "FT16"),
        unit="accounts",
        window="180D",
        kind="count",
    ),
    short_cycles_180d=FeatureSpec(
        description="Counts distinct cycles of 2 or 3 accounts of this bank that the account "
        "belongs to in the last 180 days: money sent on hop by hop (each hop moving at least half "
        "of the previous) and back at its first account within 7 days.",
        reason="money went round {value:.0f} short cycles of accounts through this account within "
        "7 days (last 180 days; peers: {peer:.0f})",
        typologies=("labour_trafficking", "funnel", "sex_trafficking"),
        refs=("J2", "J3", "F20", "FATF18"),
        unit="cycles",
        window="180D",
        kind="count",
    ),
    level="population",
    requires=("timestamp", "amount", "channel", "counterparty_id"),
)
def money_network(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Collectors, scatter-gather, gather-scatter and short cycles among own accounts (J2).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` of every account.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    acct = ctx.transactions["acct"].to_numpy()
    # collectors: distinct senders whose swept credits went to the account
    rows, swept, to_acct = _swept(ctx, _NETWORK_DAYS)
    sweeps = pd.DataFrame({"to": to_acct[swept], "by": acct[rows[swept]]})
    sweeps = sweeps[sweeps["to"] >= 0].drop_duplicates()
    swept_in = _count_per_account(ctx, sweeps["to"].to_numpy())

    edges = own_edges(ctx, _NETWORK_DAYS)
    relays = _relays(edges, RELAY_DAYS, share=PASS_ON_SHARE)
    onward = relays[relays["c"] != relays["a"]]
    triples = onward[["a", "b", "c"]].drop_duplicates()
    width = triples.groupby(["a", "c"]).size()
    patterns = width[width >= MIN_INTERMEDIARIES].reset_index()[["a", "c"]]
    relayed = triples.merge(patterns, on=["a", "c"])
    sg_source = _count_per_account(ctx, patterns["a"].to_numpy())
    sg_dest = _count_per_account(ctx, patterns["c"].to_numpy())
    sg_relay = _count_per_account(ctx, relayed["b"].to_numpy())

    hub = _gather_scatter(ctx, edges)

    # cycles: a -> b -> a, and a -> b -> c -> a, all within CYCLE_DAYS of the first transfer
    loops = _relays(edges, CYCLE_DAYS, share=PASS_ON_SHARE)
    two = np.sort(loops.loc[loops["c"] == loops["a"], ["a", "b"]].to_numpy(), axis=1)
    found = [np.c_[np.full(len(two), -1, dtype=np.int64), two]]
    paths = loops[loops["c"] != loops["a"]]
    back = edges.rename(columns={"src": "c", "dst": "a", "t": "t3", "amount": "v3"})
    closed = paths.merge(back, on=["c", "a"])
    closed = closed[
        (closed["t3"] > closed["t2"])
        & (closed["t3"] <= closed["t1"] + int(round(CYCLE_DAYS * 86400)))
        & (closed["v3"] >= PASS_ON_SHARE * closed["v2"])
    ]
    found.append(np.sort(closed[["a", "b", "c"]].to_numpy(dtype=np.int64), axis=1))
    cycles = np.vstack(found).astype(np.int64)
    distinct = np.unique(cycles, axis=0) if len(cycles) else cycles
    in_cycles = _count_per_account(ctx, distinct[distinct >= 0])
    return ctx.frame(
        swept_in_senders_180d=swept_in,
        scatter_gather_source_180d=sg_source,
        scatter_gather_relay_180d=sg_relay,
        scatter_gather_dest_180d=sg_dest,
        gather_scatter_hub_180d=hub,
        short_cycles_180d=in_cycles,
    )


def _gather_scatter(ctx: FeatureContext, edges: pd.DataFrame) -> np.ndarray:
    """Per account, max over incoming edges of min(senders in 7 days before, receivers after)."""
    out = np.zeros(ctx.n_accounts)
    if len(edges) == 0:
        return out
    span = int(round(RELAY_DAYS * 86400))
    incoming = edges.sort_values(["dst", "t", "src"], kind="stable").reset_index(drop=True)
    in_key = _composite(incoming["dst"].to_numpy(), incoming["t"].to_numpy())
    m = len(incoming)
    # senders in [t - 7 days, t]: earlier incoming edges of the same account
    left, right = _expand(in_key, np.full(m, -span - 1), np.zeros(m, dtype=np.int64), in_key)
    senders = (
        pd.DataFrame({"e": left, "s": incoming["src"].to_numpy()[right]})
        .drop_duplicates()
        .groupby("e")
        .size()
        .reindex(range(m), fill_value=0)
        .to_numpy()
    )
    out_key = _composite(edges["src"].to_numpy(), edges["t"].to_numpy())
    left, right = _expand(in_key, np.zeros(m, dtype=np.int64), np.full(m, span), out_key)
    receivers = (
        pd.DataFrame({"e": left, "r": edges["dst"].to_numpy()[right]})
        .drop_duplicates()
        .groupby("e")
        .size()
        .reindex(range(m), fill_value=0)
        .to_numpy()
    )
    score = np.minimum(senders, receivers).astype(np.float64)
    np.maximum.at(out, incoming["dst"].to_numpy(), score)
    return out


# -- population: wage hand-backs and payees' addresses --------------------------------------------


def _wage_handbacks(ctx: FeatureContext) -> pd.DataFrame:
    """One row per wage (payroll credit) of the last 180 days, with where most of it went.

    Columns: ``payee`` (account position), ``employer`` (cp code), ``employer_acct`` (position,
    -1 outside the bank), ``amount``, ``handed_to`` (cp code of the counterparty that received
    at least :data:`HANDBACK_SHARE` of it within :data:`HANDBACK_DAYS`, -1 if none).
    """
    txn = ctx.transactions
    amount = txn["amount"].to_numpy(dtype=np.float64)
    codes = column_codes(ctx, "cp_key")
    wages = payroll_credits(ctx) & ctx.within(_WAGE_DAYS) & (amount > 0) & (codes >= 0)
    rows, top, top_row = _top_onward(ctx, wages, HANDBACK_DAYS * 24.0, not_back_to_sender=False)
    handed = (top > 0) & (top >= HANDBACK_SHARE * amount[rows])
    handed_to = np.where(handed, codes[np.maximum(top_row, 0)], -1)
    return pd.DataFrame(
        {
            "payee": txn["acct"].to_numpy()[rows].astype(np.int64),
            "employer": codes[rows],
            "employer_acct": _own_counterparty(ctx)[rows],
            "amount": amount[rows],
            "handed_to": handed_to,
        }
    )


def _common_takers(wages: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per employer: payees, and payees handing most wages to the most common counterparty."""
    per_payee = wages.groupby(["employer", "payee"]).size().rename("wages").reset_index()
    handed = wages[wages["handed_to"] >= 0]
    to = handed.groupby(["employer", "payee", "handed_to"]).size().rename("n").reset_index()
    to = to.merge(per_payee, on=["employer", "payee"])
    to = to[to["n"] >= HANDBACK_WAGE_SHARE * to["wages"]]
    takers = to.groupby(["employer", "handed_to"])["payee"].nunique().rename("payees")
    takers = takers[takers >= 2].reset_index()
    takers = takers.sort_values(["employer", "payees", "handed_to"], ascending=[True, False, True])
    return takers, to


@features(
    employer_payee_handback_share_180d=FeatureSpec(
        description="For an account paying payroll to at least 3 accounts of this bank in the "
        "last 180 days: the share of those payees who send at least half of most of their wages "
        "from it, within 3 days, to one common counterparty (the one most payees hand wages to; "
        "at least 2 payees). NaN for accounts with fewer payees.",
        reason="{value:.0%} of the employer's payees handed most of each wage to one common "
        "counterparty within 3 days (last 180 days; peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("J3", "C2", "C1", "F20", "FATF18", "F26"),
        unit="share of payees",
        window="180D",
        kind="share",
    ),
    wage_handback_common_share_180d=FeatureSpec(
        description="Share of the wages received in the last 180 days (by amount) of which at "
        "least half went within 3 days to a counterparty that also collects wages handed on by "
        "other payees of the same employer. NaN without payroll credits.",
        reason="{value:.0%} of the wages received in the last 180 days were handed on to a "
        "counterparty that collects wages from the same employer's other workers "
        "(peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("J3", "C2", "F20", "FATF18", "F26"),
        unit="share of wages",
        window="180D",
        kind="share",
    ),
    level="population",
    requires=("timestamp", "amount", "channel", "cp_key", "counterparty_name"),
)
def wage_handbacks(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Payroll recipients handing most of each wage to one common counterparty (J3).

    A payroll credit is found by :func:`fintrak.features.labour.payroll_credits`; its employer is
    its ``cp_key``. The employer's share needs the employer to bank here (``counterparty_id``).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` of every account.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    n = ctx.n_accounts
    employer_share = np.full(n, np.nan)
    wages = _wage_handbacks(ctx)
    received = np.bincount(wages["payee"], weights=wages["amount"], minlength=n)
    takers, _ = _common_takers(wages)
    common = wages.merge(takers[["employer", "handed_to"]], on=["employer", "handed_to"])
    handed = np.bincount(common["payee"], weights=common["amount"], minlength=n)

    payees, known = _employer_payees(wages)
    top = takers.drop_duplicates("employer").set_index("employer")["payees"]
    share = (known["employer"].map(top).fillna(0.0) / known["payees"]).to_numpy()
    employer_share[known["employer_acct"].to_numpy()] = share
    return ctx.frame(
        employer_payee_handback_share_180d=employer_share,
        wage_handback_common_share_180d=ctx.share(handed, received),
    )


def _employer_payees(wages: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Distinct (employer, employer account, payee), and employers banking here with enough."""
    own = wages[wages["employer_acct"] >= 0]
    payees = own[["employer", "employer_acct", "payee"]].drop_duplicates()
    payees = payees[payees["payee"] != payees["employer_acct"]]
    counts = payees.groupby(["employer", "employer_acct"]).size().rename("payees").reset_index()
    counts = counts[counts["payees"] >= MIN_PAYEES]
    # an account known under several cp keys keeps its largest payroll
    counts = counts.sort_values(
        ["employer_acct", "payees", "employer"], ascending=[True, False, True]
    )
    return payees, counts.drop_duplicates("employer_acct")


@features(
    payroll_payees_shared_address_180d=FeatureSpec(
        description="For an account paying payroll to at least 3 accounts of this bank in the "
        "last 180 days: the share of those payees whose KYC address (normalised: case, "
        "punctuation, unit numbers) is also the address of another payee of another customer. "
        "NaN for accounts with fewer payees.",
        reason="{value:.0%} of the employer's payees share a home address with another of its "
        "payees (last 180 days; peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("J1", "C1", "F14", "F20"),
        unit="share of payees",
        window="180D",
        kind="share",
    ),
    level="population",
    requires=("timestamp", "amount", "channel", "cp_key", "counterparty_name", "accounts.address"),
)
def payee_addresses(ctx: FeatureContext, account_features: pd.DataFrame) -> pd.DataFrame:
    """Measure how many of an employer's payees share one address (J1, labour trafficking).

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of`` of every account, and KYC addresses.
    account_features : pandas.DataFrame
        Account-level features (unused).

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    out = np.full(ctx.n_accounts, np.nan)
    payees, known = _employer_payees(_wage_handbacks(ctx))
    payees = payees.merge(known[["employer", "employer_acct"]], on=["employer", "employer_acct"])
    if len(payees):
        kyc = ctx.accounts.reindex(ctx.account_ids)
        address = _normalise_addresses(kyc["address"]).to_numpy(dtype=object)
        customer = kyc["customer_id"].astype(object).to_numpy()
        customer = np.where(pd.isna(customer), ctx.account_ids.astype(str).to_numpy(), customer)
        frame = payees.assign(
            address=address[payees["payee"].to_numpy()],
            customer=customer[payees["payee"].to_numpy()],
        )
        housed = frame.dropna(subset=["address"])
        customers = housed.groupby(["employer_acct", "address"])["customer"].nunique()
        shared = housed.merge(
            customers.rename("customers").reset_index(), on=["employer_acct", "address"]
        )
        sharing = shared[shared["customers"] >= 2].groupby("employer_acct")["payee"].nunique()
        total = known.set_index("employer_acct")["payees"]
        out[total.index.to_numpy()] = (
            sharing.reindex(total.index, fill_value=0) / total
        ).to_numpy()
    return ctx.frame(payroll_payees_shared_address_180d=out)
