"""Train a model folder from labelled, validated tables.

Any label vocabulary works: only ``is_trafficking`` is learned; ``typology`` and ``role`` (whatever
names a bank uses) are used to report recall per group; ``case_id`` keeps a ring's accounts in one
cross-validation fold. Accounts without a label are not used for training.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from fintrak import __version__
from fintrak.exceptions import FintrakError
from fintrak.features.builder import FeatureResult, build_features
from fintrak.scoring.combine import combined_score
from fintrak.scoring.model import (
    LGBM_PARAMS,
    ModelBundle,
    fit_booster,
    select_balance_strategy,
)
from fintrak.scoring.rules import RuleScorer

__all__ = [
    "LabelledData",
    "choose_threshold",
    "choose_weights",
    "metrics_at_budget",
    "train_model",
]


class LabelError(FintrakError, ValueError):
    """The labels cannot train a model (no positives, no negatives, no overlap with accounts)."""


@dataclass
class LabelledData:
    """Features and labels of one bank, aligned by account."""

    features: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray
    labels: pd.DataFrame
    feature_result: FeatureResult

    @classmethod
    def from_tables(
        cls,
        tables: dict[str, pd.DataFrame],
        labels: pd.DataFrame,
        *,
        as_of: str | pd.Timestamp | None = None,
    ) -> LabelledData:
        """Build features for the tables and align the labels with them."""
        result = build_features(
            tables["transactions"],
            tables.get("accounts"),
            tables.get("intel"),
            as_of=as_of,
            observations=tables.get("observations"),
        )
        lab = labels.drop_duplicates("account_id").set_index("account_id")
        known = result.features.index.intersection(lab.index)
        if len(known) == 0:
            raise LabelError(
                "no labelled account appears in the transactions or accounts\n"
                "  fix: check that labels.account_id uses the same ids as the transactions"
            )
        y = lab.loc[known, "is_trafficking"].astype(int).to_numpy()
        if y.sum() == 0 or y.sum() == len(y):
            raise LabelError(
                f"the labels have {int(y.sum())} positive and {int(len(y) - y.sum())} negative "
                "accounts; training needs both\n  fix: label at least a few accounts of each kind"
            )
        case = lab.loc[known, "case_id"] if "case_id" in lab else pd.Series(pd.NA, index=known)
        groups = case.astype("object").where(case.notna(), known.to_series().map(lambda a: f"_{a}"))
        return cls(
            features=result.features.loc[known],
            y=y,
            groups=groups.astype(str).to_numpy(),
            labels=lab.loc[known],
            feature_result=result,
        )


def metrics_at_budget(y: np.ndarray, score: np.ndarray, budget: int) -> dict[str, float]:
    """Precision and recall among the ``budget`` highest scores.

    Examples
    --------
    >>> metrics_at_budget(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.1, 0.0]), 2)
    {'precision': 0.5, 'recall': 0.5}
    """
    order = np.lexsort((np.arange(len(score)), -np.asarray(score)))[:budget]
    hits = float(np.asarray(y)[order].sum())
    positives = float(np.sum(y))
    return {
        "precision": hits / max(len(order), 1),
        "recall": hits / positives if positives else float("nan"),
    }


#: Rule weights tried when combining; the rules always keep some weight, so that an account at a
#: published typology's alert level stays visible even where the model has seen nothing like it.
RULE_WEIGHTS = (0.1, 0.2, 0.3, 0.4)


def choose_weights(
    y: np.ndarray, model_score: np.ndarray, rule_score: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """Return the combination weights with the best held-out average precision.

    Returns
    -------
    (dict, dict)
        ``{"model": 1 - w, "rule": w}`` and the average precision for each tried ``w``.
    """
    from sklearn.metrics import average_precision_score

    results = {}
    for w in RULE_WEIGHTS:
        combined = combined_score(model_score, rule_score, {"model": 1 - w, "rule": w})
        results[w] = float(average_precision_score(y, combined))
    best = max(RULE_WEIGHTS, key=lambda w: (round(results[w], 6), w))
    return (
        {"model": round(1 - best, 2), "rule": best},
        {str(w): round(v, 4) for w, v in results.items()},
    )


def choose_threshold(y: np.ndarray, score: np.ndarray) -> float:
    """Return the score threshold that maximises F1 on held-out data (ties: the higher one)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, score)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    f1 = f1[:-1]
    best = np.flatnonzero(f1 == f1.max())[-1]
    return float(thresholds[best])


def _evaluate(
    data: LabelledData,
    model_score: np.ndarray,
    rule_score: np.ndarray,
    threshold: float,
    weights: dict[str, float],
) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score

    combined = combined_score(model_score, rule_score, weights)
    budget = int(2 * data.y.sum())
    out: dict[str, Any] = {"positives": int(data.y.sum()), "accounts": int(len(data.y))}
    for name, values in (("rules", rule_score), ("model", model_score), ("combined", combined)):
        out[name] = {
            "average_precision": round(float(average_precision_score(data.y, values)), 4),
            f"at_budget_{budget}": {
                k: round(v, 4) for k, v in metrics_at_budget(data.y, values, budget).items()
            },
        }
    alerted = combined >= threshold
    out["alert_threshold"] = {
        "alerts": int(alerted.sum()),
        "precision": round(float(data.y[alerted].mean()), 4) if alerted.any() else None,
        "recall": round(float(alerted[data.y == 1].mean()), 4),
    }
    if "typology" in data.labels:
        top = np.zeros(len(combined), dtype=bool)
        top[np.lexsort((np.arange(len(combined)), -combined))[:budget]] = True
        per = {}
        for typology, rows in data.labels.reset_index().groupby("typology").groups.items():
            idx = np.asarray(list(rows))
            per[str(typology)] = round(float(top[idx].mean()), 4)
        out[f"recall_at_budget_{budget}_by_typology"] = per
    return out


def train_model(
    train: LabelledData,
    *,
    seed: int = 0,
    validation: LabelledData | None = None,
    description: dict[str, Any] | None = None,
) -> ModelBundle:
    """Train the LightGBM scorer, choose the class-balance handling and the alert threshold.

    Parameters
    ----------
    train : LabelledData
        Training features and labels.
    seed : int
        Random seed (LightGBM and samplers).
    validation : LabelledData, optional
        Held-out data, ideally drawn with another configuration; used to compare class-balance
        strategies, choose the threshold and report metrics. Without it, grouped 3-fold
        cross-validation on ``train`` is used.
    description : dict, optional
        Training-data description stored in the model card (e.g. the synthetic configurations).

    Returns
    -------
    ModelBundle
        Save it with :func:`fintrak.scoring.model.save_model`.
    """
    X = train.features
    val = (validation.features.reindex(columns=X.columns), validation.y) if validation else None
    balance = select_balance_strategy(X, train.y, seed=seed, groups=train.groups, validation=val)
    winner = balance["winner"]
    booster = fit_booster(X, train.y, strategy=winner, seed=seed)

    held_out = validation if validation is not None else train
    held_model = balance["predictions"][winner]
    rules = RuleScorer().fit()
    held_rule = (
        rules.score(held_out.features)
        .accounts["rule_score"]
        .reindex(held_out.features.index)
        .fillna(0.0)
        .to_numpy()
    )
    weights, weight_ap = choose_weights(held_out.y, held_model, held_rule)
    threshold = choose_threshold(held_out.y, combined_score(held_model, held_rule, weights))
    model_text = booster.model_to_string()
    model_version = "fintrak-lgbm-" + hashlib.sha256(model_text.encode()).hexdigest()[:12]
    config = {
        "model_version": model_version,
        "features": list(X.columns),
        "alert_threshold": round(threshold, 6),
        "weights": weights,
    }
    card = {
        "model_version": model_version,
        "intended_use": (
            "Rank a bank's accounts for human-trafficking review by AML investigators. Not a "
            "decision: every alert needs a human review before any action or report."
        ),
        "limits": [
            "Trained on labels that may come from a synthetic bank; measure on your own data "
            "(fintrak backtest) before relying on the ranking.",
            "Financial data alone cannot tell legal from coerced sex work (AUSTRAC); alerts are "
            "leads, not findings.",
        ],
        "training": {
            "seed": seed,
            "lightgbm_params": LGBM_PARAMS,
            "data": description or {},
            "accounts": int(len(train.y)),
            "positives": int(train.y.sum()),
            "validation": "held-out configuration" if validation else "grouped 3-fold CV",
        },
        "class_balance": {
            "candidates_average_precision": {
                k: round(v, 4) for k, v in balance["average_precision"].items()
            },
            "winner": winner,
            "method": balance["method"],
        },
        "features": list(X.columns),
        "combined_score": {
            "weights": weights,
            "weights_rule": "rule weight from RULE_WEIGHTS maximising held-out average precision",
            "average_precision_by_rule_weight": weight_ap,
            "alert_threshold": round(threshold, 6),
            "threshold_rule": "maximise F1 on held-out data",
        },
        "metrics_held_out": _evaluate(held_out, held_model, held_rule, threshold, weights),
        "versions": {
            "fintrak": __version__,
            "python": platform.python_version(),
            "lightgbm": version("lightgbm"),
            "scikit-learn": version("scikit-learn"),
            "imbalanced-learn": version("imbalanced-learn"),
        },
    }
    return ModelBundle(booster=booster, config=config, card=card)
