"""Compute every registered feature for every account, as of a date.

Account-level calculators run first (each reads only each account's own rows); population
calculators run second, over the account-level frame. A calculator whose required columns are
absent or entirely null is skipped: its features are NaN and the reason is recorded, so a bank
whose extract has no MCCs still gets every other feature and is told what it did not get.
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
    "fintrak.features.population",
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
    skipped : dict of str to str
        Calculator name -> why it was skipped (its features are NaN).
    notes : dict
        Facts for the manifest: as-of, accounts, timings per calculator.
    """

    features: pd.DataFrame
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


def build_features(
    transactions: pd.DataFrame | FeatureContext,
    accounts: pd.DataFrame | None = None,
    intel: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    settings: FeatureSettings | None = None,
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

    Returns
    -------
    FeatureResult
    """
    load_library()
    ctx = (
        transactions
        if isinstance(transactions, FeatureContext)
        else FeatureContext.build(transactions, accounts, intel, as_of=as_of, settings=settings)
    )
    skipped: dict[str, str] = {}
    timings: dict[str, float] = {}
    parts: list[pd.DataFrame] = []
    index = ctx.account_ids.rename("account_id")
    for level in ("account", "population"):
        base = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
        for calc in CALCULATORS.values():
            if calc.level != level:
                continue
            reason = _missing(calc, ctx)
            started = time.perf_counter()
            if reason is not None:
                skipped[calc.name] = reason
                frame = pd.DataFrame(np.nan, index=index, columns=list(calc.specs))
            else:
                frame = _run(calc, ctx, base)
            timings[calc.name] = round(time.perf_counter() - started, 4)
            parts.append(frame)
    features = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
    features = features[[name for name in FEATURES if name in features.columns]]
    never_nan = [n for n, s in FEATURES.items() if s.kind in ("count", "flag")]
    computed = [n for n in never_nan if n in features.columns and _calc_of(n) not in skipped]
    features[computed] = features[computed].fillna(0.0)
    notes = {**ctx.notes, "timings_seconds": timings, "features": len(features.columns)}
    return FeatureResult(features=features, skipped=skipped, notes=notes)


def _calc_of(feature: str) -> str:
    for calc in CALCULATORS.values():
        if feature in calc.specs:
            return calc.name
    raise KeyError(feature)
