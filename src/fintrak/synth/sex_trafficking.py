"""Sex-trafficking rings: a controller, victims and sometimes a recruiter ("bottom").

Indicator ids refer to ``/work/shared/reference/indicators.md``. Every member shows only some
indicators, each at its own intensity, and only inside the ring's window; victims may keep part
of their ordinary life.
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, Ctx
from fintrak.synth.plan import Ring
from fintrak.synth.primitives import card, external, memo, spend, transfer
from fintrak.synth.world import NAME_GROUP, names_for

__all__ = ["setup", "simulate"]

#: probability that a victim shows each indicator
VICTIM_FLAGS = {
    "buyers": 0.85,  # A6 night P2P from many new payers, vague memos
    "sweep": 0.75,  # A7/J2 most inflow forwarded to the controller within 48 h
    "lodging": 0.55,  # B1 short stays, several cities (I1)
    "rides": 0.5,  # B4 rideshare at night
    "food": 0.6,  # B5 fast food
    "care": 0.55,  # B6 pharmacy, lingerie, cosmetics
    "topup": 0.45,  # B7 prepaid phone top-ups
    "atm": 0.45,  # E4 late-night ATM
    "ads": 0.25,  # A1 some victims post their own ads
    "cash_in": 0.3,  # AU22 cash deposits of earnings instead of P2P
}
CONTROLLER_FLAGS = {
    "ads": 0.8,  # A1
    "rooms": 0.6,  # B2 several rooms the same night
    "luxury": 0.6,  # A10 luxury and gambling
    "atm": 0.7,  # A10 cash withdrawals
    "prepaid": 0.35,  # F1 prepaid cards
    "travel": 0.35,  # B3 tickets for others
    "topup": 0.4,  # B7
}


def setup(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """KYC of ring members: shared addresses and phones (J1, A3), victims' shrunken lives (G1)."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    for r in rings:
        if r.typology != "sex_trafficking":
            continue
        ctrl = r.members["controller"]
        vic = r.members.get("victim", np.zeros(0, int))
        rec = r.members.get("recruiter", np.zeros(0, int))
        everyone = r.all()
        city = a["city"][ctrl[0]]
        a["city"][everyone] = np.where(rng.random(len(everyone)) < 0.8, city, a["city"][everyone])
        a["no_friends"][vic] = rng.random(len(vic)) < 0.5
        # victims: young, often foreign nationals, little ordinary life while controlled (G1)
        foreign = rng.random(len(vic)) < 0.3
        remit = np.array(w.region.remit + ("TH", "RO", "UA"), dtype=object)
        nat = remit[rng.integers(0, len(remit), len(vic))]
        for i in np.flatnonzero(foreign):
            k["nationality"][vic[i]] = nat[i]
            f, l_ = names_for(np.array([NAME_GROUP.get(nat[i], 0)]), rng)
            k["name"][vic[i]] = f"{f[0]} {l_[0]}"
            a["name_code"][vic[i]] = ctx.pool.one(k["name"][vic[i]])
        k["dob"][vic] = ctx.start_s // 86400 - (rng.uniform(18, 31, len(vic)) * 365.25).astype(
            np.int64
        )
        occ = np.array(
            [
                "Student",
                "Model",
                "Dancer",
                "Server",
                "Self-employed",
                "Unemployed",
                "Waitress",
                "Hostess",
            ],
            dtype=object,
        )
        k["occupation"][vic] = np.where(
            rng.random(len(vic)) < 0.35, None, occ[rng.integers(0, len(occ), len(vic))]
        )
        keep_job = rng.random(len(vic)) < 0.2
        a["job"][vic] = np.where(keep_job, a["job"][vic], 0)
        a["life_in"][vic] = np.where(
            rng.random(len(vic)) < 0.3,
            rng.uniform(0.4, 0.9, len(vic)),
            rng.uniform(0.02, 0.3, len(vic)),
        )
        a["night"][vic] = rng.random(len(vic)) < 0.5
        a["night"][ctrl] = rng.random(len(ctrl)) < 0.4
        a["rent"][vic] = np.where(rng.random(len(vic)) < 0.7, 0.0, a["rent"][vic])
        # shared identifiers: one address for the group, a phone handled by the controller (J1)
        if rng.random() < 0.65:
            host = ctrl[0] if rng.random() < 0.5 else (vic[0] if len(vic) else ctrl[0])
            same = np.r_[vic, rec][rng.random(len(vic) + len(rec)) < 0.75]
            k["address"][same] = k["address"][host]
        share_phone = vic[rng.random(len(vic)) < 0.25]
        src = np.r_[ctrl, rec]
        k["phone"][share_phone] = k["phone"][src[rng.integers(0, len(src), len(share_phone))]]
        # coerced opening (G2): some victims' accounts opened together at the ring's start
        if rng.random() < 0.4:
            day = r.lo + rng.uniform(-20, 5)
            a["opened_day"][vic] = np.where(
                rng.random(len(vic)) < 0.7, day + rng.uniform(0, 2, len(vic)), a["opened_day"][vic]
            )


def _circuit(ctx: Ctx, rng: np.random.Generator, r: Ring, home: int) -> np.ndarray:
    """City of the ring on each day of its window: stays of a few days, moving (B1, I1)."""
    w = ctx.world
    nd = ctx.n_days
    city = np.full(nd + 3, -1, dtype=np.int64)
    mobile = rng.random() < 0.75
    d = int(r.lo)
    while d < r.hi:
        stay = int(rng.integers(2, 8))
        c = (
            home
            if (not mobile or rng.random() < 0.3)
            else int(rng.choice(w.n_home, p=w.home_weights))
        )
        city[d : min(d + stay, int(r.hi))] = c
        d += stay
    return city


def simulate(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> None:
    """Events of every sex-trafficking ring."""
    a = ctx.arrays
    ordinary = np.flatnonzero((a["segment"] == "ordinary") & ~a["is_business"])
    people = ctx.codes["ext_people"]
    for r in rings:
        if r.typology != "sex_trafficking":
            continue
        ctrl = int(r.members["controller"][0])
        vic = r.members.get("victim", np.zeros(0, int))
        rec = r.members.get("recruiter", np.zeros(0, int))
        home = int(a["city"][ctrl])
        circuit = _circuit(ctx, rng, r, home)
        days = np.arange(int(r.lo), int(r.hi))
        if len(days) == 0:
            continue
        collectors = np.r_[ctrl, rec].astype(np.int64)
        for v in np.r_[vic, rec].astype(np.int64):
            f = {key: rng.random() < p for key, p in VICTIM_FLAGS.items()}
            if a["role"][v] == "recruiter":
                f["ads"] = rng.random() < 0.7
            lvl = rng.uniform(0.3, 1.5)
            vdays = days[rng.random(len(days)) < rng.uniform(0.5, 0.95)]  # days worked
            where = circuit[vdays]
            where = np.where(where < 0, home, where)
            # A6: buyers pay by P2P at night, mostly new payers, amounts ~100-800 (AU22)
            inflow_day = np.zeros(0)
            inflow_amt = np.zeros(0)
            if f["buyers"] or not f["cash_in"]:
                cnt = rng.poisson(rng.uniform(0.8, 4.0) * lvl, len(vdays))
                j = np.repeat(np.arange(len(vdays)), cnt)
                t = ctx.at_hour(rng, vdays[j], 19, 29)
                amt = np.clip(ctx.money(rng, len(j), 230, 0.5), 60 * ctx.fx, 1200 * ctx.fx)
                amt = np.where(rng.random(len(j)) < 0.55, np.round(amt / 10) * 10, amt)
                mm = memo(ctx, rng, len(j), "vague", rng.uniform(0.2, 0.7))
                internal = rng.random(len(j)) < 0.08
                if len(ordinary):
                    payer = ordinary[rng.integers(0, len(ordinary), internal.sum())]
                    transfer(
                        ctx,
                        payer,
                        np.full(internal.sum(), v),
                        t[internal],
                        amt[internal],
                        "p2p",
                        memo=mm[internal],
                    )
                # new payers: mostly names never seen before, a few regulars
                regular = rng.random(len(j)) < 0.15
                payer_name = np.where(
                    regular,
                    people[(v * 13 + rng.integers(0, 5, len(j))) % len(people)],
                    people[rng.integers(0, len(people), len(j))],
                )
                ext = ~internal
                external(
                    ctx,
                    np.full(ext.sum(), v),
                    t[ext],
                    amt[ext],
                    CREDIT,
                    "p2p",
                    payer_name[ext],
                    memo=mm[ext],
                )
                inflow_day, inflow_amt = ctx.day_of(t), amt
            if f["cash_in"]:
                # cash earnings deposited at ATMs, often late (E4, AU22 $200-800)
                cnt = rng.poisson(0.5 * lvl, len(vdays))
                j = np.repeat(np.arange(len(vdays)), cnt)
                t = ctx.at_hour(rng, vdays[j], 21, 29)
                amt = np.round(rng.uniform(200, 800, len(j)) * ctx.fx / 20) * 20
                card(ctx, rng, np.full(len(j), v), t, "gas_atm", amt, where[j], direction=CREDIT)
                inflow_day = np.r_[inflow_day, ctx.day_of(t)]
                inflow_amt = np.r_[inflow_amt, amt]
            # A7/J2: sweep most of each day's takings to the controller within 48 h
            if f["sweep"] and len(inflow_day) and a["role"][v] == "victim":
                share = rng.uniform(0.6, 0.97)
                dd = np.floor(inflow_day).astype(np.int64)
                tot = np.bincount(dd - dd.min(), weights=inflow_amt)
                sd = np.flatnonzero(tot > 0) + dd.min()
                lag = rng.uniform(0.1, 2.0, len(sd))
                to = (
                    collectors[rng.integers(0, len(collectors), len(sd))]
                    if rng.random() < 0.3
                    else np.full(len(sd), ctrl)
                )
                t = ctx.start_s + ((sd + 0.9 + lag) * 86400).astype(np.int64)
                amt = tot[sd - dd.min()] * share * rng.uniform(0.85, 1.0, len(sd))
                ch = "p2p" if rng.random() < 0.8 else "ach"
                transfer(
                    ctx,
                    np.full(len(sd), v),
                    to,
                    t,
                    amt,
                    ch,
                    memo=memo(ctx, rng, len(sd), "vague", 0.7),
                )
            _logistics(ctx, rng, v, vdays, where, f, lvl)
        _controller(ctx, rng, ctrl, r, days, circuit, len(vic))


def _logistics(
    ctx: Ctx,
    rng: np.random.Generator,
    v: int,
    vdays: np.ndarray,
    where: np.ndarray,
    f: dict[str, bool],
    lvl: float,
) -> None:
    """Victim logistics and sustenance spending in the circuit's cities (B1, B4-B7, E4, A1)."""
    acc = np.full(len(vdays), v)

    def some(rate: float) -> np.ndarray:
        return np.repeat(np.arange(len(vdays)), rng.poisson(rate * lvl, len(vdays)))

    if f["lodging"]:  # B1: short stays, one charge every night or two
        j = some(0.6)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, vdays[j], 10, 24),
            "motel",
            ctx.money(rng, len(j), 85, 0.35),
            where[j],
            loyalty=0.0,
        )
    if f["rides"]:  # B4
        j = some(0.9)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, vdays[j], 20, 29),
            "rideshare",
            ctx.money(rng, len(j), 21, 0.5),
            where[j],
        )
    if f["food"]:  # B5
        j = some(1.2)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, vdays[j], 12, 27),
            "fast_food",
            ctx.money(rng, len(j), 16, 0.5),
            where[j],
            loyalty=0.0,
        )
    if f["care"]:  # B6
        for cat, rate in (("pharmacy", 0.25), ("lingerie", 0.1), ("cosmetics", 0.2)):
            j = some(rate)
            c = ctx.cat.cats[ctx.cat.categories[cat]]
            card(
                ctx,
                rng,
                acc[j],
                ctx.times(rng, vdays[j], "day"),
                cat,
                ctx.money(rng, len(j), c.median, c.sigma),
                where[j],
            )
    if f["topup"]:  # B7
        j = some(0.3)
        card(
            ctx,
            rng,
            acc[j],
            ctx.times(rng, vdays[j], "any"),
            "prepaid_topup",
            np.round(rng.choice([10, 15, 20, 25, 30, 40, 50], len(j)) * ctx.fx, 0),
            where[j],
        )
    if f["atm"]:  # E4
        j = some(0.25)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, vdays[j], 22, 29),
            "gas_atm",
            rng.uniform(60, 400, len(j)) * ctx.fx,
            where[j],
        )
    if f["ads"]:  # A1
        j = some(0.4)
        _ads(ctx, rng, acc[j], vdays[j] + rng.random(len(j)))


def _ads(ctx: Ctx, rng: np.random.Generator, acc: np.ndarray, days: np.ndarray | None) -> None:
    """A1: many small ad-site payments, often in multiples ($3, $12, $24)."""
    n = len(acc)
    if n == 0:
        return
    day = days if days is not None else rng.random(n) * ctx.n_days
    unit = rng.choice([1.0, 3.0, 12.0, 24.0, 5.0], n, p=[0.25, 0.25, 0.25, 0.1, 0.15])
    mult = rng.choice([1, 1, 1, 2, 3, 4, 5, 10], n)
    amt = np.where(unit == 1.0, ctx.money(rng, n, 22, 0.8), unit * mult * ctx.fx)
    card(ctx, rng, acc, ctx.times(rng, day, "any"), "ads_adult", amt, np.full(n, -1), loyalty=0.5)


def _controller(
    ctx: Ctx,
    rng: np.random.Generator,
    c: int,
    r: Ring,
    days: np.ndarray,
    circuit: np.ndarray,
    n_vic: int,
) -> None:
    f = {k: rng.random() < p for k, p in CONTROLLER_FLAGS.items()}
    lvl = rng.uniform(0.4, 1.5)
    where = np.where(circuit[days] < 0, ctx.arrays["city"][c], circuit[days])
    acc = np.full(len(days), c)

    def some(rate: float) -> np.ndarray:
        return np.repeat(np.arange(len(days)), rng.poisson(rate * lvl, len(days)))

    if f["ads"]:  # A1: several per week, more victims -> more ads (AU22 up to 10,000/month)
        j = some(0.4 + 0.25 * n_vic)
        day = days[j] + rng.random(len(j))
        _ads(ctx, rng, acc[j], day)
    if f["rooms"]:  # B2: several rooms at one property the same night
        j = some(0.3)
        k = rng.integers(2, 4, len(j))
        jj = np.repeat(j, k)
        card(
            ctx,
            rng,
            acc[jj],
            ctx.at_hour(rng, days[jj], 14, 23),
            "motel",
            ctx.money(rng, len(jj), 90, 0.3),
            where[jj],
            loyalty=1.0,
        )
    if f["luxury"]:  # A10
        j = some(0.12)
        card(
            ctx,
            rng,
            acc[j],
            ctx.times(rng, days[j], "day"),
            "luxury",
            ctx.money(rng, len(j), 900, 0.7),
            np.full(len(j), -1),
        )
        j = some(0.2)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, days[j], 21, 28),
            "casino",
            ctx.money(rng, len(j), 300, 0.8),
            where[j],
        )
        spend(ctx, rng, np.array([c]), "gambling_online", 6 * lvl, day_lo=r.lo, day_hi=r.hi)
    if f["atm"]:  # A10 cash to pay workers / E4 at night
        j = some(0.35)
        card(
            ctx,
            rng,
            acc[j],
            ctx.at_hour(rng, days[j], 12, 28),
            "atm",
            rng.uniform(200, 800, len(j)) * ctx.fx,
            where[j],
        )
    if f["prepaid"]:  # F1
        j = some(0.1)
        card(
            ctx,
            rng,
            acc[j],
            ctx.times(rng, days[j], "any"),
            "prepaid_card",
            ctx.money(rng, len(j), 150, 0.5),
            where[j],
        )
    if f["travel"]:  # B3
        j = some(0.06)
        k = rng.integers(1, 4, len(j))
        jj = np.repeat(j, k)
        cat = "bus_rail" if rng.random() < 0.5 else "airline"
        card(
            ctx,
            rng,
            acc[jj],
            ctx.times(rng, days[jj], "any"),
            cat,
            ctx.money(rng, len(jj), 60 if cat == "bus_rail" else 230, 0.4),
            np.full(len(jj), -1),
        )
    if f["topup"]:  # B7
        j = some(0.25)
        card(
            ctx,
            rng,
            acc[j],
            ctx.times(rng, days[j], "any"),
            "prepaid_topup",
            np.round(rng.choice([10, 20, 25, 30, 50], len(j)) * ctx.fx, 0),
            where[j],
        )
