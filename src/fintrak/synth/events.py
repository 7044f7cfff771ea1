"""Shared machinery of the generator: the string pool, the event buffer and the context.

Every simulation module appends *column arrays* to one :class:`EventBuffer`: integer account
indices, local clock times (seconds, naive), amounts and small integer codes. Strings live once in
the :class:`Pool` and are referenced by code, so no string is built per transaction.
:mod:`fintrak.synth.assemble` turns the buffer into the canonical tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from fintrak.schema import CHANNELS
from fintrak.synth.config import SynthConfig
from fintrak.synth.merchants import HOURS, Catalogue
from fintrak.synth.world import World

__all__ = ["CH", "CREDIT", "DEBIT", "Ctx", "EventBuffer", "Pool"]

CREDIT, DEBIT = 0, 1
CH = {name: i for i, name in enumerate(CHANNELS)}
DAY = 86_400

#: Rough value of one US dollar in each currency, to scale amounts (not an FX feed).
FX: dict[str, float] = {
    "USD": 1.0,
    "CAD": 1.37,
    "AUD": 1.52,
    "GBP": 0.79,
    "EUR": 0.92,
    "NZD": 1.65,
    "MXN": 18.0,
    "JPY": 150.0,
    "INR": 84.0,
    "CHF": 0.88,
    "SGD": 1.34,
    "HKD": 7.8,
    "ZAR": 18.0,
}

#: Cash reporting threshold per currency (CTR, LCTR, TTR; GB has none, the same round figure
#: still shapes behaviour). Other currencies scale the US threshold.
CASH_THRESHOLD: dict[str, float] = {"USD": 10_000, "CAD": 10_000, "AUD": 10_000, "GBP": 10_000}

_MODULES = (
    "plan",
    "kyc",
    "population",
    "business",
    "hard_negatives",
    "sex_trafficking",
    "labour_trafficking",
    "funnel",
    "human_smuggling",
    "intel",
    "assemble",
    "devices",
    "observations",
)


class Pool:
    """Append-only string table; events reference strings by integer code."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    def add(self, values: np.ndarray | list[str]) -> np.ndarray:
        """Register ``values`` (one code per value, duplicates allowed) and return the codes."""
        vals = list(values)
        base = len(self.strings)
        self.strings.extend(vals)
        return np.arange(base, base + len(vals), dtype=np.int32)

    def one(self, value: str) -> int:
        """Register one string and return its code."""
        self.strings.append(value)
        return len(self.strings) - 1


class EventBuffer:
    """Column-wise accumulator of transactions (one row per posting on one account)."""

    cols = (
        "acct",
        "t",
        "amount",
        "direction",
        "channel",
        "mcc",
        "cp",
        "name",
        "city",
        "memo",
        "clock",
    )

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        acct: np.ndarray,
        t: np.ndarray,
        amount: np.ndarray,
        direction: int | np.ndarray,
        channel: str | np.ndarray,
        *,
        mcc: int | np.ndarray = -1,
        cp: int | np.ndarray = -1,
        name: int | np.ndarray = -1,
        city: int | np.ndarray = -1,
        memo: int | np.ndarray = -1,
        clock: np.ndarray | None = None,
    ) -> None:
        """Append events; scalars are broadcast.

        ``clock`` is the account whose time zone the local time ``t`` refers to (default:
        ``acct``).
        """
        acct = np.asarray(acct, dtype=np.int32)
        n = len(acct)
        if n == 0:
            return

        def arr(x: object, dtype: type) -> np.ndarray:
            a = np.asarray(x, dtype=dtype)
            return np.broadcast_to(a, (n,)).copy() if a.ndim == 0 else a.astype(dtype, copy=False)

        ch = CH[channel] if isinstance(channel, str) else channel
        self.parts.append(
            (
                acct,
                arr(t, np.int64),
                arr(amount, np.float64),
                arr(direction, np.int8),
                arr(ch, np.int8),
                arr(mcc, np.int16),
                arr(cp, np.int32),
                arr(name, np.int32),
                arr(city, np.int32),
                arr(memo, np.int32),
                acct if clock is None else arr(clock, np.int32),
            )
        )

    def concat(self) -> dict[str, np.ndarray]:
        """All events as one array per column."""
        return {c: np.concatenate([p[i] for p in self.parts]) for i, c in enumerate(self.cols)}


@dataclass
class Ctx:
    """Everything the simulation modules share: config, world, pool, buffer and account arrays."""

    cfg: SynthConfig
    world: World
    pool: Pool
    cat: Catalogue
    buf: EventBuffer
    n_days: int
    start_s: int  # local midnight of cfg.start, seconds since epoch (naive)
    month_days: np.ndarray  # day offset of the first of each month, plus the end
    fx: float
    cash_threshold: float
    n: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    kyc: dict[str, np.ndarray] = field(default_factory=dict)

    # ---- random streams -------------------------------------------------------------------
    def rng(self, module: str) -> np.random.Generator:
        """Return an independent, reproducible generator for ``module``."""
        ss = np.random.SeedSequence([self.cfg.seed, _MODULES.index(module), 0x5F3759DF])
        return np.random.Generator(np.random.PCG64(ss))

    # ---- account arrays --------------------------------------------------------------------
    def __getattr__(self, key: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and key in arrays:
            return arrays[key]
        raise AttributeError(key)

    def init_accounts(self, n: int) -> None:
        """Create the per-account arrays with their defaults."""
        self.n = n
        a = self.arrays
        a["is_business"] = np.zeros(n, bool)
        a["segment"] = np.full(n, "ordinary", dtype=object)
        a["typology"] = np.full(n, None, dtype=object)
        a["role"] = np.full(n, None, dtype=object)
        a["ring"] = np.full(n, -1, np.int32)
        a["win_lo"] = np.full(n, np.inf)  # ring window (days); inf = none
        a["win_hi"] = np.full(n, -np.inf)
        a["life"] = np.ones(n)  # baseline activity multiplier
        a["life_in"] = np.ones(n)  # baseline multiplier inside the ring window
        a["city"] = np.zeros(n, np.int32)
        a["name_code"] = np.full(n, -1, np.int32)
        a["opened_day"] = np.full(n, -1000.0)
        a["job"] = np.zeros(n, np.int8)  # 0 none, 1 employee, 2 benefits/pension
        a["employer_acct"] = np.full(n, -1, np.int32)
        a["employer_name"] = np.full(n, -1, np.int32)
        a["pay_sched"] = np.zeros(n, np.int8)
        a["income"] = np.zeros(n)
        a["night"] = np.zeros(n, bool)  # lives at night (baseline hours shift)
        a["rent"] = np.zeros(n)  # monthly rent paid by this account
        a["landlord_acct"] = np.full(n, -1, np.int32)
        a["landlord_name"] = np.full(n, -1, np.int32)
        a["household"] = np.arange(n, dtype=np.int64)
        a["no_friends"] = np.zeros(n, bool)

    # ---- time helpers ----------------------------------------------------------------------
    def times(
        self,
        rng: np.random.Generator,
        day: np.ndarray,
        hours: str | np.ndarray = "day",
    ) -> np.ndarray:
        """Draw local clock seconds for events on (fractional) ``day`` offsets.

        The hour comes from the named profile of :data:`HOURS` (or an array of 24 weights).
        """
        day = np.floor(np.asarray(day, dtype=float)).astype(np.int64)
        w = HOURS[hours] if isinstance(hours, str) else hours
        hour = rng.choice(24, size=len(day), p=w)
        sec = rng.integers(0, 3600, len(day))
        return self.start_s + day * DAY + hour * 3600 + sec

    def at_hour(
        self, rng: np.random.Generator, day: np.ndarray, lo: float, hi: float
    ) -> np.ndarray:
        """Draw local clock seconds on ``day`` uniformly between ``lo`` and ``hi`` hours.

        ``hi`` may exceed 24 to wrap past midnight.
        """
        day = np.floor(np.asarray(day, dtype=float)).astype(np.int64)
        h = rng.uniform(lo, hi, len(day))
        return self.start_s + day * DAY + (h * 3600).astype(np.int64)

    def day_of(self, t: np.ndarray) -> np.ndarray:
        """Day offsets (float) of local times ``t``."""
        return (np.asarray(t) - self.start_s) / DAY

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Weekday (Monday = 0) of integer day offsets."""
        return (self.cfg.start.weekday() + np.asarray(day, dtype=np.int64)) % 7

    def money(self, rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
        """Log-normal amounts in the bank's currency (``median`` in USD-equivalent)."""
        return np.exp(rng.normal(np.log(median * self.fx), sigma, n))

    def in_window(self, acct: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each ``day`` falls inside the ring window of ``acct``."""
        return (day >= self.arrays["win_lo"][acct]) & (day < self.arrays["win_hi"][acct])


def _add_months(d: dt.date, k: int) -> dt.date:
    y, m = divmod(d.month - 1 + k, 12)
    return dt.date(d.year + y, m + 1, 1)


def period(cfg: SynthConfig) -> tuple[int, int, np.ndarray]:
    """Return the period: start, length and month starts.

    The start is local midnight in epoch seconds; the month starts are the day offsets of the
    first day of every calendar month overlapping the period (the first may be negative).
    """
    start = cfg.start
    first = _add_months(start, 0)
    end_first = _add_months(start, cfg.months)
    end = end_first.replace(day=min(start.day, 28)) if start.day > 1 else end_first
    offs = [(_add_months(first, k) - start).days for k in range(cfg.months + 1)]
    start_s = (start - dt.date(1970, 1, 1)).days * DAY
    return start_s, (end - start).days, np.array(offs, dtype=np.int64)
