"""Read and check the two tables a backtest needs: a run's scores and the ground-truth labels.

Both may be given as a :class:`pandas.DataFrame` or as a path to a ``.parquet`` or ``.csv`` file.
Every problem is checked here, once, and reported as an :class:`~fintrak.exceptions.InputFileError`
that names the file (or ``<scores DataFrame>``), the column, what was found and the fix; the
metric functions trust what this module returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fintrak.exceptions import InputFileError
from fintrak.io.readers import file_sha256, read_table_file, require_columns

__all__ = [
    "LABEL_COLUMNS",
    "SCORE_COLUMNS",
    "Table",
    "read_labels",
    "read_scores",
]

#: Score columns evaluated: the rules, the model, and the combined score fintrak ranks by.
SCORE_COLUMNS: tuple[str, ...] = ("rule_score", "model_score", "score")
#: Columns the labels table must have; ``typology`` and ``role`` are used when present.
LABEL_COLUMNS: tuple[str, ...] = ("account_id", "is_trafficking")

TableLike = pd.DataFrame | str | os.PathLike[str]


@dataclass(frozen=True)
class Table:
    """A checked input table and where it came from.

    Attributes
    ----------
    frame : pandas.DataFrame
        The checked table (``account_id`` as text, unique).
    source : str
        The file path, or ``<scores DataFrame>`` / ``<labels DataFrame>``.
    sha256 : str or None
        SHA-256 of the file's bytes; ``None`` for a DataFrame.
    """

    frame: pd.DataFrame
    source: str
    sha256: str | None


def _read(data: TableLike, what: str) -> Table:
    if isinstance(data, pd.DataFrame):
        return Table(frame=data.copy(), source=f"<{what} DataFrame>", sha256=None)
    path = Path(data)
    frame = read_table_file(
        path, f"{what} file", csv_options={"dtype": {"account_id": str}, "keep_default_na": True}
    )
    return Table(frame=frame, source=str(path), sha256=file_sha256(path))


def _require(frame: pd.DataFrame, source: str, columns: tuple[str, ...], what: str) -> None:
    require_columns(frame, source, columns, f"{what} table")


def _account_ids(frame: pd.DataFrame, source: str, what: str) -> pd.Series:
    ids = frame["account_id"]
    empty = ids.isna().to_numpy()
    if empty.any():
        raise InputFileError(
            source,
            f"{int(empty.sum())} row(s) have no account_id",
            f"every row of the {what} table needs an account_id",
            column="account_id",
            row=int(np.flatnonzero(empty)[0]) + 1,
        )
    ids = ids.astype(str)
    duplicated = ids.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        raise InputFileError(
            source,
            f"account_id {ids.iloc[first]!r} and {int(ids.duplicated().sum()) - 1} other(s) "
            f"appear more than once ({int(duplicated.sum())} rows in all)",
            f"keep one row per account in the {what} table",
            column="account_id",
            row=first + 1,
        )
    return ids


def read_scores(scores: TableLike) -> Table:
    """Read and check a scores table (``scores.parquet`` of ``fintrak score``).

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        ``account_id`` and the numeric columns ``rule_score``, ``model_score``, ``score``;
        ``typology`` is kept when present.

    Returns
    -------
    Table
        The table with ``account_id`` as text and the score columns as float.

    Raises
    ------
    InputFileError
        A missing column, a missing or non-numeric score, or a repeated account id.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": [1, 2], "score": [0.9, 0.1],
    ...                       "rule_score": [1.0, 0.0], "model_score": [0.8, 0.2]})
    >>> read_scores(frame).frame["account_id"].tolist()
    ['1', '2']
    """
    table = _read(scores, "scores")
    frame, source = table.frame, table.source
    _require(frame, source, ("account_id", *SCORE_COLUMNS), "scores")
    frame["account_id"] = _account_ids(frame, source, "scores")
    for column in SCORE_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = (values.isna() | ~np.isfinite(values.to_numpy(na_value=np.nan))).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputFileError(
                source,
                f"{int(bad.sum())} value(s) are missing or not finite numbers "
                f"(first: {frame[column].iloc[row]!r})",
                "give every account a numeric score (rerun `fintrak score` if the file was edited)",
                column=column,
                row=row + 1,
            )
        frame[column] = values
    if "typology" in frame.columns:
        frame["typology"] = frame["typology"].astype("string")
    return Table(frame=frame.reset_index(drop=True), source=source, sha256=table.sha256)


def read_labels(labels: TableLike) -> Table:
    """Read and check a labels table (``labels.parquet`` of the synthetic bank, or a bank's cases).

    Parameters
    ----------
    labels : pandas.DataFrame or path-like
        ``account_id`` and ``is_trafficking`` (0 or 1; ``true``/``false`` are accepted);
        ``typology`` and ``role`` are used when present (missing values become ``unknown`` for
        positives).

    Returns
    -------
    Table
        The table with ``account_id`` as text and ``is_trafficking`` as ``int8``.

    Raises
    ------
    InputFileError
        A missing column, a label other than 0/1, or a repeated account id.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": ["a", "b"], "is_trafficking": [1, 0]})
    >>> read_labels(frame).frame["is_trafficking"].tolist()
    [1, 0]
    """
    table = _read(labels, "labels")
    frame, source = table.frame, table.source
    _require(frame, source, LABEL_COLUMNS, "labels")
    frame["account_id"] = _account_ids(frame, source, "labels")
    raw = frame["is_trafficking"]
    text = raw.astype("string").str.strip().str.lower()
    mapped = text.map({"0": 0, "1": 1, "0.0": 0, "1.0": 1, "true": 1, "false": 0})
    bad = mapped.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        found = sorted({str(v) for v in raw[bad].tolist()})[:5]
        raise InputFileError(
            source,
            f"is_trafficking must be 0 or 1; got {', '.join(found)} in {int(bad.sum())} row(s)",
            "mark each account 1 (trafficking) or 0 (not); drop accounts whose outcome is unknown",
            column="is_trafficking",
            row=row + 1,
        )
    frame["is_trafficking"] = mapped.astype("int8")
    for column in ("typology", "role"):
        if column in frame.columns:
            frame[column] = frame[column].astype("string")
        else:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return Table(frame=frame.reset_index(drop=True), source=source, sha256=table.sha256)
