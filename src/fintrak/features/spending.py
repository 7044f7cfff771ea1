"""What the account spends on: sustenance, an ordinary life, luxuries and after-hours venues.

Catalogue rows B5-B8 (F20 §II financial 2; FT16 #5-#6; AU22; F26 flag 3): frequent fast food,
pharmacy, clothing and beauty purchases, phone top-ups, and living costs that look like a victim's
upkeep. G1 (F26 flag 2; practitioners): a victim's account lacks the ordinary "has a life"
spending of rent, groceries and appointments. A10 (AU22): coordinators spend on luxuries and
gambling. F1 (F20 §II financial 5; F26 flag 3): frequent prepaid-card purchases. A9 (FT16 #7):
card purchases at massage parlours, strip clubs or beauty salons after normal business hours.
Spending categories are MCC groups (``mcc_groups.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes

__all__ = [
    "MONTHLY_GAP_DAYS",
    "SUSTENANCE_GROUPS",
    "adult_venue_nights",
    "essential_spending",
    "recurring_monthly_ach",
    "spend_mix",
    "sustenance_purchases",
]

#: MCC groups that make up B8's living costs (housing, transport, food, personal care).
SUSTENANCE_GROUPS: tuple[str, ...] = (
    "lodging",
    "air_rail_bus",
    "local_transport",
    "fast_food_food",
    "personal_care",
)
#: Days between two payments to one payee that make them a monthly bill (inferred).
MONTHLY_GAP_DAYS: tuple[float, float] = (20.0, 40.0)
#: Beauty salons and spas count as A9 venues only after hours (catalogue section 2, ADULT_VENUE).
_AFTER_HOURS_VENUE_MCC: tuple[int, ...] = (7230, 7298)
#: Drinking places (5813) are open late; only 02:00-05:59 counts as after hours for them.
_DRINKING_PLACES_MCC = 5813


def _debits(ctx: FeatureContext) -> np.ndarray:
    return ~ctx.transactions["is_credit"].to_numpy()


def _in_groups(ctx: FeatureContext, *groups: str) -> np.ndarray:
    mcc = ctx.transactions["mcc"]
    mask = np.zeros(len(mcc), dtype=bool)
    for group in groups:
        mask |= ctx.mcc_in(group)
    return mask


def recurring_monthly_ach(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of ACH debits that recur monthly to the same payee.

    A row qualifies when the account paid the same counterparty by ACH 20-40 days before or after
    it (:data:`MONTHLY_GAP_DAYS`): rent, mortgage, utilities, insurance and loan instalments, the
    standing bills of an ordinary household. Rows without a counterparty never qualify.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``ctx.transactions``.
    """
    txn = ctx.transactions
    codes = column_codes(ctx, "cp_key")
    ach = _debits(ctx) & (txn["channel"] == "ach").to_numpy(dtype=bool) & (codes >= 0)
    rows = np.flatnonzero(ach)
    acct = txn["acct"].to_numpy()[rows]
    order = np.lexsort((rows, codes[rows], acct))  # rows are in time order within an account
    rows, acct, code = rows[order], acct[order], codes[rows][order]
    age = txn["age_days"].to_numpy()[rows]
    same = (acct[1:] == acct[:-1]) & (code[1:] == code[:-1])
    gap = age[:-1] - age[1:]
    low, high = MONTHLY_GAP_DAYS
    monthly = same & (gap >= low) & (gap <= high)
    out = np.zeros(len(txn), dtype=bool)
    out[rows[1:][monthly]] = True
    out[rows[:-1][monthly]] = True
    return out


@features(
    fastfood_charges_30d=FeatureSpec(
        description="Counts fast-food purchases in the last 30 days.",
        reason="{value:.0f} fast-food purchases in the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B5", "FT16", "F20"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    personal_care_charges_30d=FeatureSpec(
        description="Counts purchases at drug stores, cosmetics and women's clothing stores, "
        "beauty salons and spas in the last 30 days.",
        reason="{value:.0f} pharmacy, clothing or beauty purchases in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("B6", "FT16", "AU22"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    phone_topups_30d=FeatureSpec(
        description="Counts telecom service and phone purchases (prepaid top-ups, handsets) in "
        "the last 30 days.",
        reason="{value:.0f} phone top-ups or phone purchases in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("B7", "AU22", "F20"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    prepaid_loads_30d=FeatureSpec(
        description="Counts purchases or loads of prepaid cards, money orders and other "
        "quasi-cash in the last 30 days.",
        reason="{value:.0f} prepaid-card or quasi-cash purchases in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("F1", "F20", "F26"),
        unit="purchases",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "mcc"),
)
def sustenance_purchases(ctx: FeatureContext) -> pd.DataFrame:
    """Count fast food, personal care, phone and prepaid purchases in the last 30 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    rows = _debits(ctx) & ctx.within(30)
    return ctx.frame(
        fastfood_charges_30d=ctx.count(rows & _in_groups(ctx, "fast_food")),
        personal_care_charges_30d=ctx.count(rows & _in_groups(ctx, "personal_care")),
        phone_topups_30d=ctx.count(rows & _in_groups(ctx, "telecom_topup")),
        prepaid_loads_30d=ctx.count(rows & _in_groups(ctx, "prepaid_quasicash")),
    )


@features(
    sustenance_spend_share_30d=FeatureSpec(
        description="Share of the last 30 days' debits (by amount) spent on living costs: "
        "lodging, air/rail/bus, local transport, food and personal care. NaN when there is no "
        "debit.",
        reason="{value:.0%} of money spent in the last 30 days went on lodging, transport, food "
        "and personal care (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B8", "F20", "F26"),
        unit="share",
        window="30D",
        kind="share",
    ),
    gambling_luxury_share_90d=FeatureSpec(
        description="Share of the last 90 days' debits (by amount) spent on gambling, jewellery "
        "and car dealers. NaN when there is no debit.",
        reason="{value:.0%} of money spent in the last 90 days went on gambling and luxuries "
        "(peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("A10", "AU22"),
        unit="share",
        window="90D",
        kind="share",
    ),
    requires=("timestamp", "amount", "mcc"),
)
def spend_mix(ctx: FeatureContext) -> pd.DataFrame:
    """Living-cost share of debits in 30 days and gambling/luxury share in 90 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    amount = ctx.transactions["amount"].to_numpy(dtype=np.float64)
    month = _debits(ctx) & ctx.within(30)
    quarter = _debits(ctx) & ctx.within(90)
    living = _in_groups(ctx, *SUSTENANCE_GROUPS)
    luxury = _in_groups(ctx, "gambling_luxury")
    return ctx.frame(
        sustenance_spend_share_30d=ctx.share(
            ctx.total(amount, month & living), ctx.total(amount, month)
        ),
        gambling_luxury_share_90d=ctx.share(
            ctx.total(amount, quarter & luxury), ctx.total(amount, quarter)
        ),
    )


@features(
    essential_spend_share_60d=FeatureSpec(
        description="Share of the last 60 days' debits (by amount) that are ordinary household "
        "spending: groceries, utilities, insurance, real estate, medical care and childcare "
        "(MCC group 'essentials') plus recurring monthly ACH bills such as rent. LOW values are "
        "the red flag (an account without a life of its own). NaN when there is no debit.",
        reason="only {value:.0%} of money spent in the last 60 days went on rent, groceries, "
        "bills or medical care (peers: {peer:.0%})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("G1", "F26", "PRAC"),
        unit="share",
        window="60D",
        kind="share",
        higher_is_riskier=False,
    ),
    requires=("timestamp", "amount", "mcc", "channel"),
)
def essential_spending(ctx: FeatureContext) -> pd.DataFrame:
    """Share of debits in 60 days on essentials and recurring monthly ACH bills.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``essential_spend_share_60d``, one row per account.
    """
    amount = ctx.transactions["amount"].to_numpy(dtype=np.float64)
    window = _debits(ctx) & ctx.within(60)
    essential = _in_groups(ctx, "essentials") | recurring_monthly_ach(ctx)
    return ctx.frame(
        essential_spend_share_60d=ctx.share(
            ctx.total(amount, window & essential), ctx.total(amount, window)
        )
    )


@features(
    adult_venue_night_charges_30d=FeatureSpec(
        description="Counts charges at massage parlours, escort services, beauty salons and spas "
        "between 22:00 and 05:59, and at drinking places between 02:00 and 05:59 (bars are "
        "normally open until about 2 a.m.), on the holder's local clock in the last 30 days: "
        "after normal business hours.",
        reason="{value:.0f} late-night charges at massage, adult or beauty venues in the last 30 "
        "days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("A9", "FT16"),
        unit="charges",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "mcc"),
)
def adult_venue_nights(ctx: FeatureContext) -> pd.DataFrame:
    """Count after-hours charges at adult venues, salons and spas in the last 30 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``adult_venue_night_charges_30d``, one row per account.
    """
    txn = ctx.transactions
    mcc = txn["mcc"].to_numpy(dtype="float64", na_value=np.nan)
    venue = _in_groups(ctx, "adult_venue") | np.isin(mcc, _AFTER_HOURS_VENUE_MCC)
    hour = txn["local_hour"].to_numpy()
    bar = mcc == _DRINKING_PLACES_MCC
    night = np.where(bar, (hour >= 2) & (hour < 6), (hour >= 22) | (hour < 6))
    return ctx.frame(
        adult_venue_night_charges_30d=ctx.count(_debits(ctx) & ctx.within(30) & venue & night)
    )
