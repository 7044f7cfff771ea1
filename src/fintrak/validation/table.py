"""Validate one input table: map its columns, parse, check, and split rows into kept and rejected.

Rules (the same for every table):

- a required column missing from the file stops the run (:class:`InputFileError`);
- a row whose required field is missing or invalid is rejected, with every problem of the row in
  ``reason``;
- an invalid optional field is nulled, the row is kept, and the field is listed as a warning;
- ``rows_accepted + rows_rejected == rows_read`` always.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from fintrak.exceptions import InputFileError
from fintrak.io.column_map import TableMap
from fintrak.io.readers import RawTable
from fintrak.schema import ColumnSpec, TableSpec
from fintrak.validation.checks import build_schema, message_for
from fintrak.validation.parsing import (
    DATE_DTYPE,
    TIMESTAMP_DTYPE,
    Parsed,
    normalise_text,
    parse_column,
)

__all__ = [
    "REJECT_COLUMNS",
    "WARNING_COLUMNS",
    "TableResult",
    "canonical_dtype",
    "empty_canonical",
    "validate_table",
]

REJECT_COLUMNS = ("table", "source_file", "row_number", "reason")
WARNING_COLUMNS = ("table", "source_file", "row_number", "column", "value", "reason")
_SHOWN_MAX = 60


@dataclass
class TableResult:
    """The outcome of validating one table.

    Attributes
    ----------
    table : str
        Canonical table name.
    source : str
        The input file.
    accepted : pandas.DataFrame
        Kept rows, every canonical column in order (absent optional columns are all-null).
    rejects : pandas.DataFrame
        ``table, source_file, row_number, reason`` and the file's original fields as text.
    warnings : pandas.DataFrame
        One row per nulled optional field: ``table, source_file, row_number, column, value,
        reason`` (``value`` is null for personal-data columns).
    stats : dict
        Counts and column lists for the manifest.
    """

    table: str
    source: str
    accepted: pd.DataFrame
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def canonical_dtype(spec: ColumnSpec) -> str:
    """Return the pandas dtype a canonical column is stored in."""
    return {
        "string": "string",
        "float": "float64",
        "int": "Int16" if spec.name == "mcc" else "Int64",
        "timestamp": TIMESTAMP_DTYPE,
        "date": DATE_DTYPE,
        "flag": "int8",
    }[spec.kind]


def empty_canonical(table: TableSpec) -> pd.DataFrame:
    """Return an empty frame with every canonical column of ``table`` in canonical dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=canonical_dtype(c)) for c in table.columns})


def _key(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _map_columns(raw: RawTable, table: TableSpec, table_map: TableMap) -> tuple[dict, list[str]]:
    """Return ``{canonical: original column}`` and the file's columns that were not used."""
    columns = list(raw.frame.columns)
    mapping: dict[str, str] = {}
    for original in columns:
        target = table_map.columns.get(original)
        if target is None and original not in table_map.columns:
            candidate = _key(original)
            target = (
                candidate
                if candidate in table and candidate not in table_map.columns.values()
                else None
            )
        if target is None:
            continue
        if target in mapping:
            raise InputFileError(
                raw.source,
                f"two columns, {mapping[target]!r} and {original!r}, both map to {target!r}",
                "keep one of them, or map the other to a different name in the column map",
                column=target,
            )
        mapping[target] = original
    for source in table_map.columns:
        if source not in columns:
            raise InputFileError(
                raw.source,
                f"the column map names column {source!r}, which the file does not have "
                f"(it has: {', '.join(columns[:20])})",
                "correct the name under columns: in the column map",
                column=source,
            )
    ignored = [c for c in columns if c not in mapping.values()]
    return mapping, ignored


def _missing_required(
    raw: RawTable, table: TableSpec, present: set[str], ignored: list[str]
) -> None:
    for name in table.required:
        if name in present:
            continue
        lookup = {_key(c): c for c in ignored}
        close = difflib.get_close_matches(name, list(lookup), n=1, cutoff=0.5)
        close += [k for k in lookup if k in name or name.split("_")[0] in k]
        hint = f"; the file has {lookup[close[0]]!r}, which may be it" if close else ""
        raise InputFileError(
            raw.source,
            f"required column {name!r} is missing{hint} (columns found: "
            f"{', '.join(map(str, raw.frame.columns[:15]))})",
            f"rename the column to {name!r}, or map it with a column map "
            f"(--column-map; under {table.name}: columns: {{YourName: {name}}})",
            column=name,
        )


def _apply_signed_amounts(
    frame: pd.DataFrame, table: TableSpec, table_map: TableMap
) -> pd.DataFrame:
    amount = parse_column(
        frame["amount"], table["amount"], decimal=table_map.decimal, thousands=table_map.thousands
    )
    values = amount.values
    if "direction" not in frame.columns:
        direction = pd.Series(
            np.where(values < 0, "debit", np.where(values > 0, "credit", None)),
            index=frame.index,
            dtype="string",
        )
        frame["direction"] = direction
    numeric = values.abs()
    # Unreadable amounts stay as text so that the parser reports them.
    frame["amount"] = numeric.astype("object").where(~amount.failed, frame["amount"])
    return frame


def _shown(text: pd.Series, spec: ColumnSpec) -> pd.Series:
    if spec.pii:
        return pd.Series("", index=text.index, dtype="string")
    clipped = text.fillna("").str.slice(0, _SHOWN_MAX)
    return "'" + clipped + "' "


def _messages(
    problems: pd.DataFrame, frame: pd.DataFrame, table: TableSpec, typed: pd.DataFrame
) -> pd.Series:
    """Return the message of each problem row (same index as ``problems``)."""
    out = pd.Series("", index=problems.index, dtype="string")
    for (column, code), group in problems.groupby(["column", "code"], sort=False):
        spec = table[column]
        template = message_for(spec, code)
        positions = group["pos"].to_numpy()
        text = normalise_text(frame[column].iloc[positions]).reset_index(drop=True)
        shown = _shown(text, spec)
        head, has_shown, tail = template.replace("{column}", column).partition("{shown}")
        if not has_shown:
            message = pd.Series([head] * len(positions), dtype="string")
        elif "{first}" in tail:
            values = typed[column]
            first_pos = (
                pd.Series(np.arange(len(values)))
                .groupby(values.to_numpy(), dropna=False)
                .transform("min")
                .to_numpy()
            )
            first_rows = (first_pos[positions].astype(np.int64) + 1).astype(str)
            before, _, after = tail.partition("{first}")
            message = head + shown + before + pd.Series(first_rows, dtype="string") + after
        else:
            message = head + shown + tail
        out.loc[group.index] = message.to_numpy()
    return out


def _collect_problems(
    parsed: dict[str, Parsed], typed: pd.DataFrame, table: TableSpec
) -> pd.DataFrame:
    parts = []
    for name, result in parsed.items():
        positions = np.flatnonzero(result.failed)
        if len(positions):
            parts.append(pd.DataFrame({"pos": positions, "column": name, "code": "unparseable"}))
    schema = build_schema(table, list(parsed))
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna() & cases["column"].isin(list(parsed))]
        found = pd.DataFrame(
            {
                "pos": cases["index"].astype("int64").to_numpy(),
                "column": cases["column"].astype(str).to_numpy(),
                "code": cases["check"].astype(str).str.replace(r"\(.*$", "", regex=True).to_numpy(),
            }
        )
        # A value that could not be parsed is null now; report it once, as unparseable.
        unparsed = {name: result.failed for name, result in parsed.items() if result.failed.any()}
        if unparsed and len(found):
            is_null_case = found["code"].eq("not_nullable").to_numpy()
            was_unparsed = (
                np.array(
                    [
                        bool(unparsed[c][p]) if c in unparsed else False
                        for c, p in zip(found["column"], found["pos"], strict=True)
                    ]
                )
                if is_null_case.any()
                else np.zeros(len(found), dtype=bool)
            )
            found = found[~(is_null_case & was_unparsed)]
        parts.append(found)
    if not parts:
        return pd.DataFrame(
            {
                "pos": pd.Series(dtype="int64"),
                "column": pd.Series(dtype=str),
                "code": pd.Series(dtype=str),
            }
        )
    problems = pd.concat(parts, ignore_index=True)
    order = {name: i for i, name in enumerate(table.names)}
    problems["col_order"] = problems["column"].map(order)
    return problems.sort_values(["pos", "col_order"], kind="stable").reset_index(drop=True)


def _original_text(raw: RawTable, positions: np.ndarray) -> pd.DataFrame:
    rows = raw.frame.iloc[positions]
    out = {}
    for column in rows.columns:
        name = f"original_{column}" if column in REJECT_COLUMNS else column
        out[name] = normalise_text(rows[column]).to_numpy()
    return pd.DataFrame(out, dtype="string")


def validate_table(raw: RawTable, table: TableSpec, table_map: TableMap) -> TableResult:
    """Validate one raw table against its canonical specification.

    Parameters
    ----------
    raw : RawTable
        The file as read.
    table : TableSpec
        The canonical table it should be.
    table_map : TableMap
        Column renames, value maps and parsing options.

    Returns
    -------
    TableResult

    Raises
    ------
    InputFileError
        If a required column is missing (after mapping) or the column map does not fit the file.
    """
    mapping, ignored = _map_columns(raw, table, table_map)
    frame = pd.DataFrame({target: raw.frame[original] for target, original in mapping.items()})
    frame.index = raw.frame.index
    if table_map.signed_amounts and "amount" in frame.columns:
        frame = _apply_signed_amounts(frame, table, table_map)
    _missing_required(raw, table, set(frame.columns), ignored)
    for column, values in table_map.values.items():
        if column in frame.columns:
            frame[column] = normalise_text(frame[column]).replace(values)

    present = [name for name in table.names if name in frame.columns]
    parsed = {
        name: parse_column(
            frame[name],
            table[name],
            timestamp_format=table_map.timestamp_format,
            date_format=table_map.date_format,
            assume_tz=table_map.assume_tz,
            decimal=table_map.decimal,
            thousands=table_map.thousands,
        )
        for name in present
    }
    typed = pd.DataFrame({name: parsed[name].values for name in present}, index=frame.index)
    problems = _collect_problems(parsed, typed, table)
    problems["message"] = _messages(problems, frame, table, typed)

    n_rows = len(frame)
    required = set(table.required)
    is_required = problems["column"].isin(required).to_numpy()
    reject_pos = np.unique(problems.loc[is_required, "pos"].to_numpy())
    rejected = np.zeros(n_rows, dtype=bool)
    rejected[reject_pos] = True

    in_rejected = rejected[problems["pos"].to_numpy()] if len(problems) else np.zeros(0, bool)
    reasons = problems[in_rejected].groupby("pos", sort=True)["message"].agg("; ".join)
    rejects = pd.concat(
        [
            pd.DataFrame(
                {
                    "table": pd.Series([table.name] * len(reasons), dtype="string"),
                    "source_file": pd.Series([raw.source] * len(reasons), dtype="string"),
                    "row_number": (reasons.index.to_numpy() + 1).astype("int64"),
                    "reason": reasons.to_numpy().astype(str),
                }
            ).astype({"reason": "string"}),
            _original_text(raw, reasons.index.to_numpy()),
        ],
        axis=1,
    )

    warned = problems[~in_rejected]
    warnings = pd.DataFrame(
        {
            "table": pd.Series([table.name] * len(warned), dtype="string"),
            "source_file": pd.Series([raw.source] * len(warned), dtype="string"),
            "row_number": (warned["pos"].to_numpy() + 1).astype("int64"),
            "column": pd.Series(warned["column"].to_numpy(), dtype="string"),
            "value": _warning_values(warned, frame, table),
            "reason": pd.Series(warned["message"].to_numpy(), dtype="string"),
        }
    )
    for column, group in warned.groupby("column", sort=False):
        typed.loc[group["pos"].to_numpy(), column] = None

    accepted = _canonical_frame(typed.loc[~rejected], table)
    stats = {
        "source": raw.source,
        "format": raw.file_format,
        "rows_read": n_rows,
        "rows_accepted": int(len(accepted)),
        "rows_rejected": int(rejected.sum()),
        "fields_nulled": int(len(warned)),
        "timestamps_assumed_tz": int(sum(p.assumed_tz for p in parsed.values())),
        "assume_tz": table_map.assume_tz,
        "columns_mapped": {k: v for k, v in mapping.items() if k != v},
        "columns_absent": [c for c in table.names if c not in present],
        "columns_all_null": [c for c in present if accepted[c].isna().all()],
        "columns_ignored": ignored,
        "rejects_by_reason": _counts(problems[in_rejected]),
        "warnings_by_reason": _counts(warned),
    }
    return TableResult(table.name, raw.source, accepted, rejects, warnings, stats)


def _warning_values(warned: pd.DataFrame, frame: pd.DataFrame, table: TableSpec) -> pd.Series:
    values = pd.Series(pd.NA, index=warned.index, dtype="string")
    for column, group in warned.groupby("column", sort=False):
        if table[column].pii:
            continue
        text = normalise_text(frame[column].iloc[group["pos"].to_numpy()])
        values.loc[group.index] = text.to_numpy()
    return values.reset_index(drop=True)


def _counts(problems: pd.DataFrame) -> dict[str, int]:
    if problems.empty:
        return {}
    keys = problems["column"] + "." + problems["code"]
    return {str(k): int(v) for k, v in keys.value_counts().sort_index().items()}


def _canonical_frame(typed: pd.DataFrame, table: TableSpec) -> pd.DataFrame:
    typed = typed.reset_index(drop=True)
    columns = {}
    for spec in table.columns:
        if spec.name in typed.columns:
            columns[spec.name] = typed[spec.name].astype(canonical_dtype(spec))
        else:
            columns[spec.name] = pd.Series(
                [None] * len(typed), dtype=canonical_dtype(spec), index=typed.index
            )
    return pd.DataFrame(columns)
