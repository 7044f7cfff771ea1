"""Cash features: funnel accounts, third-party cash, reporting avoidance and late-night ATMs.

A *cash deposit* is a credit with channel ``cash`` (branch) or ``atm``; a *cash withdrawal* is a
debit on the same channels. The sources:

- F20 §I.3 and case study 1, F14, F26 flag 5: cash deposited in several cities, often away from
  where the holder lives, and withdrawn quickly elsewhere (funnel account, E1); deposits "just
  enough to cover account debits" (E6).
- AU22, F23, FT16: third-party ATM cash deposits from several locations, about AUD 200-800
  each (E2).
- F20 §II financial 4: frequent cash deposits with no ACH (payroll or benefit) credits (E3).
- F26 flag 6, FT16: ATM activity late at night (E4).
- F20 §II financial 10, F14: cash kept just under the reporting threshold (E5).

Amount thresholds come from :class:`~fintrak.features.settings.FeatureSettings` in each row's
currency.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from fintrak.features._flows import hours_until_next
from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.labour import utc_day

__all__ = [
    "cash_deposits",
    "cash_withdrawals",
    "following_total",
    "normalise_place",
    "place_codes",
]

#: E3 (inferred): "frequent" cash deposits means at least this many in 90 days.
CASH_ONLY_MIN_DEPOSITS = 6
#: E4: local hours counted as night (22:00-05:59; F26 says 22-05, FT16 22-06).
NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)
#: E6 (inferred): a deposit "just covers" the debits of the next 3 days within 5%.
COVER_HOURS = 72.0
COVER_TOLERANCE = 0.05

_CASH = ("cash", "atm")
_SPACES = re.compile(r"[^a-z0-9]+")


def cash_deposits(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of cash deposits (credits at a branch or an ATM)."""
    txn = ctx.transactions
    return txn["is_credit"].to_numpy() & ctx.channel_in(_CASH)


def cash_withdrawals(ctx: FeatureContext) -> np.ndarray:
    """Return a boolean mask of cash withdrawals (debits at a branch or an ATM)."""
    txn = ctx.transactions
    return ~txn["is_credit"].to_numpy() & ctx.channel_in(_CASH)


def normalise_place(name: object) -> str | None:
    """Return a comparable form of a place name: no accents, lower case, single spaces.

    Anything after a comma (a state or province) is dropped.

    Examples
    --------
    >>> normalise_place("  Ciudad Juárez, CHH ")
    'ciudad juarez'
    >>> normalise_place(None) is None
    True
    """
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return None
    text = unicodedata.normalize("NFKD", str(name).split(",")[0])
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _SPACES.sub(" ", text).strip()
    return text or None


def place_codes(*columns: pd.Series | np.ndarray) -> list[np.ndarray]:
    """Encode place names as integers comparable across ``columns`` (-1 where unknown).

    Names are normalised with :func:`normalise_place` once per distinct value.

    Examples
    --------
    >>> a, b = place_codes(pd.Series(["El Paso", None]), pd.Series(["el paso, TX", "Yuma"]))
    >>> a.tolist(), bool(a[0] == b[0])
    ([0, -1], True)
    """
    factorized = [pd.factorize(pd.Series(column)) for column in columns]
    names = [normalise_place(u) for _, uniques in factorized for u in uniques]
    shared, _ = pd.factorize(pd.Series(names, dtype=object))  # None -> -1
    out, start = [], 0
    for codes, uniques in factorized:
        lookup = np.append(shared[start : start + len(uniques)], -1)  # code -1 (null) -> -1
        out.append(lookup[np.where(codes >= 0, codes, len(uniques))])
        start += len(uniques)
    return out


def following_total(ctx: FeatureContext, values: np.ndarray, hours: float) -> np.ndarray:
    """Sum of ``values`` over the same account's later rows within ``hours`` of each row.

    The row itself is excluded; rows up to and including ``timestamp + hours`` are included.

    Parameters
    ----------
    ctx : FeatureContext
        The context; rows are in account, time order.
    values : numpy.ndarray
        One value per row (0 for rows that should not count).
    hours : float
        Look-ahead.

    Returns
    -------
    numpy.ndarray of float
        One value per transaction row.
    """
    txn = ctx.transactions
    if len(txn) == 0:
        return np.zeros(0)
    seconds = txn["timestamp"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    seconds = seconds - seconds.min()
    horizon = int(np.ceil(hours * 3600))
    band = int(seconds.max()) + horizon + 1
    key = txn["acct"].to_numpy().astype(np.int64) * band + seconds  # increasing: acct, then time
    end = np.searchsorted(key, key + horizon, side="right")
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=np.float64))])
    return cum[end] - cum[np.arange(len(txn)) + 1]


@features(
    cash_deposits_30d=FeatureSpec(
        description="Counts cash deposits (branch or ATM) in the last 30 days.",
        reason="{value:.0f} cash deposits in the last 30 days (peers: {peer:.0f})",
        typologies=("funnel", "human_smuggling", "sex_trafficking"),
        refs=("E1", "E3", "F20"),
        unit="deposits",
        window="30D",
        kind="count",
    ),
    cash_deposit_total_90d=FeatureSpec(
        description="Total amount of cash deposits (branch or ATM) in the last 90 days, in the "
        "transactions' own currency.",
        reason="{value:,.0f} deposited in cash in the last 90 days (peers: {peer:,.0f})",
        typologies=("human_smuggling", "funnel"),
        refs=("H7", "H4", "F23", "F14"),
        unit="currency units",
        window="90D",
        kind="amount",
    ),
    cash_deposit_band_share_30d=FeatureSpec(
        description="Share of the last 30 days' cash deposits whose amount lies in the "
        "third-party cash band (AUD 200-800, converted to the deposit's currency). NaN without "
        "cash deposits.",
        reason="{value:.0%} of cash deposits were of AUD 200-800 or its equivalent in the last "
        "30 days (peers: {peer:.0%})",
        typologies=("sex_trafficking", "funnel"),
        refs=("E2", "AU22"),
        unit="share",
        window="30D",
        kind="share",
    ),
    below_reporting_cash_share_90d=FeatureSpec(
        description="Share of the last 90 days' cash deposits between 80% of the cash reporting "
        "threshold and the threshold (e.g. USD 8,000-9,999.99). NaN without cash deposits.",
        reason="{value:.0%} of cash deposits were just below the reporting threshold in the last "
        "90 days (peers: {peer:.0%})",
        typologies=("funnel", "human_smuggling"),
        refs=("E5", "F20", "F14"),
        unit="share",
        window="90D",
        kind="share",
    ),
    cash_only_no_ach_90d=FeatureSpec(
        description="1 when the account received at least 6 cash deposits and no ACH credit "
        "(no payroll or benefits) in the last 90 days, else 0.",
        reason="cash-only flag {value:.0f}: 6 or more cash deposits and no payroll or benefit "
        "(ACH) credits in the last 90 days",
        typologies=("funnel", "sex_trafficking", "labour_trafficking"),
        refs=("E3", "F20"),
        unit="flag",
        window="90D",
        kind="flag",
    ),
    requires=("channel", "direction", "amount", "currency"),
)
def cash_amounts(ctx: FeatureContext) -> pd.DataFrame:
    """Count, total and band cash deposits (E1, E2, E3, E5, H7).

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
    settings = ctx.settings
    deposit = cash_deposits(ctx)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    currency = txn["currency"].to_numpy(dtype=object)

    low = np.full(len(txn), np.nan)
    high = np.full(len(txn), np.nan)
    floor = np.full(len(txn), np.nan)
    ceiling = np.full(len(txn), np.nan)
    cur = currency[deposit]
    low[deposit] = settings.threshold("third_party_cash_low", cur)
    high[deposit] = settings.threshold("third_party_cash_high", cur)
    ceiling[deposit] = settings.threshold("cash_reporting", cur)
    floor[deposit] = settings.threshold("structuring_floor_share", cur) * ceiling[deposit]
    with np.errstate(invalid="ignore"):
        in_band = deposit & (amount >= low) & (amount <= high)
        below = deposit & (amount >= floor) & (amount < ceiling)

    w30, w90 = ctx.within(30), ctx.within(90)
    deposits_30 = ctx.count(deposit & w30)
    deposits_90 = ctx.count(deposit & w90)
    ach_credit = txn["is_credit"].to_numpy() & (txn["channel"] == "ach").to_numpy(bool)
    cash_only = (deposits_90 >= CASH_ONLY_MIN_DEPOSITS) & (ctx.count(ach_credit & w90) == 0)
    return ctx.frame(
        cash_deposits_30d=deposits_30,
        cash_deposit_total_90d=ctx.total(amount, deposit & w90),
        cash_deposit_band_share_30d=ctx.share(ctx.count(in_band & w30), deposits_30),
        below_reporting_cash_share_90d=ctx.share(ctx.count(below & w90), deposits_90),
        cash_only_no_ach_90d=cash_only.astype(np.float64),
    )


@features(
    hours_deposit_to_withdrawal_median_30d=FeatureSpec(
        description="Median hours from each cash deposit in the last 30 days to the account's "
        "next cash withdrawal, wire or P2P payment out. NaN when no deposit was followed by one.",
        reason="cash deposits were moved out after a median of {value:.0f} hours in the last 30 "
        "days (peers: {peer:.0f} hours)",
        typologies=("funnel", "human_smuggling"),
        refs=("E1", "F20", "F14"),
        unit="hours",
        window="30D",
        kind="hours",
        higher_is_riskier=False,
    ),
    deposits_cover_debits_days_90d=FeatureSpec(
        description="Counts days in the last 90 with a cash deposit within 5% of the total debits "
        "of the following 3 days (deposits just enough to cover the account's debits).",
        reason="on {value:.0f} days in the last 90 a cash deposit just covered the next 3 days' "
        "debits (peers: {peer:.0f})",
        typologies=("funnel",),
        refs=("E6", "F20"),
        unit="days",
        window="90D",
        kind="count",
    ),
    requires=("channel", "direction", "amount"),
)
def cash_turnover(ctx: FeatureContext) -> pd.DataFrame:
    """Measure how fast cash deposits leave, and whether they just cover the debits (E1, E6).

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
    deposit = cash_deposits(ctx)
    debit = ~txn["is_credit"].to_numpy()
    amount = txn["amount"].to_numpy(dtype=np.float64)
    outflow = debit & txn["channel"].isin(["atm", "cash", "wire", "p2p"]).to_numpy(bool)

    timed = deposit & ctx.within(30)
    hours = hours_until_next(ctx, outflow, strict=False)[timed]
    known = ~np.isnan(hours)
    median = np.full(ctx.n_accounts, np.nan)
    if known.any():
        per = pd.Series(hours[known]).groupby(txn["acct"].to_numpy()[timed][known]).median()
        median[per.index.to_numpy()] = per.to_numpy()

    covered = deposit & ctx.within(90)
    following = following_total(ctx, np.where(debit, amount, 0.0), COVER_HOURS)
    covers = covered & (following > 0) & (np.abs(amount - following) <= COVER_TOLERANCE * following)
    return ctx.frame(
        hours_deposit_to_withdrawal_median_30d=median,
        deposits_cover_debits_days_90d=ctx.nunique(utc_day(ctx), covers),
    )


@features(
    cash_deposit_cities_30d=FeatureSpec(
        description="Counts distinct cities where cash was deposited in the last 30 days.",
        reason="cash deposited in {value:.0f} cities in the last 30 days (peers: {peer:.0f})",
        typologies=("funnel", "human_smuggling", "sex_trafficking"),
        refs=("E1", "E2", "F20", "F23"),
        unit="cities",
        window="30D",
        kind="count",
    ),
    withdrawal_other_city_share_30d=FeatureSpec(
        description="Share of the last 30 days' cash withdrawals made in a different city from "
        "the account's preceding cash deposit in that window. NaN when no withdrawal follows a "
        "deposit with both cities known.",
        reason="{value:.0%} of cash withdrawals were in another city than the deposit before "
        "them in the last 30 days (peers: {peer:.0%})",
        typologies=("funnel",),
        refs=("E1", "F20"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("channel", "direction", "city"),
)
def cash_places(ctx: FeatureContext) -> pd.DataFrame:
    """Compare where cash goes in and where it comes out (E1, E2).

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
    w30 = ctx.within(30)
    (city,) = place_codes(txn["city"])
    deposit = cash_deposits(ctx) & w30
    withdrawal = cash_withdrawals(ctx) & w30 & (city >= 0)

    last_city = pd.Series(np.where(deposit & (city >= 0), city, np.nan))
    # a deposit with an unknown city still starts a new "preceding deposit"
    last_city[deposit & (city < 0)] = -1.0
    last_city = last_city.groupby(txn["acct"].to_numpy()).ffill().to_numpy()
    paired = withdrawal & (last_city >= 0)
    moved = paired & (last_city != city)
    return ctx.frame(
        cash_deposit_cities_30d=ctx.nunique(np.where(city >= 0, city, None), deposit),
        withdrawal_other_city_share_30d=ctx.share(ctx.count(moved), ctx.count(paired)),
    )


@features(
    cash_deposits_away_from_home_30d=FeatureSpec(
        description="Counts cash deposits in the last 30 days made in a known city other than the "
        "holder's city of residence (KYC).",
        reason="{value:.0f} cash deposits away from the holder's home city in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("funnel", "human_smuggling"),
        refs=("E1", "F14", "F26"),
        unit="deposits",
        window="30D",
        kind="count",
    ),
    requires=("channel", "direction", "city", "accounts.city"),
)
def cash_away(ctx: FeatureContext) -> pd.DataFrame:
    """Count cash deposited away from home (E1).

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
    city, home = place_codes(txn["city"], txn["home_city"])
    away = cash_deposits(ctx) & ctx.within(30) & (city >= 0) & (home >= 0) & (city != home)
    return ctx.frame(cash_deposits_away_from_home_30d=ctx.count(away))


@features(
    night_atm_share_30d=FeatureSpec(
        description="Share of the last 30 days' ATM deposits and withdrawals made between 22:00 "
        "and 05:59 on the holder's local clock. NaN without ATM activity.",
        reason="{value:.0%} of ATM use was between 10 p.m. and 6 a.m. in the last 30 days "
        "(peers: {peer:.0%})",
        typologies=("sex_trafficking", "funnel"),
        refs=("E4", "F26", "FT16"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("channel", "accounts.timezone"),
)
def night_atm(ctx: FeatureContext) -> pd.DataFrame:
    """Measure late-night ATM activity (E4).

    Needs the holders' time zones: without them local hours would be UTC hours.

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
    atm = (txn["channel"] == "atm").to_numpy(bool) & ctx.within(30)
    night = np.isin(txn["local_hour"].to_numpy(), NIGHT_HOURS)
    return ctx.frame(night_atm_share_30d=ctx.share(ctx.count(atm & night), ctx.count(atm)))
