"""Funnel accounts (E1-E6).

Cash is deposited in many cities far from home, mostly below the cash reporting threshold, and
withdrawn quickly elsewhere; the holders have no payroll.
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, DEBIT, Ctx
from fintrak.synth.plan import Ring
from fintrak.synth.primitives import card, transfer

__all__ = ["setup", "simulate"]


def setup(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Funnel holders: no ACH income (E3) for most, thin ordinary lives."""
    a, k = ctx.arrays, ctx.kyc
    for r in rings:
        if r.typology != "funnel":
            continue
        f = r.members["funnel"]
        a["job"][f] = np.where(rng.random(len(f)) < 0.8, 0, a["job"][f])
        a["life_in"][f] = rng.uniform(0.1, 0.8, len(f))
        occ = np.array(["Self-employed", "Student", "Unemployed", "Driver", None], dtype=object)
        k["occupation"][f] = occ[rng.integers(0, len(occ), len(f))]
        if "coordinator" in r.members and rng.random() < 0.5:
            c = r.members["coordinator"]
            k["phone"][f[rng.random(len(f)) < 0.4]] = k["phone"][c[0]]


def simulate(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Events of every funnel ring."""
    a, w = ctx.arrays, ctx.world
    thr = ctx.cash_threshold
    for r in rings:
        if r.typology != "funnel":
            continue
        f = r.members["funnel"].astype(int)
        coord = r.members.get("coordinator", np.zeros(0, int)).astype(int)
        # withdrawals happen in one place (the case study: Los Angeles), often the coordinator's
        wcity = (
            int(a["city"][coord[0]]) if len(coord) else int(rng.choice(w.n_home, p=w.home_weights))
        )
        span = r.hi - r.lo
        third_party = rng.random() < 0.5  # E2: small third-party ATM deposits ($200-800)
        for v in f:
            lvl = rng.uniform(0.4, 1.6)
            home = a["city"][v]
            n = rng.poisson(rng.uniform(1.5, 6) * lvl * span / 7)
            if n == 0:
                continue
            day = r.lo + rng.random(n) * span
            far = rng.choice(w.n_home, n, p=w.home_weights)
            far = np.where((far == home) | (far == wcity), (far + 3) % w.n_home, far)
            far = np.where(rng.random(n) < 0.15, home, far)
            if third_party:
                amt = rng.uniform(200, 800, n) * ctx.fx
            else:
                # E5: mostly below the threshold, a few above
                amt = np.minimum(ctx.money(rng, n, 3200, 0.7), thr * rng.uniform(0.8, 0.99, n))
                amt = np.where(rng.random(n) < 0.05, thr * rng.uniform(1.0, 1.4, n), amt)
            amt = np.where(rng.random(n) < 0.5, np.round(amt, -1), amt)
            atm = rng.random(n) < (0.7 if third_party else 0.3)
            t = ctx.times(rng, day, "business")
            t = np.where(atm, ctx.at_hour(rng, day, 8, 30), t)  # E4 some late
            card(
                ctx,
                rng,
                np.full(atm.sum(), v),
                t[atm],
                "atm",
                amt[atm],
                far[atm],
                direction=CREDIT,
                loyalty=0.0,
            )
            card(
                ctx,
                rng,
                np.full((~atm).sum(), v),
                t[~atm],
                "branch",
                amt[~atm],
                far[~atm],
                direction=CREDIT,
                loyalty=0.0,
            )
            # E1: withdrawn in another city soon after, often the same day
            dd = np.floor(day).astype(np.int64)
            days, inv = np.unique(dd, return_inverse=True)
            tot = np.bincount(inv, weights=amt)
            lag = np.where(
                rng.random(len(days)) < 0.6,
                rng.uniform(0.05, 0.4, len(days)),
                rng.uniform(0.4, 2.0, len(days)),
            )
            tw = ctx.start_s + ((days + 0.6 + lag) * 86400).astype(np.int64)
            out = tot * rng.uniform(0.85, 1.0, len(days))
            mode = rng.random(len(days))
            # cash withdrawal at the branch, several ATM withdrawals, or a transfer to the boss
            br = mode < 0.45
            card(
                ctx,
                rng,
                np.full(br.sum(), v),
                tw[br],
                "branch",
                out[br],
                np.full(br.sum(), wcity),
                direction=DEBIT,
            )
            at = (mode >= 0.45) & (mode < (0.8 if len(coord) else 1.01))
            k = np.maximum(np.ceil(out[at] / (800 * ctx.fx)), 1).astype(int)
            j = np.repeat(np.flatnonzero(at), k)
            card(
                ctx,
                rng,
                np.full(len(j), v),
                tw[j] + rng.integers(0, 3600, len(j)),
                "atm",
                out[j] / k[np.searchsorted(np.flatnonzero(at), j)],
                np.full(len(j), wcity),
            )
            if len(coord):
                tr = mode >= 0.8
                transfer(
                    ctx,
                    np.full(tr.sum(), v),
                    np.full(tr.sum(), coord[0]),
                    tw[tr],
                    out[tr],
                    "p2p" if rng.random() < 0.6 else "wire",
                )
        if len(coord):
            c = int(coord[0])
            k = rng.poisson(span / 7 * 3)
            d = r.lo + rng.random(k) * span
            card(
                ctx,
                rng,
                np.full(k, c),
                ctx.times(rng, d, "day"),
                "atm",
                rng.uniform(200, 800, k) * ctx.fx,
                np.full(k, wcity),
            )
