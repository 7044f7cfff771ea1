"""Flat CSV copies of ``alerts.jsonl`` and ``cases.jsonl`` for spreadsheets and case systems.

* :func:`alerts_csv`: one row per alert; the top three reasons' texts in ``reason_1`` to
  ``reason_3``, the rule bands that fired joined in one cell.
* :func:`cases_csv`: one row per case member, the case's fields repeated on every row.
* :func:`export_run`: read a run folder's ``alerts.jsonl`` and ``cases.jsonl`` and write
  ``alerts.csv`` and ``cases.csv`` beside them, each atomically (``fintrak export``).

The columns are fixed (:data:`ALERT_COLUMNS`, :data:`CASE_COLUMNS`) whatever the data. The CSV
files follow RFC 4180 (comma, double quotes, CRLF line ends) in UTF-8; an empty cell is a null.
Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading
``'`` so that a spreadsheet shows them instead of running them as formulas. Like the JSON files
they copy, they hold no phone number, e-mail, address, device or IP: only account ids, scores,
reasons in words, and the kinds and sources of intelligence matches. See ``docs/outputs.md``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fintrak.exceptions import ConfigError, InputFileError, OutputExistsError
from fintrak.io.atomic import write_text_atomic
from fintrak.schemas import load_schema

__all__ = [
    "ALERT_COLUMNS",
    "CASE_COLUMNS",
    "FORMATS",
    "alerts_csv",
    "cases_csv",
    "export_run",
    "read_jsonl",
]

#: Columns of ``alerts.csv``, in order.
ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id",
    "account_id",
    "score",
    "typology",
    "role_hypothesis",
    "network_id",
    "network_role",
    "case_id",
    "reason_1",
    "reason_2",
    "reason_3",
    "rule_hits_count",
    "rule_points",
    "rule_indicators",
    "rule_hits",
    "intel_matches",
    "intel_evidence",
    "model_version",
    "as_of",
)
#: Columns of ``cases.csv``, in order: the case's fields, then the member's.
CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "priority",
    "network_id",
    "trigger",
    "typology",
    "case_score",
    "members",
    "alerted_members",
    "money_inside",
    "link_kinds",
    "top_alert_id",
    "top_reasons",
    "account_id",
    "role",
    "score",
    "alert",
    "alert_id",
    "intel_match",
    "member_links",
    "model_version",
    "as_of",
)
#: Output formats of :func:`export_run`.
FORMATS: tuple[str, ...] = ("csv",)
#: Reasons copied into ``alerts.csv``.
TOP_REASONS = 3
#: Separator of several items in one cell.
JOIN = " | "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: float) -> str:
    """Six decimals at most, no exponent, no trailing zeros (``2.5``, ``133196.88``, ``0``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cell(value: Any) -> str:
    """Render one value as CSV text: null -> empty, booleans -> true/false, floats rounded."""
    if value is None:
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if bool(value) else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        return "" if math.isnan(number) else _number(number)
    text = str(value)
    if text in ("nan", "<NA>", "NaT"):
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _render(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _records(table: Any) -> list[Mapping[str, Any]]:
    """Return the records of a DataFrame (``ScoreResult.alerts``) or of a list of dicts."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return list(table.to_dict(orient="records"))
    return list(table)


def _items(value: Any) -> list[Any]:
    """Return a JSON array (or a numpy array from a DataFrame) as a list; empty for null."""
    if value is None or isinstance(value, str | bytes | Mapping):
        return []
    try:
        return list(value)
    except TypeError:
        return []


def _real(value: Any) -> float:
    if isinstance(value, numbers.Real) and not math.isnan(float(value)):
        return float(value)
    return 0.0


def _alert_row(alert: Mapping[str, Any]) -> dict[str, Any]:
    reasons = [r for r in _items(alert.get("reasons")) if isinstance(r, Mapping)]
    reasons = sorted(reasons, key=lambda r: -_real(r.get("contribution")))
    hits = [h for h in _items(alert.get("rule_hits")) if isinstance(h, Mapping)]
    intel = [e for e in _items(alert.get("intel_evidence")) if isinstance(e, Mapping)]
    row = {c: alert.get(c) for c in ALERT_COLUMNS}
    for i in range(TOP_REASONS):
        row[f"reason_{i + 1}"] = reasons[i].get("text") if i < len(reasons) else None
    row["rule_hits_count"] = len(hits)
    row["rule_points"] = sum(_real(h.get("points")) for h in hits)
    row["rule_indicators"] = ", ".join(str(h.get("indicator")) for h in hits) or None
    row["rule_hits"] = (
        JOIN.join(
            f"{h.get('indicator')} ({_cell(h.get('points'))} points): {h.get('reason')} "
            f"[{h.get('source')}]"
            for h in hits
        )
        or None
    )
    row["intel_matches"] = len(intel)
    row["intel_evidence"] = (
        JOIN.join(f"{e.get('matched_on')} ({e.get('source') or 'unknown source'})" for e in intel)
        or None
    )
    return row


def alerts_csv(alerts: Any) -> str:
    """Render alerts as CSV: one row per alert, columns :data:`ALERT_COLUMNS`.

    Parameters
    ----------
    alerts : pandas.DataFrame or iterable of dict
        ``ScoreResult.alerts``, or the objects of ``alerts.jsonl`` in file order.

    Returns
    -------
    str
        The CSV text: a header row, then one row per alert in the input order. ``reason_1`` to
        ``reason_3`` are the texts of the three reasons with the largest contributions;
        ``rule_hits`` joins every band that fired as ``indicator (points): reason [sources]``
        with `` | ``; ``intel_evidence`` joins where intelligence matched and its source (never
        the matched value).

    Examples
    --------
    >>> alert = {"alert_id": "a" * 20, "account_id": "0042", "score": 0.91,
    ...          "typology": "funnel", "reasons": [{"feature": "f", "value": 3.0,
    ...          "contribution": 1.5, "text": "cash in 3 cities"}],
    ...          "rule_hits": [{"indicator": "funnel.cities", "points": 30.0,
    ...          "reason": "3 or more cities", "source": "E1"}], "intel_evidence": []}
    >>> text = alerts_csv([alert])
    >>> text.splitlines()[0].split(",")[:4]
    ['alert_id', 'account_id', 'score', 'typology']
    >>> import csv, io
    >>> row = next(csv.DictReader(io.StringIO(text)))
    >>> row["account_id"], row["reason_1"], row["reason_2"], row["rule_hits"]
    ('0042', 'cash in 3 cities', '', 'funnel.cities (30 points): 3 or more cities [E1]')
    """
    return _render(ALERT_COLUMNS, (_alert_row(a) for a in _records(alerts)))


def _case_rows(case: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    evidence = case.get("evidence") if isinstance(case.get("evidence"), Mapping) else {}
    kinds = evidence.get("link_kinds") if isinstance(evidence.get("link_kinds"), Mapping) else {}
    reasons = [r for r in _items(evidence.get("top_reasons")) if isinstance(r, Mapping)]
    intel = {str(a) for a in _items(evidence.get("intel_members"))}
    links = [link for link in _items(case.get("links")) if isinstance(link, Mapping)]
    shared = {
        "case_id": case.get("case_id"),
        "priority": case.get("priority"),
        "network_id": case.get("network_id"),
        "trigger": case.get("trigger"),
        "typology": case.get("typology"),
        "case_score": case.get("score"),
        "members": evidence.get("members"),
        "alerted_members": evidence.get("alerted_members"),
        "money_inside": evidence.get("money_inside"),
        "link_kinds": ", ".join(f"{k} {_cell(n)}" for k, n in sorted(kinds.items())) or None,
        "top_alert_id": evidence.get("top_alert_id"),
        "top_reasons": JOIN.join(str(r.get("text")) for r in reasons) or None,
        "model_version": case.get("model_version"),
        "as_of": case.get("as_of"),
    }
    for member in _items(case.get("members")):
        if not isinstance(member, Mapping):
            continue
        account = str(member.get("account_id"))
        touching = sum(
            1
            for link in links
            if account in (str(link.get("account_a")), str(link.get("account_b")))
        )
        yield {
            **shared,
            "account_id": member.get("account_id"),
            "role": member.get("role"),
            "score": member.get("score"),
            "alert": member.get("alert"),
            "alert_id": member.get("alert_id"),
            "intel_match": account in intel,
            "member_links": touching,
        }


def cases_csv(cases: Iterable[Mapping[str, Any]]) -> str:
    """Render cases as CSV: one row per case member, columns :data:`CASE_COLUMNS`.

    Parameters
    ----------
    cases : iterable of dict
        ``ScoreResult.cases``, or the objects of ``cases.jsonl`` in file order.

    Returns
    -------
    str
        The CSV text: a header row, then one row per member (cases in the input order, members
        highest score first as in the case). The case's fields are repeated on each of its rows;
        ``case_score`` is the case's score and ``score`` the member's. ``intel_match`` says
        whether the member matched outside intelligence; ``member_links`` counts the case's
        links that touch the member.

    Examples
    --------
    >>> case = {"case_id": "case-" + "0" * 20, "priority": 1, "network_id": "net-1",
    ...         "trigger": "alert", "typology": "funnel", "score": 0.9,
    ...         "members": [{"account_id": "a", "role": "funnel", "score": 0.9, "alert": True,
    ...                      "alert_id": "f" * 20},
    ...                     {"account_id": "b", "role": "other", "score": 0.2, "alert": False,
    ...                      "alert_id": None}],
    ...         "links": [{"account_a": "a", "account_b": "b", "kind": "money", "weight": 1.0,
    ...                    "amount": 500.0, "count": 2}],
    ...         "evidence": {"members": 2, "alerted_members": 1, "money_inside": 500.0,
    ...                      "link_kinds": {"money": 1}, "intel_members": ["b"],
    ...                      "top_alert_id": "f" * 20, "top_reasons": []}}
    >>> import csv, io
    >>> rows = list(csv.DictReader(io.StringIO(cases_csv([case]))))
    >>> [(r["account_id"], r["alert"], r["intel_match"], r["link_kinds"]) for r in rows]
    [('a', 'true', 'false', 'money 1'), ('b', 'false', 'true', 'money 1')]
    """
    rows = (row for case in _records(cases) for row in _case_rows(case))
    return _render(CASE_COLUMNS, rows)


def read_jsonl(path: str | os.PathLike[str], schema: str) -> list[dict[str, Any]]:
    """Read a JSON Lines output of fintrak, checking each line is an object with its fields.

    Parameters
    ----------
    path : path-like
        ``alerts.jsonl`` or ``cases.jsonl``.
    schema : {"alert", "case"}
        Which record the lines hold; each line must have the schema's required fields (the full
        schema check is left to a JSON Schema validator, see :func:`fintrak.schemas.load_schema`).

    Returns
    -------
    list of dict
        One dict per non-blank line, in file order.

    Raises
    ------
    InputFileError
        If the file is missing or unreadable, or a line is not a JSON object with the required
        fields (the message names the file and the line).
    """
    file = Path(path)
    fix = "write it again with `fintrak score --out DIR --overwrite` (or `fintrak demo`)"
    if not file.is_file():
        raise InputFileError(str(file), "the file does not exist", fix)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(
            str(file), f"cannot read the file ({exc.__class__.__name__})", fix
        ) from None
    required = load_schema(schema)["required"]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                str(file), f"line {number} is not valid JSON ({exc.msg})", fix
            ) from None
        if not isinstance(record, dict):
            raise InputFileError(
                str(file), f"line {number} is a JSON {type(record).__name__}, not an object", fix
            )
        missing = [f for f in required if f not in record]
        if missing:
            raise InputFileError(
                str(file), f"line {number} lacks the field(s) {', '.join(missing)}", fix
            )
        records.append(record)
    return records


def export_run(
    run_dir: str | os.PathLike[str], *, fmt: str = "csv", overwrite: bool = False
) -> dict[str, Path]:
    """Write ``alerts.csv`` and ``cases.csv`` into a run folder from its JSON Lines outputs.

    Parameters
    ----------
    run_dir : path-like
        The folder written by ``fintrak score --out`` (``DIR/run`` for ``fintrak demo``).
    fmt : {"csv"}
        Output format.
    overwrite : bool
        Replace existing ``alerts.csv`` and ``cases.csv``.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"alerts": ..., "cases": ...}``, the files written (each atomically).

    Raises
    ------
    ConfigError
        If ``fmt`` is not a known format.
    InputFileError
        If the folder, ``alerts.jsonl`` or ``cases.jsonl`` is missing or corrupt.
    OutputExistsError
        If an output file exists and ``overwrite`` is false (nothing is written then).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}. Got {fmt!r} instead.")
    folder = Path(run_dir)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InputFileError(
            str(folder),
            f"the run folder {what}",
            "pass the --out folder of `fintrak score` (for `fintrak demo`, its run/ subfolder)",
        )
    sources = {"alerts": folder / "alerts.jsonl", "cases": folder / "cases.jsonl"}
    if not sources["alerts"].is_file() and (folder / "run" / "alerts.jsonl").is_file():
        raise InputFileError(
            str(sources["alerts"]),
            "the file does not exist",
            f"this looks like a `fintrak demo` folder: pass --run {folder / 'run'}",
        )
    targets = {name: folder / f"{name}.{fmt}" for name in sources}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{' and '.join(existing)} already {'exists' if len(existing) == 1 else 'exist'}\n"
            "  fix: pass --overwrite to replace them"
        )
    alerts = read_jsonl(sources["alerts"], "alert")
    cases = read_jsonl(sources["cases"], "case")
    return {
        "alerts": write_text_atomic(targets["alerts"], alerts_csv(alerts)),
        "cases": write_text_atomic(targets["cases"], cases_csv(cases)),
    }
