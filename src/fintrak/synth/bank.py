"""Top-level API of the synthetic bank: :func:`generate` and :func:`write_bank`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fintrak.io.atomic import write_json_atomic, write_parquet_atomic
from fintrak.synth import (
    business,
    funnel,
    hard_negatives,
    labour_trafficking,
    population,
    sex_trafficking,
    smuggling,
)
from fintrak.synth.assemble import assemble
from fintrak.synth.config import SynthConfig
from fintrak.synth.events import CASH_THRESHOLD, FX, Ctx, EventBuffer, Pool, period
from fintrak.synth.intel import build_intel
from fintrak.synth.merchants import build_catalogue
from fintrak.synth.plan import plan
from fintrak.synth.world import build_world

__all__ = ["SyntheticBank", "generate", "write_bank"]

_TYPOLOGY_MODULES = (
    ("sex_trafficking", sex_trafficking),
    ("labour_trafficking", labour_trafficking),
    ("funnel", funnel),
    ("human_smuggling", smuggling),
)


@dataclass
class SyntheticBank:
    """The canonical tables of one simulated bank, and the configuration that made them.

    Attributes
    ----------
    transactions, accounts, intel, labels, observations : pandas.DataFrame
        Canonical tables; ``labels`` also has the extra column ``segment``.
    config : SynthConfig
        The options used.
    """

    transactions: pd.DataFrame
    accounts: pd.DataFrame
    intel: pd.DataFrame
    labels: pd.DataFrame
    observations: pd.DataFrame
    config: SynthConfig


def generate(config: SynthConfig) -> SyntheticBank:
    """Simulate a bank: ordinary customers, legitimate look-alikes and trafficking rings.

    Parameters
    ----------
    config : SynthConfig
        Size, period, seed, region and the mix of what is injected.

    Returns
    -------
    SyntheticBank
        The tables; the same ``config`` always gives identical tables.

    Examples
    --------
    >>> bank = generate(SynthConfig(n_accounts=300, months=1, seed=1))
    >>> len(bank.labels) == 300
    True
    >>> bool(bank.labels["is_trafficking"].sum() > 0)
    True
    """
    cfg = config
    world = build_world(cfg.region)
    pool = Pool()
    cat = build_catalogue(world, pool, cfg.region)
    start_s, n_days, month_days = period(cfg)
    fx = FX.get(cfg.currency, 1.0)
    thr = CASH_THRESHOLD.get(cfg.currency, 10_000 * fx)
    ctx = Ctx(cfg, world, pool, cat, EventBuffer(), n_days, start_s, month_days, fx, thr)
    rings = plan(ctx, ctx.rng("plan"))
    population.assign(ctx, ctx.rng("kyc"))
    rng_biz = ctx.rng("business")
    business.assign(ctx, rng_biz)
    a = ctx.arrays
    ordinary_biz = (a["is_business"] & (a["segment"] == "ordinary")).nonzero()[0]
    employed = ((~a["is_business"]) & (a["segment"] == "ordinary") & (a["job"] == 1)).nonzero()[0]
    business.hire(ctx, rng_biz, ordinary_biz, employed, share=0.1)
    rng_hn = ctx.rng("hard_negatives")
    hard_negatives.setup(ctx, rng_hn)
    rngs = {name: ctx.rng(name) for name, _ in _TYPOLOGY_MODULES}
    for name, mod in _TYPOLOGY_MODULES:
        mod.setup(ctx, rngs[name], rings)
    population.simulate(ctx, ctx.rng("population"))
    business.simulate(ctx, rng_biz)
    hard_negatives.simulate(ctx, rng_hn)
    for name, mod in _TYPOLOGY_MODULES:
        mod.simulate(ctx, rngs[name], rings)
    intel = build_intel(ctx, ctx.rng("intel"), rings)
    tables = assemble(ctx, ctx.rng("assemble"), rings, intel)
    return SyntheticBank(config=cfg, **tables)


def write_bank(bank: SyntheticBank, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the bank's tables as Parquet plus ``synth_config.json``, each file atomically.

    Parameters
    ----------
    bank : SyntheticBank
        Output of :func:`generate`.
    out_dir : path-like
        Folder (created if needed); existing files of the same names are replaced.

    Returns
    -------
    dict of str to pathlib.Path
        ``transactions``, ``accounts``, ``intel``, ``labels``, ``observations`` and ``config``
        paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in ("transactions", "accounts", "intel", "labels", "observations"):
        paths[name] = write_parquet_atomic(out / f"{name}.parquet", getattr(bank, name))
    paths["config"] = write_json_atomic(
        out / "synth_config.json", bank.config.model_dump(mode="json")
    )
    return paths
