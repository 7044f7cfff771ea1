"""Explanations: SHAP contributions turned into sentences an investigator can check.

Contributions are LightGBM's TreeSHAP values in raw log-odds (``pred_contrib``; the same algorithm
as the ``shap`` package), so for every account ``contributions.sum() + base == raw score``. Each
contribution is rendered with its feature's reason template: the actual value, its unit and window,
and the median of the account's peers (same account type), e.g. "hotel charges in 5 cities in the
last 14 days (peers: 0)".
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from fintrak.features._registry import FEATURES, TYPOLOGIES
from fintrak.scoring.model import ModelBundle

__all__ = [
    "MIN_CONTRIBUTION",
    "explain",
    "peer_medians",
    "shap_explanation",
    "typology_evidence",
]

#: Contributions smaller than this (in log-odds) are not worth a sentence.
MIN_CONTRIBUTION = 0.01


def peer_medians(features: pd.DataFrame, peer_group: pd.Series | None) -> pd.DataFrame:
    """Return, for every account, the median of each feature among its peers.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per account.
    peer_group : pandas.Series, optional
        Peer group of each account (e.g. account type); None compares with everyone.

    Returns
    -------
    pandas.DataFrame
        Same shape and index as ``features``.
    """
    if peer_group is None:
        medians = features.median(numeric_only=True)
        return pd.DataFrame(
            [medians.to_numpy()] * len(features), index=features.index, columns=features.columns
        )
    groups = peer_group.reindex(features.index).fillna("unknown").astype(str)
    return features.groupby(groups.to_numpy()).transform("median")


_LAST_DAYS = re.compile(r"\bthe last (\d+)( days)?")


def _text(feature: str, value: float, peer: float, window_end: str | None = None) -> str:
    spec = FEATURES.get(feature)
    if spec is None:
        return f"{feature} = {value:g}"
    try:
        text = spec.explain(value, peer)
    except (ValueError, KeyError, IndexError):
        text = f"{spec.description} Value: {value:g}."
    if window_end is not None:
        # The value comes from an earlier window of the look-back, not from the latest days.
        text = _LAST_DAYS.sub(lambda m: f"the {m.group(1)} days to {window_end}", text)
    return text


def explain(
    bundle: ModelBundle,
    features: pd.DataFrame,
    accounts: pd.Index,
    *,
    peer_group: pd.Series | None = None,
    max_reasons: int = 6,
    window_end: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Explain the model score of the given accounts, one row per reason.

    Parameters
    ----------
    bundle : ModelBundle
        The model.
    features : pandas.DataFrame
        All accounts' features (peers are computed over all of them).
    accounts : pandas.Index
        The accounts to explain (e.g. the alerted ones).
    peer_group : pandas.Series, optional
        Peer group per account (default: everyone).
    max_reasons : int
        At most this many reasons per account.
    window_end : pandas.DataFrame, optional
        When each feature value's window ended (from :class:`~fintrak.features.builder.
        FeatureResult`); a value from an earlier window is worded "in the 30 days to <date>".

    Returns
    -------
    pandas.DataFrame
        ``account_id, rank, feature, value, peer_median, contribution, text``, ordered by account
        and by ``|contribution|``; contributions below :data:`MIN_CONTRIBUTION` and features
        without a value are left out.
    """
    columns = ["account_id", "rank", "feature", "value", "peer_median", "contribution", "text"]
    if len(accounts) == 0:
        return pd.DataFrame(columns=columns)
    matrix = bundle.matrix(features)
    peers = peer_medians(matrix, peer_group).loc[accounts]
    subset = matrix.loc[accounts]
    contrib = bundle.contributions(subset)[:, :-1]
    values = subset.to_numpy()
    names = np.asarray(bundle.features)
    ends = None
    if window_end is not None:
        ends_frame = window_end.reindex(index=accounts, columns=bundle.features)
        latest = window_end.max().max()
        ends = ends_frame.where(ends_frame < latest)
    rows: list[dict[str, Any]] = []
    for i, account in enumerate(accounts):
        c = contrib[i]
        usable = (np.abs(c) >= MIN_CONTRIBUTION) & ~np.isnan(values[i])
        order = [j for j in np.argsort(-np.abs(c), kind="stable") if usable[j]][:max_reasons]
        for rank, j in enumerate(order, start=1):
            rows.append(
                {
                    "account_id": account,
                    "rank": rank,
                    "feature": names[j],
                    "value": float(values[i, j]),
                    "peer_median": float(peers.iat[i, j]),
                    "contribution": float(c[j]),
                    "text": _text(
                        names[j],
                        float(values[i, j]),
                        float(peers.iat[i, j]),
                        None
                        if ends is None or pd.isna(ends.iat[i, j])
                        else pd.Timestamp(ends.iat[i, j]).strftime("%Y-%m-%d"),
                    ),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def typology_evidence(bundle: ModelBundle, features: pd.DataFrame) -> pd.DataFrame:
    """Sum each account's positive contributions by typology (SHAP values rolled up by family).

    A feature serving several typologies shares its contribution equally between them.

    Returns
    -------
    pandas.DataFrame
        One column per typology, one row per account (log-odds).
    """
    contrib = np.clip(bundle.contributions(features)[:, :-1], 0, None)
    weights = np.zeros((len(bundle.features), len(TYPOLOGIES)))
    for j, name in enumerate(bundle.features):
        spec = FEATURES.get(name)
        if spec is None or not spec.typologies:
            continue
        for typology in spec.typologies:
            weights[j, TYPOLOGIES.index(typology)] = 1.0 / len(spec.typologies)
    return pd.DataFrame(contrib @ weights, index=features.index, columns=list(TYPOLOGIES))


def shap_explanation(bundle: ModelBundle, features: pd.DataFrame) -> Any:
    """Return a ``shap.Explanation`` (values, base values, data, names) for notebooks and plots.

    The values are the same TreeSHAP contributions as :func:`explain` uses, in raw log-odds.
    """
    import shap

    matrix = bundle.matrix(features)
    contrib = bundle.contributions(matrix)
    return shap.Explanation(
        values=contrib[:, :-1],
        base_values=contrib[:, -1],
        data=matrix.to_numpy(),
        feature_names=list(matrix.columns),
    )
