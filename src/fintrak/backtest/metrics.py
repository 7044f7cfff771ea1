"""Ranking metrics of a scored run against labels: PR curve, average precision, budgets.

Definitions (see ``docs/backtesting.md``):

* **Ranking.** Accounts are ranked by the score column, highest first; equal scores are ordered by
  ``account_id`` ascending (text order), the same order as fintrak's ``scores.parquet``. The order
  is therefore total and the same input always gives the same alert list.
* **Budget k.** The alert list is the top ``min(k, n)`` accounts of the ranking, ``n`` the number
  of accounts evaluated. ``precision@k = hits / min(k, n)`` and ``recall@k = hits / P``, where
  ``hits`` counts labelled positives in the list and ``P`` all positives evaluated.
* **Average precision** and the **precision-recall curve** come from scikit-learn
  (:func:`sklearn.metrics.average_precision_score`, :func:`sklearn.metrics.precision_recall_curve`):
  ``AP = sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds, so tied accounts enter
  together and AP does not depend on the row order.
* **Per typology T**: the positives labelled T against *all* negatives; positives of other
  typologies are left out. A score that finds labour trafficking is not wrong about sex
  trafficking, so one-vs-rest would count true finds as false alarms. ``recall_overall`` adds the
  share of T's positives inside the overall alert list (the list investigators actually get).
* **Per role R**: the share of positives with role R inside the overall top k. Precision per role
  is not defined: an alert on another role, or on another trafficking account, is not a false
  alarm about role R.
* **Coverage.** Only accounts both scored and labelled are evaluated. Scored accounts without a
  label, and labelled accounts without a score, are counted (and the positives among the latter
  reported) in :class:`Coverage`, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve

from fintrak.exceptions import ConfigError

__all__ = [
    "DEFAULT_BUDGETS",
    "DEFAULT_POSITIVE_MULTIPLES",
    "UNKNOWN",
    "Budget",
    "Coverage",
    "align",
    "average_precision",
    "budget_metrics",
    "evaluate_column",
    "make_budgets",
    "pr_curve",
    "precision_at_k",
    "rank",
    "recall_at_k",
]

#: Alert budgets evaluated by default (alerts per run).
DEFAULT_BUDGETS: tuple[int, ...] = (50, 100, 250, 500)
#: Budgets also evaluated as multiples of the number of positives (``1xP``, ``2xP``, ``5xP``).
DEFAULT_POSITIVE_MULTIPLES: tuple[int, ...] = (1, 2, 5)
#: Group name given to positives whose typology or role is not labelled.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Budget:
    """An alert budget: how many alerts the investigators can work.

    Attributes
    ----------
    name : str
        ``"50"`` for a fixed budget, ``"2xP"`` for twice the number of positives.
    k : int
        The number of alerts.
    """

    name: str
    k: int


@dataclass(frozen=True)
class Coverage:
    """How the scores and the labels overlap.

    Attributes
    ----------
    scored : int
        Accounts in the scores table.
    labelled : int
        Accounts in the labels table.
    evaluated : int
        Accounts in both (the only ones evaluated).
    scored_not_labelled : int
        Scored accounts without a label (left out: their truth is unknown).
    labelled_not_scored : int
        Labelled accounts without a score (left out: they were not in the run).
    positives_not_scored : int
        Labelled positives among ``labelled_not_scored``; recall is over scored positives only,
        so a non-zero value means the run could not have found them.
    positives : int
        Positives evaluated.
    negatives : int
        Negatives evaluated.
    """

    scored: int
    labelled: int
    evaluated: int
    scored_not_labelled: int
    labelled_not_scored: int
    positives_not_scored: int
    positives: int
    negatives: int

    def to_dict(self) -> dict[str, int]:
        """Return the counts as a dict."""
        return asdict(self)


def rank(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Return ``frame`` ordered by ``column`` descending, ties by ``account_id`` ascending.

    Parameters
    ----------
    frame : pandas.DataFrame
        Has ``account_id`` (text) and ``column``.
    column : str
        The score to rank by.

    Returns
    -------
    pandas.DataFrame
        The rows in ranking order, with a fresh index.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": ["b", "a", "c"], "score": [0.5, 0.5, 0.9]})
    >>> rank(frame, "score")["account_id"].tolist()
    ['c', 'a', 'b']
    """
    ids = frame["account_id"].astype(str).to_numpy()
    scores = frame[column].to_numpy(dtype="float64")
    order = np.lexsort((ids, -scores))
    return frame.iloc[order].reset_index(drop=True)


def precision_at_k(y_ranked: np.ndarray, k: int) -> float | None:
    """Return the share of positives among the first ``min(k, n)`` labels of a ranking.

    Parameters
    ----------
    y_ranked : numpy.ndarray
        0/1 labels in ranking order.
    k : int
        The budget.

    Returns
    -------
    float or None
        ``hits / min(k, n)``; ``None`` when the list is empty.

    Examples
    --------
    >>> precision_at_k(np.array([1, 0, 1, 0]), 2)
    0.5
    >>> precision_at_k(np.array([1, 0]), 10)
    0.5
    """
    alerts = min(int(k), len(y_ranked))
    if alerts <= 0:
        return None
    return float(np.asarray(y_ranked[:alerts]).sum() / alerts)


def recall_at_k(y_ranked: np.ndarray, k: int) -> float | None:
    """Return the share of all positives found in the first ``min(k, n)`` labels of a ranking.

    Parameters
    ----------
    y_ranked : numpy.ndarray
        0/1 labels in ranking order.
    k : int
        The budget.

    Returns
    -------
    float or None
        ``hits / P``; ``None`` when there is no positive.

    Examples
    --------
    >>> recall_at_k(np.array([1, 0, 1, 0]), 2)
    0.5
    """
    positives = int(np.asarray(y_ranked).sum())
    if positives == 0:
        return None
    return float(np.asarray(y_ranked[: max(int(k), 0)]).sum() / positives)


def average_precision(y: np.ndarray, scores: np.ndarray) -> float | None:
    """Return scikit-learn's average precision, or ``None`` when there is no positive.

    Parameters
    ----------
    y : numpy.ndarray
        0/1 labels.
    scores : numpy.ndarray
        Scores, higher = more suspicious.

    Returns
    -------
    float or None
        Average precision (ties enter together, so row order does not matter).

    Examples
    --------
    >>> average_precision(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.1]))
    0.8333333333333333
    """
    y = np.asarray(y)
    if len(y) == 0 or int(y.sum()) == 0:
        return None
    return float(average_precision_score(y, np.asarray(scores, dtype="float64")))


def pr_curve(y: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Return the precision-recall curve of scikit-learn as a table.

    Parameters
    ----------
    y : numpy.ndarray
        0/1 labels.
    scores : numpy.ndarray
        Scores, higher = more suspicious.

    Returns
    -------
    pandas.DataFrame
        ``precision``, ``recall`` and ``threshold`` (alert when score >= threshold), one row per
        distinct score plus scikit-learn's final point (precision 1, recall 0, threshold NaN).
        Empty when there is no positive.

    Examples
    --------
    >>> pr_curve(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.1]))["recall"].tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    y = np.asarray(y)
    if len(y) == 0 or int(y.sum()) == 0:
        return pd.DataFrame({"precision": [], "recall": [], "threshold": []}, dtype="float64")
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(scores, dtype="float64"))
    threshold = np.append(thresholds.astype("float64"), np.nan)
    return pd.DataFrame({"precision": precision, "recall": recall, "threshold": threshold})


def make_budgets(
    n_positives: int,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    positive_multiples: Sequence[int] = DEFAULT_POSITIVE_MULTIPLES,
) -> list[Budget]:
    """Return the fixed budgets, then the budgets ``m x P`` for each multiple ``m``.

    Parameters
    ----------
    n_positives : int
        Positives evaluated (``P``); multiples are skipped when it is 0.
    budgets : sequence of int
        Fixed alert budgets, each at least 1.
    positive_multiples : sequence of int
        Multiples of ``P``, each at least 1.

    Returns
    -------
    list of Budget
        In the order given.

    Raises
    ------
    ConfigError
        A budget or multiple below 1.

    Examples
    --------
    >>> [b.name for b in make_budgets(7, (50,), (1, 2))]
    ['50', '1xP', '2xP']
    >>> make_budgets(7, (50,), (2,))[1].k
    14
    """
    for value in (*budgets, *positive_multiples):
        if isinstance(value, bool) or int(value) != value or int(value) < 1:
            raise ConfigError(
                f"budgets and multiples must be whole numbers of at least 1. Got {value!r} instead."
                "\n  fix: give alert budgets such as 50, 100, 250"
            )
    out = [Budget(name=str(int(k)), k=int(k)) for k in budgets]
    if n_positives > 0:
        out += [Budget(name=f"{int(m)}xP", k=int(m) * n_positives) for m in positive_multiples]
    return out


def budget_metrics(y_ranked: np.ndarray, budgets: Sequence[Budget]) -> list[dict[str, Any]]:
    """Return alerts, hits, precision and recall of a ranking at each budget.

    Parameters
    ----------
    y_ranked : numpy.ndarray
        0/1 labels in ranking order.
    budgets : sequence of Budget
        The budgets.

    Returns
    -------
    list of dict
        One dict per budget: ``budget`` (name), ``k``, ``alerts`` (``min(k, n)``), ``hits``,
        ``precision`` and ``recall`` (``None`` when undefined).

    Examples
    --------
    >>> budget_metrics(np.array([1, 0, 1, 0]), [Budget("2", 2)])[0]["hits"]
    1
    """
    y_ranked = np.asarray(y_ranked, dtype="int64")
    cumulative = np.concatenate([[0], np.cumsum(y_ranked)])
    positives = int(cumulative[-1])
    rows = []
    for budget in budgets:
        alerts = min(budget.k, len(y_ranked))
        hits = int(cumulative[alerts])
        rows.append(
            {
                "budget": budget.name,
                "k": budget.k,
                "alerts": alerts,
                "hits": hits,
                "precision": hits / alerts if alerts else None,
                "recall": hits / positives if positives else None,
            }
        )
    return rows


def align(scores: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, Coverage]:
    """Join checked scores and labels on ``account_id`` and count what does not match.

    Parameters
    ----------
    scores : pandas.DataFrame
        Checked scores (see :func:`fintrak.backtest.inputs.read_scores`).
    labels : pandas.DataFrame
        Checked labels (see :func:`fintrak.backtest.inputs.read_labels`).

    Returns
    -------
    evaluated : pandas.DataFrame
        Accounts in both tables: ``account_id``, the score columns, ``y`` (0/1),
        ``true_typology`` and ``role`` (``unknown`` for positives without one; missing for
        negatives), ordered by ``account_id``.
    coverage : Coverage
        The counts.

    Examples
    --------
    >>> s = pd.DataFrame({"account_id": ["a", "b"], "score": [0.9, 0.1]})
    >>> lab = pd.DataFrame({"account_id": ["b", "c"], "is_trafficking": [0, 1],
    ...                     "typology": [None, "funnel"], "role": [None, "funnel"]})
    >>> align(s, lab)[1].positives_not_scored
    1
    """
    keep = [c for c in scores.columns if c != "typology"]
    label_part = labels[["account_id", "is_trafficking", "typology", "role"]].rename(
        columns={"is_trafficking": "y", "typology": "true_typology"}
    )
    evaluated = scores[keep].merge(label_part, on="account_id", how="inner", validate="1:1")
    evaluated["y"] = evaluated["y"].astype("int64")
    positive = evaluated["y"] == 1
    for column in ("true_typology", "role"):
        values = evaluated[column].astype("string")
        evaluated[column] = values.mask(positive & values.isna(), UNKNOWN)
    evaluated = evaluated.sort_values("account_id", kind="stable").reset_index(drop=True)
    scored_ids = set(scores["account_id"])
    unscored = labels[~labels["account_id"].isin(scored_ids)]
    coverage = Coverage(
        scored=len(scores),
        labelled=len(labels),
        evaluated=len(evaluated),
        scored_not_labelled=int((~scores["account_id"].isin(set(labels["account_id"]))).sum()),
        labelled_not_scored=len(unscored),
        positives_not_scored=int((unscored["is_trafficking"] == 1).sum()),
        positives=int(positive.sum()),
        negatives=int((~positive).sum()),
    )
    return evaluated, coverage


def _groups(evaluated: pd.DataFrame, column: str) -> list[str]:
    values = evaluated.loc[evaluated["y"] == 1, column].dropna().astype(str)
    return sorted(set(values))


def evaluate_column(
    evaluated: pd.DataFrame, column: str, budgets: Sequence[Budget]
) -> dict[str, Any]:
    """Return every metric of one score column: overall, per typology and per role.

    Parameters
    ----------
    evaluated : pandas.DataFrame
        The output of :func:`align`.
    column : str
        ``score``, ``rule_score`` or ``model_score``.
    budgets : sequence of Budget
        The alert budgets.

    Returns
    -------
    dict
        ``average_precision``, ``positives``, ``negatives``, ``at_budget`` (see
        :func:`budget_metrics`), ``by_typology`` (typology -> ``positives``, ``negatives``,
        ``average_precision``, ``at_budget`` with ``precision``, ``recall`` on the typology's
        subset and ``recall_overall`` in the overall ranking) and ``by_role`` (role ->
        ``positives``, ``at_budget`` with ``hits`` and ``recall`` in the overall ranking).

    Examples
    --------
    >>> ev = pd.DataFrame({"account_id": ["a", "b", "c"], "score": [0.9, 0.5, 0.1],
    ...                    "y": [1, 0, 1], "true_typology": ["funnel", None, "funnel"],
    ...                    "role": ["funnel", None, "funnel"]})
    >>> evaluate_column(ev, "score", [Budget("1", 1)])["at_budget"][0]["precision"]
    1.0
    """
    ranked = rank(evaluated, column)
    y = ranked["y"].to_numpy(dtype="int64")
    s = ranked[column].to_numpy(dtype="float64")
    negative = y == 0
    out: dict[str, Any] = {
        "average_precision": average_precision(y, s),
        "positives": int(y.sum()),
        "negatives": int(negative.sum()),
        "at_budget": budget_metrics(y, budgets),
        "by_typology": {},
        "by_role": {},
    }
    for typology in _groups(ranked, "true_typology"):
        member = ((ranked["true_typology"] == typology) & (ranked["y"] == 1)).to_numpy(
            dtype=bool, na_value=False
        )
        subset = member | negative
        rows = budget_metrics(y[subset], budgets)
        overall = budget_metrics(member.astype("int64"), budgets)
        for row, whole in zip(rows, overall, strict=True):
            row["recall_overall"] = whole["recall"]
        out["by_typology"][typology] = {
            "positives": int(member.sum()),
            "negatives": int(negative.sum()),
            "average_precision": average_precision(y[subset], s[subset]),
            "at_budget": rows,
        }
    for role in _groups(ranked, "role"):
        member = ((ranked["role"] == role) & (ranked["y"] == 1)).to_numpy(dtype="int64", na_value=0)
        rows = [
            {k: row[k] for k in ("budget", "k", "alerts", "hits", "recall")}
            for row in budget_metrics(member, budgets)
        ]
        out["by_role"][role] = {"positives": int(member.sum()), "at_budget": rows}
    return out
