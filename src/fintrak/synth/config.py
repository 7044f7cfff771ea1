"""Options of the synthetic bank: one frozen, validated pydantic model.

Every knob that changes *what* is simulated lives here, so a model can be trained on one
configuration and tested on configurations it never saw (another region, prevalence, ring size,
typology mix or hard-negative mix).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "HARD_NEGATIVE_GROUPS",
    "REGION_CURRENCY",
    "TYPOLOGIES",
    "SynthConfig",
]

#: Injected trafficking typologies, in the order they are simulated.
TYPOLOGIES: tuple[str, ...] = ("sex_trafficking", "labour_trafficking", "funnel", "human_smuggling")

#: Legitimate look-alikes: each resembles trafficking on one or two indicators.
HARD_NEGATIVE_GROUPS: tuple[str, ...] = (
    "night_shift",
    "travelling_staff",
    "long_haul_driver",
    "gig_worker",
    "hairdresser",
    "adult_creator",
    "landlord",
    "remitter",
    "cash_business",
    "seasonal_worker",
    "salon_spa",
    "event_traveller",
)

#: Default currency of each supported region.
REGION_CURRENCY: dict[str, str] = {"us": "USD", "ca": "CAD", "au": "AUD", "gb": "GBP"}

Region = Literal["us", "ca", "au", "gb"]
IntRange = tuple[int, int]


def _check_range(name: str, value: IntRange, low: int, high: int) -> IntRange:
    a, b = value
    if not (low <= a <= b <= high):
        raise ValueError(
            f"{name} must be (min, max) with {low} <= min <= max <= {high}. Got {value!r} instead."
        )
    return value


def _check_mix(name: str, mix: dict[str, float], allowed: tuple[str, ...]) -> dict[str, float]:
    unknown = sorted(set(mix) - set(allowed))
    if unknown:
        raise ValueError(f"{name} has unknown key(s) {unknown}; allowed keys are {list(allowed)}.")
    if any(w < 0 for w in mix.values()):
        raise ValueError(f"{name} weights must be >= 0. Got {mix!r} instead.")
    if sum(mix.values()) <= 0:
        raise ValueError(f"{name} needs at least one positive weight. Got {mix!r} instead.")
    # canonical key order, so the JSON dump and the simulation do not depend on input order
    return {k: float(mix.get(k, 0.0)) for k in allowed}


class SynthConfig(BaseModel):
    """Options of :func:`fintrak.synth.generate`.

    Parameters
    ----------
    n_accounts : int
        Number of accounts of the bank (personal and business), at least 200.
    months : int
        Length of the simulated period in calendar months, 1 to 36.
    seed : int
        Seed of every random draw; the same configuration gives byte-identical files.
    start : datetime.date
        First day of the period (local clock of each account).
    prevalence : float
        Share of accounts involved in trafficking, 0.001 to 0.2.
    region : {"us", "ca", "au", "gb"}
        Country of the bank: cities, time zones, phone formats, names, corridors.
    currency : str, optional
        ISO 4217 code of every transaction; defaults to the region's currency.
    typology_mix : dict of str to float
        Relative weights of the injected typologies (``sex_trafficking``,
        ``labour_trafficking``, ``funnel``, ``human_smuggling``); a zero weight switches one off.
    sex_ring_victims, labour_ring_workers, funnel_ring_size, smuggling_ring_senders : (int, int)
        Inclusive size ranges of the rings of each typology.
    hard_negative_share : float
        Share of accounts in the legitimate look-alike groups, 0 to 0.5.
    hard_negative_mix : dict of str to float
        Relative weights of the hard-negative groups (see ``HARD_NEGATIVE_GROUPS``).

    Examples
    --------
    >>> cfg = SynthConfig(n_accounts=500, months=2, seed=3, region="gb")
    >>> cfg.currency
    'GBP'
    >>> SynthConfig(n_accounts=10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for SynthConfig
    ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_accounts: int = Field(10_000, ge=200, le=5_000_000)
    months: int = Field(6, ge=1, le=36)
    seed: int = Field(0, ge=0)
    start: dt.date = dt.date(2025, 1, 1)
    prevalence: float = Field(0.01, ge=0.001, le=0.2)
    region: Region = "us"
    currency: str | None = None
    typology_mix: dict[str, float] = Field(
        default_factory=lambda: {
            "sex_trafficking": 0.4,
            "labour_trafficking": 0.25,
            "funnel": 0.15,
            "human_smuggling": 0.2,
        }
    )
    sex_ring_victims: IntRange = (2, 8)
    labour_ring_workers: IntRange = (5, 25)
    funnel_ring_size: IntRange = (1, 4)
    smuggling_ring_senders: IntRange = (3, 12)
    hard_negative_share: float = Field(0.15, ge=0.0, le=0.5)
    hard_negative_mix: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(HARD_NEGATIVE_GROUPS, 1.0)
    )

    @field_validator("currency")
    @classmethod
    def _currency_iso(cls, v: str | None) -> str | None:
        if v is None:
            return None
        code = v.strip().upper()
        if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
            raise ValueError(f"currency must be an ISO 4217 code such as USD. Got {v!r} instead.")
        return code

    @field_validator("typology_mix")
    @classmethod
    def _typology_mix(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_mix("typology_mix", v, TYPOLOGIES)

    @field_validator("hard_negative_mix")
    @classmethod
    def _hn_mix(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_mix("hard_negative_mix", v, HARD_NEGATIVE_GROUPS)

    @field_validator("sex_ring_victims")
    @classmethod
    def _sex(cls, v: IntRange) -> IntRange:
        return _check_range("sex_ring_victims", v, 1, 50)

    @field_validator("labour_ring_workers")
    @classmethod
    def _labour(cls, v: IntRange) -> IntRange:
        return _check_range("labour_ring_workers", v, 2, 200)

    @field_validator("funnel_ring_size")
    @classmethod
    def _funnel(cls, v: IntRange) -> IntRange:
        return _check_range("funnel_ring_size", v, 1, 20)

    @field_validator("smuggling_ring_senders")
    @classmethod
    def _smuggling(cls, v: IntRange) -> IntRange:
        return _check_range("smuggling_ring_senders", v, 2, 100)

    @model_validator(mode="after")
    def _fill_currency(self) -> SynthConfig:
        if self.currency is None:
            object.__setattr__(self, "currency", REGION_CURRENCY[self.region])
        return self
