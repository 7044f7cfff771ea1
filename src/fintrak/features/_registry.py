"""The feature registry: every feature with its metadata, and the calculators that compute them.

A *calculator* is a function that computes a family of related features in one grouped pass. It is
registered with :func:`features`, which attaches a :class:`FeatureSpec` to each output column::

    @features(
        lodging_charges_30d=FeatureSpec(
            description="Counts hotel and motel charges in the last 30 days.",
            reason="{value:.0f} hotel or motel charges in the last 30 days (peers: {peer:.0f})",
            typologies=("sex_trafficking",), refs=("B1", "F20", "FT16"),
            unit="charges", window="30D", kind="count"),
        requires=("timestamp", "mcc"),
    )
    def lodging(ctx: FeatureContext) -> pd.DataFrame: ...

Two levels exist. ``account`` calculators read only each account's own rows (so they can run on any
partition of whole account histories) and take ``ctx``. ``population`` calculators run afterwards,
over account-level tables, and take ``ctx`` and the per-account feature frame.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from fintrak.reference import load_catalogue

__all__ = [
    "CALCULATORS",
    "FEATURES",
    "TYPOLOGIES",
    "Calculator",
    "FeatureSpec",
    "features",
]

#: Typology ids a feature may serve (the YAML typologies use the same ids).
TYPOLOGIES: tuple[str, ...] = (
    "sex_trafficking",
    "labour_trafficking",
    "funnel",
    "human_smuggling",
)
FeatureKind = Literal["count", "share", "amount", "ratio", "flag", "hours", "days", "score"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FeatureSpec:
    """Metadata of one feature.

    Parameters
    ----------
    description : str
        What the feature measures, in plain words (one or two sentences).
    reason : str
        The sentence an investigator reads in an alert. A format string with ``{value}`` and
        optionally ``{peer}`` (the median of the account's peers), e.g.
        ``"hotel charges in {value:.0f} cities in the last 14 days (peers: {peer:.0f})"``.
    typologies : tuple of str
        The typologies it serves (see :data:`TYPOLOGIES`).
    refs : tuple of str
        Catalogue row ids (``"B1"``) and source keys (``"F20"``) it implements.
    unit : str
        Unit of the value (``"charges"``, ``"cities"``, ``"share"``, ``"currency units"``).
    window : str or None
        Look-back window as a pandas offset alias (``"30D"``), or None for the whole history.
    kind : str
        ``count``, ``share`` (0-1), ``amount``, ``ratio``, ``flag`` (0/1), ``hours``, ``days`` or
        ``score``. Counts and flags are never NaN (0 when nothing happened); shares, ratios and
        hours are NaN when undefined (no denominator).
    higher_is_riskier : bool
        Direction of the red flag (used for peer comparisons and docs).
    name : str
        Filled in by the registry.
    """

    description: str
    reason: str
    typologies: tuple[str, ...]
    refs: tuple[str, ...]
    unit: str
    window: str | None
    kind: FeatureKind
    higher_is_riskier: bool = True
    name: str = ""

    def explain(self, value: float, peer: float | None = None) -> str:
        """Return the reason sentence for ``value`` (and the peers' median, when known).

        Examples
        --------
        >>> spec = FeatureSpec("x", "{value:.0f} charges (peers: {peer:.0f})", (), (), "charges",
        ...                    "30D", "count")
        >>> spec.explain(5, 0)
        '5 charges (peers: 0)'
        >>> spec.explain(5)
        '5 charges (peers: n/a)'
        """
        if "{peer" in self.reason and (peer is None or pd.isna(peer)):
            text = re.sub(r"\{peer(:[^}]*)?\}", "n/a", self.reason)
            return text.format(value=value)
        return self.reason.format(value=value, peer=peer)


@dataclass(frozen=True)
class Calculator:
    """A registered function computing a family of features in one pass."""

    name: str
    func: Callable[..., pd.DataFrame]
    level: Literal["account", "population"]
    requires: tuple[str, ...]
    specs: dict[str, FeatureSpec] = field(default_factory=dict)
    module: str = ""


CALCULATORS: dict[str, Calculator] = {}
FEATURES: dict[str, FeatureSpec] = {}


def _check_spec(name: str, spec: FeatureSpec, where: str) -> None:
    problems = []
    if not _NAME.match(name):
        problems.append("name must match ^[a-z][a-z0-9_]*$")
    if name in FEATURES:
        problems.append("name is already registered")
    if not spec.description.strip() or not spec.reason.strip():
        problems.append("description and reason must not be empty")
    if "{value" not in spec.reason:
        problems.append("reason must contain {value}")
    unknown = [t for t in spec.typologies if t not in TYPOLOGIES]
    if not spec.typologies or unknown:
        problems.append(f"typologies must be a non-empty subset of {TYPOLOGIES}; got {unknown}")
    catalogue = load_catalogue()
    bad = [r for r in spec.refs if not catalogue.resolves(r)]
    if not any(r in catalogue.indicators for r in spec.refs):
        problems.append("refs must name at least one catalogue row (e.g. B1)")
    if not any(r in catalogue.sources for r in spec.refs):
        problems.append("refs must name at least one source key (e.g. F20)")
    if bad:
        problems.append(f"refs do not resolve in the catalogue: {bad}")
    if spec.window is not None:
        try:
            pd.Timedelta(spec.window)
        except ValueError:
            problems.append(f"window {spec.window!r} is not a duration such as '30D'")
    if problems:
        raise ValueError(f"feature {name!r} ({where}): " + "; ".join(problems))


def features(
    *,
    requires: tuple[str, ...],
    level: Literal["account", "population"] = "account",
    **specs: FeatureSpec,
) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Register a calculator and the metadata of every feature it returns.

    Parameters
    ----------
    requires : tuple of str
        Canonical columns the calculator reads (``transactions`` columns, or ``accounts.<col>`` /
        ``intel.<col>`` for the other tables). If one is absent or entirely null in the input, the
        calculator is skipped, its features are NaN, and the reason is recorded.
    level : {"account", "population"}
        ``account``: ``func(ctx)``, reading only each account's own rows. ``population``:
        ``func(ctx, account_features)``, comparing accounts with each other.
    **specs : FeatureSpec
        One per output column, keyed by feature name.

    Returns
    -------
    callable
        The decorator; the function is returned unchanged.
    """

    def register(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        where = f"{func.__module__}.{func.__name__}"
        if func.__name__ in CALCULATORS:
            raise ValueError(f"calculator {func.__name__!r} is registered twice ({where})")
        named = {}
        for name, spec in specs.items():
            _check_spec(name, spec, where)
            named[name] = replace(spec, name=name)
        for name, spec in named.items():
            FEATURES[name] = spec
        CALCULATORS[func.__name__] = Calculator(
            name=func.__name__,
            func=func,
            level=level,
            requires=tuple(requires),
            specs=named,
            module=func.__module__,
        )
        return func

    return register


def describe_features() -> pd.DataFrame:
    """Return one row per registered feature with its metadata (for docs and notebooks)."""
    rows: list[dict[str, Any]] = []
    for calc in CALCULATORS.values():
        for name, spec in calc.specs.items():
            rows.append(
                {
                    "feature": name,
                    "calculator": calc.name,
                    "level": calc.level,
                    "description": spec.description,
                    "typologies": ", ".join(spec.typologies),
                    "refs": ", ".join(spec.refs),
                    "unit": spec.unit,
                    "window": spec.window or "all history",
                    "kind": spec.kind,
                    "requires": ", ".join(calc.requires),
                }
            )
    return pd.DataFrame(rows)
