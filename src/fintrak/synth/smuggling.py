"""Human smuggling (H1-H5).

Senders in several cities wire sums below 3,000 to a common beneficiary in a border city; the
beneficiary takes cash deposits and quickly wires on to the corridor countries (MX, GT, SV, HN
for the US).
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, DEBIT, Ctx
from fintrak.synth.plan import Ring
from fintrak.synth.primitives import card, external, memo, transfer

__all__ = ["setup", "simulate"]

WIRE_THRESHOLD_USD = 3_000.0


def setup(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Put beneficiaries in border cities; some senders share addresses and phones (H5, J1)."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    for r in rings:
        if r.typology != "human_smuggling":
            continue
        ben = r.members.get("coordinator", np.zeros(0, int)).astype(int)
        snd = r.members.get("sender", np.zeros(0, int)).astype(int)
        if len(ben):
            a["city"][ben] = w.border_idx[rng.integers(0, len(w.border_idx))]
        # senders spread over the country; a few share a house or a phone
        a["city"][snd] = rng.choice(w.n_home, len(snd), p=w.home_weights)
        if len(snd) >= 2 and rng.random() < 0.6:
            host = snd[0]
            sh = snd[1:][rng.random(len(snd) - 1) < 0.35]
            k["address"][sh] = k["address"][host]
            a["city"][sh] = a["city"][host]
            ph = snd[1:][rng.random(len(snd) - 1) < 0.2]
            k["phone"][ph] = k["phone"][host]


def simulate(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Events of every smuggling ring."""
    a, w = ctx.arrays, ctx.world
    limit = WIRE_THRESHOLD_USD * ctx.fx
    corridor = [c for c in w.region.corridor if c in w.country_cities]
    people = ctx.codes["ext_people"]
    for r in rings:
        if r.typology != "human_smuggling":
            continue
        ben = r.members.get("coordinator", np.zeros(0, int)).astype(int)
        snd = r.members.get("sender", np.zeros(0, int)).astype(int)
        span = r.hi - r.lo
        # the beneficiary: held here, or an outside person in a border city (home or abroad)
        if len(ben):
            bcity = int(a["city"][ben[0]])
        else:
            pool_c = np.r_[w.border_idx, w.foreign_border_idx]
            bcity = int(pool_c[rng.integers(0, len(pool_c))])
            bname = people[rng.integers(0, len(people))]
        # H2: sends cluster on a few "payment days" (a crossing being arranged)
        pay_days = r.lo + rng.random(max(1, int(rng.poisson(span / 10) + 1))) * span
        for s in snd:
            n = int(rng.integers(1, 5))
            day = pay_days[rng.integers(0, len(pay_days), n)] + rng.uniform(0, 1.5, n)
            day = np.minimum(day, r.hi - 0.01)
            amt = np.minimum(ctx.money(rng, n, 1800, 0.4), limit * rng.uniform(0.85, 0.995, n))
            amt = np.where(rng.random(n) < 0.4, np.round(amt, -2) - rng.choice([0, 1, 5], n), amt)
            t = ctx.times(rng, day, "business")
            ch = rng.random(n)
            if len(ben):
                wire = ch < 0.6
                transfer(
                    ctx,
                    np.full(wire.sum(), s),
                    np.full(wire.sum(), ben[0]),
                    t[wire],
                    amt[wire],
                    "wire",
                    city=bcity,
                )
                # H5: P2P, or a cash deposit straight into the beneficiary's account
                p2p = (ch >= 0.6) & (ch < 0.8)
                transfer(
                    ctx,
                    np.full(p2p.sum(), s),
                    np.full(p2p.sum(), ben[0]),
                    t[p2p],
                    amt[p2p],
                    "p2p",
                    memo=memo(ctx, rng, p2p.sum(), "family", 0.5),
                )
                dep = ch >= 0.8
                card(
                    ctx,
                    rng,
                    np.full(dep.sum(), ben[0]),
                    t[dep],
                    "branch",
                    amt[dep],
                    a["city"][np.full(dep.sum(), s)],
                    direction=CREDIT,
                    loyalty=0.0,
                )
                card(ctx, rng, np.full(dep.sum(), s), t[dep] - 1800, "atm", amt[dep] * 0.5)
            else:
                msb = ch < 0.3
                card(
                    ctx, rng, np.full(msb.sum(), s), t[msb], "msb", amt[msb], np.full(msb.sum(), -1)
                )
                external(
                    ctx,
                    np.full((~msb).sum(), s),
                    t[~msb],
                    amt[~msb],
                    DEBIT,
                    "wire",
                    bname,
                    city=bcity,
                )
        if len(ben) == 0:
            continue
        b = int(ben[0])
        # H4: extra cash deposits, then rapid wires to corridor countries (<48 h, below limit)
        k = rng.poisson(span / 7 * rng.uniform(0.5, 3))
        d = r.lo + rng.random(k) * span
        amt = np.minimum(ctx.money(rng, k, 2500, 0.6), ctx.cash_threshold * 0.97)
        card(
            ctx, rng, np.full(k, b), ctx.times(rng, d, "business"), "branch", amt, direction=CREDIT
        )
        # wires out: roughly what came in
        m = rng.poisson(span / 7 * rng.uniform(1, 3))
        d = r.lo + rng.random(m) * span
        cc = np.array(corridor, dtype=object)[rng.integers(0, len(corridor), m)]
        city = np.array(
            [w.country_cities[c][rng.integers(0, len(w.country_cities[c]))] for c in cc],
            dtype=np.int64,
        )
        amt = np.minimum(ctx.money(rng, m, 2200, 0.5), limit * rng.uniform(0.8, 0.99, m))
        external(
            ctx,
            np.full(m, b),
            ctx.times(rng, d + 0.5, "business"),
            amt,
            DEBIT,
            "wire",
            people[rng.integers(0, len(people), m)],
            city=city,
        )
        # H3: some inbound wires from the corridor countries
        q = rng.poisson(span / 30 * rng.uniform(0, 3))
        d = r.lo + rng.random(q) * span
        cc = np.array(corridor, dtype=object)[rng.integers(0, len(corridor), q)]
        city = np.array([w.country_cities[c][0] for c in cc], dtype=np.int64)
        external(
            ctx,
            np.full(q, b),
            ctx.times(rng, d, "business"),
            np.minimum(ctx.money(rng, q, 1500, 0.5), limit * 0.99),
            CREDIT,
            "wire",
            people[rng.integers(0, len(people), q)],
            city=city,
        )
        card(
            ctx,
            rng,
            np.full(k, b),
            ctx.times(rng, r.lo + rng.random(k) * span, "day"),
            "atm",
            rng.uniform(200, 800, k) * ctx.fx,
        )
