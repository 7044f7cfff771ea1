"""Lodging, travel and local transport: the logistics of moving and housing victims (B1-B4).

F20 (§II financial 2) lists payments for hotels, airplane and bus tickets, taxis and rideshare
that look like victims' living and travel costs; FT16 (#2-#4) flags stays in several cities in a
short period, frequent tickets and taxi or rideshare purchases; AU22 counts regular accommodation
payments over AUD 2,000 a month and more than 15 rideshares a month; GT flags bookings in
"unreasonable patterns such as 2/3 times a day"; F26 (flag 1) adds late-night taxi and rideshare
fares. Lodging, tickets and rides are identified by MCC group (``mcc_groups.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.context import FeatureContext
from fintrak.features.geography import column_codes, distinct_per_account, text_codes

__all__ = [
    "lodging_charges",
    "lodging_cities",
    "lodging_home_city",
    "local_days",
    "travel_and_rides",
]


def _debits_in(ctx: FeatureContext, group: str) -> np.ndarray:
    """Debits whose MCC is in ``group`` (refunds, which are credits, do not count)."""
    txn = ctx.transactions
    return ~txn["is_credit"].to_numpy() & ctx.mcc_in(group)


def local_days(ctx: FeatureContext, rows: np.ndarray) -> np.ndarray:
    """Return the local calendar day (days since 1970-01-01) of each row in ``rows``.

    The day is read on the account holder's clock (``accounts.timezone``; UTC where unknown), so a
    hotel charge at 23:30 in Chicago falls on the Chicago date, not the next UTC date.

    Parameters
    ----------
    ctx : FeatureContext
        The context.
    rows : numpy.ndarray of int
        Positions in ``ctx.transactions``.

    Returns
    -------
    numpy.ndarray of int64
        One day number per position.
    """
    txn = ctx.transactions
    zones = ctx.accounts["timezone"].to_numpy(dtype=object, na_value="UTC")
    zones = zones[txn["acct"].to_numpy()[rows]]
    stamps = txn["timestamp"].iloc[rows]
    out = np.zeros(len(rows), dtype=np.int64)
    for zone in pd.unique(zones):
        sel = zones == zone
        local = stamps[sel].dt.tz_convert(zone).dt.tz_localize(None)
        out[sel] = local.to_numpy().astype("datetime64[D]").astype(np.int64)
    return out


@features(
    lodging_charges_30d=FeatureSpec(
        description="Counts hotel, motel and other lodging charges in the last 30 days.",
        reason="{value:.0f} hotel or motel charges in the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B1", "FT16", "F20"),
        unit="charges",
        window="30D",
        kind="count",
    ),
    lodging_spend_30d=FeatureSpec(
        description="Sum of lodging charges in the last 30 days, in the transactions' currency "
        "(AU22 flags regular accommodation payments over AUD 2,000 a month).",
        reason="{value:,.0f} spent on hotels and motels in the last 30 days (peers: {peer:,.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B1", "AU22"),
        unit="currency units",
        window="30D",
        kind="amount",
    ),
    lodging_max_charges_per_day_30d=FeatureSpec(
        description="The most lodging charges made on one local calendar day in the last 30 days "
        "(GT: bookings 2-3 times a day; F26: several rooms at once).",
        reason="up to {value:.0f} hotel or motel charges on a single day in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B1", "B2", "GT", "F26"),
        unit="charges",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "amount", "mcc"),
)
def lodging_charges(ctx: FeatureContext) -> pd.DataFrame:
    """Count, spend and busiest local day of lodging charges in the last 30 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    lodging = _debits_in(ctx, "lodging") & ctx.within(30)
    rows = np.flatnonzero(lodging)
    acct = ctx.transactions["acct"].to_numpy()[rows].astype(np.int64)
    days = local_days(ctx, rows)
    keys, per_day = np.unique(acct * 1_000_000 + (days - days.min(initial=0)), return_counts=True)
    busiest = np.zeros(ctx.n_accounts)
    np.maximum.at(busiest, keys // 1_000_000, per_day)
    return ctx.frame(
        lodging_charges_30d=ctx.count(lodging),
        lodging_spend_30d=ctx.total(ctx.transactions["amount"].to_numpy(), lodging),
        lodging_max_charges_per_day_30d=busiest,
    )


@features(
    lodging_cities_14d=FeatureSpec(
        description="Counts distinct cities where the account paid for lodging in the last 14 "
        "days (stays in several cities in a short period).",
        reason="hotel or motel charges in {value:.0f} cities in the last 14 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B1", "I1", "FT16", "F20"),
        unit="cities",
        window="14D",
        kind="count",
    ),
    requires=("timestamp", "mcc", "city"),
)
def lodging_cities(ctx: FeatureContext) -> pd.DataFrame:
    """Distinct cities of lodging charges in the last 14 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``lodging_cities_14d``, one row per account.
    """
    lodging = _debits_in(ctx, "lodging") & ctx.within(14)
    cities = column_codes(ctx, "city")
    return ctx.frame(lodging_cities_14d=distinct_per_account(ctx, cities, lodging))


@features(
    lodging_home_city_charges_30d=FeatureSpec(
        description="Counts lodging charges in the last 30 days in the holder's own home city "
        "(KYC), where a hotel stay has no travel to explain it.",
        reason="{value:.0f} hotel or motel charges in the holder's own city in the last 30 days "
        "(peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("B1", "F20"),
        unit="charges",
        window="30D",
        kind="count",
    ),
    requires=("timestamp", "mcc", "city", "accounts.city"),
)
def lodging_home_city(ctx: FeatureContext) -> pd.DataFrame:
    """Count lodging charges in the last 30 days whose city is the KYC home city.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``lodging_home_city_charges_30d``, one row per account.
    """
    txn = ctx.transactions
    both = text_codes(pd.concat([txn["city"], txn["home_city"]], ignore_index=True))
    city, home = both[: len(txn)], both[len(txn) :]
    at_home = (city >= 0) & (city == home)
    lodging = _debits_in(ctx, "lodging") & ctx.within(30)
    return ctx.frame(lodging_home_city_charges_30d=ctx.count(lodging & at_home))


@features(
    travel_tickets_30d=FeatureSpec(
        description="Counts airline, rail, bus and travel-agency charges in the last 30 days.",
        reason="{value:.0f} airline, train or bus tickets in the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("B3", "FT16", "F20"),
        unit="tickets",
        window="30D",
        kind="count",
    ),
    rideshare_charges_30d=FeatureSpec(
        description="Counts taxi, limousine and ride-share charges in the last 30 days (AU22: "
        "more than 15 a month to move sex workers).",
        reason="{value:.0f} taxi or ride-share charges in the last 30 days (peers: {peer:.0f})",
        typologies=("sex_trafficking",),
        refs=("B4", "AU22", "FT16"),
        unit="rides",
        window="30D",
        kind="count",
    ),
    night_rideshare_share_30d=FeatureSpec(
        description="Share of the last 30 days' taxi and ride-share charges made between 22:00 "
        "and 04:59 on the holder's local clock. NaN when there is no ride.",
        reason="{value:.0%} of taxi or ride-share charges in the last 30 days were between "
        "10 p.m. and 5 a.m. (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("B4", "F26"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "mcc"),
)
def travel_and_rides(ctx: FeatureContext) -> pd.DataFrame:
    """Tickets, rides and the night share of rides in the last 30 days.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per account.
    """
    window = ctx.within(30)
    rides = _debits_in(ctx, "rideshare") & window
    hour = ctx.transactions["local_hour"].to_numpy()
    night = (hour >= 22) | (hour < 5)
    n_rides = ctx.count(rides)
    return ctx.frame(
        travel_tickets_30d=ctx.count(_debits_in(ctx, "air_rail_bus") & window),
        rideshare_charges_30d=n_rides,
        night_rideshare_share_30d=ctx.share(ctx.count(rides & night), n_rides),
    )
