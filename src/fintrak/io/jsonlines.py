"""JSON Lines as fintrak writes them: one object per line, keys sorted, floats rounded.

``alerts.jsonl`` and ``cases.jsonl`` share this rendering, so the same value is written the same
way in both (NaN, NA and NaT as null; numpy scalars as plain numbers; floats to
:data:`DECIMALS` places).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DECIMALS", "json_lines", "jsonable"]

#: Decimal places kept for floats.
DECIMALS = 6


def jsonable(value: Any) -> Any:
    """Return a JSON-ready copy: floats rounded, NaN/NA/NaT as None, numpy scalars as Python.

    Examples
    --------
    >>> jsonable({"a": np.float64(0.12345678), "b": [np.int64(2), float("nan")], "c": pd.NA})
    {'a': 0.123457, 'b': [2, None], 'c': None}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) else round(number, DECIMALS)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def json_lines(records: Iterable[dict[str, Any]]) -> str:
    """Render records as JSON Lines (keys sorted, values through :func:`jsonable`).

    Examples
    --------
    >>> print(json_lines([{"b": 1.0000001, "a": None}]), end="")
    {"a": null, "b": 1.0}
    """
    lines = [json.dumps(jsonable(r), sort_keys=True, ensure_ascii=False) for r in records]
    return "\n".join(lines) + ("\n" if lines else "")
