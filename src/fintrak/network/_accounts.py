"""Account index shared by the network modules: sorted account ids and integer codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fintrak.features._columns import positions

__all__ = ["AccountIndex"]


class AccountIndex:
    """Sorted unique account ids with fast id -> code lookups.

    Codes follow the sorted order of the ids, so anything derived from codes (pair order, the
    smallest member of a network) does not depend on the order of the input rows.

    Parameters
    ----------
    *columns : pandas.Series
        Columns holding account ids; nulls are ignored.

    Examples
    --------
    >>> idx = AccountIndex(pd.Series(["b", "a"]), pd.Series(["c", None]))
    >>> idx.ids.tolist()
    ['a', 'b', 'c']
    >>> idx.codes(pd.Series(["c", "x", None])).tolist()
    [2, -1, -1]
    """

    def __init__(self, *columns: pd.Series) -> None:
        parts = [pd.unique(c.dropna().astype(str)) for c in columns if c is not None]
        joined = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
        self.ids: np.ndarray = np.sort(pd.unique(joined).astype(object))
        self._index = pd.Index(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, values: pd.Series) -> np.ndarray:
        """Return the code of each value (-1 for nulls and ids not in the index)."""
        return positions(self._index, pd.Series(values, copy=False)).astype(np.int64)
