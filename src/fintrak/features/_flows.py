"""Time between events within one account: the primitive behind pass-through and sweep features.

Rows of :attr:`FeatureContext.transactions` are sorted by account then time, so "the latest event
before this row in the same account" is a forward fill within account groups - one vectorised pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features.context import FeatureContext

__all__ = ["hours_since_last", "hours_until_next"]


def _seconds(ctx: FeatureContext) -> np.ndarray:
    stamps = ctx.transactions["timestamp"]
    return (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy() if len(stamps) else np.zeros(0)


def _shift_within(values: pd.Series, acct: np.ndarray, periods: int) -> pd.Series:
    shifted = values.shift(periods)
    same = pd.Series(acct).shift(periods).to_numpy() == acct
    return shifted.where(same)


def hours_since_last(ctx: FeatureContext, event: np.ndarray, *, strict: bool = True) -> np.ndarray:
    """Hours from the latest ``event`` row of the same account to each row (NaN if none).

    Parameters
    ----------
    ctx : FeatureContext
        The context; rows are in account, time order.
    event : numpy.ndarray of bool
        Which rows are events (e.g. payroll credits).
    strict : bool
        If True, a row that is itself an event looks at the event before it.

    Returns
    -------
    numpy.ndarray of float
        One value per transaction row.
    """
    seconds = _seconds(ctx)
    acct = ctx.transactions["acct"].to_numpy()
    stamp = pd.Series(np.where(event, seconds, np.nan))
    if strict:
        stamp = _shift_within(stamp, acct, 1)
    last = stamp.groupby(acct).ffill()
    return (seconds - last.to_numpy()) / 3600.0


def hours_until_next(ctx: FeatureContext, event: np.ndarray, *, strict: bool = True) -> np.ndarray:
    """Hours from each row to the next ``event`` row of the same account (NaN if none).

    Parameters
    ----------
    ctx : FeatureContext
        The context; rows are in account, time order.
    event : numpy.ndarray of bool
        Which rows are events (e.g. cash withdrawals).
    strict : bool
        If True, a row that is itself an event looks at the event after it.

    Returns
    -------
    numpy.ndarray of float
        One value per transaction row.
    """
    seconds = _seconds(ctx)
    acct = ctx.transactions["acct"].to_numpy()
    stamp = pd.Series(np.where(event, seconds, np.nan))
    if strict:
        stamp = _shift_within(stamp, acct, -1)
    following = stamp.groupby(acct).bfill()
    return (following.to_numpy() - seconds) / 3600.0
