"""Validate a bank's extract (all its tables) and write the run folder.

A run folder holds the accepted canonical tables (``transactions.parquet``, ``accounts.parquet``,
``intel.parquet``, ``labels.parquet``, ``observations.parquet``: those that were given),
``rejects.parquet``, ``warnings.parquet`` and ``manifest.json``, each written atomically; the
manifest is written last.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from fintrak import __version__
from fintrak.exceptions import NoValidRowsError
from fintrak.io.atomic import write_json_atomic, write_parquet_atomic
from fintrak.io.column_map import ColumnMap, load_column_map
from fintrak.io.readers import RawTable, file_sha256, read_raw
from fintrak.schema import TABLES
from fintrak.validation.table import REJECT_COLUMNS, WARNING_COLUMNS, TableResult, validate_table

__all__ = ["TableInput", "ValidationResult", "validate", "write_validation"]

TableInput = str | os.PathLike[str] | pd.DataFrame
_TABLE_ORDER = ("transactions", "accounts", "intel", "labels", "observations")


@dataclass
class ValidationResult:
    """Accepted tables, rejects, warnings and the manifest of one validation run.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The accepted canonical tables that were given, by name.
    rejects : pandas.DataFrame
        Rejected rows of every table with their reasons and original fields as text.
    warnings : pandas.DataFrame
        Optional fields that were nulled, with reasons.
    manifest : dict
        Inputs with SHA-256, row counts, counts per reason, versions and timings.
    """

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def raise_if_unusable(self) -> None:
        """Raise :class:`NoValidRowsError` if a given table kept no row at all.

        Raises
        ------
        NoValidRowsError
            Naming the table's file and the most common reason.
        """
        for name, stats in self.manifest["tables"].items():
            if stats["rows_read"] > 0 and stats["rows_accepted"] == 0:
                reasons = stats["rejects_by_reason"]
                top = max(reasons, key=reasons.get) if reasons else "unknown"
                raise NoValidRowsError(
                    stats["source"],
                    f"every one of its {stats['rows_read']} {name} rows was rejected "
                    f"(most common problem: {top}, {reasons.get(top, 0)} rows)",
                    "read rejects.parquet in the output folder for each row's reasons; "
                    "a column map (--column-map) usually fixes a whole-file problem",
                )


def _read(name: str, source: TableInput, column_map: ColumnMap) -> tuple[RawTable, dict]:
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        raw = RawTable(frame=frame, source=f"<DataFrame {name}>", file_format="dataframe")
        return raw, {"table": name, "path": raw.source, "format": "dataframe"}
    raw = read_raw(source, column_map.for_table(name))
    path = Path(source)
    info = {
        "table": name,
        "path": str(path),
        "format": raw.file_format,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }
    return raw, info


def _versions() -> dict[str, str]:
    out = {"fintrak": __version__, "python": platform.python_version()}
    for package in ("pandas", "pyarrow", "pandera", "numpy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[package] = "missing"
    return out


def _cross_checks(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    out: dict[str, int] = {}
    txn = tables.get("transactions")
    accounts = tables.get("accounts")
    labels = tables.get("labels")
    observations = tables.get("observations")
    if txn is not None and accounts is not None:
        known = pd.Index(accounts["account_id"].dropna().unique())
        seen = pd.Index(txn["account_id"].dropna().unique())
        out["accounts_in_transactions_without_kyc_row"] = int((~seen.isin(known)).sum())
        out["accounts_without_transactions"] = int((~known.isin(seen)).sum())
    if labels is not None:
        ids = set()
        for frame in (txn, accounts):
            if frame is not None:
                ids.update(frame["account_id"].dropna().unique().tolist())
        if ids:
            out["labels_for_unknown_accounts"] = int((~labels["account_id"].isin(ids)).sum())
    if observations is not None:
        ids = set()
        for frame in (txn, accounts):
            if frame is not None:
                ids.update(frame["account_id"].dropna().unique().tolist())
        out["observations_for_unknown_accounts"] = int(
            (~observations["account_id"].isin(ids)).sum()
        )
    return out


def _stack(results: list[TableResult], attr: str, columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [getattr(r, attr) for r in results if len(getattr(r, attr))]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "row_number" else "string") for c in columns}
        )
    stacked = pd.concat(frames, ignore_index=True)
    text_columns = [c for c in stacked.columns if c != "row_number"]
    return stacked.astype({c: "string" for c in text_columns})


def validate(
    transactions: TableInput,
    accounts: TableInput | None = None,
    intel: TableInput | None = None,
    labels: TableInput | None = None,
    *,
    column_map: str | os.PathLike[str] | ColumnMap | None = None,
    observations: TableInput | None = None,
) -> ValidationResult:
    """Read, map and validate a bank's extract.

    Parameters
    ----------
    transactions : path-like or pandas.DataFrame
        The transactions table (CSV or Parquet by extension, or a frame).
    accounts, intel, labels : path-like or pandas.DataFrame, optional
        The other canonical tables.
    column_map : path-like or ColumnMap, optional
        How the files' own layout maps onto the canonical tables.
    observations : path-like or pandas.DataFrame, optional
        Staff-observed behaviour codes (:data:`fintrak.schema.OBSERVATIONS`).

    Returns
    -------
    ValidationResult
        Nothing is written; see :func:`write_validation`.

    Raises
    ------
    InputFileError
        For a problem with a whole file (missing, unreadable, a required column absent).
    ColumnMapError
        For a malformed column map.

    Examples
    --------
    >>> import pandas as pd
    >>> txns = pd.DataFrame({
    ...     "txn_id": ["t1", "t2"], "account_id": ["A", "A"],
    ...     "timestamp": ["2025-01-02T10:00:00+00:00", "not a date"],
    ...     "amount": ["12.5", "3"], "currency": ["USD", "USD"],
    ...     "direction": ["debit", "credit"], "channel": ["card", "p2p"]})
    >>> result = validate(txns)
    >>> len(result.tables["transactions"]), len(result.rejects)
    (1, 1)
    >>> result.rejects.loc[0, "reason"][:29]
    "timestamp 'not a date' is not"
    """
    started = time.perf_counter()
    cmap = column_map if isinstance(column_map, ColumnMap) else load_column_map(column_map)
    given = {
        "transactions": transactions,
        "accounts": accounts,
        "intel": intel,
        "labels": labels,
        "observations": observations,
    }
    results: list[TableResult] = []
    inputs: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    for name in _TABLE_ORDER:
        source = given[name]
        if source is None:
            continue
        t0 = time.perf_counter()
        raw, info = _read(name, source, cmap)
        t1 = time.perf_counter()
        result = validate_table(raw, TABLES[name], cmap.for_table(name))
        t2 = time.perf_counter()
        info["rows"] = result.stats["rows_read"]
        inputs.append(info)
        results.append(result)
        timings[f"read_{name}"] = round(t1 - t0, 3)
        timings[f"validate_{name}"] = round(t2 - t1, 3)

    tables = {r.table: r.accepted for r in results}
    per_table = {r.table: r.stats for r in results}
    manifest: dict[str, Any] = {
        "fintrak_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "rows_read": sum(s["rows_read"] for s in per_table.values()),
        "rows_accepted": sum(s["rows_accepted"] for s in per_table.values()),
        "rows_rejected": sum(s["rows_rejected"] for s in per_table.values()),
        "fields_nulled": sum(s["fields_nulled"] for s in per_table.values()),
        "timestamps_assumed_tz": sum(s["timestamps_assumed_tz"] for s in per_table.values()),
        "rejects_by_reason": {
            f"{t}.{k}": v for t, s in per_table.items() for k, v in s["rejects_by_reason"].items()
        },
        "warnings_by_reason": {
            f"{t}.{k}": v for t, s in per_table.items() for k, v in s["warnings_by_reason"].items()
        },
        "cross_checks": _cross_checks(tables),
        "tables": per_table,
        "versions": _versions(),
        "timings_seconds": timings,
    }
    manifest["timings_seconds"]["validation_total"] = round(time.perf_counter() - started, 3)
    return ValidationResult(
        tables=tables,
        rejects=_stack(results, "rejects", REJECT_COLUMNS),
        warnings=_stack(results, "warnings", WARNING_COLUMNS),
        manifest=manifest,
    )


def write_validation(result: ValidationResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write a validation result into ``out_dir`` (which must exist), each file atomically.

    Parameters
    ----------
    result : ValidationResult
        From :func:`validate`.
    out_dir : path-like
        The run folder (see :func:`fintrak.io.atomic.prepare_output_dir`).

    Returns
    -------
    dict of str to pathlib.Path
        Every file written, by name; ``manifest.json`` is written last and lists them.
    """
    out = Path(out_dir)
    started = time.perf_counter()
    written: dict[str, Path] = {}
    for name, frame in result.tables.items():
        written[name] = write_parquet_atomic(out / f"{name}.parquet", frame)
    written["rejects"] = write_parquet_atomic(out / "rejects.parquet", result.rejects)
    written["warnings"] = write_parquet_atomic(out / "warnings.parquet", result.warnings)
    result.manifest["outputs"] = sorted(p.name for p in written.values()) + ["manifest.json"]
    result.manifest["timings_seconds"]["write_outputs"] = round(time.perf_counter() - started, 3)
    written["manifest"] = write_json_atomic(out / "manifest.json", result.manifest)
    return written
