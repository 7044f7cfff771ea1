"""The backtest page's plots, drawn with matplotlib and returned as inline SVG text.

Each plot is drawn on its own :class:`matplotlib.figure.Figure` (no pyplot, no GUI backend) with a
fixed ``svg.hashsalt``, text kept as text and no date in the metadata, so the same numbers give
byte-identical SVG. The XML prologue, the DOCTYPE, the metadata block and the ``xmlns``
attributes are removed (they name web addresses and are not needed inside an HTML page), and
element ids are prefixed per plot so several plots can share a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from fintrak.svg import figure_svg, plot_style

__all__ = ["COLUMN_COLOURS", "COLUMN_NAMES", "pr_curves_svg", "recall_by_alerts_svg"]

#: Line colour of each score column.
COLUMN_COLOURS = {"rule_score": "#e15759", "model_score": "#4e79a7", "score": "#222222"}
#: Legend name of each score column.
COLUMN_NAMES = {"rule_score": "rules", "model_score": "model", "score": "combined"}
_RC = plot_style("fintrak-backtest")


def _svg(fig: Figure, prefix: str, label: str) -> str:
    return figure_svg(fig, prefix, label, _RC)


def _figure() -> Figure:
    with mpl.rc_context(_RC):
        return Figure(figsize=(6.0, 4.0), dpi=72, layout="constrained")


def pr_curves_svg(
    curves: Mapping[str, pd.DataFrame], average_precision: Mapping[str, float | None]
) -> str:
    """Draw the precision-recall curve of each score column on one plot.

    Parameters
    ----------
    curves : mapping of str to pandas.DataFrame
        Score column -> ``precision``, ``recall`` (see :func:`fintrak.backtest.metrics.pr_curve`).
    average_precision : mapping of str to float or None
        Score column -> average precision, shown in the legend.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    fig = _figure()
    with mpl.rc_context(_RC):
        ax = fig.add_subplot()
        for column, curve in curves.items():
            if curve.empty:
                continue
            ap = average_precision.get(column)
            name = COLUMN_NAMES.get(column, column)
            label = f"{name} (AP {ap:.3f})" if ap is not None else name
            ax.step(
                curve["recall"],
                curve["precision"],
                where="post",
                color=COLUMN_COLOURS.get(column),
                label=label,
                linewidth=1.4,
            )
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title("Precision-recall curves")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower left", frameon=False)
    return _svg(fig, "pr", "Precision-recall curves of the rule, model and combined scores")


def recall_by_alerts_svg(ranked_labels: Mapping[str, np.ndarray], budgets: Sequence[int]) -> str:
    """Draw the recall reached by each alert count, one line per score column.

    Parameters
    ----------
    ranked_labels : mapping of str to numpy.ndarray
        Score column -> 0/1 labels in that column's ranking order.
    budgets : sequence of int
        Alert budgets, drawn as dotted vertical lines.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    fig = _figure()
    with mpl.rc_context(_RC):
        ax = fig.add_subplot()
        longest = 1
        for column, y in ranked_labels.items():
            positives = int(np.sum(y))
            if positives == 0:
                continue
            recall = np.concatenate([[0.0], np.cumsum(y) / positives])
            longest = max(longest, len(y))
            ax.plot(
                np.arange(len(recall)),
                recall,
                color=COLUMN_COLOURS.get(column),
                label=COLUMN_NAMES.get(column, column),
                linewidth=1.4,
            )
        for k in sorted(set(budgets)):
            if k <= longest:
                ax.axvline(k, color="#999999", linestyle=":", linewidth=0.8)
        ax.set_xscale("symlog", linthresh=10)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
        ax.set_xlim(0, longest)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("alerts worked (top of the ranking)")
        ax.set_ylabel("recall")
        ax.set_title("Recall by number of alerts (dotted: budgets)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", frameon=False)
    return _svg(fig, "rk", "Recall reached by each number of alerts, per score")
