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
from fintrak.drift import drift_reference
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
from fintrak.segments import SEGMENT_COLUMNS, account_segments

__all__ = [
    "FAILURE_MODES",
    "LabelledData",
    "calibration_table",
    "false_positive_rates",
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
    segments: pd.DataFrame | None = None

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
        segments = account_segments(
            known,
            tables["transactions"],
            tables.get("accounts"),
            result.notes.get("as_of") or tables["transactions"]["timestamp"].max(),
        )
        return cls(
            features=result.features.loc[known],
            y=y,
            groups=groups.astype(str).to_numpy(),
            labels=lab.loc[known],
            feature_result=result,
            segments=segments,
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


#: Groups with fewer negatives than this are pooled in the false-positive tables.
MIN_GROUP_NEGATIVES = 30
#: Known failure modes, written into every model card.
FAILURE_MODES = (
    "Victims with no money trail of their own (paid in cash, no account in the bank, or whose "
    "wages go straight to a controller elsewhere) cannot be scored; only their controllers' "
    "side shows.",
    "A smuggling ring's senders often make one or two small wires each: the coordinator stands "
    "out, most senders do not, and they join its network only when the money ties are strong.",
    "Financial data cannot tell legal from coerced sex work, nor a legitimate cash-intensive "
    "business from a front (AUSTRAC): such customers carry red flags by their trade; the "
    "false-positive rates per segment below show how much.",
    "Remitters and migrants share some red flags (money sent abroad, shared addresses, several "
    "people at one address); check the per-corridor and per-occupation false-positive rates "
    "before deployment.",
    "A model trained on one region leans on evidence that only that region's data can show: "
    "out-of-area phone numbers exist only where numbering plans are geographic (North America), "
    "not for Australian or British mobiles (a US-only model lost half the Australian "
    "labour-trafficking workers in benchmarks/robustness.py). Train on the regions you score.",
    "Trained on synthetic banks generated from the published red flags: a ring that follows "
    "none of them is invisible, and the scores are not calibrated probabilities of "
    "trafficking.",
)


def false_positive_rates(
    y: np.ndarray,
    alerted: np.ndarray,
    groups: pd.Series,
    *,
    min_negatives: int = MIN_GROUP_NEGATIVES,
) -> dict[str, dict[str, float | int]]:
    """Return the false-positive rate at the alert threshold for each group of negatives.

    Parameters
    ----------
    y : numpy.ndarray
        Labels (1 = trafficking).
    alerted : numpy.ndarray of bool
        Whether each account alerts.
    groups : pandas.Series
        The group of each account (same order).
    min_negatives : int
        Groups with fewer negatives are pooled under ``"(smaller groups)"``.

    Returns
    -------
    dict
        ``{group: {"negatives": n, "false_positives": k, "rate": k / n}}``, sorted by group.
    """
    negative = np.asarray(y) == 0
    frame = pd.DataFrame(
        {"group": groups.astype(str).to_numpy()[negative], "fp": np.asarray(alerted)[negative]}
    )
    sizes = frame["group"].value_counts()
    small = sizes.index[sizes < min_negatives]
    frame.loc[frame["group"].isin(small), "group"] = "(smaller groups)"
    out = {}
    for group, rows in frame.groupby("group", sort=True):
        n, k = len(rows), int(rows["fp"].sum())
        out[str(group)] = {"negatives": n, "false_positives": k, "rate": round(k / n, 4)}
    return out


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Return the observed trafficking rate per band of predicted score, and the Brier score.

    Parameters
    ----------
    y : numpy.ndarray
        Labels.
    probability : numpy.ndarray
        The model's scores (0-1).
    bins : int
        Equal-width bands of the score.

    Returns
    -------
    dict
        ``brier``, and ``bands``: one dict per non-empty band with ``from``, ``to``,
        ``accounts``, ``mean_score`` and ``observed_rate``.
    """
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    band = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        sel = band == b
        if sel.any():
            rows.append(
                {
                    "from": round(b / bins, 2),
                    "to": round((b + 1) / bins, 2),
                    "accounts": int(sel.sum()),
                    "mean_score": round(float(p[sel].mean()), 4),
                    "observed_rate": round(float(np.asarray(y)[sel].mean()), 4),
                }
            )
    brier = float(np.mean((p - np.asarray(y)) ** 2))
    return {"brier": round(brier, 6), "bands": rows}


def _fairness(data: LabelledData, alerted: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {
        "overall": false_positive_rates(
            data.y, alerted, pd.Series("all", index=range(len(data.y)))
        )["all"],
        "min_group_negatives": MIN_GROUP_NEGATIVES,
    }
    if "segment" in data.labels:
        groups = data.labels["segment"].astype("string").fillna("unlabelled")
        out["by_hard_negative_group"] = false_positive_rates(
            data.y, alerted, groups, min_negatives=MIN_GROUP_NEGATIVES
        )
    if data.segments is not None:
        for column in SEGMENT_COLUMNS:
            out[f"by_{column}"] = false_positive_rates(
                data.y,
                alerted,
                data.segments[column].reindex(data.features.index.astype(str)),
                min_negatives=MIN_GROUP_NEGATIVES,
            )
    return out


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
    out["false_positive_rates_at_threshold"] = _fairness(data, alerted)
    out["calibration_model_score"] = calibration_table(data.y, model_score)
    if "typology" in data.labels:
        top = np.zeros(len(combined), dtype=bool)
        top[np.lexsort((np.arange(len(combined)), -combined))[:budget]] = True
        per = {}
        for typology, rows in data.labels.reset_index().groupby("typology").groups.items():
            idx = np.asarray(list(rows))
            per[str(typology)] = round(float(top[idx].mean()), 4)
        out[f"recall_at_budget_{budget}_by_typology"] = per
    return out


def _frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's index, columns and values (the same data gives the same hash)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


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
    importance = pd.Series(
        booster.feature_importance(importance_type="gain"), index=booster.feature_name()
    )
    config = {
        "model_version": model_version,
        "features": list(X.columns),
        "alert_threshold": round(threshold, 6),
        "weights": weights,
        "drift_reference": drift_reference(X, importance),
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
        "known_failure_modes": list(FAILURE_MODES),
        "data_hashes": {
            "training_features_sha256": _frame_sha256(X),
            "training_labels_sha256": _frame_sha256(pd.DataFrame({"y": train.y}, index=X.index)),
            **(
                {
                    "validation_features_sha256": _frame_sha256(validation.features),
                }
                if validation is not None
                else {}
            ),
        },
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
