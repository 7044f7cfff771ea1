"""Read the small CSV or Parquet lists that steer alerting (suppression list, alert history)."""

from __future__ import annotations

import os

import pandas as pd

from fintrak.io.readers import read_table_file, require_columns


def read_text_table(
    path: str | os.PathLike[str], required: tuple[str, ...], what: str
) -> pd.DataFrame:
    """Read a list whose CSV cells are all text (empty = missing) and check its columns."""
    frame = read_table_file(
        path, what, csv_options={"dtype": str, "keep_default_na": False, "na_values": [""]}
    )
    require_columns(frame, str(path), required, what)
    return frame
