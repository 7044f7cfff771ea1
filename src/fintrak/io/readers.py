"""Read one input file (CSV or Parquet, by extension) into a frame of its original columns.

File-level problems — missing, empty, unreadable, an HTML page saved as CSV, the wrong delimiter or
encoding — raise :class:`~fintrak.exceptions.InputFileError` naming the file and the fix. Row-level
problems are not judged here; that is the validator's job.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fintrak.exceptions import InputFileError
from fintrak.io.column_map import TableMap

__all__ = ["RawTable", "file_sha256", "read_raw", "read_table_file", "require_columns"]

CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_OTHER_DELIMITERS = (";", "\t", "|")


@dataclass(frozen=True)
class RawTable:
    """An input file as read, before any mapping or validation.

    Attributes
    ----------
    frame : pandas.DataFrame
        The file's own columns; CSV columns as text, Parquet columns in their stored types.
        The index is the row position (0 = first data row).
    source : str
        The file path, or ``<DataFrame>`` for a frame passed from Python.
    file_format : str
        ``csv``, ``parquet`` or ``dataframe``.
    """

    frame: pd.DataFrame
    source: str
    file_format: str


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(4096)


def _check_text_head(path: Path, head: bytes) -> None:
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        raise InputFileError(
            str(path),
            "this is an HTML/XML page, not CSV (often a login or error page saved by mistake)",
            "export the table again from its source system and check the file opens as a table",
        )
    if head.startswith(b"PAR1"):
        raise InputFileError(
            str(path),
            "this is a Parquet file with a CSV name",
            "rename it to end in .parquet",
        )
    if b"\x00" in head:
        raise InputFileError(
            str(path),
            "this is a binary file, not CSV text (a spreadsheet or a UTF-16 export?)",
            "save it as CSV (UTF-8) or Parquet",
        )


def _read_csv(path: Path, table_map: TableMap) -> pd.DataFrame:
    head = _sniff(path)
    if not head.strip():
        raise InputFileError(str(path), "the file is empty", "export the table again")
    _check_text_head(path, head)
    # Spreadsheet exports often start UTF-8 files with a byte-order mark; read past it.
    encoding = (
        "utf-8-sig"
        if table_map.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        else table_map.encoding
    )
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            sep=table_map.delimiter,
            index_col=False,
            encoding=encoding,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            engine="c",
        )
    except UnicodeDecodeError as exc:
        raise InputFileError(
            str(path),
            f"the file is not {table_map.encoding} text (byte {exc.start} cannot be decoded)",
            "save it as UTF-8, or set `encoding:` (e.g. latin-1, cp1252) in the column map",
        ) from None
    except pd.errors.ParserError as exc:
        raise InputFileError(
            str(path),
            f"the CSV cannot be parsed ({str(exc).strip()})",
            "check quoting and the delimiter; set `delimiter:` in the column map if it is not ','",
        ) from None
    except pd.errors.EmptyDataError:
        raise InputFileError(str(path), "the file has no header row", "export it again") from None
    except LookupError as exc:  # unknown encoding name
        raise InputFileError(
            str(path), f"unknown encoding ({exc})", "fix `encoding:` in the column map"
        ) from None
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        for candidate in _OTHER_DELIMITERS:
            if candidate in header:
                shown = "\\t" if candidate == "\t" else candidate
                raise InputFileError(
                    str(path),
                    f"only one column was found, and its name contains {shown!r}: the file is "
                    f"delimited by {shown!r}, not {table_map.delimiter!r}",
                    f'add `delimiter: "{shown}"` to this table\'s section of a column map '
                    "(--column-map)",
                )
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise InputFileError(
            str(path),
            f"the Parquet file cannot be read ({str(exc).splitlines()[0]})",
            "export the table again; check that the copy completed",
        ) from None
    try:
        return table.to_pandas(types_mapper=_nullable_integers, self_destruct=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputFileError(
            str(path),
            f"a column cannot be converted ({str(exc).splitlines()[0]})",
            "store ids as text or 64-bit integers and amounts as numbers",
        ) from None


def _nullable_integers(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    # Integers (ids, MCCs) stay exact nullable integers instead of floats with NaN; unsigned 64-bit
    # values may not fit int64, so they stay Arrow-backed.
    if pa.types.is_uint64(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None


def read_raw(path: str | os.PathLike[str], table_map: TableMap) -> RawTable:
    """Read a CSV or Parquet file, chosen by its extension.

    Parameters
    ----------
    path : path-like
        The input file.
    table_map : TableMap
        CSV reading options (delimiter, encoding, decimal, thousands).

    Returns
    -------
    RawTable

    Raises
    ------
    InputFileError
        If the file is missing, empty, unreadable, or not a table.
    """
    file = Path(path)
    if not file.exists():
        raise InputFileError(
            str(file), "no such file", "check the path (it is relative to where you ran fintrak)"
        )
    if file.is_dir():
        raise InputFileError(
            str(file), "this is a folder, not a file", "give the CSV or Parquet file inside it"
        )
    name = file.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        frame = _read_parquet(file)
        file_format = "parquet"
    elif name.endswith(CSV_SUFFIXES):
        frame = _read_csv(file, table_map)
        file_format = "csv"
    else:
        raise InputFileError(
            str(file),
            f"unknown file type {file.suffix!r}",
            "give a .csv or .parquet file (fintrak chooses the reader by the extension)",
        )
    if len(frame) == 0:
        raise InputFileError(
            str(file), "the file has a header but no data rows", "export the table again"
        )
    frame.index = pd.RangeIndex(len(frame))
    return RawTable(frame=frame, source=str(file), file_format=file_format)


def read_table_file(
    path: str | os.PathLike[str], what: str, *, csv_options: dict | None = None
) -> pd.DataFrame:
    """Read a small side table (a list, labels, scores) from ``.parquet`` or ``.csv``.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What it is, for messages (``"suppression list"``, ``"labels file"``).
    csv_options : dict, optional
        Extra arguments of :func:`pandas.read_csv` (dtypes, missing-value markers).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    fintrak.exceptions.InputFileError
        If the file does not exist, is neither ``.parquet`` nor ``.csv``, or cannot be read.
    """
    file = Path(path)
    if not file.is_file():
        raise InputFileError(
            str(file), f"the {what} does not exist", f"check the path to the {what}"
        )
    suffix = file.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputFileError(
            str(file),
            f"unknown file type {suffix or '(none)'!r}",
            "give a .parquet or .csv file (UTF-8, with a header row)",
        )
    try:
        if suffix == ".parquet":
            return pd.read_parquet(file)
        return pd.read_csv(file, **(csv_options or {}))
    except (OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InputFileError(
            str(file),
            f"the {what} cannot be read ({first})",
            "check that it is a valid CSV (UTF-8, header row) or Parquet file",
        ) from None


def require_columns(frame: pd.DataFrame, source: str, columns: tuple[str, ...], what: str) -> None:
    """Raise an :class:`InputFileError` naming the first of ``columns`` missing from ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    source : str
        The file (or a description of the frame) for the message.
    columns : tuple of str
        The required columns.
    what : str
        What the table is, for the fix.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputFileError(
            source,
            f"missing column(s) {', '.join(repr(c) for c in missing)}; found "
            f"{', '.join(repr(str(c)) for c in frame.columns) or 'no columns'}",
            f"give the {what} with columns {', '.join(columns)} (header row)",
            column=missing[0],
        )
