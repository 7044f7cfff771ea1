"""Read the small CSV or Parquet lists that steer alerting (suppression list, alert history)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from fintrak.exceptions import InputFileError


def read_list(path: str | os.PathLike[str], required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file as text columns and check its required columns."""
    file = Path(path)
    if not file.is_file():
        raise InputFileError(
            str(file), f"the {what} does not exist", "Check the path, or leave the option out."
        )
    suffix = file.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(file)
        elif suffix == ".csv":
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
        else:
            raise InputFileError(
                str(file),
                f"the {what} must be a .csv or .parquet file",
                "Save it as CSV (UTF-8, with a header row) or Parquet.",
            )
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        raise InputFileError(
            str(file),
            f"the {what} cannot be read ({type(exc).__name__})",
            "Check that it is a valid CSV (UTF-8, header row) or Parquet file.",
        ) from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputFileError(
            str(file),
            f"the {what} lacks the column(s) {', '.join(missing)}",
            f"Add the columns {', '.join(required)} (header row).",
            column=missing[0],
        )
    return frame
