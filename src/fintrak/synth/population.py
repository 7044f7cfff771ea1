"""Ordinary lives: who the personal customers are (KYC, households) and how they spend.

Every personal account gets a baseline life here, trafficking and hard-negative accounts
included: typology modules shrink it (``life``, ``life_in``) or reshape it (``night``, jobs)
before :func:`simulate` runs, then add their own events on top.
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, DEBIT, Ctx
from fintrak.synth.primitives import (
    MEMOS,
    MONTH,
    card,
    external,
    memo,
    monthly,
    pay_days,
    spend,
    transfer,
)
from fintrak.synth.world import (
    EMAIL_DOMAINS,
    HOME_NAME_MIX,
    NAME_GROUP,
    STREETS,
    names_for,
    phone_digits,
)

__all__ = ["assign", "assign_people", "simulate"]

OCCUPATIONS = (
    "Teacher",
    "Registered nurse",
    "Software developer",
    "Retail associate",
    "Warehouse worker",
    "Accountant",
    "Delivery driver",
    "Cook",
    "Electrician",
    "Sales manager",
    "Administrative assistant",
    "Engineer",
    "Customer service representative",
    "Construction worker",
    "Cashier",
    "Mechanic",
    "Pharmacist",
    "Police officer",
    "Consultant",
    "Cleaner",
    "Project manager",
    "Dental hygienist",
    "Plumber",
    "Bank teller",
    "Chef",
    "Graphic designer",
    "Lawyer",
    "Physician",
    "Social worker",
    "Machine operator",
)
EMPLOYER_WORDS_A = (
    "NORTHSTAR",
    "SUMMIT",
    "PINNACLE",
    "BLUE RIVER",
    "EVERGREEN",
    "METRO",
    "UNITED",
    "ATLAS",
    "HORIZON",
    "LIBERTY",
    "CRESTVIEW",
    "PIONEER",
    "KEYSTONE",
    "MERIDIAN",
    "REGENCY",
    "APEX",
    "CITY OF",
    "STATE",
    "ST. MARY'S",
    "GREENFIELD",
    "OAKRIDGE",
    "LAKESIDE",
    "IRONWOOD",
    "COASTAL",
)
EMPLOYER_WORDS_B = (
    "LOGISTICS",
    "HEALTH SYSTEM",
    "SCHOOL DISTRICT",
    "MANUFACTURING",
    "RETAIL GROUP",
    "CONSTRUCTION",
    "FOODS",
    "HOSPITALITY",
    "TECHNOLOGIES",
    "INSURANCE",
    "UNIVERSITY",
    "MEDICAL CENTER",
    "DISTRIBUTION",
    "ENERGY",
    "TRANSIT",
    "STAFFING",
    "BANK",
    "MOTORS",
)
PAYROLL_SUFFIX = ("PAYROLL", "DIR DEP", "PAYROLL PPD", "SALARY", "PAYRLL")


def assign(ctx: Ctx, rng: np.random.Generator) -> None:
    """Create the external name pools and the personal customers' KYC and life parameters."""
    w, pool, a = ctx.world, ctx.pool, ctx.arrays
    for vocab, words in MEMOS.items():
        ctx.codes[f"memo_{vocab}"] = pool.add(list(words))
    # external people (P2P friends outside the bank, buyers, fans)
    n_ext = 4000
    grp = rng.choice(5, n_ext, p=HOME_NAME_MIX[ctx.cfg.region])
    f, l_ = names_for(grp, rng)
    ctx.codes["ext_people"] = pool.add(list(f + " " + l_))
    # external employers: a few big ones pay many customers (Zipf weights)
    emp = [
        f"{EMPLOYER_WORDS_A[i % len(EMPLOYER_WORDS_A)]} "
        f"{EMPLOYER_WORDS_B[(i * 7 + i // len(EMPLOYER_WORDS_A)) % len(EMPLOYER_WORDS_B)]} "
        f"{PAYROLL_SUFFIX[i % len(PAYROLL_SUFFIX)]}"
        for i in range(240)
    ]
    ctx.codes["employers"] = pool.add(emp)
    ctx.codes["employer_w"] = 1.0 / np.arange(1, len(emp) + 1) ** 1.1
    ctx.codes["landlords"] = pool.add(
        [f"{x} PROPERTY MGMT" for x in EMPLOYER_WORDS_A[:12]]
        + [f"{x} APARTMENTS RENT" for x in EMPLOYER_WORDS_A[12:]]
    )
    ctx.codes["mortgage"] = pool.add(["MORTGAGE PMT", "HOME LOAN PMT", "MTG PYMT SERVICING"])
    ctx.codes["benefits"] = np.array([pool.one(w.region.benefits_payer), pool.one("PENSION PMT")])
    ctx.codes["p2p_apps"] = pool.add(["ZELLE", "VENMO", "CASH APP", "PAYPAL"])
    ctx.codes["cash_app"] = np.array([pool.one("CASH APP TRANSFER")])
    assign_people(ctx, rng, np.flatnonzero(~a["is_business"]))


def assign_people(ctx: Ctx, rng: np.random.Generator, who: np.ndarray) -> None:
    """KYC and life parameters of the personal accounts ``who`` (vectorised)."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    n_all = ctx.n
    if not k:
        k["first"] = np.full(n_all, None, dtype=object)
        k["last"] = np.full(n_all, None, dtype=object)
        k["name"] = np.full(n_all, None, dtype=object)
        k["dob"] = np.full(n_all, -1, dtype=np.int64)  # days since epoch, -1 missing
        k["occupation"] = np.full(n_all, None, dtype=object)
        k["income"] = np.full(n_all, np.nan)
        k["nationality"] = np.full(n_all, None, dtype=object)
        k["phone"] = np.full(n_all, None, dtype=object)  # digits
        k["phone_style"] = rng.integers(0, 8, n_all)
        k["email"] = np.full(n_all, None, dtype=object)
        k["address"] = np.full(n_all, None, dtype=object)
        k["customer"] = np.arange(n_all, dtype=np.int64)
    n = len(who)
    # home city, nationality, names
    a["city"][who] = rng.choice(w.n_home, n, p=w.home_weights)
    foreign = rng.random(n) < 0.13
    nat = np.full(n, w.region.country, dtype=object)
    remit = np.array(w.region.remit, dtype=object)
    nat[foreign] = remit[rng.integers(0, len(remit), foreign.sum())]
    k["nationality"][who] = nat
    grp = rng.choice(5, n, p=HOME_NAME_MIX[ctx.cfg.region])
    # foreign nationals: name group of their country (loop over a handful of countries)
    for c in sorted(set(nat[foreign].tolist())):
        grp[nat == c] = NAME_GROUP.get(c, 0)
    first, last = names_for(grp, rng)
    k["first"][who], k["last"][who] = first, last
    # ages: students, working age, retirees
    status = rng.choice(4, n, p=[0.68, 0.1, 0.14, 0.08])  # employed, student, retired, none
    age = np.select(
        [status == 1, status == 2],
        [rng.uniform(18, 25, n), rng.uniform(62, 88, n)],
        rng.uniform(19, 64, n),
    )
    start_days = ctx.start_s // 86400
    dob = (start_days - age * 365.25).astype(np.int64)
    k["dob"][who] = np.where(rng.random(n) < 0.03, -1, dob)
    occ = np.array(OCCUPATIONS, dtype=object)[rng.integers(0, len(OCCUPATIONS), n)]
    occ = np.where(status == 1, "Student", np.where(status == 2, "Retired", occ))
    occ = np.where(
        status == 3,
        np.array(["Unemployed", "Homemaker", "Self-employed"], dtype=object)[rng.integers(0, 3, n)],
        occ,
    )
    k["occupation"][who] = np.where(rng.random(n) < 0.18, None, occ)
    income = np.exp(rng.normal(np.log(54_000), 0.5, n))
    income = np.where(status == 1, income * 0.25, np.where(status == 2, income * 0.5, income))
    income = np.where(status == 3, income * 0.3, income)
    a["income"][who] = income
    k["income"][who] = np.where(
        rng.random(n) < 0.25, np.nan, np.round(income * rng.uniform(0.8, 1.25, n), -2)
    )
    # jobs and pay
    emp = (status == 0) | ((status == 1) & (rng.random(n) < 0.45))
    a["job"][who] = np.where(emp, 1, np.where(status == 2, 2, 0))
    ew = ctx.codes["employer_w"]
    a["employer_name"][who] = ctx.codes["employers"][rng.choice(len(ew), n, p=ew / ew.sum())]
    a["pay_sched"][who] = rng.choice(4, n, p=[0.14, 0.5, 0.2, 0.16])
    a["life"][who] = np.exp(rng.normal(0, 0.35, n)) * np.clip(income / 54_000, 0.5, 1.6) ** 0.3
    # households: sort by city in random order, cut into groups
    order = who[np.lexsort((rng.random(n), a["city"][who]))]
    sizes = rng.choice([1, 2, 3, 4, 5], n, p=[0.52, 0.3, 0.11, 0.05, 0.02])
    dorm = rng.random(n) < 0.015
    sizes = np.where(dorm, rng.integers(6, 18, n), sizes)
    ends = np.cumsum(sizes)
    ends = ends[: np.searchsorted(ends, n) + 1]
    gid = np.searchsorted(ends, np.arange(n), side="right")
    head = np.r_[0, ends[:-1]][gid]
    head_acct = order[np.minimum(head, n - 1)]
    a["household"][order] = head_acct
    a["city"][order] = a["city"][head_acct]
    is_dorm = dorm[np.minimum(gid, n - 1)] & (sizes[np.minimum(gid, n - 1)] >= 6)
    # family households share the surname
    fam = (order != head_acct) & (rng.random(n) < 0.6)
    k["last"][order[fam]] = k["last"][head_acct[fam]]
    k["name"][who] = k["first"][who] + " " + k["last"][who]
    a["name_code"][who] = ctx.pool.add(list(k["name"][who]))
    # addresses per household head
    num = rng.integers(1, 9900, n).astype(str).astype(object)
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    suf = np.array(w.region.street_suffixes, dtype=object)[
        rng.integers(0, len(w.region.street_suffixes), n)
    ]
    apt = np.where(
        rng.random(n) < 0.4,
        ", Apt "
        + rng.integers(1, 40, n).astype(str).astype(object)
        + np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, n)],
        "",
    )
    addr = num + " " + street + " " + suf + apt
    addr = np.where(
        is_dorm,
        rng.integers(100, 2000, n).astype(str).astype(object) + " University Ave, Residence Hall",
        addr,
    )
    addr_by_acct = np.empty(ctx.n, dtype=object)
    addr_by_acct[order] = addr
    k["address"][order] = addr_by_acct[head_acct]
    # phones: most have one; some households share one number
    digits = phone_digits(w, a["city"][who], rng)
    k["phone"][who] = np.where(rng.random(n) < 0.07, None, digits)
    share = (order != head_acct) & (rng.random(n) < 0.08)
    k["phone"][order[share]] = k["phone"][head_acct[share]]
    # e-mails
    lo = np.strings.lower(k["first"][who].astype(str)).astype(object)
    la = np.strings.lower(np.strings.replace(k["last"][who].astype(str), " ", "")).astype(object)
    sep = np.array([".", "_", ""], dtype=object)[rng.integers(0, 3, n)]
    tail = np.where(rng.random(n) < 0.5, rng.integers(1, 99, n).astype(str).astype(object), "")
    dom = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), n)]
    k["email"][who] = np.where(rng.random(n) < 0.12, None, lo + sep + la + tail + "@" + dom)
    # account opening: mostly years ago, a few during the period
    opened = -rng.exponential(6 * 365, n) - 3
    late = rng.random(n) < 0.05
    opened = np.where(late, rng.uniform(0, 0.8 * ctx.n_days, n), opened)
    a["opened_day"][who] = np.maximum(opened, -30 * 365)
    # housing
    has_rent = rng.random(n) < 0.45
    own = ~has_rent & (rng.random(n) < 0.55)
    rent = np.exp(rng.normal(np.log(1500), 0.35, n)) * ctx.fx
    hh_size = np.bincount(gid, minlength=len(ends))[np.minimum(gid, len(ends) - 1)]
    rent = rent / np.maximum(hh_size, 1) ** 0.6
    a["rent"][order] = np.where(has_rent[:n], rent, np.where(own[:n], -rent * 1.3, 0.0))
    lls = ctx.codes["landlords"]
    a["landlord_name"][order] = lls[rng.integers(0, len(lls), n)]
    a["night"][who] = rng.random(n) < 0.03


# ---------------------------------------------------------------------------------------------


def simulate(ctx: Ctx, rng: np.random.Generator) -> None:
    """Baseline events of every personal account (scaled by ``life``)."""
    a = ctx.arrays
    pers = np.flatnonzero(~a["is_business"])
    _payroll(ctx, rng, pers)
    _bills(ctx, rng, pers)
    rates = {
        "grocery": 6.0,
        "restaurant": 3.5,
        "fast_food": 4.5,
        "coffee": 4.0,
        "convenience": 3.0,
        "pharmacy": 1.2,
        "clothing": 0.9,
        "department": 1.0,
        "home": 0.4,
        "electronics": 0.15,
        "bar": 1.2,
        "cinema": 0.3,
        "online": 4.0,
        "rideshare": 1.2,
        "food_delivery": 1.5,
        "parking": 0.6,
        "transit": 1.5,
        "beauty_salon": 0.5,
        "medical": 0.3,
        "cosmetics": 0.4,
        "lingerie": 0.08,
        "gambling_online": 0.15,
        "prepaid_topup": 0.08,
        "msb": 0.05,
        "motel": 0.02,
        "hotel": 0.03,
        "massage": 0.06,
        "jewelry": 0.04,
        "casino": 0.02,
        "prepaid_card": 0.06,
        "ads_mainstream": 0.03,
        "bus_rail": 0.15,
    }
    r = rng.random(len(pers))
    car = r < 0.78
    for cat, rate in rates.items():
        acc = pers
        if cat in ("transit",):
            acc = pers[~car]
        elif cat == "parking":
            acc = pers[car]
        # each person has their own taste: per-account gamma multipliers
        taste = rng.gamma(1.5, 1 / 1.5, len(acc))
        spend(ctx, rng, acc, cat, rate * taste, baseline=True, loyalty=0.55)
    spend(
        ctx, rng, pers[car], "fuel", 3.2 * rng.gamma(2, 0.5, car.sum()), baseline=True, loyalty=0.6
    )
    # ATM cash
    cashy = rng.gamma(1.2, 1 / 1.2, len(pers)) * 1.6
    spend(ctx, rng, pers, "atm", cashy, baseline=True, loyalty=0.7)
    spend(ctx, rng, pers, "gas_atm", 0.08, baseline=True, loyalty=0.5)
    _p2p(ctx, rng, pers)
    _trips(ctx, rng, pers)


def _payroll(ctx: Ctx, rng: np.random.Generator, pers: np.ndarray) -> None:
    a = ctx.arrays
    emp = pers[a["job"][pers] == 1]
    per_year = np.array([52, 26, 24, 12])
    for s in range(4):
        for ph in range(2):
            sel = emp[(a["pay_sched"][emp] == s) & (emp % 2 == ph)]
            if len(sel) == 0:
                continue
            days = pay_days(ctx, s, ph)
            idx = np.repeat(np.arange(len(sel)), len(days))
            acc = sel[idx]
            day = np.tile(days, len(sel)).astype(float)
            hourly = (acc % 3) == 0
            base = a["income"][acc] * ctx.fx / per_year[s] * 0.78  # net of tax
            amt = base * np.exp(rng.normal(0, np.where(hourly, 0.12, 0.015)))
            t = ctx.times(rng, day, "batch")
            internal = a["employer_acct"][acc] >= 0
            ext = ~internal
            external(ctx, acc[ext], t[ext], amt[ext], CREDIT, "ach", a["employer_name"][acc[ext]])
            if internal.any():
                emp_acct = a["employer_acct"][acc[internal]]
                transfer(
                    ctx,
                    emp_acct,
                    acc[internal],
                    t[internal],
                    amt[internal],
                    "ach",
                    src_name=a["employer_name"][acc[internal]],
                )
    # pensions and benefits: monthly
    ben = pers[a["job"][pers] == 2]
    dom = rng.integers(1, 28, len(ben))
    amt = a["income"][ben] * ctx.fx / 12 * 0.9
    i, acc, day, amt = monthly(ctx, rng, ben, dom, amt, jitter=0.0)
    t = ctx.times(rng, day, "batch")
    codes = ctx.codes["benefits"]
    external(ctx, acc, t, amt, CREDIT, "ach", codes[acc % 2])


def _bills(ctx: Ctx, rng: np.random.Generator, pers: np.ndarray) -> None:
    a = ctx.arrays
    n = len(pers)
    # rent / mortgage
    rent = a["rent"][pers]
    payer = pers[rent > 0]
    dom = np.clip(rng.integers(-2, 4, len(payer)), 1, 28)
    i, acc, day, amt = monthly(ctx, rng, payer, dom, rent[rent > 0], jitter=0.0)
    t = ctx.times(rng, day, "day")
    internal = a["landlord_acct"][acc] >= 0
    how = rng.random(len(acc))
    ll = a["landlord_acct"][acc]
    via = np.where((acc % 5) < 3, "ach", np.where((acc % 5) == 3, "p2p", "check"))
    for ch in ("ach", "p2p", "check"):
        m = internal & (via == ch)
        transfer(
            ctx,
            acc[m],
            ll[m],
            t[m],
            amt[m],
            ch,
            memo=np.where(how[m] < 0.5, ctx.codes["memo_ordinary"][1], -1),
        )
        m = ~internal & (via == ch)
        external(ctx, acc[m], t[m], amt[m], DEBIT, ch, a["landlord_name"][acc[m]])
    owner = pers[rent < 0]
    dom = rng.integers(1, 16, len(owner))
    i, acc, day, amt = monthly(ctx, rng, owner, dom, -rent[rent < 0], jitter=0.0)
    t = ctx.times(rng, day, "batch")
    mc = ctx.codes["mortgage"]
    external(ctx, acc, t, amt, DEBIT, "ach", mc[acc % len(mc)])
    # utilities, telecom, insurance, subscriptions: fixed merchants, monthly
    for cat, share, scale, jit in (
        ("utilities", 0.55, 1.0, 0.2),
        ("utilities", 0.3, 0.7, 0.15),
        ("telecom", 0.85, 1.0, 0.03),
        ("insurance", 0.55, 1.0, 0.0),
        ("streaming", 0.7, 1.0, 0.0),
        ("streaming", 0.35, 1.0, 0.0),
        ("software", 0.3, 1.0, 0.0),
        ("gym", 0.2, 1.0, 0.0),
    ):
        sel = pers[rng.random(n) < share]
        c = ctx.cat.cats[ctx.cat.categories[cat]]
        base = ctx.money(rng, len(sel), c.median, c.sigma) * scale
        dom = rng.integers(1, 29, len(sel))
        i, acc, day, amt = monthly(ctx, rng, sel, dom, base, jitter=jit)
        t = ctx.times(rng, day, "batch" if cat != "gym" else "day")
        ch = "ach" if cat in ("utilities", "insurance") else "card"
        k = ctx.cat.categories[cat]
        m = ctx.cat.offset[0, k] + (sel[i].astype(np.int64) * 7 + dom[i]) % ctx.cat.size[0, k]
        if cat == "gym":
            m = ctx.cat.pick("gym", a["city"][acc], np.zeros(len(acc)) + 0.5)
        mcc = np.where(ch == "ach", -1, ctx.cat.mcc[m])
        city = ctx.cat.city[m]
        ctx.buf.add(acc, t, amt, DEBIT, ch, mcc=mcc, name=ctx.cat.name[m], city=city)


def _p2p(ctx: Ctx, rng: np.random.Generator, pers: np.ndarray) -> None:
    """Friends and family: P2P inside the bank (both sides) and with outside people."""
    a = ctx.arrays
    pers = pers[~a["no_friends"][pers]]
    n = len(pers)
    city = a["city"][pers]
    order = np.argsort(city, kind="stable")
    sp = pers[order]
    sc = city[order]
    start = np.searchsorted(sc, sc, side="left")
    cnt = np.searchsorted(sc, sc, side="right") - start
    k = rng.poisson(2.2, n)
    src_pos = np.repeat(np.arange(n), k)
    local = rng.random(len(src_pos)) < 0.85
    dst_pos = np.where(
        local,
        start[src_pos] + (rng.random(len(src_pos)) * cnt[src_pos]).astype(np.int64),
        rng.integers(0, n, len(src_pos)),
    )
    src, dst = sp[src_pos], sp[dst_pos]
    # household members pay each other too
    hh = a["household"][pers]
    mem = pers[hh != pers]
    src = np.r_[src, mem]
    dst = np.r_[dst, a["household"][mem]]
    ok = src != dst
    src, dst = src[ok], dst[ok]
    rate = rng.gamma(1.0, 0.5, len(src)) * ctx.cfg.months
    ne = rng.poisson(rate)
    e = np.repeat(np.arange(len(src)), ne)
    flip = rng.random(len(e)) < 0.5
    s = np.where(flip, dst[e], src[e])
    d = np.where(flip, src[e], dst[e])
    day = rng.random(len(e)) * ctx.n_days
    t = ctx.times(rng, day, "evening")
    amt = ctx.money(rng, len(e), 32, 0.9)
    rnd = rng.random(len(e)) < 0.45
    amt = np.where(rnd, np.maximum(np.round(amt / 5), 1) * 5, amt)
    transfer(ctx, s, d, t, amt, "p2p", memo=memo(ctx, rng, len(e), "ordinary", 0.35))
    # with people outside the bank
    lam = rng.gamma(1.2, 1.5, n) * ctx.n_days / MONTH * a["life"][pers]
    m = rng.poisson(lam)
    acc = np.repeat(pers, m)
    day = rng.random(len(acc)) * ctx.n_days
    t = ctx.times(rng, day, "evening")
    amt = ctx.money(rng, len(acc), 35, 0.9)
    rnd = rng.random(len(acc)) < 0.45
    amt = np.where(rnd, np.maximum(np.round(amt / 5), 1) * 5, amt)
    ext_people = ctx.codes["ext_people"]
    # each account has a small circle of outside contacts
    who = ext_people[(acc.astype(np.int64) * 7919 + rng.integers(0, 6, len(acc))) % len(ext_people)]
    direction = (rng.random(len(acc)) < 0.55).astype(np.int8)
    external(
        ctx, acc, t, amt, direction, "p2p", who, memo=memo(ctx, rng, len(acc), "ordinary", 0.35)
    )


def _trips(ctx: Ctx, rng: np.random.Generator, pers: np.ndarray, rate: float = 0.12) -> None:
    """Occasional trips: flight, hotel nights in another city, car rental, meals there."""
    a = ctx.arrays
    lam = rate * ctx.n_days / MONTH * a["life"][pers]
    k = rng.poisson(lam)
    acc = np.repeat(pers, k)
    trips(ctx, rng, acc)


def trips(
    ctx: Ctx,
    rng: np.random.Generator,
    acc: np.ndarray,
    *,
    dest: np.ndarray | None = None,
    start: np.ndarray | None = None,
    nights: np.ndarray | None = None,
    business: bool = False,
) -> None:
    """Simulate one trip per entry of ``acc`` (destination, start day and nights optional)."""
    w = ctx.world
    n = len(acc)
    if n == 0:
        return
    home = ctx.arrays["city"][acc]
    if dest is None:
        dest = rng.choice(w.n_home, n, p=w.home_weights)
        dest = np.where(
            dest == home, (dest + 1 + rng.integers(0, w.n_home - 1, n)) % w.n_home, dest
        )
    if nights is None:
        nights = rng.integers(1, 6, n)
    if start is None:
        start = rng.random(n) * max(ctx.n_days - 1, 1)
    start = np.floor(start)
    fly = rng.random(n) < 0.7
    # flight booked days or weeks before (may fall before the period; dropped later)
    book = start - rng.integers(3, 45, n)
    f = fly & (book >= 0)
    card(
        ctx,
        rng,
        acc[f],
        ctx.times(rng, book[f], "day"),
        "airline",
        ctx.money(rng, f.sum(), 260, 0.5) * (2 if business else 1),
        np.full(f.sum(), -1),
    )
    # hotel: one folio at checkout (sometimes online booking)
    online = rng.random(n) < 0.3
    nightly = ctx.money(rng, n, 150 if not business else 190, 0.35)
    out = start + nights
    t_out = ctx.at_hour(rng, out, 7, 12)
    card(
        ctx, rng, acc[~online], t_out[~online], "hotel", (nightly * nights)[~online], dest[~online]
    )
    card(
        ctx,
        rng,
        acc[online],
        ctx.times(rng, book[online], "any"),
        "lodging_online",
        (nightly * nights)[online],
        np.full(online.sum(), -1),
    )
    car = rng.random(n) < 0.3
    card(
        ctx,
        rng,
        acc[car],
        t_out[car] - 3600,
        "car_rental",
        ctx.money(rng, car.sum(), 60, 0.3) * nights[car],
        dest[car],
    )
    # meals and rides there
    per = rng.poisson(1.6 * (nights + 1))
    j = np.repeat(np.arange(n), per)
    day = start[j] + rng.random(len(j)) * (nights[j] + 1)
    kind = rng.random(len(j))
    for cat, lo, hi in (
        ("restaurant", 0, 0.45),
        ("fast_food", 0.45, 0.6),
        ("rideshare", 0.6, 0.85),
        ("coffee", 0.85, 1.01),
    ):
        m = (kind >= lo) & (kind < hi)
        c = ctx.cat.cats[ctx.cat.categories[cat]]
        where = dest[j[m]] if c.per_city else np.full(m.sum(), -1)
        if cat == "rideshare":
            where = dest[j[m]]
        card(
            ctx,
            rng,
            acc[j[m]],
            ctx.times(rng, day[m], c.hours),
            cat,
            ctx.money(rng, m.sum(), c.median, c.sigma),
            where,
        )
