"""Typologies: declarative, versioned red-flag rules loaded from ``typologies/*.yaml``.

A typology (after Tazama's typology configuration, with Sigma's status, references and
false-positive notes, and Semgrep's must-match / must-not-match cases) lists *indicators*. Each
indicator reads one feature and places its value in at most one *band*; a band that contains the
value *fires* and adds its points. The typology sums the points of the bands that fired and compares
the sum with two thresholds: ``review`` and ``alert`` (a sum equal to a threshold reaches it).

Band semantics
    ``lower`` is inclusive and ``upper`` exclusive; either may be absent (unbounded). ``0`` is a
    bound like any other (bounds are compared with ``is None``, never by truthiness). A NaN feature
    value (undefined, e.g. a share with no denominator) fires no band.

Negative points (mitigating bands)
    A band may carry negative points to *lower* the sum when the value is evidence of an ordinary
    life, e.g. a high share of spending on rent, groceries and utilities. Positive and negative
    bands may share an indicator (one feature, at most one band fires). A typology's sum is never
    used below zero (see :mod:`fintrak.scoring.rules`).

Load-time checks (all problems of a file are reported together, each with a fix)
    id and version format (semantic versioning), indicator ids unique and prefixed by the typology
    id, bands ordered and non-overlapping with finite bounds and non-zero points, thresholds
    ``0 < review < alert``, every feature known, every reference resolving in the catalogue (each
    indicator citing at least one catalogue row such as ``A1`` and one source key such as
    ``F20``), bands on ``share`` features within [0, 1], no single indicator able to reach the
    alert threshold on its own (FIN-2020-A008: "No single red flag is a clear indicator"), the
    alert threshold reachable, and a cases file ``<id>.cases.yaml`` next to the typology whose
    cases name only the typology's features and indicators.

A cases file is a YAML list of cases::

    - name: controller with ads, new payers and luxury spending
      lookalike: false            # true for a legitimate look-alike: it must not expect "alert"
      features: {ad_payments_30d: 12, p2p_new_payers_30d: 20}   # absent features are NaN
      expect:
        level: alert              # none | review | alert
        fired: [sex_trafficking.ads, sex_trafficking.p2p_new_payers]   # exactly these fire
        not_fired: [sex_trafficking.lodging_home_city]                   # none of these fire

Docs are generated from the YAML by :func:`render_markdown`; nothing is written twice.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fintrak.exceptions import FintrakError
from fintrak.reference import Catalogue, load_catalogue

__all__ = [
    "LEVELS",
    "ROLES",
    "Band",
    "Case",
    "CaseExpectation",
    "Indicator",
    "Thresholds",
    "Typology",
    "TypologyError",
    "cases_path",
    "load_typologies",
    "load_typology",
    "render_markdown",
    "typology_files",
]

#: Levels in increasing order of severity.
LEVELS: tuple[str, ...] = ("none", "review", "alert")
#: Roles an indicator may suggest for the account holder.
ROLES: tuple[str, ...] = ("victim", "controller", "facilitator", "buyer")

Level = Literal["none", "review", "alert"]
Role = Literal["victim", "controller", "facilitator", "buyer"]
Status = Literal["experimental", "test", "stable", "deprecated"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
_CASES_SUFFIX = ".cases.yaml"


class TypologyError(FintrakError, ValueError):
    """A typology or cases file is malformed; the message lists every problem with its fix.

    Parameters
    ----------
    path : str
        The file.
    problems : list of str
        One entry per problem, each saying where, what and how to fix it.
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        count = len(self.problems)
        header = f"typology file {self.path}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Model):
    """A value range of one indicator, with its points and the reason an investigator reads.

    ``lower`` is inclusive, ``upper`` exclusive; ``None`` means unbounded on that side.

    Examples
    --------
    >>> band = Band(lower=0, upper=0.05, points=15, reason="almost no essential spending")
    >>> band.contains(0.0), band.contains(0.05), band.contains(float("nan"))
    (True, False, False)
    """

    lower: float | None = None
    upper: float | None = None
    points: float
    reason: str = Field(min_length=1)

    def contains(self, value: float) -> bool:
        """Return whether ``value`` falls in the band (NaN never does)."""
        if value is None or math.isnan(value):
            return False
        if self.lower is not None and value < self.lower:
            return False
        return not (self.upper is not None and value >= self.upper)

    def label(self) -> str:
        """Return the band as an interval, e.g. ``[3, 10)`` or ``>= 10``."""
        if self.lower is not None and self.upper is not None:
            return f"[{self.lower:g}, {self.upper:g})"
        if self.lower is not None:
            return f">= {self.lower:g}"
        return f"< {self.upper:g}"


class Indicator(_Model):
    """One red flag: a feature, its bands, the role it suggests and its citations."""

    id: str
    feature: str
    bands: tuple[Band, ...] = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    suggests_role: Role | None = None
    description: str | None = None

    @property
    def max_points(self) -> float:
        """The most points this indicator can add (0 if it only mitigates)."""
        return max(0.0, *(band.points for band in self.bands))

    @property
    def source(self) -> str:
        """The references joined for an alert, e.g. ``"A1; FT16; AU22"``."""
        return "; ".join(self.references)


class Thresholds(_Model):
    """Points at which a typology reaches ``review`` and ``alert`` (inclusive)."""

    review: float
    alert: float


class CaseExpectation(_Model):
    """What a case must produce: the level, and optionally which indicators fire."""

    level: Level
    fired: tuple[str, ...] | None = None
    not_fired: tuple[str, ...] = ()


class Case(_Model):
    """A must-match or must-not-match example: feature values (absent = NaN) and the expectation."""

    name: str = Field(min_length=1)
    features: dict[str, float | None] = Field(default_factory=dict)
    expect: CaseExpectation
    lookalike: bool = False
    note: str | None = None


class Typology(_Model):
    """A versioned typology: indicators with bands, thresholds, notes, citations and cases.

    Build one with :func:`load_typology` (which runs every load-time check) rather than directly.

    Examples
    --------
    >>> t = Typology.model_validate({
    ...     "id": "funnel", "version": "1.0.0", "title": "Funnel", "status": "experimental",
    ...     "description": "Cash in many cities, out in one.", "references": ["F20"],
    ...     "indicators": [{"id": "funnel.cities", "feature": "cash_deposit_cities_30d",
    ...                     "references": ["E1", "F20"],
    ...                     "bands": [{"lower": 3, "points": 30, "reason": "3+ cities"}]}],
    ...     "thresholds": {"review": 20, "alert": 50}})
    >>> t.key, t.features
    ('funnel@1.0.0', ('cash_deposit_cities_30d',))
    """

    id: str
    version: str
    title: str = Field(min_length=1)
    status: Status
    description: str = Field(min_length=1)
    references: tuple[str, ...] = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    thresholds: Thresholds
    falsepositives: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()

    @property
    def key(self) -> str:
        """The versioned id, ``<id>@<version>``."""
        return f"{self.id}@{self.version}"

    @property
    def features(self) -> tuple[str, ...]:
        """The features the indicators read, in first-use order, without repeats."""
        return tuple(dict.fromkeys(ind.feature for ind in self.indicators))

    def level(self, points: float) -> str:
        """Return the level a sum of points reaches (``none``, ``review`` or ``alert``)."""
        if points >= self.thresholds.alert:
            return "alert"
        if points >= self.thresholds.review:
            return "review"
        return "none"


# --------------------------------------------------------------------------------------- checks


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def _check_bands(ind: Indicator, share: bool) -> list[str]:
    problems: list[str] = []
    where = f"indicator {ind.id!r}"
    for number, band in enumerate(ind.bands, start=1):
        at = f"{where}, band {number}"
        if not (_finite(band.lower) and _finite(band.upper)):
            problems.append(
                f"{at}: bounds must be finite numbers. Got lower={band.lower}, upper={band.upper}"
                " instead.\n    fix: omit a bound to leave that side unbounded"
            )
            continue
        if band.lower is None and band.upper is None:
            problems.append(
                f"{at}: a band needs a lower or an upper bound (it would fire on every value)."
                "\n    fix: add `lower:` (inclusive) and/or `upper:` (exclusive)"
            )
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            problems.append(
                f"{at}: lower ({band.lower:g}) must be below upper ({band.upper:g})."
                "\n    fix: swap the bounds or remove the band"
            )
        if band.points == 0 or not math.isfinite(band.points):
            problems.append(
                f"{at}: points must be a non-zero number. Got {band.points} instead."
                "\n    fix: give positive points to a red flag, negative points to a mitigating"
                " band, or remove the band"
            )
        if share and any(b is not None and not 0 <= b <= 1 for b in (band.lower, band.upper)):
            problems.append(
                f"{at}: feature {ind.feature!r} is a share in [0, 1] but the band is"
                f" {band.label()}.\n    fix: write shares as fractions (0.8, not 80)"
            )
    for number, (before, after) in enumerate(zip(ind.bands, ind.bands[1:], strict=False), 2):
        if before.upper is None or after.lower is None or after.lower < before.upper:
            problems.append(
                f"{where}, band {number}: bands must be ordered and must not overlap; band"
                f" {number - 1} is {before.label()} and band {number} is {after.label()}."
                f"\n    fix: list bands from low to high with each `lower` >= the previous"
                " `upper`"
            )
    return problems


def _check_refs(
    refs: Iterable[str], where: str, catalogue: Catalogue, per_indicator: bool
) -> list[str]:
    refs = list(refs)
    problems = []
    bad = [r for r in refs if not catalogue.resolves(r)]
    if bad:
        problems.append(
            f"{where}: references {bad} do not resolve in the indicator catalogue."
            "\n    fix: cite catalogue rows (A1..J5) and source keys (F20, FT16, AU22, ...) as"
            " listed by fintrak.reference.load_catalogue()"
        )
    if per_indicator:
        if not any(r in catalogue.indicators for r in refs):
            problems.append(
                f"{where}: references must name at least one catalogue row (e.g. A1).\n    fix:"
                " add the row of the published red flag this indicator implements"
            )
        if not any(r in catalogue.sources for r in refs):
            problems.append(
                f"{where}: references must name at least one source key (e.g. F20).\n    fix:"
                " add the key of the document the red flag comes from"
            )
    return problems


def _check_typology(
    typology: Typology,
    stem: str,
    known_features: frozenset[str],
    catalogue: Catalogue,
    share_features: frozenset[str],
) -> list[str]:
    problems: list[str] = []
    if not _ID.match(typology.id):
        problems.append(
            f"id {typology.id!r} must match ^[a-z][a-z0-9_]*$.\n    fix: use lower-case"
            " letters, digits and underscores"
        )
    if typology.id != stem:
        problems.append(
            f"id {typology.id!r} must equal the file name {stem!r}.\n    fix: rename the file"
            f" to {typology.id}.yaml or change the id"
        )
    if not _SEMVER.match(typology.version):
        problems.append(
            f"version {typology.version!r} must be a semantic version MAJOR.MINOR.PATCH."
            "\n    fix: e.g. `version: 1.0.0`; bump MINOR when bands or points change"
        )
    review, alert = typology.thresholds.review, typology.thresholds.alert
    if not (0 < review < alert) or not math.isfinite(alert):
        problems.append(
            f"thresholds must satisfy 0 < review < alert. Got review={review:g},"
            f" alert={alert:g} instead.\n    fix: raise alert above review"
        )
    problems += _check_refs(typology.references, "typology references", catalogue, False)
    seen: set[str] = set()
    for ind in typology.indicators:
        where = f"indicator {ind.id!r}"
        if ind.id in seen:
            problems.append(
                f"{where}: the id is used twice.\n    fix: give each indicator its own id"
            )
        seen.add(ind.id)
        if not _INDICATOR_ID.match(ind.id) or not ind.id.startswith(f"{typology.id}."):
            problems.append(
                f"{where}: the id must be `{typology.id}.<name>` (lower case, digits,"
                f" underscores).\n    fix: rename it to {typology.id}.{ind.id.rsplit('.', 1)[-1]}"
            )
        if ind.feature not in known_features:
            close = sorted(
                f for f in known_features if f.split("_")[0] == ind.feature.split("_")[0]
            )
            hint = f" Similar: {close[:6]}." if close else ""
            problems.append(
                f"{where}: feature {ind.feature!r} is not a registered feature.{hint}"
                "\n    fix: use a name from fintrak.features.builder.feature_names() or register"
                " the feature first"
            )
        problems += _check_bands(ind, ind.feature in share_features)
        problems += _check_refs(ind.references, where, catalogue, True)
        if ind.max_points >= alert:
            problems.append(
                f"{where}: one band gives {ind.max_points:g} points, reaching the alert"
                f" threshold ({alert:g}) on its own; FIN-2020-A008: 'No single red flag is a"
                f" clear indicator'.\n    fix: lower its points below {alert:g}"
            )
    if sum(ind.max_points for ind in typology.indicators) < alert:
        problems.append(
            f"the alert threshold ({alert:g}) cannot be reached: all indicators together give at"
            f" most {sum(i.max_points for i in typology.indicators):g} points.\n    fix: lower"
            " thresholds.alert or add indicators"
        )
    return problems


def _check_cases(typology: Typology, cases: Sequence[Case]) -> list[str]:
    problems: list[str] = []
    ids = {ind.id for ind in typology.indicators}
    used = set(typology.features)
    names: set[str] = set()
    if not cases:
        problems.append("the cases file has no cases.\n    fix: add at least one case per level")
    for case in cases:
        where = f"case {case.name!r}"
        if case.name in names:
            problems.append(f"{where}: the name is used twice.\n    fix: rename one of them")
        names.add(case.name)
        unused = sorted(set(case.features) - used)
        if unused:
            problems.append(
                f"{where}: features {unused} are not read by any indicator of {typology.id}."
                "\n    fix: remove them or correct the spelling"
            )
        named = [*(case.expect.fired or ()), *case.expect.not_fired]
        unknown = sorted(set(named) - ids)
        if unknown:
            problems.append(
                f"{where}: indicators {unknown} are not in {typology.id}.\n    fix: use ids"
                f" from the typology, e.g. {sorted(ids)[:3]}"
            )
        both = sorted(set(case.expect.fired or ()) & set(case.expect.not_fired))
        if both:
            problems.append(f"{where}: {both} are both in fired and not_fired.\n    fix: pick one")
        if case.lookalike and case.expect.level == "alert":
            problems.append(
                f"{where}: a legitimate look-alike must not expect 'alert'.\n    fix: adjust"
                " the bands or points so it stays below the alert threshold"
            )
    return problems


# -------------------------------------------------------------------------------------- loading


def _validation_problems(error: ValidationError, raw: Any, prefix: str = "") -> list[str]:
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        parts = []
        node = raw
        for step in loc:
            label = str(step)
            if isinstance(step, int) and isinstance(node, list) and step < len(node):
                node = node[step]
                ident = node.get("id") or node.get("name") if isinstance(node, dict) else None
                label = f"{step + 1} ({ident})" if ident else str(step + 1)
            elif isinstance(node, dict):
                node = node.get(step)
            parts.append(label)
        where = prefix + " > ".join(parts) if parts else prefix + "top level"
        fix = (
            "remove the key or correct its spelling"
            if item["type"] == "extra_forbidden"
            else ("see the typology format in fintrak.typologies")
        )
        problems.append(f"{where}: {item['msg']}.\n    fix: {fix}")
    return problems


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise TypologyError(path, [f"not valid YAML: {exc}"]) from None


def _default_known_features() -> frozenset[str]:
    from fintrak.features.builder import feature_names

    return frozenset(feature_names())


def _share_features(known: Iterable[str]) -> frozenset[str]:
    from fintrak.features._registry import FEATURES

    return frozenset(n for n in known if n in FEATURES and FEATURES[n].kind == "share")


def cases_path(path: str | os.PathLike[str]) -> Path:
    """Return the cases file belonging to the typology file ``path`` (``<id>.cases.yaml``)."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".yaml") + _CASES_SUFFIX)


def load_typology(
    path: str | os.PathLike[str],
    *,
    known_features: Iterable[str] | None = None,
    catalogue: Catalogue | None = None,
) -> Typology:
    """Load one typology file and its cases file, running every load-time check.

    Parameters
    ----------
    path : path-like
        ``<id>.yaml``; its cases are read from ``<id>.cases.yaml`` next to it.
    known_features : iterable of str, optional
        Feature names indicators may read; default
        :func:`fintrak.features.builder.feature_names`.
    catalogue : Catalogue, optional
        Where references must resolve; default :func:`fintrak.reference.load_catalogue`.

    Returns
    -------
    Typology
        With its ``cases`` attached.

    Raises
    ------
    TypologyError
        Listing every problem found in the file (and its cases file), each with a fix.
    """
    path = Path(path)
    known = frozenset(known_features) if known_features is not None else _default_known_features()
    catalogue = catalogue or load_catalogue()
    if not path.is_file():
        raise TypologyError(path, ["the file does not exist.\n    fix: check the path"])
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise TypologyError(
            path, [f"the file must hold a mapping (id, version, ...). Got {type(raw).__name__}."]
        )
    if "cases" in raw:
        raise TypologyError(
            path,
            [
                f"cases belong in {cases_path(path).name}, not in the typology file.\n    fix: move"
                " them there"
            ],
        )
    try:
        typology = Typology.model_validate(raw)
    except ValidationError as exc:
        raise TypologyError(path, _validation_problems(exc, raw)) from None
    stem = path.name.removesuffix(".yaml")
    problems = _check_typology(typology, stem, known, catalogue, _share_features(known))

    cpath = cases_path(path)
    cases: list[Case] = []
    if not cpath.is_file():
        problems.append(
            f"the cases file {cpath.name} is missing.\n    fix: add it next to {path.name} with"
            " at least an alert case, a review case, a legitimate look-alike and an empty case"
        )
    else:
        raw_cases = _read_yaml(cpath)
        if not isinstance(raw_cases, list):
            problems.append(
                f"{cpath.name}: the cases file must hold a list of cases. Got"
                f" {type(raw_cases).__name__} instead.\n    fix: start each case with `- name:`"
            )
        else:
            for number, item in enumerate(raw_cases, start=1):
                try:
                    cases.append(Case.model_validate(item))
                except ValidationError as exc:
                    label = item.get("name") if isinstance(item, dict) else None
                    prefix = f"{cpath.name}, case {number}" + (f" ({label})" if label else "")
                    problems += _validation_problems(exc, item, prefix + " > ")
            problems += [f"{cpath.name}, {p}" for p in _check_cases(typology, cases)]
    if problems:
        raise TypologyError(path, problems)
    return typology.model_copy(update={"cases": tuple(cases)})


def typology_files(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Return the typology files (not the cases files) of ``directory``, sorted by name.

    Parameters
    ----------
    directory : path-like, optional
        Default the shipped ``typologies/`` folder.
    """
    from fintrak.resources import typologies_dir

    folder = Path(directory) if directory is not None else typologies_dir()
    return sorted(p for p in folder.glob("*.yaml") if not p.name.endswith(_CASES_SUFFIX))


def load_typologies(
    directory: str | os.PathLike[str] | None = None,
    *,
    known_features: Iterable[str] | None = None,
    catalogue: Catalogue | None = None,
) -> list[Typology]:
    """Load every typology of a folder (default the shipped ones), sorted by id.

    Parameters
    ----------
    directory : path-like, optional
        Folder of ``<id>.yaml`` and ``<id>.cases.yaml`` files; default the shipped folder.
    known_features, catalogue
        As in :func:`load_typology`.

    Returns
    -------
    list of Typology

    Raises
    ------
    TypologyError
        For the first malformed file, or when two files declare the same id.
    """
    known = frozenset(known_features) if known_features is not None else _default_known_features()
    loaded = [
        load_typology(p, known_features=known, catalogue=catalogue)
        for p in typology_files(directory)
    ]
    return sorted(loaded, key=lambda t: t.id)


# ---------------------------------------------------------------------------------------- docs

_HEADER = "<!-- generated by fintrak.typologies.render_markdown from typologies/*.yaml -->\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    typologies: Sequence[Typology] | None = None, catalogue: Catalogue | None = None
) -> str:
    """Return the Markdown reference page of the typologies (generated, never hand-written).

    Parameters
    ----------
    typologies : sequence of Typology, optional
        Default the shipped typologies.
    catalogue : Catalogue, optional
        Used to describe the references; default the shipped catalogue.

    Returns
    -------
    str

    Examples
    --------
    >>> t = Typology.model_validate({
    ...     "id": "funnel", "version": "1.0.0", "title": "Funnel", "status": "experimental",
    ...     "description": "Cash in many cities, out in one.", "references": ["F20"],
    ...     "indicators": [{"id": "funnel.cities", "feature": "cash_deposit_cities_30d",
    ...                     "references": ["E1", "F20"],
    ...                     "bands": [{"lower": 3, "points": 30, "reason": "3+ cities"}]}],
    ...     "thresholds": {"review": 20, "alert": 50}})
    >>> page = render_markdown([t])
    >>> "## Funnel (`funnel@1.0.0`)" in page
    True
    >>> "| `funnel.cities` | `cash_deposit_cities_30d` | >= 3 | +30 | 3+ cities |" in page
    True
    """
    catalogue = catalogue or load_catalogue()
    typologies = load_typologies() if typologies is None else list(typologies)
    lines = [
        _HEADER,
        "# Typologies",
        "",
        "Each typology sums the points of the indicator bands that fire and compares the sum with "
        "its `review` and `alert` thresholds (a sum equal to a threshold reaches it). A band's "
        "`lower` bound is inclusive and its `upper` bound exclusive; a missing value (NaN) fires "
        "no band. Negative points mark a mitigating band (evidence of an ordinary life). Numbers "
        "marked *(inferred)* are fintrak starting points to tune, not published facts. No single "
        "indicator can reach the alert threshold on its own.",
        "",
    ]
    for t in typologies:
        cited: list[str] = list(t.references)
        for ind in t.indicators:
            cited += [r for r in ind.references if r not in cited]
        lines += [
            f"## {t.title} (`{t.key}`)",
            "",
            f"Status: **{t.status}**. Review at **{t.thresholds.review:g}** points, alert at "
            f"**{t.thresholds.alert:g}** points.",
            "",
            t.description.strip(),
            "",
            "| indicator | feature | band | points | reason | suggests | references |",
            "|---|---|---|---|---|---|---|",
        ]
        for ind in t.indicators:
            for number, band in enumerate(ind.bands):
                first = number == 0
                lines.append(
                    f"| {f'`{ind.id}`' if first else ''} | {f'`{ind.feature}`' if first else ''} "
                    f"| {band.label()} | {band.points:+g} | {_cell(band.reason)} | "
                    f"{(ind.suggests_role or '') if first else ''} | "
                    f"{ind.source if first else ''} |"
                )
        lines.append("")
        if t.falsepositives:
            lines += ["**False positives**", ""]
            lines += [f"- {_cell(fp)}" for fp in t.falsepositives]
            lines.append("")
        if t.cases:
            lines += [
                "**Cases** (checked by the test suite)",
                "",
                "| case | look-alike | expected level |",
                "|---|---|---|",
            ]
            lines += [
                f"| {_cell(c.name)} | {'yes' if c.lookalike else ''} | {c.expect.level} |"
                for c in t.cases
            ]
            lines.append("")
        lines += ["**References**", ""]
        lines += [
            f"- {_cell(catalogue.describe(r)) if catalogue.resolves(r) else r}" for r in cited
        ]
        lines.append("")
    return "\n".join(lines)
