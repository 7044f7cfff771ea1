"""Columnar preparation of the transactions for :class:`~fintrak.features.context.FeatureContext`.

A bank's extract repeats a few thousand distinct values (channels, cities, counterparties) over
millions of rows. These helpers work on the distinct values once and on int32 codes per row:
text columns become pandas categoricals (sorted categories, so codes never depend on row
order), ids are looked up per distinct id, the local clock is converted once per time zone, and
the sort uses pyarrow's multi-key sort. Each gives the same values as the obvious row-wise
pandas expression, several times faster on 10M rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "counterparty_keys",
    "distinct",
    "drop_unused",
    "encode_text",
    "local_clock",
    "positions",
    "sort_order",
    "take",
]


def _arrow_text(columns: tuple[pd.Series, ...]) -> pa.Array:
    chunks = []
    for column in columns:
        array = pa.array(column.array) if len(column) else pa.array([], type=pa.large_string())
        for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:
            same = chunk.type == pa.large_string()
            chunks.append(chunk if same else chunk.cast(pa.large_string()))
    return pa.chunked_array(chunks, type=pa.large_string()).combine_chunks()


def _dictionary(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return (int32 codes, -1 for null; the distinct values as text) of a text column.

    A categorical column is used as it is; any other text column is dictionary-encoded by
    pyarrow. The distinct values are in no particular order.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = pd.Index(column.cat.categories.astype("str"))
        return np.asarray(column.cat.codes, dtype=np.int32), values
    encoded = pc.dictionary_encode(_arrow_text((column,)))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, pd.Index(encoded.dictionary.to_pylist(), dtype="str")


def encode_text(*columns: pd.Series) -> list[pd.Categorical]:
    """Encode text columns as categoricals over one shared set of sorted categories.

    Equivalent to ``astype("category")`` of each column with the union of their values as the
    categories (nulls stay null). Columns may be text or already categorical.

    Examples
    --------
    >>> city, home = encode_text(pd.Series(["Oslo", None]), pd.Series(["Bergen", "Oslo"]))
    >>> list(city), list(home.categories)
    (['Oslo', nan], ['Bergen', 'Oslo'])
    """
    dtype = columns[0].dtype if isinstance(columns[0].dtype, pd.StringDtype) else "str"
    encoded = [_dictionary(column) for column in columns]
    distinct = pd.Index(pd.concat([pd.Series(values) for _, values in encoded]).unique())
    categories = distinct.astype(dtype).sort_values()
    kinds = pd.CategoricalDtype(categories)
    out = []
    for codes, values in encoded:
        remap = categories.get_indexer(values.astype(dtype)).astype(np.int32)
        out.append(pd.Categorical.from_codes(np.append(remap, np.int32(-1))[codes], dtype=kinds))
    return out


def take(values: pd.Categorical, rows: np.ndarray) -> pd.Categorical:
    """Return ``values[rows]`` (same categories), by int32 codes."""
    return pd.Categorical.from_codes(np.asarray(values.codes)[rows], dtype=values.dtype)


def distinct(values: pd.Series) -> pd.Index:
    """Return the distinct non-null values of a text column (order unspecified)."""
    codes, distinct = _dictionary(values)
    used = np.bincount(codes[codes >= 0], minlength=len(distinct)) > 0
    return distinct[used]


def drop_unused(*values: pd.Categorical) -> list[pd.Categorical]:
    """Drop the categories none of ``values`` (which share their categories) uses."""
    used = np.zeros(len(values[0].categories), dtype=bool)
    for value in values:
        codes = np.asarray(value.codes)
        used |= np.bincount(codes[codes >= 0], minlength=len(used)) > 0
    remap = (np.cumsum(used, dtype=np.int64) - 1).astype(np.int32)
    kinds = pd.CategoricalDtype(values[0].categories[used])
    out = []
    for value in values:
        codes = np.asarray(value.codes)
        codes = np.append(remap, np.int32(-1))[codes]
        out.append(pd.Categorical.from_codes(codes, dtype=kinds))
    return out


def positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Return ``index.get_indexer(values)`` (-1 where absent or null), per distinct id."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, distinct = _dictionary(values)
    found = index.get_indexer(distinct.astype(index.dtype))
    return np.append(found, -1)[codes]


def counterparty_keys(ids: pd.Categorical, names: pd.Categorical) -> pd.Categorical:
    """Return the counterparty key: the id where given, else the trimmed lower-cased name."""
    lowered = pd.Index(names.categories).str.strip().str.lower()
    union = pd.Index(pd.concat([pd.Series(ids.categories), pd.Series(lowered)]).unique())
    union = union.astype(ids.categories.dtype).sort_values()
    from_id = union.get_indexer(ids.categories).astype(np.int32)
    from_name = union.get_indexer(lowered).astype(np.int32)
    id_codes, name_codes = np.asarray(ids.codes), np.asarray(names.codes)
    codes = np.where(
        id_codes >= 0,
        np.append(from_id, -1)[id_codes],
        np.append(from_name, -1)[name_codes],
    ).astype(np.int32)
    (merged,) = drop_unused(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(union)))
    return merged


def local_clock(
    timestamps: pd.Series, zone_of_account: pd.Series, acct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return (hour 0-23, weekday 0=Monday) of each UTC timestamp on its account's clock.

    ``zone_of_account`` holds one IANA zone per account (null = UTC); ``acct`` each row's
    account position. Each zone is converted once, over its own rows.
    """
    hours = np.zeros(len(timestamps), dtype=np.int8)
    days = np.zeros(len(timestamps), dtype=np.int8)
    zone_codes, zones = pd.factorize(zone_of_account.fillna("UTC"))
    per_row = np.asarray(zone_codes, dtype=np.int32)[acct]
    order = np.argsort(per_row, kind="stable")
    bounds = np.searchsorted(per_row[order], np.arange(len(zones) + 1))
    stamps = timestamps.array
    for code, zone in enumerate(zones):
        rows = order[bounds[code] : bounds[code + 1]]
        if len(rows) == 0:
            continue
        local = pd.DatetimeIndex(stamps[rows]).tz_convert(zone)
        hours[rows] = local.hour.to_numpy(dtype=np.int8)
        days[rows] = local.day_of_week.to_numpy(dtype=np.int8)
    return hours, days


def sort_order(acct: np.ndarray, timestamps: pd.Series, txn_ids: pd.Series) -> np.ndarray:
    """Return the row order by account, then time, then transaction id (stable)."""
    table = pa.table(
        {
            "acct": pa.array(acct),
            "time": pa.array(np.asarray(timestamps.array.asi8)),
            "id": _arrow_text((txn_ids,)),
        }
    )
    keys = [("acct", "ascending"), ("time", "ascending"), ("id", "ascending")]
    return pc.sort_indices(
        table,
        sort_keys=keys,
    ).to_numpy()
