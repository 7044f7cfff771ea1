"""The rule scorer: typology bands applied to account features, with every fired band listed.

For each typology and account, the points are the sum of the points of the bands that fired (at
most one band per indicator; a NaN value fires none), and the level is ``alert`` when the points
reach the typology's ``alert`` threshold, ``review`` when they reach ``review``, else ``none``.

``rule_score`` puts typologies with different thresholds on one scale. For one typology with
thresholds ``review`` (R) and ``alert`` (A) and ``p`` points, the typology score is piecewise
linear::

    s(p) = 0                                 if p <= 0
         = 0.5 * p / R                       if 0 < p < R
         = 0.5 + 0.5 * (p - R) / (A - R)     if R <= p < A
         = 1                                 if p >= A

so ``s >= 0.5`` exactly when the typology reaches review and ``s == 1`` exactly when it alerts.
Per account, ``rule_score`` is the maximum of ``s`` over typologies, ``rule_typology`` the typology
reaching it (the first in id order on ties; null when no typology has positive points) and
``rule_level`` that typology's level, which is also the highest level any typology reached.

The scorer is vectorised over accounts: it loops over typologies, indicators and bands only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fintrak.exceptions import FintrakError
from fintrak.typologies import LEVELS, Case, Typology, load_typologies, load_typology

__all__ = [
    "HIT_COLUMNS",
    "LEVEL_DTYPE",
    "CaseOutcome",
    "NotFittedError",
    "RuleResult",
    "RuleScorer",
    "role_hypothesis",
    "run_cases",
    "typology_score",
]

#: Ordered categorical of levels: ``none < review < alert``.
LEVEL_DTYPE = pd.CategoricalDtype(list(LEVELS), ordered=True)
#: Columns of :attr:`RuleResult.hits`, in order.
HIT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "typology",
    "typology_version",
    "indicator",
    "feature",
    "value",
    "points",
    "reason",
    "source",
    "suggests_role",
)


class NotFittedError(FintrakError, ValueError, AttributeError):
    """A scorer was used before ``fit``."""


def typology_score(points: np.ndarray, review: float, alert: float) -> np.ndarray:
    """Map points onto [0, 1]: 0.5 at the review threshold, 1 at the alert threshold.

    Parameters
    ----------
    points : numpy.ndarray
        Points of one typology per account.
    review, alert : float
        The typology's thresholds (``0 < review < alert``).

    Returns
    -------
    numpy.ndarray
        Same shape as ``points``.

    Examples
    --------
    >>> typology_score(np.array([-5.0, 0, 20, 40, 55, 70, 200]), 40, 70).tolist()
    [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    p = np.asarray(points, dtype=float)
    below = 0.5 * p / review
    above = 0.5 + 0.5 * (p - review) / (alert - review)
    return np.clip(np.where(p < review, below, above), 0.0, 1.0)


@dataclass
class RuleResult:
    """What the rule scorer found.

    Attributes
    ----------
    points : pandas.DataFrame
        Index ``account_id``, one float column of points per typology id.
    levels : pandas.DataFrame
        Same shape, the level reached (ordered categorical ``none < review < alert``).
    accounts : pandas.DataFrame
        Index ``account_id``; ``rule_score`` (float in [0, 1]), ``rule_typology`` (str, null when
        no typology has positive points) and ``rule_level`` (ordered categorical).
    hits : pandas.DataFrame
        One row per band that fired, columns :data:`HIT_COLUMNS`, sorted by account (in input
        order), typology, then indicator order.
    versions : dict of str to str
        Typology id -> version used.
    """

    points: pd.DataFrame
    levels: pd.DataFrame
    accounts: pd.DataFrame
    hits: pd.DataFrame
    versions: dict[str, str]

    def to_frame(self) -> pd.DataFrame:
        """Return one wide row per account: ``<typology>_points``, ``<typology>_level``, rule_*."""
        return pd.concat(
            [self.points.add_suffix("_points"), self.levels.add_suffix("_level"), self.accounts],
            axis=1,
        )


class RuleScorer:
    """Score accounts against the typologies' bands and thresholds.

    Parameters
    ----------
    typologies : sequence of Typology or path-like, or a folder path, optional
        The typologies to apply: loaded :class:`~fintrak.typologies.Typology` objects, typology
        files, or a folder of them. Default: the shipped typologies.

    Attributes
    ----------
    typologies_ : list of Typology
        The validated typologies, sorted by id (set by :meth:`fit`).
    features_in_ : list of str
        Every feature the typologies read (set by :meth:`fit`).

    Examples
    --------
    >>> from fintrak.typologies import Typology
    >>> t = Typology.model_validate({
    ...     "id": "funnel", "version": "1.0.0", "title": "Funnel", "status": "experimental",
    ...     "description": "Cash in many cities, out in one.", "references": ["F20"],
    ...     "thresholds": {"review": 20, "alert": 50},
    ...     "indicators": [
    ...         {"id": "funnel.cities", "feature": "cash_deposit_cities_30d",
    ...          "references": ["E1", "F20"], "suggests_role": "controller",
    ...          "bands": [{"lower": 3, "upper": 5, "points": 20, "reason": "3-4 cities"},
    ...                    {"lower": 5, "points": 30, "reason": "5+ cities"}]},
    ...         {"id": "funnel.fast", "feature": "hours_deposit_to_withdrawal_median_30d",
    ...          "references": ["E1", "F14"],
    ...          "bands": [{"upper": 24, "points": 25, "reason": "out within a day"}]}]})
    >>> X = pd.DataFrame({"cash_deposit_cities_30d": [6, 3, 0],
    ...                   "hours_deposit_to_withdrawal_median_30d": [5, float("nan"), 2]},
    ...                  index=pd.Index(["a", "b", "c"], name="account_id"))
    >>> result = RuleScorer([t]).fit().score(X)
    >>> result.points["funnel"].tolist()
    [55.0, 20.0, 25.0]
    >>> result.accounts["rule_level"].tolist(), result.accounts["rule_score"].round(3).tolist()
    (['alert', 'review', 'review'], [1.0, 0.5, 0.583])
    >>> result.hits[["account_id", "indicator", "points", "source"]].iloc[0].to_dict()
    {'account_id': 'a', 'indicator': 'funnel.cities', 'points': 30.0, 'source': 'E1; F20'}
    >>> role_hypothesis(result.hits, X.index).tolist()
    ['controller', 'controller', 'unknown']
    """

    def __init__(
        self,
        typologies: Sequence[Typology | str | os.PathLike[str]]
        | str
        | os.PathLike[str]
        | None = None,
    ) -> None:
        self.typologies = typologies

    def fit(self, X: pd.DataFrame | None = None, y: object = None) -> RuleScorer:
        """Load and validate the typologies (``X`` and ``y`` are ignored; rules are not learned).

        Returns
        -------
        RuleScorer
            ``self``.
        """
        spec = self.typologies
        if spec is None:
            loaded = load_typologies()
        elif isinstance(spec, str | os.PathLike):
            path = Path(spec)
            loaded = load_typologies(path) if path.is_dir() else [load_typology(path)]
        else:
            loaded = []
            for item in spec:
                if isinstance(item, Typology):
                    loaded.append(item)
                elif isinstance(item, str | os.PathLike):
                    loaded.append(load_typology(item))
                else:
                    raise TypeError(
                        "typologies must be Typology objects or paths. Got "
                        f"{type(item).__name__} instead."
                    )
        ids = [t.id for t in loaded]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"typologies must have distinct ids. Got {duplicated} twice.")
        self.typologies_ = sorted(loaded, key=lambda t: t.id)
        self.features_in_ = list(dict.fromkeys(f for t in self.typologies_ for f in t.features))
        return self

    def score(self, features: pd.DataFrame) -> RuleResult:
        """Apply every typology to every account.

        Parameters
        ----------
        features : pandas.DataFrame
            One row per account (index ``account_id``, or an ``account_id`` column), with at
            least the columns in ``features_in_``; NaN means undefined and fires no band.

        Returns
        -------
        RuleResult

        Raises
        ------
        NotFittedError
            If :meth:`fit` was not called.
        KeyError
            If a feature the typologies read is missing (listing all of them).
        """
        if not hasattr(self, "typologies_"):
            raise NotFittedError("This RuleScorer is not fitted yet. Call fit() before score().")
        X = features.set_index("account_id") if "account_id" in features.columns else features
        missing = [f for f in self.features_in_ if f not in X.columns]
        if missing:
            raise KeyError(
                f"features is missing columns read by the typologies: {missing}. Compute them "
                "with fintrak.features.builder.build_features, or pass NaN columns if unknown."
            )
        index = X.index.rename("account_id")
        n = len(index)
        values = {
            f: pd.to_numeric(X[f], errors="coerce").to_numpy(float) for f in self.features_in_
        }

        points: dict[str, np.ndarray] = {}
        scores: dict[str, np.ndarray] = {}
        bands: list[dict[str, object]] = []  # one row per band, in typology/indicator order
        hit_rows: list[np.ndarray] = []
        hit_bands: list[np.ndarray] = []
        hit_values: list[np.ndarray] = []
        for typology in self.typologies_:
            total = np.zeros(n)
            for ind in typology.indicators:
                x = values[ind.feature]
                valid = ~np.isnan(x)
                for band in ind.bands:
                    mask = valid.copy()
                    if band.lower is not None:
                        mask &= x >= band.lower
                    if band.upper is not None:
                        mask &= x < band.upper
                    rows = np.flatnonzero(mask)
                    bands.append(
                        {
                            "typology": typology.id,
                            "typology_version": typology.version,
                            "indicator": ind.id,
                            "feature": ind.feature,
                            "points": float(band.points),
                            "reason": band.reason,
                            "source": ind.source,
                            "suggests_role": ind.suggests_role,
                        }
                    )
                    if rows.size == 0:
                        continue
                    total[rows] += band.points
                    hit_rows.append(rows)
                    hit_bands.append(np.full(rows.size, len(bands) - 1))
                    hit_values.append(x[rows])
            points[typology.id] = total
            scores[typology.id] = typology_score(
                total, typology.thresholds.review, typology.thresholds.alert
            )

        ids = [t.id for t in self.typologies_]
        points_df = pd.DataFrame(points, index=index, columns=ids, dtype=float)
        levels_df = pd.DataFrame(
            {
                t.id: pd.Categorical(
                    np.select(
                        [points[t.id] >= t.thresholds.alert, points[t.id] >= t.thresholds.review],
                        ["alert", "review"],
                        "none",
                    ),
                    dtype=LEVEL_DTYPE,
                )
                for t in self.typologies_
            },
            index=index,
            columns=ids,
        )
        accounts = self._summarise(points, scores, levels_df, index)
        hits = self._hits(bands, hit_rows, hit_bands, hit_values, index)
        versions = {t.id: t.version for t in self.typologies_}
        return RuleResult(points_df, levels_df, accounts, hits, versions)

    def _summarise(
        self,
        points: dict[str, np.ndarray],
        scores: dict[str, np.ndarray],
        levels: pd.DataFrame,
        index: pd.Index,
    ) -> pd.DataFrame:
        n = len(index)
        ids = [t.id for t in self.typologies_]
        if not ids:
            return pd.DataFrame(
                {
                    "rule_score": np.zeros(n),
                    "rule_typology": pd.Series([None] * n, dtype="str", index=index),
                    "rule_level": pd.Categorical(["none"] * n, dtype=LEVEL_DTYPE),
                },
                index=index,
            )
        score_matrix = np.column_stack([scores[i] for i in ids])
        best = score_matrix.argmax(axis=1)  # first maximum: ids are sorted, so ties -> first id
        rule_score = score_matrix[np.arange(n), best]
        any_points = np.column_stack([points[i] > 0 for i in ids]).any(axis=1)
        best_points = np.column_stack([points[i] for i in ids])[np.arange(n), best]
        named = any_points & (best_points > 0)
        typology = np.where(named, np.asarray(ids, dtype=object)[best], None)
        level_codes = np.column_stack([levels[i].cat.codes.to_numpy() for i in ids]).max(axis=1)
        return pd.DataFrame(
            {
                "rule_score": rule_score,
                "rule_typology": pd.Series(typology, index=index, dtype="str"),
                "rule_level": pd.Categorical.from_codes(level_codes, dtype=LEVEL_DTYPE),
            },
            index=index,
        )

    @staticmethod
    def _hits(
        bands: list[dict[str, object]],
        rows: list[np.ndarray],
        band_ids: list[np.ndarray],
        values: list[np.ndarray],
        index: pd.Index,
    ) -> pd.DataFrame:
        table = pd.DataFrame(
            bands, columns=[c for c in HIT_COLUMNS if c not in ("account_id", "value")]
        )
        text = [c for c in table.columns if c != "points"]
        table[text] = table[text].astype("str")
        table["points"] = table["points"].astype(float)
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
        band = np.concatenate(band_ids) if band_ids else np.zeros(0, dtype=int)
        value = np.concatenate(values) if values else np.zeros(0)
        order = np.lexsort((band, row))  # account in input order, then typology and indicator
        frame = table.iloc[band[order]].reset_index(drop=True)
        frame.insert(0, "account_id", index[row[order]])
        frame.insert(5, "value", value[order])
        return frame[list(HIT_COLUMNS)]


def role_hypothesis(hits: pd.DataFrame, accounts: pd.Index | None = None) -> pd.Series:
    """Return, per account, the suggested role with the most points, else ``"unknown"``.

    Parameters
    ----------
    hits : pandas.DataFrame
        :attr:`RuleResult.hits`.
    accounts : pandas.Index, optional
        Accounts to report (those without hits get ``"unknown"``); default the accounts in
        ``hits``.

    Returns
    -------
    pandas.Series
        Index ``account_id``, values ``victim``, ``controller``, ``facilitator``, ``buyer`` or
        ``unknown``. Only positive points count; ties go to the role first in alphabetical order.
    """
    if accounts is None:
        accounts = pd.Index(hits["account_id"].unique(), name="account_id")
    roles = hits[hits["suggests_role"].notna() & (hits["points"] > 0)]
    totals = roles.groupby(["account_id", "suggests_role"], sort=True)["points"].sum()
    if len(totals):
        table = totals.reset_index().sort_values(
            ["account_id", "points", "suggests_role"],
            ascending=[True, False, True],
            kind="stable",
        )
        best = table.drop_duplicates("account_id").set_index("account_id")["suggests_role"]
    else:
        best = pd.Series([], dtype="str")
    out = best.reindex(accounts).fillna("unknown").astype("str")
    out.index = pd.Index(accounts, name="account_id")
    return out.rename("role_hypothesis")


@dataclass(frozen=True)
class CaseOutcome:
    """The result of one typology case: what was expected, what happened, and whether it held."""

    typology: str
    case: str
    expected: str
    level: str
    points: float
    fired: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether the case held."""
        return not self.problems


def _case_frame(typology: Typology, cases: Sequence[Case]) -> pd.DataFrame:
    rows = [
        {f: (np.nan if c.features.get(f) is None else c.features[f]) for f in typology.features}
        for c in cases
    ]
    index = pd.Index([c.name for c in cases], name="account_id")
    return pd.DataFrame(rows, index=index, columns=list(typology.features), dtype=float)


def run_cases(typology: Typology) -> list[CaseOutcome]:
    """Score every case of a typology and compare with its expectations.

    ``fired``, when given, must equal the set of indicators that fired; ``not_fired`` must not
    intersect it; ``level`` must match.

    Returns
    -------
    list of CaseOutcome
        One per case, in file order.
    """
    if not typology.cases:
        return []
    result = RuleScorer([typology]).fit().score(_case_frame(typology, typology.cases))
    outcomes = []
    for case in typology.cases:
        hits = result.hits[result.hits["account_id"] == case.name]
        fired = tuple(hits["indicator"])
        level = str(result.levels.loc[case.name, typology.id])
        points = float(result.points.loc[case.name, typology.id])
        problems = []
        if level != case.expect.level:
            problems.append(
                f"level {level!r} ({points:g} points; review {typology.thresholds.review:g},"
                f" alert {typology.thresholds.alert:g}), expected {case.expect.level!r}"
            )
        if case.expect.fired is not None and set(fired) != set(case.expect.fired):
            extra = sorted(set(fired) - set(case.expect.fired))
            absent = sorted(set(case.expect.fired) - set(fired))
            problems.append(f"fired {sorted(fired)}: unexpected {extra}, missing {absent}")
        wrongly = sorted(set(fired) & set(case.expect.not_fired))
        if wrongly:
            problems.append(f"{wrongly} fired but are listed in not_fired")
        outcomes.append(
            CaseOutcome(
                typology.id, case.name, case.expect.level, level, points, fired, tuple(problems)
            )
        )
    return outcomes
