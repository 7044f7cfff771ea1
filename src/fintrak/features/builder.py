"""Compute every registered feature for every account, as of a date.

Account-level calculators run first (each reads only each account's own rows); population
calculators run second, over the account-level frame.

Look-back: trafficking activity need not be going on on the scoring date - a ring may have moved
on a month ago. Account-level features are therefore computed as of the scoring date and as of
every ``step_days`` before it, back over ``lookback_days``, and each account keeps its worst
window: the highest value of a feature where a high value is the red flag, the lowest where a low
one is. :attr:`FeatureResult.window_end` records when that window ended, and explanations say so
("in the 30 days to 2025-03-12"). Nothing after ``as_of`` is ever read.

A calculator whose required columns are absent or entirely null is skipped: its features are NaN
and the reason is recorded, so a bank whose extract has no MCCs still gets every other feature
and is told what it did not get.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fintrak.features._registry import CALCULATORS, FEATURES, Calculator
from fintrak.features.context import FeatureContext
from fintrak.features.settings import FeatureSettings

__all__ = ["LIBRARY_MODULES", "FeatureResult", "build_features", "feature_names", "load_library"]

#: Modules holding the registered calculators, imported on first use.
LIBRARY_MODULES: tuple[str, ...] = (
    "fintrak.features.ads",
    "fintrak.features.p2p",
    "fintrak.features.lodging_travel",
    "fintrak.features.spending",
    "fintrak.features.geography",
    "fintrak.features.labour",
    "fintrak.features.cash",
    "fintrak.features.wires",
    "fintrak.features.alt_payments",
    "fintrak.features.buyers",
    "fintrak.features.business",
    "fintrak.features.accounts_life",
    "fintrak.features.events",
    "fintrak.features.ordinary_life",
    "fintrak.features.identity",
    "fintrak.features.population",
    "fintrak.features.peers",
    "fintrak.features.observations",
    "fintrak.features.devices",
    "fintrak.features.network_flows",
    # Last: its first pass reads every feature computed before it.
    "fintrak.features.network_context",
)


def load_library() -> dict[str, Calculator]:
    """Import every calculator module and return the registry."""
    for module in LIBRARY_MODULES:
        importlib.import_module(module)
    return CALCULATORS


def feature_names() -> list[str]:
    """Return every registered feature name in registry order."""
    load_library()
    return list(FEATURES)


@dataclass
class FeatureResult:
    """Features of every account, and what could not be computed.

    Attributes
    ----------
    features : pandas.DataFrame
        One row per account (index ``account_id``), one float column per registered feature.
    window_end : pandas.DataFrame
        Same shape: the as-of date (UTC) of the window each value comes from (``as_of`` itself
        for the current window and for population features).
    skipped : dict of str to str
        Calculator name -> why it was skipped (its features are NaN).
    notes : dict
        Facts for the manifest: as-of, accounts, timings per calculator.
    """

    features: pd.DataFrame
    window_end: pd.DataFrame | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def _missing(calc: Calculator, ctx: FeatureContext) -> str | None:
    for requirement in calc.requires:
        table, _, column = requirement.rpartition(".")
        if table == "accounts":
            frame = ctx.accounts
        elif table == "intel":
            frame = ctx.intel
            if frame is None or len(frame) == 0:
                return "no intel table was given"
        elif table == "observations":
            frame = ctx.observations
            if frame is None:
                return "no observations table was given"
        else:
            frame = ctx.transactions
        where = f"{table or 'transactions'}.{column}"
        if column not in frame.columns:
            return f"column {where} is absent"
        if frame[column].isna().all():
            return f"column {where} is entirely null"
    return None


def _run(calc: Calculator, ctx: FeatureContext, base: pd.DataFrame | None) -> pd.DataFrame:
    out = calc.func(ctx) if calc.level == "account" else calc.func(ctx, base)
    expected = list(calc.specs)
    if sorted(out.columns) != sorted(expected):
        raise RuntimeError(
            f"calculator {calc.name} returned columns {sorted(out.columns)}, "
            f"registered {sorted(expected)}"
        )
    return out.reindex(ctx.account_ids.rename("account_id"))[expected].astype("float64")


def _worst_window(
    snapshots: list[pd.DataFrame], ends: list[pd.Timestamp]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep, per account and feature, the value of the riskiest snapshot and when it ended."""
    first = snapshots[0]
    stack = np.stack([s.to_numpy(dtype="float64") for s in snapshots])  # (k, accounts, features)
    lower = np.array([not FEATURES[c].higher_is_riskier for c in first.columns])
    oriented = np.where(lower[None, None, :], -stack, stack)
    filled = np.where(np.isnan(oriented), -np.inf, oriented)
    best = np.argmax(filled, axis=0)  # the first snapshot (most recent) wins ties
    values = np.take_along_axis(stack, best[None], axis=0)[0]
    naive_ends = np.array(
        [e.tz_convert(None).to_datetime64() for e in ends], dtype="datetime64[us]"
    )
    when = naive_ends[best]
    features = pd.DataFrame(values, index=first.index, columns=first.columns)
    window_end = pd.DataFrame(when, index=first.index, columns=first.columns)
    return features, window_end


def _account_level(
    ctx: FeatureContext, skipped: dict[str, str], timings: dict[str, float]
) -> pd.DataFrame:
    """Run every account-level calculator not in ``skipped`` (decided once, on the whole input)."""
    index = ctx.account_ids.rename("account_id")
    parts = []
    for calc in CALCULATORS.values():
        if calc.level != "account":
            continue
        started = time.perf_counter()
        if calc.name in skipped:
            frame = pd.DataFrame(np.nan, index=index, columns=list(calc.specs))
        else:
            frame = _run(calc, ctx, None)
        timings[calc.name] = round(timings.get(calc.name, 0.0) + time.perf_counter() - started, 4)
        parts.append(frame)
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)


def build_features(
    transactions: pd.DataFrame | FeatureContext,
    accounts: pd.DataFrame | None = None,
    intel: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    settings: FeatureSettings | None = None,
    lookback_days: int = 180,
    step_days: int = 30,
    observations: pd.DataFrame | None = None,
    partition_rows: int = 1_000_000,
) -> FeatureResult:
    """Compute every registered feature as of a date.

    Parameters
    ----------
    transactions : pandas.DataFrame or FeatureContext
        Canonical (validated) transactions, or a prepared context.
    accounts, intel : pandas.DataFrame, optional
        Canonical tables.
    as_of : str or Timestamp, optional
        ``YYYY-MM-DD`` (through the end of that day, UTC); default the last transaction.
    settings : FeatureSettings, optional
        Thresholds and reference lists; default the shipped ones.
    lookback_days, step_days : int
        Account-level features are also computed as of every ``step_days`` before ``as_of``,
        back over ``lookback_days`` (where there is history), and the worst window is kept (see
        the module docstring). ``lookback_days=0`` computes the current window only.
    observations : pandas.DataFrame, optional
        Canonical staff observations; calculators that need them are skipped without them.
    partition_rows : int
        Account-level calculators run over groups of consecutive accounts of about this many
        transactions (each account's whole history in one group), which bounds the memory their
        intermediate arrays take; results do not depend on it.

    Returns
    -------
    FeatureResult
    """
    if step_days <= 0 or lookback_days < 0:
        raise ValueError(
            "step_days must be > 0 and lookback_days >= 0. "
            f"Got step_days={step_days}, lookback_days={lookback_days} instead."
        )
    load_library()
    ctx = (
        transactions
        if isinstance(transactions, FeatureContext)
        else FeatureContext.build(
            transactions,
            accounts,
            intel,
            as_of=as_of,
            settings=settings,
            observations=observations,
        )
    )
    # Whether a calculator can run is decided once, on the whole extract: an earlier window in
    # which nobody happens to have an MCC must not switch the MCC features off for that window.
    skipped: dict[str, str] = {}
    for calc in CALCULATORS.values():
        reason = _missing(calc, ctx)
        if reason is not None:
            skipped[calc.name] = reason
    timings: dict[str, float] = {}
    index = ctx.account_ids.rename("account_id")
    history = ctx.history_days
    parts, part_ends, windows = [], [], 0
    for part in ctx.partitions(partition_rows):
        snapshots, ends = [], []
        shift = 0
        while True:
            snap = part if shift == 0 else part.shifted(shift)
            snapshots.append(_account_level(snap, skipped, timings))
            ends.append(snap.as_of)
            shift += step_days
            if shift > lookback_days or shift >= history:
                break
        worst, worst_end = _worst_window(snapshots, ends)
        parts.append(worst)
        part_ends.append(worst_end)
        windows = len(snapshots)
        del snapshots, snap, part
    base, window_end = pd.concat(parts), pd.concat(part_ends)
    del parts, part_ends
    parts = [base]
    for calc in CALCULATORS.values():
        if calc.level != "population":
            continue
        started = time.perf_counter()
        if calc.name in skipped:
            frame = pd.DataFrame(np.nan, index=index, columns=list(calc.specs))
        else:
            # Every feature computed so far, account-level and earlier population ones.
            frame = _run(calc, ctx, pd.concat(parts, axis=1))
        timings[calc.name] = round(time.perf_counter() - started, 4)
        parts.append(frame)
        window_end = window_end.join(
            pd.DataFrame(
                np.datetime64(ctx.as_of.tz_convert(None), "us"), index=index, columns=frame.columns
            )
        )
    features = pd.concat(parts, axis=1)
    order = [name for name in FEATURES if name in features.columns]
    features, window_end = features[order], window_end[order]
    never_nan = [n for n, s in FEATURES.items() if s.kind in ("count", "flag")]
    computed = [n for n in never_nan if n in features.columns and _calc_of(n) not in skipped]
    features[computed] = features[computed].fillna(0.0)
    notes = {
        **ctx.notes,
        "lookback_days": lookback_days,
        "step_days": step_days,
        "windows": windows,
        "partition_rows": partition_rows,
        "timings_seconds": timings,
        "features": len(features.columns),
    }
    return FeatureResult(features=features, window_end=window_end, skipped=skipped, notes=notes)


def _calc_of(feature: str) -> str:
    for calc in CALCULATORS.values():
        if feature in calc.specs:
            return calc.name
    raise KeyError(feature)
