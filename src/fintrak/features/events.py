"""Spending spikes in a city hosting a major event (catalogue row I3).

F26 (flag 1) warns of unusually large local travel spending in or around a 2026 FIFA World Cup
host city in a short period (several hotel rooms, taxis or rideshare, trains), especially late at
night and early in the morning; ABA19 describes the same around the Super Bowl. The events, their
host cities and dates are the versioned calendar ``reference/events.yaml``; a bank adds its own.

An *event-city row* is a debit whose ``city`` is one of an event's cities (accents, case and
anything after a comma ignored) on a UTC date inside that event's window (start - lead days to end
+ trail days). Lodging and local transport are the ``lodging`` and ``local_transport`` MCC groups.
The baseline is the account's own lodging and local-transport spend in the 90 days before the
30-day window, expressed per 30 days, floored at ``event_spend_baseline_floor`` (USD 100 or its
equivalent) so a first trip gives a large finite ratio.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from fintrak.features._registry import FeatureSpec, features
from fintrak.features.cash import place_codes
from fintrak.features.context import FeatureContext
from fintrak.reference import load_reference

__all__ = ["NIGHT_HOURS", "event_city_rows", "event_city_spend", "load_events"]

#: F26 flag 1 and FT16: late night and early morning, 22:00-05:59 local.
NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
_BASELINE_DAYS = 90.0


@cache
def load_events() -> tuple[dict[str, Any], ...]:
    """Return the shipped event calendar (``reference/events.yaml``), one dict per event."""
    return tuple(load_reference("events")["events"])


def event_city_rows(ctx: FeatureContext, events: tuple[dict[str, Any], ...] | None = None):
    """Return a boolean mask: the row happened in an event's city during its window.

    Parameters
    ----------
    ctx : FeatureContext
        Transactions up to ``as_of``.
    events : tuple of dict, optional
        Calendar entries (default :func:`load_events`).

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``ctx.transactions``.
    """
    txn = ctx.transactions
    out = np.zeros(len(txn), dtype=bool)
    if len(txn) == 0:
        return out
    day = txn["timestamp"].to_numpy(dtype="datetime64[us]").astype("datetime64[D]")
    for event in events if events is not None else load_events():
        start = np.datetime64(str(event["start"]), "D") - int(event.get("lead_days", 0))
        end = np.datetime64(str(event["end"]), "D") + int(event.get("trail_days", 0))
        during = (day >= start) & (day <= end)
        if not during.any():
            continue
        rows, cities = place_codes(txn["city"], pd.Series(event["cities"], dtype=object))
        host = np.isin(rows, cities[cities >= 0])
        out |= during & host
    return out


@features(
    event_city_travel_spend_30d=FeatureSpec(
        description="Sum of lodging and local-transport debits (hotels, taxis, rideshare, car "
        "rental, transit) in the last 30 days made in a host city of a major event during the "
        "event's window (reference/events.yaml), in the transactions' currency.",
        reason="{value:,.0f} spent on lodging and local transport in a city hosting a major event "
        "in the last 30 days (peers: {peer:,.0f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("I3", "F26", "ABA19"),
        unit="currency units",
        window="30D",
        kind="amount",
    ),
    event_city_spend_vs_baseline_30d=FeatureSpec(
        description="Event-city lodging and local-transport spend in the last 30 days divided "
        "by the account's own lodging and local-transport spend per 30 days over the 90 days "
        "before (floored at USD 100 or its equivalent). NaN without event-city spend.",
        reason="lodging and transport spending in an event host city in the last 30 days was "
        "{value:.1f} times the account's usual (peers: {peer:.1f})",
        typologies=("sex_trafficking", "labour_trafficking"),
        refs=("I3", "F26", "ABA19"),
        unit="ratio",
        window="30D",
        kind="ratio",
    ),
    event_city_night_share_30d=FeatureSpec(
        description="Share of the last 30 days' debits made in an event host city during the "
        "event's window that happened between 22:00 and 05:59 on the holder's local clock. NaN "
        "without such a debit.",
        reason="{value:.0%} of spending in an event host city in the last 30 days was late at "
        "night or early in the morning (peers: {peer:.0%})",
        typologies=("sex_trafficking",),
        refs=("I3", "F26"),
        unit="share",
        window="30D",
        kind="share",
    ),
    requires=("timestamp", "mcc", "city", "amount", "currency"),
)
def event_city_spend(ctx: FeatureContext) -> pd.DataFrame:
    """Lodging and transport spend in event host cities against the account's baseline (I3).

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
    debit = ~txn["is_credit"].to_numpy()
    travel = debit & (ctx.mcc_in("lodging") | ctx.mcc_in("local_transport"))
    age = txn["age_days"].to_numpy()
    recent = age < 30
    event = debit & recent & event_city_rows(ctx)
    amount = txn["amount"].to_numpy(dtype=np.float64)
    spend = ctx.total(amount, event & travel)
    baseline = ctx.total(amount, travel & (age >= 30) & (age < 30 + _BASELINE_DAYS))
    baseline = baseline * 30.0 / _BASELINE_DAYS
    floor_rows = ctx.threshold("event_spend_baseline_floor")
    floor = np.zeros(ctx.n_accounts)
    spent = event & travel
    np.maximum.at(floor, txn["acct"].to_numpy()[spent], floor_rows[spent])
    ratio = np.where(spend > 0, spend / np.maximum(baseline, np.maximum(floor, 1e-9)), np.nan)
    night = np.isin(txn["local_hour"].to_numpy(), NIGHT_HOURS)
    return ctx.frame(
        event_city_travel_spend_30d=spend,
        event_city_spend_vs_baseline_30d=ratio,
        event_city_night_share_30d=ctx.share(ctx.count(event & night), ctx.count(event)),
    )
