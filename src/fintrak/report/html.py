"""Self-contained HTML report pages for investigators, written from a finished scoring run.

:func:`write_report` reads a run folder (``fintrak score --out``) and writes

* ``index.html``: every alert ranked by score and every case, filterable by typology (a small
  inline script; with scripts off every row stays visible);
* ``alerts/<alert_id>.html``: profile, timeline with the flagged rows, SHAP waterfall, rules
  with their published sources, intelligence matches, top counterparties, cities over time;
* ``cases/<case_id>.html``: members, network drawing, links, money between members, evidence,
  cities over time.

Pages are offline and self-contained: inline CSS, inline SVG plots (matplotlib), no web address
of any resource. The same run gives byte-identical pages. Pages hold personal data and are for
the bank's investigators only; they show no name, phone number, e-mail address, street address,
memo, device or IP address (accounts are named by account id and customer id).

Flagged rows
------------
A transaction is *flagged* on an alert page when it falls in the 90 days up to the run's as-of
and either is the kind of activity counted by a feature of one of the alert's fired rules (the
feature family → row predicate table :data:`fintrak.report.flagged.FLAG_RULES`: cash features →
channels cash and atm; lodging, ads, rides, tickets... → the MCC group of ``mcc_groups.yaml``;
P2P and transfer features → those channels; wire features → wires; wage features → ACH and
checks), or moves money to or from another account of the same network (``networks.parquet``).
A flag marks what the rules counted, not a finding about the row. See ``docs/report.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fintrak.io.atomic import check_output_dir, prepare_output_dir, write_text_atomic
from fintrak.report.pages import Context, alert_page, case_page, index_page
from fintrak.report.rundata import read_run

__all__ = ["ReportResult", "write_report"]


@dataclass(frozen=True)
class ReportResult:
    """The pages :func:`write_report` wrote.

    Attributes
    ----------
    index : pathlib.Path
        ``index.html``.
    alert_pages : tuple of pathlib.Path
        One page per alert, in ``alerts.jsonl`` order.
    case_pages : tuple of pathlib.Path
        One page per case, in ``cases.jsonl`` order.
    n_alerts : int
        Number of alert pages.
    n_cases : int
        Number of case pages.
    """

    index: Path
    alert_pages: tuple[Path, ...]
    case_pages: tuple[Path, ...]
    n_alerts: int
    n_cases: int


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete pages of an earlier report that this run does not write (overwrite only)."""
    if not folder.is_dir():
        return
    for old in sorted(folder.glob("*.html")):
        if old.name not in keep and old.is_file():
            old.unlink()


def write_report(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> ReportResult:
    """Write the HTML report pages of a finished scoring run.

    Parameters
    ----------
    run_dir : path-like
        The run folder written by ``fintrak score --out`` (``DIR/run`` for ``fintrak demo``).
    out_dir : path-like
        Folder for ``index.html``, ``alerts/`` and ``cases/``; created if needed.
    overwrite : bool
        Write into an existing non-empty ``out_dir``; each page is replaced atomically and pages
        in ``alerts/`` and ``cases/`` that this run does not produce are removed.

    Returns
    -------
    ReportResult

    Raises
    ------
    OutputExistsError
        If ``out_dir`` exists, is not empty and ``overwrite`` is false (nothing is written).
    InputFileError
        If the run folder or one of its files is missing or unreadable; the message names it.

    Examples
    --------
    >>> result = write_report("fintrak-demo/run", "fintrak-demo/report")  # doctest: +SKIP
    >>> result.n_alerts, result.index.name  # doctest: +SKIP
    (25, 'index.html')
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    run = read_run(run_dir)  # read everything before touching the output folder
    ctx = Context(run)
    out = prepare_output_dir(out, overwrite=overwrite)
    alerts_dir, cases_dir = out / "alerts", out / "cases"
    alerts_dir.mkdir(exist_ok=True)
    cases_dir.mkdir(exist_ok=True)
    _remove_stale(alerts_dir, set(ctx.alert_files.values()))
    _remove_stale(cases_dir, set(ctx.case_files.values()))
    alert_paths = tuple(
        write_text_atomic(alerts_dir / ctx.alert_files[str(a["alert_id"])], alert_page(ctx, a))
        for a in run.alerts
    )
    case_paths = tuple(
        write_text_atomic(cases_dir / ctx.case_files[str(c["case_id"])], case_page(ctx, c))
        for c in run.cases
    )
    index = write_text_atomic(out / "index.html", index_page(ctx))
    return ReportResult(
        index=index,
        alert_pages=alert_paths,
        case_pages=case_paths,
        n_alerts=len(alert_paths),
        n_cases=len(case_paths),
    )
