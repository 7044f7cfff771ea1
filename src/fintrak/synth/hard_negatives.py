"""Hard negatives: legitimate customers who look like trafficking on one or two indicators.

Each group copies the *shape* of an indicator (night activity, hotels in many cities, many P2P
payers, ad spend, shared addresses, remittances to corridor countries, cash deposits) without
the rest of the pattern (no sweeps to a controller, an ordinary life, a coherent occupation).
"""

from __future__ import annotations

import numpy as np

from fintrak.synth import business
from fintrak.synth.events import CREDIT, DEBIT, Ctx
from fintrak.synth.population import trips
from fintrak.synth.primitives import MONTH, card, external, memo, monthly, pay_days, spend, transfer
from fintrak.synth.world import NAME_GROUP, names_for

__all__ = ["BUSINESS_GROUPS", "setup", "simulate"]

#: Groups made of business accounts (``seasonal_worker`` also has farm employers).
BUSINESS_GROUPS = ("cash_business", "salon_spa")

_OCC = {
    "night_shift": (
        "Registered nurse",
        "Security guard",
        "Warehouse associate",
        "ER technician",
        "Bartender",
        "Baker",
        "Hotel night auditor",
    ),
    "travelling_staff": (
        "Consultant",
        "Sales representative",
        "Auditor",
        "Field engineer",
        "Flight attendant",
        "Travel nurse",
    ),
    "long_haul_driver": ("Truck driver", "CDL driver", "Owner-operator"),
    "gig_worker": (
        "Rideshare driver",
        "Delivery driver",
        "Handyman",
        "Dog walker",
        "Freelancer",
        "Babysitter",
    ),
    "hairdresser": (
        "Hairdresser",
        "Nail technician",
        "Lash artist",
        "Barber",
        "Braider",
        "Massage therapist",
    ),
    "adult_creator": ("Content creator", "Model", "Influencer", "Self-employed", "Entertainer"),
    "landlord": ("Landlord", "Property investor", "Real estate", "Retired"),
    "remitter": (
        "Construction worker",
        "Cook",
        "Cleaner",
        "Caregiver",
        "Farm worker",
        "Warehouse worker",
    ),
    "seasonal_worker": (
        "Farm worker",
        "Seasonal worker",
        "Agricultural worker",
        "Picker",
        "Fish processor",
    ),
    "event_traveller": ("Sales manager", "Engineer", "Teacher", "Accountant", "Student"),
}


def _seg(ctx: Ctx, name: str, business_: bool | None = None) -> np.ndarray:
    a = ctx.arrays
    m = a["segment"] == name
    if business_ is not None:
        m &= a["is_business"] == business_
    return np.flatnonzero(m)


def setup(ctx: Ctx, rng: np.random.Generator) -> None:
    """Reshape KYC and baseline parameters of the hard-negative accounts."""
    a, k = ctx.arrays, ctx.kyc
    for g, occ in _OCC.items():
        who = _seg(ctx, g, False)
        o = np.array(occ, dtype=object)[rng.integers(0, len(occ), len(who))]
        k["occupation"][who] = np.where(rng.random(len(who)) < 0.12, None, o)
    ns = _seg(ctx, "night_shift")
    a["night"][ns] = True
    a["job"][ns] = 1
    for g in ("gig_worker", "hairdresser", "adult_creator"):
        who = _seg(ctx, g)
        a["job"][who] = np.where(rng.random(len(who)) < 0.25, 1, 0)
    ac = _seg(ctx, "adult_creator")
    a["night"][ac] = rng.random(len(ac)) < 0.5
    ld = _seg(ctx, "long_haul_driver")
    a["job"][ld] = 1
    a["pay_sched"][ld] = 0
    a["life"][ld] *= 0.5
    # remitters and seasonal workers: nationals of remittance / corridor countries
    remit = np.array(ctx.world.region.remit, dtype=object)
    for g in ("remitter", "seasonal_worker"):
        who = _seg(ctx, g, False)
        nat = remit[rng.integers(0, min(len(remit), 6), len(who))]
        _rename(ctx, rng, who, nat)
        a["job"][who] = 1
        a["pay_sched"][who] = rng.choice([0, 1], len(who))
        a["income"][who] = np.exp(rng.normal(np.log(34_000), 0.25, len(who)))
    # seasonal workers live in employer housing (shared address) and opened accounts on arrival
    sw = _seg(ctx, "seasonal_worker", False)
    farms = _seg(ctx, "seasonal_worker", True)
    business.assign_business_kyc(ctx, rng, farms, np.full(len(farms), "farm", dtype=object))
    if len(farms):
        f = farms[np.arange(len(sw)) % len(farms)]
        a["city"][sw] = a["city"][f]
        a["employer_acct"][sw] = f
        a["employer_name"][sw] = a["employer_name"][f]
        a["household"][sw] = sw  # housemates, not family: no household P2P
        house = k["address"][f]
        k["address"][sw] = (
            "Bunkhouse "
            + (np.arange(len(sw)) % 3 + 1).astype(str).astype(object)
            + ", "
            + house.astype(object)
        )
        a["income"][sw] *= 0.85  # housing deducted from wages
        start = rng.uniform(0, 0.3 * ctx.n_days, len(farms))
        a["opened_day"][sw] = start[np.arange(len(sw)) % len(farms)] - rng.uniform(0, 10, len(sw))
        a["no_friends"][sw] = rng.random(len(sw)) < 0.7
    # businesses of the look-alike groups
    cb = _seg(ctx, "cash_business", True)
    business.assign_business_kyc(
        ctx,
        rng,
        cb,
        np.array(["laundromat", "bar", "food_truck", "convenience"], dtype=object)[
            rng.integers(0, 4, len(cb))
        ],
    )
    ss = _seg(ctx, "salon_spa", True)
    business.assign_business_kyc(
        ctx, rng, ss, np.array(["salon", "spa"], dtype=object)[rng.integers(0, 2, len(ss))]
    )
    # landlords: ordinary renters in the same city pay them (shared landlord, J4 look-alike)
    ll = _seg(ctx, "landlord")
    renters = np.flatnonzero((a["segment"] == "ordinary") & ~a["is_business"] & (a["rent"] > 0))
    renters = renters[rng.random(len(renters)) < 0.3]
    if len(ll) and len(renters):
        lc = a["city"][ll]
        order = np.argsort(lc, kind="stable")
        sl, sc = ll[order], lc[order]
        rc = a["city"][renters]
        lo, hi = np.searchsorted(sc, rc, "left"), np.searchsorted(sc, rc, "right")
        has = hi > lo
        pick = sl[lo[has] + (rng.random(has.sum()) * (hi[has] - lo[has])).astype(np.int64)]
        a["landlord_acct"][renters[has]] = pick
    a["rent"][ll] = -np.abs(a["rent"][ll]) - 2000 * ctx.fx  # they own, with a mortgage
    a["income"][ll] *= 1.4


def _rename(ctx: Ctx, rng: np.random.Generator, who: np.ndarray, nat: np.ndarray) -> None:
    """Give ``who`` the nationality ``nat`` and matching names."""
    k, a = ctx.kyc, ctx.arrays
    grp = np.array([NAME_GROUP.get(x, 0) for x in sorted(set(nat.tolist()))])
    keys = np.array(sorted(set(nat.tolist())), dtype=object)
    g = grp[np.searchsorted(keys, nat)] if len(keys) else np.zeros(0, int)
    f, l_ = names_for(g, rng)
    k["nationality"][who] = nat
    k["first"][who], k["last"][who] = f, l_
    k["name"][who] = f + " " + l_
    a["name_code"][who] = ctx.pool.add(list(k["name"][who]))


def simulate(ctx: Ctx, rng: np.random.Generator) -> None:
    """Events specific to each hard-negative group (on top of their baseline lives)."""
    a = ctx.arrays
    nd = ctx.n_days
    wh = ctx.world
    # night shift: snacks, fuel and coffee around shifts
    ns = _seg(ctx, "night_shift")
    for cat, r in (("convenience", 4), ("fast_food", 4), ("gas_atm", 0.8), ("fuel", 1.5)):
        spend(ctx, rng, ns, cat, r, hours="night")
    # travelling staff: work trips every week or two, expenses reimbursed
    ts = _seg(ctx, "travelling_staff")
    k = rng.poisson(rng.uniform(1.5, 4.5, len(ts)) * nd / MONTH)
    acc = np.repeat(ts, k)
    trips(ctx, rng, acc, nights=rng.integers(1, 5, len(acc)), business=True)
    reimb = ctx.codes.setdefault(
        "reimb", ctx.pool.add(["EXPENSE REIMB", "CONCUR EXPENSE", "TRAVEL REIMBURSEMENT"])
    )
    i, acc2, day, amt = monthly(
        ctx, rng, ts, rng.integers(5, 25, len(ts)), np.full(len(ts), 900.0 * ctx.fx), jitter=0.5
    )
    external(ctx, acc2, ctx.times(rng, day, "batch"), amt, CREDIT, "ach", reimb[acc2 % 3])
    # long-haul drivers: truck stops, motels and fast food in many cities, night ATM
    ld = _seg(ctx, "long_haul_driver")
    for cat, r in (
        ("truck_stop", 9),
        ("motel", 7),
        ("fast_food", 12),
        ("gas_atm", 1.5),
        ("convenience", 6),
        ("coffee", 5),
    ):
        cnt = rng.poisson(r * nd / MONTH * np.ones(len(ld)))
        acc = np.repeat(ld, cnt)
        city = rng.choice(wh.n_home, len(acc), p=wh.home_weights)
        spend_city(ctx, rng, acc, cat, city)
    # gig workers: platform payouts and many P2P payers
    gw = _seg(ctx, "gig_worker")
    plat = ctx.codes.setdefault(
        "gig",
        ctx.pool.add(["ZOOMRIDE PAYOUT", "DASHEAT PAYOUT", "SHOPRUN EARNINGS", "TASKHIVE PAYOUT"]),
    )
    _payouts(ctx, rng, gw, plat, per_week=rng.uniform(1, 6, len(gw)), median=140)
    spend(ctx, rng, gw, "fuel", 6)
    _many_payers(
        ctx, rng, gw, rate=rng.uniform(4, 25, len(gw)), median=60, vocab="service", hours="day"
    )
    # hairdressers: clients pay by P2P, evenings and weekends
    hd = _seg(ctx, "hairdresser")
    _many_payers(
        ctx, rng, hd, rate=rng.uniform(15, 60, len(hd)), median=85, vocab="service", hours="evening"
    )
    spend(ctx, rng, hd, "beauty_supply", 3)
    spend(ctx, rng, hd, "ads_mainstream", 1.5)
    # adult-content creators: platform payouts, ad spend, fans' tips at night, lingerie
    ac = _seg(ctx, "adult_creator")
    fans = ctx.codes.setdefault(
        "fanplat",
        ctx.pool.add(
            ["FANVAULT PAYOUT", "CREATORSPACE PAYOUT", "CLIPSHOP EARNINGS", "STARFANS LTD"]
        ),
    )
    _payouts(ctx, rng, ac, fans, per_week=rng.uniform(0.5, 2, len(ac)), median=420)
    spend(ctx, rng, ac, "ads_mainstream", rng.uniform(2, 10, len(ac)))
    adult_ads = ac[rng.random(len(ac)) < 0.35]
    spend(ctx, rng, adult_ads, "ads_adult", rng.uniform(1, 8, len(adult_ads)))
    spend(ctx, rng, ac, "lingerie", 1.5)
    spend(ctx, rng, ac, "cosmetics", 3)
    spend(ctx, rng, ac, "electronics", 0.3)
    _many_payers(
        ctx, rng, ac, rate=rng.uniform(5, 40, len(ac)), median=45, vocab="creator", hours="night"
    )
    # landlords: external tenants pay rent, repairs, property tax, insurance
    ll = _seg(ctx, "landlord")
    n_ext = rng.integers(1, 12, len(ll))
    j = np.repeat(ll, n_ext)
    dom = rng.integers(1, 6, len(j))
    rent = np.exp(rng.normal(np.log(1400), 0.3, len(j))) * ctx.fx
    i, acc, day, amt = monthly(ctx, rng, j, dom, rent, jitter=0.0)
    people = ctx.codes["ext_people"]
    tenant = people[(np.arange(len(j)) * 131 + j * 7)[i] % len(people)]
    ch = np.where(i % 3 == 0, "ach", "p2p")
    for c in ("ach", "p2p"):
        m = ch == c
        external(
            ctx,
            acc[m],
            ctx.times(rng, day[m], "day"),
            amt[m],
            CREDIT,
            c,
            tenant[m],
            memo=np.where(rng.random(m.sum()) < 0.5, ctx.codes["memo_ordinary"][1], -1),
        )
    spend(ctx, rng, ll, "home", 3, scale=2.5)
    # remitters: wires and MSB transfers to family in corridor and other countries
    rm = np.r_[_seg(ctx, "remitter"), _seg(ctx, "seasonal_worker", False)]
    _remit(ctx, rng, rm)
    cashers = rm[rng.random(len(rm)) < 0.3]
    spend(ctx, rng, cashers, "branch", 1.5, channel="cash")
    # seasonal workers: visa fee on arrival; farms run with housing costs
    sw = _seg(ctx, "seasonal_worker", False)
    d0 = np.maximum(a["opened_day"][sw], 0) + rng.uniform(0, 5, len(sw))
    vm = rng.random(len(sw)) < 0.5
    card(
        ctx,
        rng,
        sw[vm],
        ctx.times(rng, d0[vm], "business"),
        "visa_fees",
        ctx.money(rng, vm.sum(), 190, 0.2),
    )
    farms = _seg(ctx, "seasonal_worker", True)
    business.operate(ctx, rng, farms, payroll_ratio=0.3, housing_ratio=0.05)
    business.operate(ctx, rng, _seg(ctx, "cash_business", True), payroll_ratio=0.2)
    business.operate(ctx, rng, _seg(ctx, "salon_spa", True), payroll_ratio=0.3)
    # event travellers: group trips, several rooms the same night, late rides and bars
    et = _seg(ctx, "event_traveller")
    k = rng.integers(1, 3, len(et))
    acc = np.repeat(et, k)
    n = len(acc)
    start = rng.random(n) * max(nd - 4, 1)
    dest = rng.choice(wh.n_home, n, p=wh.home_weights)
    nights = rng.integers(1, 4, n)
    trips(ctx, rng, acc, dest=dest, start=start, nights=nights)
    rooms = rng.integers(1, 4, n)
    j = np.repeat(np.arange(n), rooms)
    card(
        ctx,
        rng,
        acc[j],
        ctx.at_hour(rng, np.floor(start[j]), 15, 23),
        "hotel",
        ctx.money(rng, len(j), 180, 0.3) * nights[j],
        dest[j],
    )
    m = rng.poisson(3 * nights)
    j = np.repeat(np.arange(n), m)
    day = np.floor(start[j]) + rng.integers(0, nights[j] + 1)
    card(
        ctx,
        rng,
        acc[j],
        ctx.at_hour(rng, day, 22, 27),
        "rideshare",
        ctx.money(rng, len(j), 24, 0.5),
        dest[j],
    )
    card(
        ctx,
        rng,
        acc[j],
        ctx.at_hour(rng, day, 20, 26),
        "bar",
        ctx.money(rng, len(j), 45, 0.6),
        dest[j],
    )
    # friends pay them back for rooms
    pers = np.flatnonzero((a["segment"] == "ordinary") & ~a["is_business"])
    if len(pers):
        fr = pers[rng.integers(0, len(pers), len(acc))]
        transfer(
            ctx,
            fr,
            acc,
            ctx.times(rng, start + nights + 1, "evening"),
            ctx.money(rng, n, 150, 0.5),
            "p2p",
            memo=ctx.codes["memo_ordinary"][29],
        )


def spend_city(
    ctx: Ctx, rng: np.random.Generator, acc: np.ndarray, cat: str, city: np.ndarray
) -> None:
    """One purchase per entry of ``acc`` at a ``cat`` merchant in ``city``."""
    c = ctx.cat.cats[ctx.cat.categories[cat]]
    card(
        ctx,
        rng,
        acc,
        ctx.times(rng, rng.random(len(acc)) * ctx.n_days, c.hours),
        cat,
        ctx.money(rng, len(acc), c.median, c.sigma),
        city,
        loyalty=0.0,
    )


def _payouts(
    ctx: Ctx,
    rng: np.random.Generator,
    who: np.ndarray,
    names: np.ndarray,
    per_week: np.ndarray,
    median: float,
) -> None:
    cnt = rng.poisson(per_week * ctx.n_days / 7)
    acc = np.repeat(who, cnt)
    day = rng.random(len(acc)) * ctx.n_days
    plat = names[(acc + rng.integers(0, 2, len(acc))) % len(names)]
    external(
        ctx,
        acc,
        ctx.times(rng, day, "batch"),
        ctx.money(rng, len(acc), median, 0.6),
        CREDIT,
        "ach",
        plat,
    )


def _many_payers(
    ctx: Ctx,
    rng: np.random.Generator,
    who: np.ndarray,
    rate: np.ndarray,
    median: float,
    vocab: str,
    hours: str,
) -> None:
    """P2P credits from many different people (clients, fans); some hold accounts here."""
    a = ctx.arrays
    cnt = rng.poisson(rate * ctx.n_days / MONTH)
    acc = np.repeat(who, cnt)
    n = len(acc)
    day = rng.random(n) * ctx.n_days
    t = ctx.times(rng, day, hours)
    amt = ctx.money(rng, n, median, 0.55)
    amt = np.where(rng.random(n) < 0.5, np.maximum(np.round(amt / 5), 1) * 5, amt)
    mm = memo(ctx, rng, n, vocab, 0.3)
    pers = np.flatnonzero((a["segment"] == "ordinary") & ~a["is_business"])
    internal = (rng.random(n) < 0.15) & (len(pers) > 0)
    if len(pers):
        payer = pers[rng.integers(0, len(pers), internal.sum())]
        transfer(ctx, payer, acc[internal], t[internal], amt[internal], "p2p", memo=mm[internal])
    people = ctx.codes["ext_people"]
    # repeat clients: payers drawn from a per-account circle that grows over time
    who_ = people[(acc.astype(np.int64) * 104729 + rng.zipf(1.6, n)) % len(people)]
    ext = ~internal
    external(ctx, acc[ext], t[ext], amt[ext], CREDIT, "p2p", who_[ext], memo=mm[ext])


def _remit(ctx: Ctx, rng: np.random.Generator, who: np.ndarray) -> None:
    """Regular transfers home: bank wires or MSB card payments to family."""
    w, k = ctx.world, ctx.kyc
    nat = k["nationality"][who]
    # family lives in the country of nationality (home nationals remit to a corridor country)
    dest = np.full(len(who), w.country_cities[w.region.remit[0]][0], dtype=np.int64)
    for c in sorted(set(w.country_cities) & set(nat.tolist())):  # a handful of countries
        m = nat == c
        cc = w.country_cities[c]
        dest[m] = cc[rng.integers(0, len(cc), m.sum())]
    per_month = rng.choice([1, 2, 4], len(who), p=[0.5, 0.35, 0.15])
    cnt = rng.poisson(per_month * ctx.n_days / MONTH)
    j = np.repeat(np.arange(len(who)), cnt)
    acc = who[j]
    day = rng.random(len(j)) * ctx.n_days
    t = ctx.times(rng, day, "day")
    amt = ctx.money(rng, len(j), 320 / np.sqrt(per_month[j]), 0.5)
    amt = np.where(rng.random(len(j)) < 0.5, np.maximum(np.round(amt / 50), 1) * 50, amt)
    msb = rng.random(len(j)) < 0.55
    card(ctx, rng, acc[msb], t[msb], "msb", amt[msb], np.full(msb.sum(), -1))
    fam = ctx.codes["ext_people"]
    benef = fam[(acc[~msb].astype(np.int64) * 31) % len(fam)]
    external(
        ctx,
        acc[~msb],
        t[~msb],
        amt[~msb],
        DEBIT,
        "wire",
        benef,
        city=dest[j][~msb],
        memo=memo(ctx, rng, (~msb).sum(), "family", 0.4),
    )


__all__ += ["spend_city", "pay_days"]
