"""Population stability: checks that tonight's bank still looks like the training data.

A model trained on one population degrades quietly when the population moves (a new product, a
merger, a change in how a channel is coded). At training, :func:`drift_reference` stores, for the
model's main features (the most important by total gain), the shares of training accounts in ten
quantile bins among the accounts with a value, and separately the share with no value (a feature
is missing where its optional input, such as intelligence or devices, was not given). At scoring,
:func:`population_stability` bins the scored accounts' values the same way and computes the
population stability index (PSI) of the values:

``PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share)``

with shares floored at 0.0001 so an empty bin does not divide by zero. The usual reading (used in
credit-risk model monitoring): below 0.1 stable, 0.1-0.25 a moderate shift worth watching, above
:data:`PSI_WARNING` (0.25) a significant shift: check the input extract, then whether the model
still ranks well (``fintrak backtest``) before trusting its alerts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MAIN_FEATURES",
    "MIN_VALUES",
    "PSI_WARNING",
    "drift_reference",
    "population_stability",
]

#: PSI above which ``fintrak score`` warns.
PSI_WARNING = 0.25
#: Fewest scored accounts with a value for a feature's PSI to be judged: ten bins over a few
#: dozen values differ from any reference by chance (a feature most accounts lack, such as the
#: hours between a cash deposit and its withdrawal, may have a handful of values in a bank).
MIN_VALUES = 100
#: How many of the model's features (by total gain) the reference covers.
MAIN_FEATURES = 20
_BINS = 10
_FLOOR = 1e-4


def _shares(values: np.ndarray, edges: np.ndarray) -> list[float]:
    """Shares of the non-missing ``values`` in the bins cut at ``edges`` (inner edges)."""
    present = values[~np.isnan(values)]
    binned = np.searchsorted(edges, present, side="right")
    counts = np.bincount(binned, minlength=len(edges) + 1).astype(np.float64)
    return (counts / len(present) if len(present) else counts).tolist()


def _missing_share(values: np.ndarray) -> float:
    return round(float(np.isnan(values).mean()), 6) if len(values) else 0.0


def drift_reference(
    features: pd.DataFrame, importance: pd.Series, *, n_features: int = MAIN_FEATURES
) -> dict[str, Any]:
    """Bin edges and training shares of the model's main features.

    Parameters
    ----------
    features : pandas.DataFrame
        The training feature matrix (one row per account).
    importance : pandas.Series
        Total gain per feature; the ``n_features`` largest (ties by name) are kept.
    n_features : int
        How many features to keep.

    Returns
    -------
    dict
        ``{"bins": 10, "features": {name: {"edges": [...], "shares": [...],
        "missing_share": m}}}``: ``edges`` are the distinct inner quantile edges, ``shares`` the
        share of the accounts with a value in each bin, ``missing_share`` the share without one.
        JSON ready (it is stored in the model folder's ``config.json``).
    """
    ranked = importance[importance > 0].rename_axis("feature").reset_index(name="gain")
    ranked = ranked.sort_values(["gain", "feature"], ascending=[False, True])
    out: dict[str, Any] = {}
    for name in ranked["feature"].head(n_features):
        values = features[name].to_numpy(dtype=np.float64)
        present = values[~np.isnan(values)]
        if len(present):
            edges = np.unique(np.quantile(present, np.linspace(0, 1, _BINS + 1)[1:-1]))
        else:
            edges = np.zeros(0)
        out[str(name)] = {
            "edges": [float(e) for e in edges],
            "shares": [round(s, 6) for s in _shares(values, edges)],
            "missing_share": _missing_share(values),
        }
    return {"bins": _BINS, "features": out}


def population_stability(reference: dict[str, Any], features: pd.DataFrame) -> pd.DataFrame:
    """PSI of each reference feature's values between training and ``features``.

    Parameters
    ----------
    reference : dict
        From :func:`drift_reference`.
    features : pandas.DataFrame
        The scored accounts' features.

    Returns
    -------
    pandas.DataFrame
        One row per reference feature (in the reference's order): ``psi`` of the values (NaN
        when no scored account has a value: the feature was not computed, which the run's
        ``features_skipped`` explains), ``values`` (scored accounts with a value; judge the PSI
        only from :data:`MIN_VALUES`), ``missing_share_training`` and ``missing_share_now``.
    """
    rows = {}
    for name, ref in reference.get("features", {}).items():
        if name in features.columns:
            values = features[name].to_numpy(dtype=np.float64)
        else:
            values = np.full(len(features), np.nan)
        psi = np.nan
        if (~np.isnan(values)).any():
            expected = np.maximum(np.asarray(ref["shares"], dtype=np.float64), _FLOOR)
            actual = np.maximum(
                np.asarray(_shares(values, np.asarray(ref["edges"], dtype=np.float64))), _FLOOR
            )
            psi = round(float(np.sum((actual - expected) * np.log(actual / expected))), 4)
        rows[name] = {
            "psi": psi,
            "values": float((~np.isnan(values)).sum()),
            "missing_share_training": float(ref.get("missing_share", 0.0)),
            "missing_share_now": _missing_share(values),
        }
    columns = ["psi", "values", "missing_share_training", "missing_share_now"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).astype("float64")
