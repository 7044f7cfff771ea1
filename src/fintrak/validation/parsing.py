"""Vectorised parsers: raw column (text or typed) -> canonical values plus a failure mask.

Each parser returns a :class:`Parsed` holding the parsed values (null where parsing failed or the
input was null) and ``failed``: True where a value was given but could not be read. Range and
vocabulary checks come later (pandera, in :mod:`fintrak.validation.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fintrak.schema import ColumnSpec

__all__ = ["Parsed", "normalise_text", "parse_column"]

TIMESTAMP_DTYPE = "datetime64[us, UTC]"
DATE_DTYPE = "datetime64[us]"

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}
# An offset only counts after a time of day: "2025-01-02" ends in "-02", which is the day.
_OFFSET_PATTERN = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_CASE = {"iso4217": "upper", "iso3166_alpha2": "upper"}


@dataclass(frozen=True)
class Parsed:
    """Parsed values of one column.

    Attributes
    ----------
    values : pandas.Series
        Canonical dtype; null where the input was null or unreadable.
    failed : numpy.ndarray of bool
        True where a value was present but could not be parsed.
    assumed_tz : int
        How many timestamps had no UTC offset and were read in the assumed time zone.
    """

    values: pd.Series
    failed: np.ndarray
    assumed_tz: int = 0


def normalise_text(raw: pd.Series) -> pd.Series:
    """Return ``raw`` as pandas ``string`` dtype, trimmed, with empty strings as null.

    Integers (from Parquet) become their exact decimal text; floats that hold whole numbers lose
    the ``.0`` so that an id read as float still matches.
    """
    if pd.api.types.is_float_dtype(raw.dtype):
        values = raw.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(values) & (np.floor(values) == values)
        text = raw.astype("string")
        if whole.any():
            text = text.mask(
                whole, pd.Series(values, index=raw.index).round().astype("Int64").astype("string")
            )
        out = text
    elif pd.api.types.is_datetime64_any_dtype(raw.dtype):
        out = raw.map(lambda v: v.isoformat() if pd.notna(v) else None).astype("string")
    else:
        out = raw.astype("string")
    out = out.str.strip()
    return out.mask(out == "")


def _parse_float(
    raw: pd.Series, spec: ColumnSpec, decimal: str = ".", thousands: str | None = None
) -> Parsed:
    if pd.api.types.is_bool_dtype(raw.dtype):
        text = normalise_text(raw)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = pd.Series(raw.to_numpy(dtype="float64", na_value=np.nan), index=raw.index)
        return Parsed(values, np.zeros(len(raw), dtype=bool))
    else:
        text = normalise_text(raw)
        if thousands:
            text = text.str.replace(thousands, "", regex=False)
        if decimal != ".":
            text = text.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    lowered = text.str.lower()
    explicit_nan = lowered.isin(["nan", "+nan", "-nan"]).fillna(False).to_numpy(dtype=bool)
    given = text.notna().to_numpy()
    failed = given & numbers.isna().to_numpy() & ~explicit_nan
    return Parsed(numbers, failed)


def _parse_int(
    raw: pd.Series, spec: ColumnSpec, decimal: str = ".", thousands: str | None = None
) -> Parsed:
    floats = _parse_float(raw, spec, decimal, thousands)
    values = floats.values.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(values)
    not_whole = finite & (np.floor(values) != values)
    failed = floats.failed | not_whole | (~finite & ~np.isnan(values))
    keep = finite & ~not_whole
    # Beyond int64: clip, so that the range check reports the value instead of losing it.
    clipped = np.clip(np.where(keep, values, 0), -(2.0**62), 2.0**62)
    out = pd.array(clipped.astype("int64"), dtype="Int64")
    out[~keep] = pd.NA
    return Parsed(pd.Series(out, index=raw.index), failed)


def _parse_flag(raw: pd.Series, spec: ColumnSpec) -> Parsed:
    text = normalise_text(raw).str.lower()
    text = text.str.replace(r"\.0+$", "", regex=True)
    is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    given = text.notna().to_numpy()
    values = pd.array(np.where(is_true, 1, 0).astype("int8"), dtype="Int8")
    values[~(is_true | is_false)] = pd.NA
    return Parsed(pd.Series(values, index=raw.index), given & ~(is_true | is_false))


def _localise(naive: pd.Series, tz: str) -> pd.Series:
    # Ambiguous wall times (the repeated hour when clocks go back) are read as standard time;
    # wall times skipped by a DST jump are moved forward: both are real clock readings.
    return naive.dt.tz_localize(
        tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def _parse_timestamp(raw: pd.Series, spec: ColumnSpec, fmt: str | None, tz: str) -> Parsed:
    index = raw.index
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        series = raw
        if getattr(series.dt, "tz", None) is None:
            assumed = int(series.notna().sum())
            series = _localise(series, tz)
        else:
            assumed = 0
            series = series.dt.tz_convert("UTC")
        return Parsed(series.astype(TIMESTAMP_DTYPE), np.zeros(len(raw), dtype=bool), assumed)
    text = normalise_text(raw)
    given = text.notna().to_numpy()
    values = pd.Series(pd.NaT, index=index, dtype=TIMESTAMP_DTYPE)
    if fmt is not None and "%z" not in fmt:
        has_offset = np.zeros(len(text), dtype=bool)
    else:
        has_offset = text.str.contains(_OFFSET_PATTERN, regex=True).fillna(False).to_numpy(bool)
    aware_rows = given & has_offset
    naive_rows = given & ~has_offset
    if aware_rows.any():
        parsed = pd.to_datetime(
            text[aware_rows], format=fmt or "ISO8601", utc=True, errors="coerce"
        )
        values[aware_rows] = parsed.astype(TIMESTAMP_DTYPE)
    if naive_rows.any():
        parsed = pd.to_datetime(text[naive_rows], format=fmt or "ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:  # a format with %z
            values[naive_rows] = parsed.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
        else:
            values[naive_rows] = _localise(parsed.astype("datetime64[us]"), tz).astype(
                TIMESTAMP_DTYPE
            )
    failed = given & values.isna().to_numpy()
    assumed = int((naive_rows & ~failed).sum())
    return Parsed(values, failed, assumed)


def _parse_date(raw: pd.Series, spec: ColumnSpec, fmt: str | None) -> Parsed:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        series = raw
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return Parsed(series.dt.normalize().astype(DATE_DTYPE), np.zeros(len(raw), dtype=bool))
    text = normalise_text(raw)
    # A date column may carry a time or an offset; keep the calendar date as written.
    date_part = text if fmt is not None else text.str.slice(0, 10)
    parsed = pd.to_datetime(date_part, format=fmt or "ISO8601", errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    values = parsed.dt.normalize().astype(DATE_DTYPE)
    given = text.notna().to_numpy()
    return Parsed(values, given & values.isna().to_numpy())


def _parse_string(raw: pd.Series, spec: ColumnSpec) -> Parsed:
    text = normalise_text(raw)
    if spec.allowed is not None:
        text = text.str.lower()
    elif spec.domain in _CASE:
        text = text.str.upper()
    elif spec.domain in ("email", "ip"):
        text = text.str.lower()
    return Parsed(text, np.zeros(len(raw), dtype=bool))


def parse_column(
    raw: pd.Series,
    spec: ColumnSpec,
    *,
    timestamp_format: str | None = None,
    date_format: str | None = None,
    assume_tz: str = "UTC",
    decimal: str = ".",
    thousands: str | None = None,
) -> Parsed:
    """Parse one raw column into the canonical type of ``spec``.

    Parameters
    ----------
    raw : pandas.Series
        Text (CSV) or typed (Parquet) values, indexed by row position.
    spec : ColumnSpec
        The canonical column.
    timestamp_format : str, optional
        strftime format for timestamps; default ISO-8601.
    date_format : str, optional
        strftime format for dates; default ISO-8601 (the first 10 characters).
    assume_tz : str
        IANA zone for timestamps without an offset.
    decimal, thousands : str
        Decimal mark and thousands separator of numbers written as text.

    Returns
    -------
    Parsed

    Examples
    --------
    >>> import pandas as pd
    >>> from fintrak.schema import TRANSACTIONS
    >>> p = parse_column(pd.Series(["12.50", "abc", None]), TRANSACTIONS["amount"])
    >>> p.values.tolist()[:1], p.failed.tolist()
    ([12.5], [False, True, False])
    """
    if spec.kind == "float":
        return _parse_float(raw, spec, decimal, thousands)
    if spec.kind == "int":
        return _parse_int(raw, spec, decimal, thousands)
    if spec.kind == "flag":
        return _parse_flag(raw, spec)
    if spec.kind == "timestamp":
        return _parse_timestamp(raw, spec, timestamp_format, assume_tz)
    if spec.kind == "date":
        return _parse_date(raw, spec, date_format)
    return _parse_string(raw, spec)
