"""Thresholds and reference lists used by features, loaded from ``fintrak/reference``.

Amount thresholds come from the sources (a US CTR of 10,000; smuggling wires under 3,000; AU22's
AUD 100-800 band) and are resolved per transaction currency, never hard-coded in USD.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from fintrak.reference import load_reference

__all__ = ["FeatureSettings"]


@dataclass(frozen=True)
class FeatureSettings:
    """Thresholds per currency, MCC groups and reference lists.

    Build with :meth:`default` (the shipped files) or :meth:`load` (shipped files extended by a
    bank's own).
    """

    thresholds: dict[str, Any]
    mcc_groups: dict[str, Any]
    lists: dict[str, Any]

    @classmethod
    def default(cls) -> FeatureSettings:
        """Return the settings shipped with fintrak."""
        return cls.load()

    @classmethod
    def load(
        cls,
        *,
        thresholds: str | os.PathLike[str] | None = None,
        mcc_groups: str | os.PathLike[str] | None = None,
        lists: str | os.PathLike[str] | None = None,
    ) -> FeatureSettings:
        """Return the shipped settings, each optionally extended by a bank's YAML file."""
        return cls(
            thresholds=load_reference("thresholds", thresholds),
            mcc_groups=load_reference("mcc_groups", mcc_groups),
            lists=load_reference("lists", lists),
        )

    def threshold(self, name: str, currencies: pd.Series | np.ndarray) -> np.ndarray:
        """Return threshold ``name`` in each row's currency.

        Examples
        --------
        >>> s = FeatureSettings.default()
        >>> s.threshold("small_wire", np.array(["USD", "CAD"])).round(0).tolist()
        [3000.0, 4110.0]
        >>> s.threshold("cash_reporting", np.array(["AUD"])).tolist()
        [10000.0]
        """
        entry = self.thresholds["thresholds"][name]
        rates = self.thresholds["rates_to_usd"]
        values = np.asarray(currencies, dtype=object)
        out = np.full(len(values), np.nan)
        if entry.get("currency") is None:
            out[:] = float(entry["value"])
            return out
        base = float(entry["value"]) * float(rates[entry["currency"]])
        overrides = entry.get("per_currency") or {}

        def figure(currency: object) -> float:
            if currency in overrides:
                return float(overrides[currency])
            if currency == entry["currency"]:
                return float(entry["value"])
            if currency in rates:
                return base / float(rates[currency])
            return float(entry["value"])  # unknown currency: as given (documented limitation)

        codes, uniques = pd.factorize(values)
        if (codes >= 0).all():  # one look-up per distinct currency
            return np.array([figure(c) for c in uniques], dtype=np.float64)[codes]
        for currency in pd.unique(values):  # nulls present: row by row comparison as ever
            rows = values == currency
            out[rows] = figure(currency)
        return out

    def small_multiple_units(self) -> list[float]:
        """Return the FT16 small-multiple units (3, 12, 24).

        They are ad-site price steps, applied in the transaction's own currency (converting them
        would turn 3 CAD into 2 USD, and every even amount into a "multiple").
        """
        return [float(u) for u in self.thresholds["small_multiple_units"]["values"]]

    def mcc_in(self, group: str, mcc: pd.Series) -> np.ndarray:
        """Return a boolean mask: the row's MCC belongs to ``group`` (False where MCC is null)."""
        entry = self.mcc_groups["groups"][group]
        codes = mcc.to_numpy(dtype="float64", na_value=np.nan)
        mask = np.isin(codes, np.asarray(entry.get("mcc", []), dtype="float64"))
        for low, high in entry.get("ranges", []):
            mask |= (codes >= low) & (codes <= high)
        return mask

    def values(self, name: str) -> list[Any]:
        """Return the values of reference list ``name``."""
        return list(self.lists[name]["values"])

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        out = {}
        for name in ("ad_site_descriptors", "memo_keywords"):
            words = sorted(set(self.values(name)), key=len, reverse=True)
            body = "|".join(re.escape(w) for w in words)
            out[name] = re.compile(rf"\b(?:{body})\b" if name == "memo_keywords" else body)
        return out

    def matches(self, name: str, text: pd.Series) -> np.ndarray:
        """Return a boolean mask: ``text`` matches reference list ``name`` (case-insensitive)."""
        lowered = text.str.lower()
        hit = lowered.str.contains(self._patterns[name], regex=True)
        return hit.fillna(False).to_numpy(dtype=bool)
