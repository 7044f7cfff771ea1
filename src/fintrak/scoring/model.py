"""The gradient-boosted scorer: training, the model folder, and prediction.

A model folder holds:

``model.txt``
    LightGBM's own text model format (never pickle).
``config.json``
    ``model_version``, the ``features`` the model needs, the ``alert_threshold`` on the combined
    score, and the combination ``weights``.
``model_card.json``
    Training configuration and seeds, class-balance handling (every candidate's average precision
    and the winner), metrics, versions and data hashes.

Class imbalance is handled by one of three candidates, compared by average precision on data the
candidate did not train on (a held-out configuration when given, else grouped cross-validation):
LightGBM class weights, or imbalanced-learn random under- or over-sampling run *inside* an
imbalanced-learn ``Pipeline`` so that validation folds never see resampled rows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fintrak.exceptions import FintrakError
from fintrak.io.atomic import atomic_path, write_json_atomic

__all__ = [
    "BALANCE_STRATEGIES",
    "ModelBundle",
    "fit_booster",
    "load_model",
    "save_model",
    "select_balance_strategy",
]

BALANCE_STRATEGIES = ("class_weight", "undersample", "oversample")

#: LightGBM settings: small trees, strong regularisation, single-threaded and deterministic so that
#: the same data and seed give a byte-identical model.
LGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 250,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 10,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}


class ModelFolderError(FintrakError, ValueError):
    """A model folder is missing files or does not fit the features available."""


def _estimator(strategy: str, seed: int, n_pos: int, n_neg: int) -> Any:
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import Pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from lightgbm import LGBMClassifier

    if strategy == "class_weight":
        weight = float(np.sqrt(n_neg / max(n_pos, 1)))
        return LGBMClassifier(**LGBM_PARAMS, random_state=seed, scale_pos_weight=weight)
    ratio = min(1.0, max(0.1, 10 * n_pos / max(n_neg, 1)))
    sampler = (
        RandomUnderSampler(sampling_strategy=ratio, random_state=seed)
        if strategy == "undersample"
        else RandomOverSampler(sampling_strategy=ratio, random_state=seed)
    )
    return Pipeline(
        [("resample", sampler), ("model", LGBMClassifier(**LGBM_PARAMS, random_state=seed))]
    )


def _booster(fitted: Any) -> Any:
    model = fitted.named_steps["model"] if hasattr(fitted, "named_steps") else fitted
    return model.booster_


def fit_booster(X: pd.DataFrame, y: np.ndarray, *, strategy: str, seed: int) -> Any:
    """Fit one candidate on all of ``X`` and return its LightGBM ``Booster``.

    Parameters
    ----------
    X : pandas.DataFrame
        Features (NaN allowed), one row per account.
    y : numpy.ndarray
        0/1 labels.
    strategy : {"class_weight", "undersample", "oversample"}
        Class-balance handling.
    seed : int
        Random seed for LightGBM and the sampler.

    Returns
    -------
    lightgbm.Booster
    """
    if strategy not in BALANCE_STRATEGIES:
        raise ValueError(f"strategy must be one of {BALANCE_STRATEGIES}. Got {strategy!r} instead.")
    y = np.asarray(y, dtype=int)
    estimator = _estimator(strategy, seed, int(y.sum()), int((1 - y).sum()))
    estimator.fit(X, y)
    return _booster(estimator)


def select_balance_strategy(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    seed: int,
    groups: np.ndarray | None = None,
    validation: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Compare the class-balance strategies by average precision on unseen data.

    Parameters
    ----------
    X, y : training features and labels.
    seed : int
        Random seed.
    groups : numpy.ndarray, optional
        Group of each row (e.g. a ring id); cross-validation keeps a group in one fold.
    validation : (DataFrame, ndarray), optional
        A held-out set (e.g. a bank drawn with another configuration). When given, each candidate
        is trained on ``X`` and scored on it; otherwise 3-fold grouped cross-validation is used.

    Returns
    -------
    dict
        ``{"winner": name, "average_precision": {name: ap}, "method": "...", "predictions":
        {name: scores on the held-out rows}}`` (``predictions`` are out-of-fold scores of the
        training rows under cross-validation, else the validation set's scores).
    """
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(y, dtype=int)
    scores: dict[str, float] = {}
    predictions: dict[str, np.ndarray] = {}
    for strategy in BALANCE_STRATEGIES:
        if validation is not None:
            booster = fit_booster(X, y, strategy=strategy, seed=seed)
            X_val, y_val = validation
            predictions[strategy] = booster.predict(X_val[X.columns])
            scores[strategy] = float(average_precision_score(y_val, predictions[strategy]))
            method = "held-out configuration"
        else:
            folds = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed)
            group_ids = groups if groups is not None else np.arange(len(y))
            oof = np.zeros(len(y))
            for train_idx, test_idx in folds.split(X, y, group_ids):
                booster = fit_booster(X.iloc[train_idx], y[train_idx], strategy=strategy, seed=seed)
                oof[test_idx] = booster.predict(X.iloc[test_idx])
            predictions[strategy] = oof
            scores[strategy] = float(average_precision_score(y, oof))
            method = "3-fold cross-validation, groups kept together"
    winner = max(
        BALANCE_STRATEGIES, key=lambda s: (round(scores[s], 6), -BALANCE_STRATEGIES.index(s))
    )
    return {
        "winner": winner,
        "average_precision": scores,
        "method": method,
        "predictions": predictions,
    }


@dataclass
class ModelBundle:
    """A loaded model folder.

    Attributes
    ----------
    booster : lightgbm.Booster
        The model.
    config : dict
        ``model_version``, ``features``, ``alert_threshold``, ``weights``.
    card : dict
        The model card.
    path : pathlib.Path or None
        Where it was loaded from.
    """

    booster: Any
    config: dict[str, Any]
    card: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def features(self) -> list[str]:
        """Feature names the model needs, in its column order."""
        return list(self.config["features"])

    @property
    def version(self) -> str:
        """The model's version string (used in alert ids)."""
        return str(self.config["model_version"])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Return the model score (probability, 0-1) of each row of ``features``."""
        return self.booster.predict(self.matrix(features), num_threads=1)

    def contributions(self, features: pd.DataFrame) -> np.ndarray:
        """Return TreeSHAP contributions in raw log-odds: one column per feature, then the bias."""
        return self.booster.predict(self.matrix(features), pred_contrib=True, num_threads=1)

    def raw_score(self, features: pd.DataFrame) -> np.ndarray:
        """Return the raw (log-odds) score of each row."""
        return self.booster.predict(self.matrix(features), raw_score=True, num_threads=1)

    def matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """Return ``features`` restricted to and ordered as the model's features (missing = NaN)."""
        return features.reindex(columns=self.features).astype("float64")


def save_model(bundle: ModelBundle, folder: str | os.PathLike[str]) -> Path:
    """Write ``model.txt``, ``config.json`` and ``model_card.json`` into ``folder`` atomically."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.txt") as tmp:
        bundle.booster.save_model(str(tmp))
    write_json_atomic(out / "config.json", bundle.config)
    write_json_atomic(out / "model_card.json", bundle.card)
    return out


def load_model(folder: str | os.PathLike[str] | None = None) -> ModelBundle:
    """Load a model folder; ``None`` loads the model shipped with fintrak.

    Raises
    ------
    ModelFolderError
        If a file is missing or unreadable, naming the folder and the fix.
    """
    import lightgbm as lgb

    if folder is None:
        from fintrak.resources import models_dir

        path = models_dir() / "default"
    else:
        path = Path(folder)
    missing = [n for n in ("model.txt", "config.json") if not (path / n).is_file()]
    if missing:
        raise ModelFolderError(
            f"model folder {path} lacks {', '.join(missing)}\n"
            "  fix: pass a folder written by `fintrak train --out DIR`, or omit --model to use the "
            "shipped model"
        )
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        card_file = path / "model_card.json"
        card = json.loads(card_file.read_text(encoding="utf-8")) if card_file.is_file() else {}
        booster = lgb.Booster(model_file=str(path / "model.txt"))
    except (json.JSONDecodeError, lgb.basic.LightGBMError, OSError) as exc:
        raise ModelFolderError(
            f"model folder {path} cannot be read ({exc.__class__.__name__}: {exc})\n"
            "  fix: retrain with `fintrak train` or restore the folder from its source"
        ) from None
    return ModelBundle(booster=booster, config=config, card=card, path=path)
