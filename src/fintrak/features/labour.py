"""Labour-trafficking features: wages that are pooled, passed straight on, or never paid.

The sources (F20 §I.2 citing FATF18; F26 flag 2; F14 via trade press) describe:

- several employees' wages paid into one account (C1);
- wages withdrawn or transferred on immediately after they arrive, often to one person (C2, J3);
- payments to employment or recruitment agencies, i.e. recruitment fees and debt bondage (C7);
- businesses with revenue but little or no payroll (C4), which pay for individuals' housing, food
  and transport instead (C6).

**Payroll credit rule.** A payroll credit is an ACH credit that either

1. has a payroll word in its ``counterparty_name`` (:data:`PAYROLL_WORDS`: payroll, salary, wages,
   direct deposit, ADP, Gusto, Paychex, ...), or
2. is not a card-processor, marketplace, gig-platform or wallet payout (:data:`NOT_WAGES`) and
   either has the word "pay" in its name or comes from a counterparty (``cp_key``) paying the
   account on a regular cadence: the same counterparty's previous or next ACH credit to this
   account is 6 to 35 days away (weekly to monthly pay).

The cadence is read over the account's whole history up to ``as_of`` (never after it); the window
in a feature's name applies to the payroll credits it counts. Regular benefit payments (pensions,
social security) meet rule 2 too; F20 treats them alike (no payroll *or benefit* ACH credits, E3),
and passing benefits straight to a third party is also a red flag (EUR15).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_since_last
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext

__all__ = [
    "NOT_WAGES",
    "PAYROLL_WORDS",
    "RECRUITER_WORDS",
    "WEAK_PAYROLL_WORDS",
    "name_matches",
    "payroll_credits",
    "regular_counterparty",
    "utc_day",
]

#: Words of a payroll descriptor (matched as whole words, case-insensitive).
PAYROLL_WORDS = re.compile(
    r"\b(?:payroll|payrll|pyrl|salary|salaries|wages?|adp|gusto|paychex|dir dep|"
    r"direct dep(?:osit)?)\b",
    re.IGNORECASE,
)
#: "pay" on its own: a payroll word too, but also part of wallet names (Apple Pay), so it yields
#: to :data:`NOT_WAGES` where the strong words above do not.
WEAK_PAYROLL_WORDS = re.compile(r"\bpay\b", re.IGNORECASE)
#: Card-processor, marketplace, gig-platform and wallet payouts: regular ACH credits that are
#: revenue or platform earnings, not an employer's wages.
NOT_WAGES = re.compile(
    r"\b(?:settlement|merchant|merch dep|bankcard|stripe|square|clover|shopify|toast|paypal|"
    r"venmo|cash app|zelle|apple pay|google pay|samsung pay|amazon|etsy|ebay|uber|lyft|doordash|"
    r"payouts?|earnings)\b",
    re.IGNORECASE,
)
#: Employment, recruitment and visa agents (C7). Bare "visa" or "agency" would match the card
#: network and insurance or travel agencies, so they only count in these phrases.
RECRUITER_WORDS = re.compile(
    r"\brecruit\w*|\bstaffing\b|\bmanpower\b|\btemp(?:orary)? (?:help|labou?r|staff)\b|"
    r"\b(?:employment|placement|labou?r|job|work|manpower|migration|overseas|domestic helper|"
    r"maid|nanny|caregiver|au pair) agenc(?:y|ies)\b|\blabou?r (?:contractor|broker|hire)\b|"
    r"\bvisa (?:fee|fees|service|services|processing|sponsor\w*|consult\w*|agent\w*|"
    r"application\w*|assistance)\b|\bimmigration (?:consult\w*|agent\w*|service\w*)\b|"
    r"\bwork permit\b|\bplacement fee\b",
    re.IGNORECASE,
)
_CADENCE_DAYS = (6.0, 35.0)
_PASS_HOURS = 48.0
#: A business day counts as a payroll run when ACH debits go to this many distinct regular payees.
_PAYROLL_RUN_PAYEES = 3


def name_matches(
    names: pd.Series, pattern: re.Pattern[str], rows: np.ndarray | None = None
) -> np.ndarray:
    """Return a boolean mask: ``names`` matches ``pattern`` (False where null or not in ``rows``).

    The regular expression runs once per distinct name, not once per row.

    Parameters
    ----------
    names : pandas.Series
        Text, e.g. ``counterparty_name``.
    pattern : re.Pattern
        Compiled pattern (searched anywhere in the text).
    rows : numpy.ndarray of bool, optional
        Only these rows are examined (the others are False); default all.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> name_matches(pd.Series(["ADP PAYROLL", None, "Grocer"]), PAYROLL_WORDS).tolist()
    [True, False, False]
    """
    out = np.zeros(len(names), dtype=bool)
    where = np.flatnonzero(rows) if rows is not None else np.arange(len(names))
    codes, uniques = pd.factorize(names.iloc[where])
    if len(uniques):
        hit = np.fromiter((pattern.search(str(u)) is not None for u in uniques), bool, len(uniques))
        out[where] = np.where(codes >= 0, hit[np.maximum(codes, 0)], False)
    return out


def utc_day(ctx: FeatureContext) -> np.ndarray:
    """Return each transaction's UTC calendar day (``datetime64[D]``)."""
    stamps = ctx.transactions["timestamp"].to_numpy(dtype="datetime64[us]")
    return stamps.astype("datetime64[D]")


def regular_counterparty(ctx: FeatureContext, rows: np.ndarray) -> np.ndarray:
    """Return a boolean mask: the row's counterparty paid this account on a 6-35 day cadence.

    Among the rows selected by ``rows`` that have a ``cp_key``, a row is regular when the previous
    or next selected row of the same account and counterparty is 6 to 35 days away.

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    rows : numpy.ndarray of bool
        The candidate rows (e.g. ACH credits).

    Returns
    -------
    numpy.ndarray of bool
        One value per transaction row.
    """
    txn = ctx.transactions
    rows = rows & txn["cp_key"].notna().to_numpy()
    out = np.zeros(len(txn), dtype=bool)
    if not rows.any():
        return out
    key, _ = pd.factorize(txn["cp_key"][rows].to_numpy())
    sub = pd.DataFrame(
        {"a": txn["acct"].to_numpy()[rows], "k": key, "t": -txn["age_days"].to_numpy()[rows]}
    )
    grouped = sub.groupby(["a", "k"], sort=False)["t"]
    low, high = _CADENCE_DAYS
    previous = grouped.diff().to_numpy()
    following = -grouped.diff(-1).to_numpy()
    with np.errstate(invalid="ignore"):
        regular = ((previous >= low) & (previous <= high)) | (
            (following >= low) & (following <= high)
        )
    out[rows] = regular
    return out


def payroll_credits(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of payroll credits (see the module docstring for the rule).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    numpy.ndarray of bool
        One value per transaction row, over the whole history (apply a window yourself).
    """
    txn = ctx.transactions
    ach_credit = txn["is_credit"].to_numpy() & (txn["channel"] == "ach").to_numpy(bool)
    names = txn["counterparty_name"]
    strong = name_matches(names, PAYROLL_WORDS, ach_credit)
    weak = name_matches(names, WEAK_PAYROLL_WORDS, ach_credit)
    weak |= regular_counterparty(ctx, ach_credit)
    return ach_credit & (strong | (weak & ~name_matches(names, NOT_WAGES, ach_credit)))


def _top_counterparty(ctx: FeatureContext, amount: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return each account's largest per-counterparty sum of ``amount`` over ``rows``."""
    txn = ctx.transactions
    rows = rows & txn["cp_key"].notna().to_numpy()
    out = np.zeros(ctx.n_accounts)
    if rows.any():
        sums = (
            pd.DataFrame(
                {
                    "a": txn["acct"].to_numpy()[rows],
                    "k": txn["cp_key"][rows].to_numpy(),
                    "v": amount[rows],
                }
            )
            .groupby(["a", "k"], sort=False)["v"]
            .sum()
        )
        top = sums.groupby(level="a").max()
        out[top.index.to_numpy()] = top.to_numpy()
    return out


_WAGE_REFS_C1 = ("C1", "F20", "FATF18")


@features(
    payroll_credits_60d=FeatureSpec(
        description="Counts payroll credits (ACH credits with a payroll descriptor or from a "
        "counterparty paying on a weekly-to-monthly cadence) in the last 60 days.",
        reason="{value:.0f} payroll credits in the last 60 days (peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=("C1", "F20"),
        unit="credits",
        window="60D",
        kind="count",
    ),
    payroll_sources_60d=FeatureSpec(
        description="Counts distinct payers of payroll credits in the last 60 days; wages from "
        "several employers landing in one account.",
        reason="payroll from {value:.0f} different payers in the last 60 days (peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=_WAGE_REFS_C1,
        unit="payers",
        window="60D",
        kind="count",
    ),
    payroll_same_day_duplicates_60d=FeatureSpec(
        description="Counts payroll credits in the last 60 days that arrive from a payer which "
        "already paid the account that same day: several employees' salaries paid into one "
        "account by the same employer.",
        reason="{value:.0f} extra same-day payroll credits from one employer in the last 60 days "
        "(peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=_WAGE_REFS_C1,
        unit="credits",
        window="60D",
        kind="count",
    ),
    wage_passthrough_ratio_60d=FeatureSpec(
        description="Withdrawals and transfers (every debit except card purchases) made within "
        "48 hours after a payroll credit, divided by the payroll received, over the last 60 "
        "days, capped at 1. NaN without payroll.",
        reason="{value:.0%} of wages withdrawn or sent on within 48 hours in the last 60 days "
        "(peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C2", "F20", "F26"),
        unit="share of payroll",
        window="60D",
        kind="ratio",
    ),
    wage_out_top_counterparty_share_60d=FeatureSpec(
        description="Share of the withdrawals and transfers made within 48 hours after payroll "
        "(last 60 days) that went to the single largest counterparty. NaN when none were made.",
        reason="{value:.0%} of money moved on after payday went to one counterparty in the last "
        "60 days (peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C2", "J3", "F26"),
        unit="share",
        window="60D",
        kind="share",
    ),
    wage_to_top_counterparty_ratio_60d=FeatureSpec(
        description="Amount sent to the single largest counterparty within 48 hours after payroll, "
        "divided by the payroll received in the last 60 days, capped at 1 (J3: most of each wage "
        "sent to one counterparty). NaN without payroll.",
        reason="{value:.0%} of wages sent to one counterparty within 48 hours of payday in the "
        "last 60 days (peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C2", "J3", "F26"),
        unit="share of payroll",
        window="60D",
        kind="ratio",
    ),
    wage_cash_out_48h_share_60d=FeatureSpec(
        description="ATM and branch cash withdrawals within 48 hours after a payroll credit, "
        "divided by the payroll received in the last 60 days, capped at 1. NaN without payroll.",
        reason="{value:.0%} of wages withdrawn in cash within 48 hours in the last 60 days "
        "(peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C2", "F20"),
        unit="share of payroll",
        window="60D",
        kind="ratio",
    ),
    requires=("cp_key", "channel", "direction", "amount"),
)
def wages(ctx: FeatureContext) -> pd.DataFrame:
    """Find payroll credits and follow the money for the next 48 hours (C1, C2, J3).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    win = ctx.within(60)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    channel = txn["channel"]
    debit = ~txn["is_credit"].to_numpy()
    payroll = payroll_credits(ctx) & win

    same_day = np.zeros(len(txn), dtype=bool)
    if payroll.any():
        dup = pd.DataFrame(
            {
                "a": txn["acct"].to_numpy()[payroll],
                "k": txn["cp_key"][payroll].to_numpy(),
                "d": utc_day(ctx)[payroll],
            }
        ).duplicated()
        same_day[payroll] = dup.to_numpy()

    since = hours_since_last(ctx, payroll, strict=False)
    with np.errstate(invalid="ignore"):
        after = debit & (since <= _PASS_HOURS)
    moved = after & (channel != "card").to_numpy(bool)
    cash_out = after & channel.isin(["atm", "cash"]).to_numpy(bool)

    pay = ctx.total(amount, payroll)
    moved_total = ctx.total(amount, moved)
    top = _top_counterparty(ctx, amount, moved)
    return ctx.frame(
        payroll_credits_60d=ctx.count(payroll),
        payroll_sources_60d=ctx.nunique(txn["cp_key"], payroll),
        payroll_same_day_duplicates_60d=ctx.count(same_day),
        wage_passthrough_ratio_60d=np.minimum(ctx.share(moved_total, pay), 1.0),
        wage_out_top_counterparty_share_60d=ctx.share(top, moved_total),
        wage_to_top_counterparty_ratio_60d=np.minimum(ctx.share(top, pay), 1.0),
        wage_cash_out_48h_share_60d=np.minimum(ctx.share(ctx.total(amount, cash_out), pay), 1.0),
    )


@features(
    recruiter_payments_180d=FeatureSpec(
        description="Counts payments in the last 180 days to employment or recruitment agencies "
        "(MCC 7361, or a payee name with recruit, staffing, manpower, employment/placement agency, "
        "labour contractor or visa-service words).",
        reason="{value:.0f} payments to recruitment or employment agencies in the last 180 days "
        "(peers: {peer:.0f})",
        typologies=("labour_trafficking",),
        refs=("C7", "F14", "F20"),
        unit="payments",
        window="180D",
        kind="count",
    ),
    requires=("counterparty_name", "direction"),
)
def recruiters(ctx: FeatureContext) -> pd.DataFrame:
    """Count payments to recruiters and employment agents (C7).

    The payee name is required; the MCC (7361) is used where present, since recruitment fees are
    often paid by transfer or cash, which carry no MCC.

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    paid = ~txn["is_credit"].to_numpy() & ctx.within(180)
    agent = ctx.mcc_in("employment_agency") | name_matches(
        txn["counterparty_name"], RECRUITER_WORDS, paid
    )
    rows = agent & paid
    return ctx.frame(recruiter_payments_180d=ctx.count(rows))


def _business(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean per account: ``accounts.account_type`` is business."""
    kind = ctx.accounts["account_type"].reindex(ctx.account_ids)
    return (kind.str.strip().str.lower() == "business").to_numpy(dtype=bool, na_value=False)


def business_payroll_debits(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of a business's payroll-like debits.

    An ACH debit is payroll-like when its payee name is a payroll processor or has a payroll word
    (ADP, Gusto, Paychex, payroll, wages, ...), or when it belongs to a payroll run: on that UTC
    day the account sent ACH debits to at least three distinct payees that it pays on a 6-35 day
    cadence (wages to several individuals). Every account's rows are classified; callers restrict
    to business accounts.

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    numpy.ndarray of bool
        One value per transaction row.
    """
    txn = ctx.transactions
    ach_debit = ~txn["is_credit"].to_numpy() & (txn["channel"] == "ach").to_numpy(bool)
    names = txn["counterparty_name"]
    named = name_matches(names, PAYROLL_WORDS, ach_debit) | name_matches(
        names, WEAK_PAYROLL_WORDS, ach_debit
    )
    regular = regular_counterparty(ctx, ach_debit)
    run = np.zeros(len(txn), dtype=bool)
    if regular.any():
        sub = pd.DataFrame(
            {
                "a": txn["acct"].to_numpy()[regular],
                "d": utc_day(ctx)[regular],
                "k": txn["cp_key"][regular].to_numpy(),
            }
        )
        payees = sub.groupby(["a", "d"], sort=False)["k"].transform("nunique")
        run[regular] = (payees >= _PAYROLL_RUN_PAYEES).to_numpy()
    return named | run


@features(
    biz_payroll_to_revenue_90d=FeatureSpec(
        description="For business accounts: payroll-like debits (payroll processors, or ACH runs "
        "paying three or more regular payees on one day) divided by all credits in the last 90 "
        "days. Low values mean revenue without wages. NaN for personal accounts and without "
        "credits.",
        reason="payroll was {value:.0%} of the business's incoming funds in the last 90 days "
        "(peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C4", "F14", "F26"),
        unit="ratio",
        window="90D",
        kind="ratio",
        higher_is_riskier=False,
    ),
    requires=("accounts.account_type", "cp_key", "channel", "direction", "amount"),
)
def business_payroll(ctx: FeatureContext) -> pd.DataFrame:
    """Compare a business's payroll with its revenue (C4).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    win = ctx.within(90)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    credit = txn["is_credit"].to_numpy()
    payroll = ctx.total(amount, business_payroll_debits(ctx) & win)
    ratio = ctx.share(payroll, ctx.total(amount, credit & win))
    return ctx.frame(biz_payroll_to_revenue_90d=np.where(_business(ctx), ratio, np.nan))


@features(
    biz_sustenance_share_90d=FeatureSpec(
        description="For business accounts: share of debit amounts in the last 90 days spent on "
        "lodging, local transport and food (individuals' sustenance). NaN for personal accounts "
        "and without debits.",
        reason="{value:.0%} of the business's spending went to lodging, transport and food in the "
        "last 90 days (peers: {peer:.0%})",
        typologies=("labour_trafficking",),
        refs=("C6", "F14"),
        unit="share",
        window="90D",
        kind="share",
    ),
    requires=("accounts.account_type", "mcc", "direction", "amount"),
)
def business_sustenance(ctx: FeatureContext) -> pd.DataFrame:
    """Measure business spending on individuals' housing, transport and food (C6).

    Parameters
    ----------
    ctx : FeatureContext
        The context.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    txn = ctx.transactions
    debit = ~txn["is_credit"].to_numpy() & ctx.within(90)
    sustenance = (
        ctx.mcc_in("lodging") | ctx.mcc_in("local_transport") | ctx.mcc_in("fast_food_food")
    )
    amount = txn["amount"].to_numpy(dtype=np.float64)
    share = ctx.share(ctx.total(amount, debit & sustenance), ctx.total(amount, debit))
    return ctx.frame(biz_sustenance_share_90d=np.where(_business(ctx), share, np.nan))
