"""Labour trafficking: an employer, a recruiter, sometimes a separate controller, and workers.

Workers are paid payroll by the employer and hand most of each wage back (or withdraw it in cash)
within 48 hours (C1, C2, J3); they share housing (J1); they pay recruitment, travel and visa fees
(C7). The employer runs a business with low payroll for its revenue and pays housing (C4, C6).
"""

from __future__ import annotations

import numpy as np

from fintrak.synth import business
from fintrak.synth.events import Ctx
from fintrak.synth.plan import Ring
from fintrak.synth.primitives import card, memo, pay_days, spend, transfer
from fintrak.synth.world import NAME_GROUP, names_for

__all__ = ["setup", "simulate"]

WORKER_FLAGS = {
    "handback": 0.75,  # C2/J3 most of each wage to one counterparty within 48 h
    "cash_out": 0.35,  # C2 wage withdrawn in cash
    "fees": 0.6,  # C7 recruitment / travel / visa fees, recurring debt repayments
    "remit": 0.35,  # C8 transfers abroad
    "shared_house": 0.8,  # J1 shared address
}


def setup(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """KYC of employers and workers; workers lose their ordinary payroll (paid in the window)."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    kinds = np.array(
        ["farm", "cleaning", "construction_labour", "restaurant", "salon", "spa"], dtype=object
    )
    origin = np.array(w.region.remit, dtype=object)
    for r in rings:
        if r.typology != "labour_trafficking":
            continue
        emp = r.members["employer"]
        business.assign_business_kyc(ctx, rng, emp, kinds[rng.integers(0, len(kinds), 1)])
        city = a["city"][emp[0]]
        wk = r.members.get("worker", np.zeros(0, int))
        others = np.r_[r.members.get("recruiter", []), r.members.get("controller", [])].astype(int)
        a["city"][np.r_[wk, others].astype(int)] = city
        nat = origin[rng.integers(0, min(6, len(origin)))] if rng.random() < 0.75 else None
        for v in wk:
            if nat is None:
                break
            k["nationality"][v] = nat
            f, l_ = names_for(np.array([NAME_GROUP.get(nat, 0)]), rng)
            k["name"][v] = f"{f[0]} {l_[0]}"
            a["name_code"][v] = ctx.pool.one(k["name"][v])
        occ = np.array(
            ["Farm worker", "Cleaner", "Labourer", "Kitchen staff", "Worker", None], dtype=object
        )
        k["occupation"][wk] = occ[rng.integers(0, len(occ), len(wk))]
        a["job"][wk] = 0
        a["rent"][wk] = 0.0
        a["life_in"][wk] = rng.uniform(0.05, 0.5, len(wk))
        a["no_friends"][wk] = rng.random(len(wk)) < 0.7
        a["income"][wk] = np.exp(rng.normal(np.log(30_000), 0.2, len(wk)))
        # workers arrive around the ring's start: accounts opened then (like seasonal workers)
        late = rng.random(len(wk)) < 0.6
        a["opened_day"][wk] = np.where(
            late, r.lo - rng.uniform(0, 15, len(wk)), a["opened_day"][wk]
        )
        # shared housing: one to three addresses for the crew (J1)
        houses = np.r_[others, wk[:2]].astype(int) if len(others) else wk[:3]
        if len(houses):
            sh = wk[rng.random(len(wk)) < WORKER_FLAGS["shared_house"]]
            k["address"][sh] = k["address"][houses[rng.integers(0, len(houses), len(sh))]]
            ph = wk[rng.random(len(wk)) < 0.2]
            k["phone"][ph] = k["phone"][houses[rng.integers(0, len(houses), len(ph))]]
            k["phone"][wk[rng.random(len(wk)) < 0.25]] = None


def simulate(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Events of every labour-trafficking ring."""
    a = ctx.arrays
    for r in rings:
        if r.typology != "labour_trafficking":
            continue
        emp = r.members["employer"]
        e = int(emp[0])
        wk = r.members.get("worker", np.zeros(0, int)).astype(int)
        rec = r.members.get("recruiter", np.zeros(0, int)).astype(int)
        ctl = r.members.get("controller", np.zeros(0, int)).astype(int)
        boss = np.r_[ctl, rec, emp].astype(int)
        taker = int(boss[0])  # who collects handed-back wages
        lo, hi = np.array([r.lo]), np.array([r.hi])
        # C4/C6: revenue with low payroll, payroll taxes often missing, housing and motels paid
        business.operate(
            ctx,
            rng,
            emp,
            payroll_ratio=rng.uniform(0.0, 0.08),
            housing_ratio=rng.uniform(0.02, 0.12) if rng.random() < 0.7 else 0.0,
            day_lo=lo,
            day_hi=hi,
            tax=rng.random() < 0.35,
        )
        sched = int(rng.choice([0, 1]))
        pdays = pay_days(ctx, sched, int(rng.integers(0, 2)))
        pdays = pdays[(pdays >= r.lo) & (pdays < r.hi)]
        per_year = 52 if sched == 0 else 26
        # C1: part of the crew is paid straight into the controller's account
        into_boss = wk[rng.random(len(wk)) < (0.3 if rng.random() < 0.5 else 0.0)]
        for v in wk:
            f = {key: rng.random() < p for key, p in WORKER_FLAGS.items()}
            wage = a["income"][v] * ctx.fx / per_year * rng.uniform(0.5, 0.9)
            n = len(pdays)
            if n == 0:
                break
            t = ctx.times(rng, pdays.astype(float), "batch")
            amt = wage * np.exp(rng.normal(0, 0.12, n))
            dst = np.full(n, taker if v in into_boss else v)
            transfer(
                ctx, np.full(n, e), dst, t, amt, "ach", src_name=np.full(n, a["employer_name"][e])
            )
            if v in into_boss:
                continue
            out_share = rng.uniform(0.55, 0.95)
            lag = (rng.uniform(0.1, 2.0, n) * 86400).astype(np.int64)
            if f["handback"] and not f["cash_out"]:
                ch = "p2p" if rng.random() < 0.7 else ("wire" if rng.random() < 0.5 else "check")
                transfer(
                    ctx,
                    np.full(n, v),
                    np.full(n, taker),
                    t + lag,
                    amt * out_share,
                    ch,
                    memo=memo(ctx, rng, n, "work", 0.5),
                )
            elif f["cash_out"]:
                card(ctx, rng, np.full(n, v), t + lag, "atm", amt * out_share)
            if f["fees"]:  # C7: agency fees, travel and visa at the start; fixed repayments
                d0 = np.array([max(r.lo - rng.uniform(0, 10), 0)])
                card(
                    ctx,
                    rng,
                    np.array([v]),
                    ctx.times(rng, d0, "business"),
                    "employment_agency",
                    ctx.money(rng, 1, 1500, 0.7),
                )
                card(
                    ctx,
                    rng,
                    np.array([v]),
                    ctx.times(rng, d0, "any"),
                    "airline",
                    ctx.money(rng, 1, 450, 0.4),
                    np.full(1, -1),
                )
                if len(rec):
                    fixed = np.round(rng.uniform(50, 250) * ctx.fx, -1)
                    transfer(
                        ctx,
                        np.full(n, v),
                        np.full(n, rec[0]),
                        t + lag + 3600,
                        np.full(n, fixed),
                        "p2p",
                        memo=memo(ctx, rng, n, "work", 0.4),
                    )
            if f["remit"]:
                card(
                    ctx,
                    rng,
                    np.full(n, v),
                    t + 2 * lag,
                    "msb",
                    amt * rng.uniform(0.05, 0.25),
                    np.full(n, -1),
                )
            # a thin life: groceries and phone top-ups near the shared house
            spend(ctx, rng, np.array([v]), "grocery", 3.0, day_lo=r.lo, day_hi=r.hi, scale=0.7)
            spend(ctx, rng, np.array([v]), "prepaid_topup", 1.5, day_lo=r.lo, day_hi=r.hi)
        # C3: employer passes money to the recruiter as "services"; boss takes cash
        if len(rec):
            k = rng.poisson(max(r.hi - r.lo, 0) / 30.44 * 1.5)
            d = r.lo + rng.random(k) * (r.hi - r.lo)
            transfer(
                ctx,
                np.full(k, e),
                np.full(k, rec[0]),
                ctx.times(rng, d, "business"),
                ctx.money(rng, k, 2500, 0.5),
                "ach",
            )
        spend(ctx, rng, np.array([taker]), "atm", 8.0, day_lo=r.lo, day_hi=r.hi, scale=3.0)
        spend(ctx, rng, np.array([taker]), "luxury", 0.4, day_lo=r.lo, day_hi=r.hi)
