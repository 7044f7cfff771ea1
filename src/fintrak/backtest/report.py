"""Backtest a run against labels and write ``summary.json`` and ``backtest.html``.

:func:`backtest` computes, for the rule, model and combined scores, the precision-recall curve,
average precision, and precision and recall at alert budgets, overall, per typology and per role
(definitions in :mod:`fintrak.backtest.metrics` and ``docs/backtesting.md``).
:func:`write_backtest` writes

``summary.json``
    Every number: JSON with sorted keys, floats rounded to 6 decimals, undefined values as null.
``backtest.html``
    One offline page: inline CSS, the plots as inline SVG, no script and no external address.

Both are written atomically, and existing files are only replaced with ``overwrite=True``.
:func:`backtest_files` does both from two file paths (``fintrak backtest``).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fintrak.backtest.inputs import SCORE_COLUMNS, TableLike, read_labels, read_scores
from fintrak.backtest.metrics import (
    DEFAULT_BUDGETS,
    DEFAULT_POSITIVE_MULTIPLES,
    Budget,
    Coverage,
    align,
    evaluate_column,
    make_budgets,
    pr_curve,
    rank,
)
from fintrak.backtest.plots import COLUMN_NAMES, pr_curves_svg, recall_by_alerts_svg
from fintrak.exceptions import OutputExistsError
from fintrak.io.atomic import write_json_atomic, write_text_atomic

__all__ = [
    "HTML_NAME",
    "SUMMARY_FORMAT",
    "SUMMARY_NAME",
    "BacktestResult",
    "backtest",
    "backtest_files",
    "render_html",
    "rounded",
    "write_backtest",
]

SUMMARY_NAME = "summary.json"
HTML_NAME = "backtest.html"
#: Identifies the layout of ``summary.json``.
SUMMARY_FORMAT = "fintrak-backtest/1"

DEFINITIONS = {
    "ranking": "score descending, ties by account_id ascending (text order)",
    "alert_list": "the top min(k, n) accounts of the ranking for a budget of k alerts",
    "precision_at_budget": "hits / min(k, n)",
    "recall_at_budget": "hits / positives evaluated",
    "average_precision": "scikit-learn average_precision_score: sum over distinct thresholds of "
    "(R_n - R_(n-1)) * P_n",
    "by_typology": "positives of the typology against all negatives, other positives left out; "
    "recall_overall is the share of the typology's positives in the overall alert list",
    "by_role": "share of the role's positives in the overall alert list; precision per role is "
    "not defined (an alert on another role is not a false alarm about this one)",
    "evaluated": "accounts both scored and labelled; the others are counted under coverage",
}


@dataclass(frozen=True)
class BacktestResult:
    """The outcome of :func:`backtest`.

    Attributes
    ----------
    summary : dict
        Every number (unrounded): ``format``, ``inputs``, ``coverage``, ``budgets``, ``columns``
        (score column -> :func:`fintrak.backtest.metrics.evaluate_column`), ``definitions``,
        ``warnings``.
    curves : dict of str to pandas.DataFrame
        Score column -> precision-recall curve (``precision``, ``recall``, ``threshold``).
    ranked_labels : dict of str to numpy.ndarray
        Score column -> 0/1 labels in that column's ranking order.
    coverage : Coverage
        How the scores and labels overlap.
    """

    summary: dict[str, Any]
    curves: dict[str, pd.DataFrame] = field(repr=False)
    ranked_labels: dict[str, np.ndarray] = field(repr=False)
    coverage: Coverage


def rounded(value: Any, digits: int = 6) -> Any:
    """Return ``value`` with every float rounded to ``digits`` and NaN or infinity as ``None``.

    Parameters
    ----------
    value : Any
        Nested dicts, lists, tuples and scalars.
    digits : int, default 6
        Decimals kept.

    Returns
    -------
    Any
        The same structure (tuples become lists).

    Examples
    --------
    >>> rounded({"a": [1 / 3, float("nan")], "b": 2})
    {'a': [0.333333, None], 'b': 2}
    """
    if isinstance(value, dict):
        return {str(k): rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value), digits) if math.isfinite(value) else None
    return value


def _warnings(coverage: Coverage) -> list[str]:
    out = []
    if coverage.positives == 0:
        out.append(
            "no labelled positive among the scored accounts: precision and recall are "
            "undefined; check that the labels belong to this run"
        )
    if coverage.positives_not_scored:
        out.append(
            f"{coverage.positives_not_scored} labelled positive(s) have no score: recall "
            "is over scored positives only"
        )
    if coverage.scored_not_labelled:
        out.append(
            f"{coverage.scored_not_labelled} scored account(s) have no label and are left "
            "out; budgets apply to the labelled accounts only"
        )
    if coverage.labelled_not_scored - coverage.positives_not_scored:
        out.append(
            f"{coverage.labelled_not_scored - coverage.positives_not_scored} labelled "
            "negative(s) have no score and are left out"
        )
    return out


def backtest(
    scores: TableLike,
    labels: TableLike,
    *,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
    positive_multiples: Sequence[int] = DEFAULT_POSITIVE_MULTIPLES,
) -> BacktestResult:
    """Evaluate a run's rule, model and combined scores against labels.

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        ``scores.parquet`` of ``fintrak score`` (or a ``.csv``): ``account_id``, ``rule_score``,
        ``model_score``, ``score``.
    labels : pandas.DataFrame or path-like
        ``account_id``, ``is_trafficking`` (0/1), and optionally ``typology`` and ``role``.
    budgets : sequence of int, default (50, 100, 250, 500)
        Alert budgets.
    positive_multiples : sequence of int, default (1, 2, 5)
        Budgets added as multiples of the number of positives evaluated.

    Returns
    -------
    BacktestResult
        The numbers, curves and coverage.

    Raises
    ------
    InputFileError
        A table lacks a column, has a label other than 0/1, a missing score or a repeated
        account id.
    ConfigError
        A budget below 1.

    Examples
    --------
    >>> scores = pd.DataFrame({"account_id": list("abcd"), "score": [0.9, 0.8, 0.6, 0.1],
    ...                        "rule_score": [1.0, 0.0, 1.0, 0.0],
    ...                        "model_score": [0.7, 0.9, 0.5, 0.2]})
    >>> labels = pd.DataFrame({"account_id": list("abcd"), "is_trafficking": [1, 0, 1, 0]})
    >>> result = backtest(scores, labels, budgets=(2,), positive_multiples=())
    >>> result.summary["columns"]["score"]["at_budget"][0]["precision"]
    0.5
    """
    score_table = read_scores(scores)
    label_table = read_labels(labels)
    evaluated, coverage = align(score_table.frame, label_table.frame)
    plan: list[Budget] = make_budgets(coverage.positives, budgets, positive_multiples)
    columns: dict[str, Any] = {}
    curves: dict[str, pd.DataFrame] = {}
    ranked_labels: dict[str, np.ndarray] = {}
    y = evaluated["y"].to_numpy(dtype="int64")
    for column in SCORE_COLUMNS:
        columns[column] = evaluate_column(evaluated, column, plan)
        curves[column] = pr_curve(y, evaluated[column].to_numpy(dtype="float64"))
        ranked_labels[column] = rank(evaluated, column)["y"].to_numpy(dtype="int64")
    summary = {
        "format": SUMMARY_FORMAT,
        "inputs": {
            "scores": score_table.source,
            "scores_sha256": score_table.sha256,
            "labels": label_table.source,
            "labels_sha256": label_table.sha256,
        },
        "coverage": coverage.to_dict(),
        "budgets": [{"budget": b.name, "k": b.k} for b in plan],
        "columns": columns,
        "definitions": dict(DEFINITIONS),
        "warnings": _warnings(coverage),
    }
    return BacktestResult(
        summary=summary, curves=curves, ranked_labels=ranked_labels, coverage=coverage
    )


# --- the page --------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.warn{background:#fff4e5;border-left:4px solid #f0a030;padding:.5rem 1rem}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plots svg{max-width:100%;height:auto}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
code{background:#f3f3f3;padding:0 .2rem}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "&ndash;"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    cells = "".join(
        f'<th class="l">{h}</th>' if i < left else f"<th>{h}</th>" for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="l">{c}</td>' if i < left else f"<td>{c}</td>" for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _budget_table(summary: dict[str, Any]) -> str:
    head = ["budget", "k", "alerts"]
    for column in SCORE_COLUMNS:
        name = COLUMN_NAMES[column]
        head += [f"{name} precision", f"{name} recall"]
    rows = []
    for i, budget in enumerate(summary["budgets"]):
        first = summary["columns"][SCORE_COLUMNS[0]]["at_budget"][i]
        row = [_e(budget["budget"]), _num(budget["k"]), _num(first["alerts"])]
        for column in SCORE_COLUMNS:
            cell = summary["columns"][column]["at_budget"][i]
            row += [_num(cell["precision"]), _num(cell["recall"])]
        rows.append(row)
    return _table(head, rows)


def _typology_tables(summary: dict[str, Any]) -> str:
    parts = []
    names = [b["budget"] for b in summary["budgets"]]
    for column in SCORE_COLUMNS:
        groups = summary["columns"][column]["by_typology"]
        head = ["typology", "positives", "AP"]
        head += [f"P/R/R<sub>all</sub> @{_e(n)}" for n in names]
        rows = []
        for typology, group in groups.items():
            row = [_e(typology), _num(group["positives"]), _num(group["average_precision"])]
            for cell in group["at_budget"]:
                row.append(
                    f"{_num(cell['precision'])} / {_num(cell['recall'])} / "
                    f"{_num(cell['recall_overall'])}"
                )
            rows.append(row)
        parts.append(f"<h3>{_e(COLUMN_NAMES[column])} score</h3>")
        parts.append(_table(head, rows) if rows else "<p>No labelled positive.</p>")
    return "".join(parts)


def _role_tables(summary: dict[str, Any]) -> str:
    parts = []
    names = [b["budget"] for b in summary["budgets"]]
    for column in SCORE_COLUMNS:
        groups = summary["columns"][column]["by_role"]
        head = ["role", "positives"] + [f"recall @{_e(n)}" for n in names]
        rows = [
            [_e(role), _num(group["positives"])]
            + [f"{_num(c['recall'])} ({c['hits']})" for c in group["at_budget"]]
            for role, group in groups.items()
        ]
        parts.append(f"<h3>{_e(COLUMN_NAMES[column])} score</h3>")
        parts.append(_table(head, rows) if rows else "<p>No labelled positive.</p>")
    return "".join(parts)


def render_html(result: BacktestResult) -> str:
    """Return the self-contained HTML page of a backtest.

    Parameters
    ----------
    result : BacktestResult
        The backtest.

    Returns
    -------
    str
        The page: inline CSS and SVG, no script, no external address.
    """
    summary = result.summary
    cov = summary["coverage"]
    inputs = summary["inputs"]
    ap = {c: summary["columns"][c]["average_precision"] for c in SCORE_COLUMNS}
    warnings = "".join(f'<p class="warn">{_e(w)}</p>' for w in summary["warnings"])
    coverage_rows = [[_e(k.replace("_", " ")), _num(v)] for k, v in cov.items()]
    input_rows = [
        ["scores", _e(inputs["scores"]), _e(inputs["scores_sha256"] or "–")],
        ["labels", _e(inputs["labels"]), _e(inputs["labels_sha256"] or "–")],
    ]
    ap_rows = [[_e(COLUMN_NAMES[c]), _num(ap[c])] for c in SCORE_COLUMNS]
    definitions = "".join(
        f"<dt>{_e(k.replace('_', ' '))}</dt><dd>{_e(v)}</dd>"
        for k, v in summary["definitions"].items()
    )
    ks = [b["k"] for b in summary["budgets"]]
    body = [
        "<h1>fintrak backtest</h1>",
        warnings,
        "<h2>Inputs</h2>",
        _table(["table", "source", "sha256"], input_rows, left=3),
        "<h2>Coverage</h2>",
        _table(["accounts", "count"], coverage_rows),
        "<h2>Average precision</h2>",
        _table(["score", "average precision"], ap_rows),
        '<div class="plots">',
        pr_curves_svg(result.curves, ap),
        recall_by_alerts_svg(result.ranked_labels, ks),
        "</div>",
        "<h2>Precision and recall at alert budgets</h2>",
        "<p><code>kxP</code> budgets are multiples of the number of positives evaluated.</p>",
        _budget_table(summary),
        "<h2>Per typology</h2>",
        "<p>Each typology's positives against all negatives (other positives left out): "
        "precision / recall in that subset / recall in the overall alert list.</p>",
        _typology_tables(summary),
        "<h2>Per role</h2>",
        "<p>Recall of each role's positives in the overall alert list (hits in brackets). "
        "Precision per role is not defined.</p>",
        _role_tables(summary),
        "<h2>Definitions</h2>",
        f"<dl>{definitions}</dl>",
        "<p>On synthetic data these numbers check the software and the relative strength of the "
        "scores on the injected patterns; they do not measure performance on real customers.</p>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>fintrak backtest</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _targets(out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    out = Path(out_dir)
    return {"summary": out / SUMMARY_NAME, "html": out / HTML_NAME}


def _refuse_existing(out_dir: str | os.PathLike[str], overwrite: bool) -> None:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(
            f"output {out} exists and is a file, not a folder\n  fix: choose another --out folder"
        )
    if overwrite:
        return
    existing = [str(path) for path in _targets(out).values() if path.exists()]
    if existing:
        raise OutputExistsError(
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}\n"
            "  fix: choose another --out folder, or pass --overwrite to replace them"
        )


def write_backtest(
    result: BacktestResult, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write ``summary.json`` and ``backtest.html`` into ``out_dir``, each atomically.

    Parameters
    ----------
    result : BacktestResult
        The backtest.
    out_dir : path-like
        The folder; created if needed. Other files in it are left alone.
    overwrite : bool, default False
        Replace existing ``summary.json`` and ``backtest.html``.

    Returns
    -------
    dict of str to pathlib.Path
        ``summary`` and ``html``.

    Raises
    ------
    OutputExistsError
        One of the files exists and ``overwrite`` is false (the message names it).
    """
    _refuse_existing(out_dir, overwrite)
    targets = _targets(out_dir)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_json_atomic(targets["summary"], rounded(result.summary))
    write_text_atomic(targets["html"], render_html(result))
    return targets


def backtest_files(
    scores_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    budgets: Sequence[int] | None = None,
    overwrite: bool = False,
) -> BacktestResult:
    """Backtest two files and write the outputs (``fintrak backtest``).

    Existing outputs are refused before any work is done.

    Parameters
    ----------
    scores_path : path-like
        ``scores.parquet`` (or ``.csv``) of a run.
    labels_path : path-like
        The labels (``.parquet`` or ``.csv``).
    out_dir : path-like
        Where ``summary.json`` and ``backtest.html`` go.
    budgets : sequence of int, optional
        Alert budgets; default (50, 100, 250, 500). Multiples 1, 2, 5 of the positives are added.
    overwrite : bool, default False
        Replace existing outputs.

    Returns
    -------
    BacktestResult
        The backtest; the files are ``out_dir / SUMMARY_NAME`` and ``out_dir / HTML_NAME``.

    Raises
    ------
    InputFileError
        An input cannot be used (the message names the file, column and fix).
    OutputExistsError
        An output exists and ``overwrite`` is false.
    """
    _refuse_existing(out_dir, overwrite)
    result = backtest(
        scores_path, labels_path, budgets=DEFAULT_BUDGETS if budgets is None else tuple(budgets)
    )
    write_backtest(result, out_dir, overwrite=overwrite)
    return result
