"""Below-the-line sampling: a reproducible random sample of accounts scoring just under the line.

Quality assurance reviews a sample of accounts that did *not* alert, to estimate what the
threshold misses. The design (see ``docs/backtesting.md``):

1. **Band.** Either the score band ``[threshold * (1 - width), threshold)`` or the ``ranks``
   accounts ranked immediately below the line (ranking: score descending, ``account_id``
   ascending). Accounts at or above the threshold alerted and are never in the band.
2. **Strata.** ``typology`` (the run's leading typology; missing = ``none``), ``decile`` (ten
   groups of equal size by rank inside the band, ``d1`` the highest scores), or ``None`` (one
   stratum ``all``).
3. **Allocation** of the ``size`` accounts: ``proportional`` (largest remainders, ties to the
   stratum first in name order) or ``equal`` (``size // strata`` each, the remainder one by one
   in name order), never more than a stratum holds.
4. **Draw.** Within each stratum, in name order, accounts in ranking order are drawn without
   replacement by :meth:`numpy.random.Generator.choice` of ``numpy.random.default_rng(seed)``.
   Each sampled account carries ``weight = population / sampled`` of its stratum, so
   ``sum(weight * found)`` estimates the trafficking accounts in the band.

The same scores, threshold and options give the same sample; the returned ``design`` dict holds
everything needed to redo it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fintrak.backtest.inputs import SCORE_COLUMNS, TableLike, read_scores
from fintrak.backtest.metrics import rank
from fintrak.exceptions import ConfigError

__all__ = ["ALLOCATIONS", "STRATA", "BelowLineSample", "below_the_line_sample"]

#: Ways to split the band into strata.
STRATA: tuple[str | None, ...] = ("typology", "decile", None)
#: Ways to share the sample size between strata.
ALLOCATIONS: tuple[str, ...] = ("proportional", "equal")


@dataclass(frozen=True)
class BelowLineSample:
    """A below-the-line sample and its design.

    Attributes
    ----------
    sample : pandas.DataFrame
        The sampled rows of the scores table in ranking order, plus ``rank`` (1 = highest score
        of the run), ``stratum`` and ``weight`` (stratum population / stratum sample).
    design : dict
        ``method``, ``column``, ``threshold``, ``band`` (``lower``, ``upper`` or ``ranks``),
        ``strata_by``, ``allocation``, ``size``, ``seed``, ``population`` and ``sampled`` (per
        stratum), ``population_total``, ``sampled_total``, ``run``, ``scores_sha256``.
    """

    sample: pd.DataFrame
    design: dict[str, Any]


def _allocate(population: dict[str, int], size: int, allocation: str) -> dict[str, int]:
    names = sorted(population)
    total = sum(population.values())
    if size >= total:
        return dict(population)
    if allocation == "equal":
        out = dict.fromkeys(names, 0)
        left = size
        # hand out one at a time in name order, skipping full strata: equal shares, never above
        # what a stratum holds, and the whole size used
        while left > 0:
            for name in names:
                if left > 0 and out[name] < population[name]:
                    out[name] += 1
                    left -= 1
        return out
    quotas = {name: size * population[name] / total for name in names}
    out = {name: int(np.floor(quotas[name])) for name in names}
    left = size - sum(out.values())
    order = sorted(names, key=lambda name: (-(quotas[name] - out[name]), name))
    for name in order[:left]:
        out[name] += 1
    return out


def below_the_line_sample(
    scores: TableLike,
    threshold: float,
    *,
    size: int,
    seed: int,
    width: float | None = 0.2,
    ranks: int | None = None,
    strata: str | None = "typology",
    allocation: str = "proportional",
    column: str = "score",
) -> BelowLineSample:
    """Draw a stratified random sample of the accounts just below ``threshold``.

    Parameters
    ----------
    scores : pandas.DataFrame or path-like
        The run's scores.
    threshold : float
        The alert threshold (accounts alert when ``score >= threshold``).
    size : int
        Accounts to sample in all (at least 1); the whole band when it holds fewer.
    seed : int
        Seed of the random draw.
    width : float, optional, default 0.2
        Band ``[threshold * (1 - width), threshold)``; ignored when ``ranks`` is given.
    ranks : int, optional
        Use the ``ranks`` accounts ranked immediately below the line as the band instead.
    strata : {"typology", "decile", None}, default "typology"
        How the band is split.
    allocation : {"proportional", "equal"}, default "proportional"
        How ``size`` is shared between strata.
    column : str, default "score"
        The score column.

    Returns
    -------
    BelowLineSample
        The sample and its design.

    Raises
    ------
    ConfigError
        An option out of range.

    Examples
    --------
    >>> frame = pd.DataFrame({"account_id": list("abcdef"),
    ...                       "score": [0.9, 0.75, 0.7, 0.65, 0.6, 0.1],
    ...                       "rule_score": 0.0, "model_score": 0.0,
    ...                       "typology": ["funnel"] * 6})
    >>> drawn = below_the_line_sample(frame, 0.8, size=2, seed=7, width=0.3)
    >>> drawn.design["population_total"], len(drawn.sample)
    (4, 2)
    >>> bool(drawn.sample["score"].between(0.56, 0.8, inclusive="left").all())
    True
    """
    if column not in SCORE_COLUMNS:
        raise ConfigError(f"column must be one of {', '.join(SCORE_COLUMNS)}. Got {column!r}.")
    if strata not in STRATA:
        raise ConfigError(
            f"strata must be 'typology', 'decile' or None. Got {strata!r} instead.\n"
            "  fix: stratify by typology or by score decile"
        )
    if allocation not in ALLOCATIONS:
        raise ConfigError(
            f"allocation must be 'proportional' or 'equal'. Got {allocation!r} instead."
        )
    if isinstance(size, bool) or int(size) != size or int(size) < 1:
        raise ConfigError(f"size must be a whole number of at least 1. Got {size!r} instead.")
    if ranks is not None and (isinstance(ranks, bool) or int(ranks) != ranks or int(ranks) < 1):
        raise ConfigError(f"ranks must be a whole number of at least 1. Got {ranks!r} instead.")
    if ranks is None and (width is None or not 0.0 < float(width) <= 1.0):
        raise ConfigError(
            f"width must be in (0, 1]. Got {width!r} instead.\n"
            "  fix: give e.g. width=0.2 for the band from 80% of the threshold up to it"
        )
    table = read_scores(scores)
    ranked = rank(table.frame, column)
    ranked.insert(1, "rank", np.arange(1, len(ranked) + 1, dtype="int64"))
    values = ranked[column].to_numpy(dtype="float64")
    below = values < threshold
    if ranks is not None:
        band = ranked[below].head(int(ranks))
        band_spec: dict[str, Any] = {"ranks": int(ranks), "lower": None, "upper": float(threshold)}
    else:
        lower = float(threshold) * (1.0 - float(width))
        band = ranked[below & (values >= lower)]
        band_spec = {"ranks": None, "lower": lower, "upper": float(threshold), "width": width}
    band = band.reset_index(drop=True)
    if strata == "typology" and "typology" in band.columns:
        stratum = band["typology"].astype("string").fillna("none").astype(str)
    elif strata == "typology":
        stratum = pd.Series("none", index=band.index)
    elif strata == "decile":
        position = np.arange(len(band))
        decile = (position * 10 // max(len(band), 1)) + 1
        stratum = pd.Series([f"d{d:02d}" for d in decile], index=band.index, dtype="object")
    else:
        stratum = pd.Series("all", index=band.index)
    band["stratum"] = stratum.to_numpy()
    counts = band["stratum"].value_counts()
    population = {str(k): int(counts[k]) for k in sorted(counts.index)}
    sampled = _allocate(population, int(size), allocation)
    rng = np.random.default_rng(seed)
    parts = []
    for name in sorted(population):
        members = band.index[band["stratum"] == name].to_numpy()
        take = sampled[name]
        chosen = np.sort(rng.choice(members, size=take, replace=False)) if take else members[:0]
        part = band.loc[chosen].copy()
        part["weight"] = population[name] / take if take else np.nan
        parts.append(part)
    columns = [*band.columns, "weight"]
    sample = (
        pd.concat(parts).sort_values("rank").reset_index(drop=True)
        if parts
        else pd.DataFrame(columns=columns)
    )
    design = {
        "method": "below_the_line",
        "column": column,
        "threshold": float(threshold),
        "band": band_spec,
        "strata_by": strata,
        "allocation": allocation,
        "size": int(size),
        "seed": int(seed),
        "population": population,
        "sampled": {name: sampled[name] for name in sorted(population)},
        "population_total": int(len(band)),
        "sampled_total": int(len(sample)),
        "draw": "numpy.random.default_rng(seed).choice without replacement, per stratum in name "
        "order, over the stratum's accounts in ranking order (score desc, account_id asc)",
        "run": table.source,
        "scores_sha256": table.sha256,
    }
    return BelowLineSample(sample=sample, design=design)
