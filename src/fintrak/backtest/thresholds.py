"""Choose the alert threshold on the combined score, and record the choice in a model folder.

Two ways to choose, both giving a :class:`ThresholdChoice` that says how it was made:

* :func:`threshold_from_budget` needs no labels: investigators can work ``k`` alerts per run, so
  the threshold is the score of the ``k``-th ranked account. An account alerts when its score is
  at least the threshold (as in :func:`fintrak.pipeline.score_tables`), so when accounts tie at
  the ``k``-th score across the line, the threshold moves up to the next higher distinct score:
  the run never raises more than ``k`` alerts (it may raise fewer; ``expected_alerts`` says how
  many).
* :func:`threshold_for_precision` needs labels: the lowest threshold whose precision (on the
  labelled accounts) is at least the target, with the recall expected there.

:func:`write_threshold` writes the threshold into a model folder's ``config.json``
(``alert_threshold``) with a ``threshold_choice`` record, atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fintrak.backtest.inputs import SCORE_COLUMNS, TableLike, read_labels, read_scores
from fintrak.backtest.metrics import align, pr_curve
from fintrak.exceptions import ConfigError
from fintrak.io.atomic import write_json_atomic
from fintrak.scoring.model import ModelFolderError

__all__ = [
    "ThresholdChoice",
    "choose_threshold",
    "threshold_for_precision",
    "threshold_from_budget",
    "write_threshold",
]


@dataclass(frozen=True)
class ThresholdChoice:
    """An alert threshold and how it was chosen.

    Attributes
    ----------
    threshold : float
        Alert when ``score >= threshold``.
    method : str
        ``"budget"`` or ``"target_precision"``.
    column : str
        The score column the threshold applies to (``score`` for ``alert_threshold``).
    budget : int or None
        The alert budget (method ``budget``).
    target_precision : float or None
        The precision aimed at (method ``target_precision``).
    expected_alerts : int
        Accounts of the run at or above the threshold.
    expected_precision : float or None
        Precision at the threshold on the labelled accounts; ``None`` without labels.
    expected_recall : float or None
        Recall at the threshold on the labelled accounts; ``None`` without labels.
    run : str
        The scores file (or ``<scores DataFrame>``) the choice was computed on.
    scores_sha256 : str or None
        SHA-256 of the scores file; ``None`` when a DataFrame was given.
    accounts : int
        Accounts in the run.
    """

    threshold: float
    method: str
    column: str
    budget: int | None
    target_precision: float | None
    expected_alerts: int
    expected_precision: float | None
    expected_recall: float | None
    run: str
    scores_sha256: str | None
    accounts: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)


def _check_column(column: str) -> None:
    if column not in SCORE_COLUMNS:
        raise ConfigError(
            f"column must be one of {', '.join(SCORE_COLUMNS)}. Got {column!r} instead.\n"
            "  fix: use 'score' (the combined score alerts are raised on)"
        )


def _at_threshold(
    evaluated: pd.DataFrame, column: str, threshold: float
) -> tuple[float | None, float | None]:
    above = evaluated[column].to_numpy(dtype="float64") >= threshold
    y = evaluated["y"].to_numpy(dtype="int64")
    hits = int(y[above].sum())
    precision = hits / int(above.sum()) if above.any() else None
    recall = hits / int(y.sum()) if y.sum() else None
    return precision, recall


def threshold_from_budget(
    scores: TableLike,
    budget: int,
    *,
    labels: TableLike | None = None,
    column: str = "score",
) -> ThresholdChoice:
    """Return the threshold that raises at most ``budget`` alerts on a run.

    The threshold is the score of the ``budget``-th ranked account. If the next account has the
    same score (a tie across the line), the threshold is the next higher distinct score, so fewer
    than ``budget`` accounts alert; if even the top score is shared by more than ``budget``
    accounts, the threshold is just above it (no alert). With ``budget`` at least the number of
    accounts, the threshold is the lowest score and every account alerts.

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        The run's scores (see :func:`fintrak.backtest.inputs.read_scores`).
    budget : int
        Alerts the investigators can work per run, at least 1.
    labels : pandas.DataFrame or path-like, optional
        When given, the expected precision and recall at the threshold are filled in.
    column : str, default "score"
        The score column.

    Returns
    -------
    ThresholdChoice
        Method ``budget``.

    Raises
    ------
    ConfigError
        A budget below 1 or an unknown column.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": list("abcd"), "score": [0.9, 0.7, 0.7, 0.2],
    ...                       "rule_score": 0.0, "model_score": 0.0})
    >>> threshold_from_budget(frame, 3).threshold
    0.7
    >>> choice = threshold_from_budget(frame, 2)
    >>> choice.threshold, choice.expected_alerts
    (0.9, 1)
    """
    _check_column(column)
    if isinstance(budget, bool) or int(budget) != budget or int(budget) < 1:
        raise ConfigError(
            f"budget must be a whole number of at least 1. Got {budget!r} instead.\n"
            "  fix: give the number of alerts investigators can work per run"
        )
    budget = int(budget)
    table = read_scores(scores)
    values = np.sort(table.frame[column].to_numpy(dtype="float64"))[::-1]
    n = len(values)
    if n == 0:
        raise ConfigError(f"{table.source} holds no account\n  fix: give a scores table of a run")
    if budget >= n:
        threshold = float(values[-1])
    else:
        threshold = float(values[budget - 1])
        if values[budget] == threshold:  # a tie across the line: move up
            higher = values[values > threshold]
            threshold = (
                float(higher.min()) if len(higher) else float(np.nextafter(threshold, np.inf))
            )
    expected_alerts = int((values >= threshold).sum())
    precision = recall = None
    if labels is not None:
        evaluated, _ = align(table.frame, read_labels(labels).frame)
        precision, recall = _at_threshold(evaluated, column, threshold)
    return ThresholdChoice(
        threshold=threshold,
        method="budget",
        column=column,
        budget=budget,
        target_precision=None,
        expected_alerts=expected_alerts,
        expected_precision=precision,
        expected_recall=recall,
        run=table.source,
        scores_sha256=table.sha256,
        accounts=n,
    )


def threshold_for_precision(
    scores: TableLike,
    labels: TableLike,
    target: float,
    *,
    column: str = "score",
) -> ThresholdChoice:
    """Return the lowest threshold whose precision on the labelled accounts reaches ``target``.

    Candidate thresholds are the distinct scores of the labelled accounts (scikit-learn's
    :func:`~sklearn.metrics.precision_recall_curve`); precision is not monotone in the threshold,
    so the lowest qualifying one is taken, which gives the highest recall among them.

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        The run's scores.
    labels : pandas.DataFrame or path-like
        The labels (see :func:`fintrak.backtest.inputs.read_labels`).
    target : float
        The precision aimed at, in (0, 1].
    column : str, default "score"
        The score column.

    Returns
    -------
    ThresholdChoice
        Method ``target_precision``; ``expected_alerts`` counts every scored account at or above
        the threshold, labelled or not.

    Raises
    ------
    ConfigError
        A target outside (0, 1], no labelled positive, or a target no threshold reaches (the
        message gives the best precision reachable).

    Examples
    --------
    >>> scores = pd.DataFrame({"account_id": list("abcd"), "score": [0.9, 0.8, 0.6, 0.1],
    ...                        "rule_score": 0.0, "model_score": 0.0})
    >>> labels = pd.DataFrame({"account_id": list("abcd"), "is_trafficking": [1, 0, 1, 0]})
    >>> choice = threshold_for_precision(scores, labels, 0.6)
    >>> choice.threshold, choice.expected_precision, choice.expected_recall
    (0.6, 0.6666666666666666, 1.0)
    """
    _check_column(column)
    if isinstance(target, bool) or not (0.0 < float(target) <= 1.0):
        raise ConfigError(
            f"target precision must be in (0, 1]. Got {target!r} instead.\n"
            "  fix: give a share such as 0.2 for one true case in five alerts"
        )
    target = float(target)
    table = read_scores(scores)
    evaluated, coverage = align(table.frame, read_labels(labels).frame)
    if coverage.positives == 0:
        raise ConfigError(
            "no labelled positive among the scored accounts, so precision is undefined\n"
            "  fix: check that the labels belong to this run (same account ids), or use a budget"
        )
    curve = pr_curve(evaluated["y"].to_numpy(), evaluated[column].to_numpy())
    points = curve.iloc[:-1]  # the last point has no threshold
    reached = points[points["precision"] >= target - 1e-12]
    if reached.empty:
        raise ConfigError(
            f"no threshold reaches precision {target:g}; the best is "
            f"{points['precision'].max():.4f}\n  fix: lower the target or choose by budget"
        )
    best = reached.iloc[0]
    threshold = float(best["threshold"])
    all_scores = table.frame[column].to_numpy(dtype="float64")
    return ThresholdChoice(
        threshold=threshold,
        method="target_precision",
        column=column,
        budget=None,
        target_precision=target,
        expected_alerts=int((all_scores >= threshold).sum()),
        expected_precision=float(best["precision"]),
        expected_recall=float(best["recall"]),
        run=table.source,
        scores_sha256=table.sha256,
        accounts=len(all_scores),
    )


def choose_threshold(
    scores: TableLike,
    *,
    budget: int | None = None,
    target_precision: float | None = None,
    labels: TableLike | None = None,
    column: str = "score",
) -> ThresholdChoice:
    """Choose a threshold by budget or by target precision (exactly one of them).

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        The run's scores.
    budget : int, optional
        Alerts per run (see :func:`threshold_from_budget`).
    target_precision : float, optional
        Precision aimed at (see :func:`threshold_for_precision`); needs ``labels``.
    labels : pandas.DataFrame or path-like, optional
        Labels; optional with a budget.
    column : str, default "score"
        The score column.

    Returns
    -------
    ThresholdChoice
        The choice.

    Raises
    ------
    ConfigError
        Neither or both of ``budget`` and ``target_precision``, or a target without labels.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": list("ab"), "score": [0.9, 0.2],
    ...                       "rule_score": 0.0, "model_score": 0.0})
    >>> choose_threshold(frame, budget=1).threshold
    0.9
    """
    if (budget is None) == (target_precision is None):
        raise ConfigError(
            "give exactly one of budget and target_precision\n"
            "  fix: pass --budget N (alerts per run) or --target-precision P (with --labels)"
        )
    if budget is not None:
        return threshold_from_budget(scores, budget, labels=labels, column=column)
    if labels is None:
        raise ConfigError(
            "a target precision needs labels\n  fix: pass --labels, or choose by --budget"
        )
    return threshold_for_precision(scores, labels, float(target_precision), column=column)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_threshold(
    model_dir: str | os.PathLike[str],
    choice: ThresholdChoice,
    *,
    today: dt.date | None = None,
) -> Path:
    """Set ``alert_threshold`` in a model folder's ``config.json`` and record how it was chosen.

    Every other key of ``config.json`` is kept; the file is replaced atomically.

    Parameters
    ----------
    model_dir : path-like
        A model folder (``model.txt`` and ``config.json``, see :mod:`fintrak.scoring.model`).
    choice : ThresholdChoice
        A threshold on the combined ``score``.
    today : datetime.date, optional
        The date recorded; today (UTC) by default.

    Returns
    -------
    pathlib.Path
        The ``config.json`` written.

    Raises
    ------
    ModelFolderError
        The folder has no readable ``config.json``.
    ConfigError
        The choice is on another column than ``score``.
    """
    if choice.column != "score":
        raise ConfigError(
            f"alert_threshold applies to the combined score, but this threshold is on "
            f"{choice.column!r}\n  fix: choose the threshold with column='score'"
        )
    path = Path(model_dir) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFolderError(
            f"model folder {Path(model_dir)} has no readable config.json ({exc.__class__.__name__})"
            "\n  fix: pass a folder written by `fintrak train --out DIR`"
        ) from None
    if not isinstance(config, dict):
        raise ModelFolderError(
            f"{path} does not hold a JSON object\n  fix: restore the model folder from its source"
        )
    day = today if today is not None else dt.datetime.now(dt.UTC).date()
    config["alert_threshold"] = choice.threshold
    config["threshold_choice"] = {
        "method": choice.method,
        "column": choice.column,
        "budget": choice.budget,
        "target_precision": choice.target_precision,
        "expected_alerts": choice.expected_alerts,
        "expected_precision": _plain(choice.expected_precision),
        "expected_recall": _plain(choice.expected_recall),
        "date": day.isoformat(),
        "scores_file": choice.run,
        "scores_sha256": choice.scores_sha256,
        "accounts": choice.accounts,
    }
    return write_json_atomic(path, config)
