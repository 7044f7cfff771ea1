"""Backtesting and threshold tuning: how well a run's scores find labelled trafficking.

* :mod:`~fintrak.backtest.inputs` reads and checks the scores and labels tables.
* :mod:`~fintrak.backtest.metrics` ranks, aligns and computes AP, the PR curve and budget metrics.
* :mod:`~fintrak.backtest.thresholds` chooses ``alert_threshold`` by budget or target precision.
* :mod:`~fintrak.backtest.sampling` draws the below-the-line sample for quality assurance.
* :mod:`~fintrak.backtest.report` runs it all and writes ``summary.json`` and ``backtest.html``.

See ``docs/backtesting.md``.
"""

from __future__ import annotations

from fintrak.backtest.report import BacktestResult, backtest, backtest_files, write_backtest
from fintrak.backtest.sampling import BelowLineSample, below_the_line_sample
from fintrak.backtest.thresholds import (
    ThresholdChoice,
    choose_threshold,
    threshold_for_precision,
    threshold_from_budget,
    write_threshold,
)

__all__ = [
    "BacktestResult",
    "BelowLineSample",
    "ThresholdChoice",
    "backtest",
    "backtest_files",
    "below_the_line_sample",
    "choose_threshold",
    "threshold_for_precision",
    "threshold_from_budget",
    "write_backtest",
    "write_threshold",
]
