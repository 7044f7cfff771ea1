"""Business accounts: small shops, restaurants, salons, contractors and farms.

Each business takes card revenue (acquirer settlements), deposits cash at branches, pays
suppliers, rent, utilities, payroll (its employees who bank here get the credit side) and taxes.
:func:`operate` is reused by the hard-negative cash businesses and salons and by the labour
trafficking employers (with their own payroll and housing ratios).
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, DEBIT, Ctx
from fintrak.synth.primitives import card, external, monthly, pay_days, spend, transfer
from fintrak.synth.world import STREETS, phone_digits

__all__ = ["BUSINESS_TYPES", "assign", "assign_business_kyc", "operate", "simulate"]

#: type -> (occupation text, name words, monthly revenue USD median, cash share, night share)
BUSINESS_TYPES: dict[str, tuple[str, tuple[str, ...], float, float, float]] = {
    "restaurant": (
        "Restaurant",
        ("GRILL", "KITCHEN", "TAQUERIA", "BISTRO", "DINER"),
        45_000,
        0.2,
        0.1,
    ),
    "retail": (
        "Retail store",
        ("BOUTIQUE", "OUTFITTERS", "GIFTS", "MARKET", "SUPPLY"),
        38_000,
        0.12,
        0.0,
    ),
    "contractor": (
        "Construction contractor",
        ("BUILDERS", "ROOFING", "PLUMBING", "ELECTRIC"),
        60_000,
        0.05,
        0.0,
    ),
    "cafe": ("Cafe", ("CAFE", "COFFEE HOUSE", "BAKERY"), 22_000, 0.2, 0.0),
    "auto": ("Auto repair", ("AUTO REPAIR", "TIRE & LUBE", "COLLISION"), 40_000, 0.15, 0.0),
    "professional": (
        "Professional services",
        ("CONSULTING", "DENTAL", "ACCOUNTING", "LAW GROUP"),
        55_000,
        0.02,
        0.0,
    ),
    "trucking": ("Trucking", ("TRANSPORT", "FREIGHT", "LOGISTICS"), 70_000, 0.02, 0.0),
    "convenience": (
        "Convenience store",
        ("FOOD MART", "MINI MART", "QUICK STOP"),
        50_000,
        0.45,
        0.3,
    ),
    "laundromat": ("Laundromat", ("LAUNDROMAT", "WASH & FOLD", "COIN LAUNDRY"), 18_000, 0.8, 0.1),
    "bar": ("Bar", ("TAVERN", "LOUNGE", "PUB", "CANTINA"), 42_000, 0.45, 0.7),
    "food_truck": ("Food truck", ("TACOS", "EATS", "STREET FOOD"), 16_000, 0.55, 0.2),
    "salon": (
        "Hair and nail salon",
        ("NAIL SPA", "HAIR STUDIO", "BEAUTY BAR", "LASH STUDIO"),
        24_000,
        0.35,
        0.1,
    ),
    "spa": (
        "Day spa and massage",
        ("DAY SPA", "MASSAGE", "WELLNESS", "REFLEXOLOGY"),
        30_000,
        0.3,
        0.2,
    ),
    "farm": ("Agriculture", ("FARMS", "ORCHARDS", "GROWERS", "PRODUCE"), 90_000, 0.02, 0.0),
    "cleaning": (
        "Cleaning services",
        ("CLEANING", "JANITORIAL", "MAID SERVICE"),
        35_000,
        0.05,
        0.0,
    ),
    "construction_labour": (
        "Construction",
        ("LABOR", "CONSTRUCTION", "FRAMING"),
        80_000,
        0.05,
        0.0,
    ),
}
_PREFIX = (
    "GOLDEN",
    "SUNRISE",
    "EAGLE",
    "LUCKY",
    "PRIME",
    "ROYAL",
    "LOTUS",
    "URBAN",
    "BRIGHT",
    "BLUE SKY",
    "ACE",
    "STAR",
    "VALLEY",
    "RIVERSIDE",
    "HILLTOP",
    "NEW WAVE",
    "FAMILY",
    "GREEN LEAF",
    "ELITE",
    "CROWN",
    "MAPLE",
    "JADE",
    "ORCHID",
    "TRINITY",
    "SUMMIT",
    "PACIFIC",
    "ATLANTIC",
    "EMPIRE",
)
_SUFFIX = {
    "us": ("LLC", "INC", "LLC", "CORP"),
    "ca": ("INC", "LTD", "CORP"),
    "au": ("PTY LTD", "PTY LTD", "TRADING"),
    "gb": ("LTD", "LTD", "LIMITED"),
}
SUPPLIERS = (
    "SYSCO",
    "US FOODS",
    "RESTAURANT DEPOT",
    "WHOLESALE SUPPLY CO",
    "GRAINGER",
    "ULINE",
    "OFFICE DEPOT",
    "CINTAS",
    "METRO WHOLESALE",
    "BEAUTY SYSTEMS GROUP",
    "AUTOZONE COMMERCIAL",
    "FERGUSON",
    "HOME DEPOT PRO",
    "COSTCO BUSINESS",
)


def assign(ctx: Ctx, rng: np.random.Generator) -> None:
    """Ordinary businesses: KYC, revenue profile and (some) employees who bank here."""
    a = ctx.arrays
    b = np.flatnonzero(a["is_business"] & (a["segment"] == "ordinary"))
    kinds = np.array(
        [
            "restaurant",
            "retail",
            "contractor",
            "cafe",
            "auto",
            "professional",
            "trucking",
            "convenience",
            "cleaning",
        ],
        dtype=object,
    )
    assign_business_kyc(ctx, rng, b, kinds[rng.integers(0, len(kinds), len(b))])


def assign_business_kyc(
    ctx: Ctx,
    rng: np.random.Generator,
    b: np.ndarray,
    kind: np.ndarray,
    city: np.ndarray | None = None,
) -> None:
    """KYC and revenue parameters of business accounts ``b`` of the given ``kind``s."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    n = len(b)
    if n == 0:
        return
    a.setdefault("biz_kind", np.full(ctx.n, None, dtype=object))
    a.setdefault("revenue", np.zeros(ctx.n))
    a.setdefault("cash_share", np.zeros(ctx.n))
    a.setdefault("biz_night", np.zeros(ctx.n))
    a["biz_kind"][b] = kind
    a["city"][b] = rng.choice(w.n_home, n, p=w.home_weights) if city is None else city
    meta = [BUSINESS_TYPES[x] for x in kind]
    words = [
        m[1][i % len(m[1])] for i, m in zip(rng.integers(0, 99, n).tolist(), meta, strict=True)
    ]
    suf = _SUFFIX[ctx.cfg.region]
    names = (
        np.array(_PREFIX, dtype=object)[rng.integers(0, len(_PREFIX), n)]
        + " "
        + np.array(words, dtype=object)
        + " "
        + np.array(suf, dtype=object)[rng.integers(0, len(suf), n)]
    )
    k["name"][b] = names
    a["name_code"][b] = ctx.pool.add(list(names))
    a["employer_name"][b] = ctx.pool.add(list(names + " PAYROLL"))
    k["occupation"][b] = np.array([m[0] for m in meta], dtype=object)
    rev = np.array([m[2] for m in meta]) * np.exp(rng.normal(0, 0.5, n))
    a["revenue"][b] = rev
    a["cash_share"][b] = np.clip(
        np.array([m[3] for m in meta]) * np.exp(rng.normal(0, 0.25, n)), 0, 0.95
    )
    a["biz_night"][b] = np.array([m[4] for m in meta])
    k["income"][b] = np.where(
        rng.random(n) < 0.1, np.nan, np.round(rev * 12 * rng.uniform(0.7, 1.3, n), -3)
    )
    k["nationality"][b] = None
    num = rng.integers(1, 9900, n).astype(str).astype(object)
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    sfx = np.array(w.region.street_suffixes, dtype=object)[
        rng.integers(0, len(w.region.street_suffixes), n)
    ]
    k["address"][b] = (
        num
        + " "
        + street
        + " "
        + sfx
        + np.where(
            rng.random(n) < 0.5, ", Unit " + rng.integers(1, 30, n).astype(str).astype(object), ""
        )
    )
    k["phone"][b] = np.where(rng.random(n) < 0.1, None, phone_digits(w, a["city"][b], rng))
    slug = np.strings.lower(
        np.strings.replace(np.strings.replace(names.astype(str), " ", ""), "&", "")
    ).astype(object)
    k["email"][b] = np.where(rng.random(n) < 0.3, None, "info@" + slug + ".com")
    k["dob"][b] = -1
    a["opened_day"][b] = np.maximum(-rng.exponential(5 * 365, n) - 10, -25 * 365)
    # customers: a third of businesses belong to a personal customer of the bank
    pers = np.flatnonzero(~a["is_business"] & (a["segment"] == "ordinary"))
    own = rng.random(n) < 0.35
    if len(pers):
        owner = pers[rng.integers(0, len(pers), own.sum())]
        k["customer"][b[own]] = k["customer"][owner]
        a.setdefault("owner", np.full(ctx.n, -1, np.int32))
        a["owner"][b[own]] = owner


def hire(
    ctx: Ctx, rng: np.random.Generator, b: np.ndarray, pool_accts: np.ndarray, share: float
) -> None:
    """Make a share of ``pool_accts`` (employed people) employees of businesses ``b``.

    Each hire works for a business of their own city.
    """
    a = ctx.arrays
    if len(b) == 0 or len(pool_accts) == 0:
        return
    emp = pool_accts[rng.random(len(pool_accts)) < share]
    bc = a["city"][b]
    order = np.argsort(bc, kind="stable")
    sb, sc = b[order], bc[order]
    ec = a["city"][emp]
    lo = np.searchsorted(sc, ec, "left")
    hi = np.searchsorted(sc, ec, "right")
    has = hi > lo
    emp, lo, hi = emp[has], lo[has], hi[has]
    pick = sb[lo + (rng.random(len(emp)) * (hi - lo)).astype(np.int64)]
    a["employer_acct"][emp] = pick
    a["employer_name"][emp] = a["employer_name"][pick]
    a["pay_sched"][emp] = 1
    a["income"][emp] = np.minimum(a["income"][emp], 48_000)


def simulate(ctx: Ctx, rng: np.random.Generator) -> None:
    """Events of the ordinary businesses."""
    a = ctx.arrays
    b = np.flatnonzero(a["is_business"] & (a["segment"] == "ordinary"))
    operate(ctx, rng, b)


def operate(
    ctx: Ctx,
    rng: np.random.Generator,
    b: np.ndarray,
    *,
    payroll_ratio: float | np.ndarray = 0.28,
    supplier_ratio: float | np.ndarray = 0.33,
    housing_ratio: float | np.ndarray = 0.0,
    day_lo: np.ndarray | None = None,
    day_hi: np.ndarray | None = None,
    tax: bool = True,
) -> None:
    """Run businesses ``b`` for the period: revenue in, costs out (vectorised over business-days).

    ``housing_ratio`` of revenue goes to lodging and housing (C6 for labour employers; legitimate
    farms housing seasonal workers do it too).
    """
    a = ctx.arrays
    n = len(b)
    if n == 0:
        return
    nd = ctx.n_days
    lo = np.zeros(n) if day_lo is None else day_lo
    hi = np.full(n, float(nd)) if day_hi is None else day_hi
    days = np.arange(nd)
    open_ = (ctx.weekday(days) != 6)[None, :] | (rng.random((n, 1)) < 0.4)
    alive = (days[None, :] >= lo[:, None]) & (days[None, :] < hi[:, None]) & open_
    rev = a["revenue"][b] * ctx.fx / 26
    daily = rev[:, None] * rng.gamma(6, 1 / 6, (n, nd)) * alive
    wd = ctx.weekday(days)
    daily *= np.where(wd >= 4, 1.25, 0.92)[None, :]
    cs = a["cash_share"][b][:, None]
    card_rev = daily * (1 - cs)
    cash_rev = daily * cs
    # card settlements next morning
    bi, di = np.nonzero(card_rev > 1)
    acq = ctx.codes.setdefault(
        "acquirers",
        ctx.pool.add(
            [
                "MERCHANT SETTLEMENT",
                "SQUARE INC DEPOSIT",
                "STRIPE TRANSFER",
                "CLOVER DEP",
                "BANKCARD DEPOSIT",
            ]
        ),
    )
    t = ctx.times(rng, di + 1, "batch")
    external(ctx, b[bi], t, card_rev[bi, di], CREDIT, "ach", acq[b[bi] % len(acq)])
    # cash deposited every few days at a branch (night-drop for night businesses)
    every = rng.integers(1, 6, n)
    cum = np.cumsum(cash_rev, axis=1)
    dep_day = (days[None, :] % every[:, None] == every[:, None] - 1) | (days[None, :] == nd - 1)
    bi, di = np.nonzero(dep_day)
    cum_at = cum[bi, di]
    same = np.r_[False, bi[1:] == bi[:-1]]
    prev = np.where(same, np.r_[0.0, cum_at[:-1]], 0.0)
    amt = cum_at - prev
    ok = amt > 5
    bi, di, amt = bi[ok], di[ok], amt[ok]
    night = rng.random(len(bi)) < a["biz_night"][b[bi]]
    t = np.where(night, ctx.at_hour(rng, di, 22, 24.5), ctx.times(rng, di, "business"))
    card(ctx, rng, b[bi], t, "branch", amt, loyalty=0.8, direction=CREDIT)
    monthly_rev = a["revenue"][b] * ctx.fx
    # suppliers: a few each month
    sup = ctx.codes.setdefault("suppliers", ctx.pool.add(list(SUPPLIERS)))
    k = rng.poisson(np.maximum((hi - lo), 0) / 30.44 * 4)
    j = np.repeat(np.arange(n), k)
    day = lo[j] + rng.random(len(j)) * (hi[j] - lo[j])
    sr = np.broadcast_to(np.asarray(supplier_ratio, float), (n,))
    amt = monthly_rev[j] * sr[j] / 4 * rng.gamma(4, 0.25, len(j))
    external(
        ctx,
        b[j],
        ctx.times(rng, day, "business"),
        amt,
        DEBIT,
        "ach",
        sup[(b[j] * 3 + rng.integers(0, 3, len(j))) % len(sup)],
    )
    # card expenses (supplies, fuel, software, advertising)
    spend(ctx, rng, b, "home", 1.5, day_lo=lo, day_hi=hi)
    spend(ctx, rng, b, "fuel", 2.0, day_lo=lo, day_hi=hi)
    spend(ctx, rng, b, "software", 1.0, day_lo=lo, day_hi=hi)
    spend(ctx, rng, b, "ads_mainstream", 0.8, day_lo=lo, day_hi=hi, scale=3.0)
    # rent, utilities, insurance
    rent_amt = monthly_rev * 0.08
    i, acc, day, amt = monthly(
        ctx, rng, b, rng.integers(1, 5, n), rent_amt, jitter=0.0, day_lo=lo, day_hi=hi
    )
    ll = ctx.codes["landlords"]
    external(ctx, acc, ctx.times(rng, day, "batch"), amt, DEBIT, "ach", ll[acc % len(ll)])
    i, acc, day, amt = monthly(
        ctx, rng, b, rng.integers(5, 28, n), monthly_rev * 0.025, jitter=0.2, day_lo=lo, day_hi=hi
    )
    card(ctx, rng, acc, ctx.times(rng, day, "batch"), "utilities", amt, channel="ach")
    # payroll: internal employees are paid by population._payroll; the rest via a processor
    pr = np.broadcast_to(np.asarray(payroll_ratio, float), (n,))
    proc = ctx.codes.setdefault(
        "payroll_proc",
        ctx.pool.add(["ADP PAYROLL", "PAYCHEX PAYROLL", "GUSTO PAYROLL", "INTUIT PAYROLL"]),
    )
    pdays = pay_days(ctx, 1, 0)
    has_pr = pr > 0
    bb = np.flatnonzero(has_pr)
    idx = np.repeat(bb, len(pdays))
    day = np.tile(pdays, len(bb)).astype(float)
    ok = (day >= lo[idx]) & (day < hi[idx])
    idx, day = idx[ok], day[ok]
    amt = monthly_rev[idx] * pr[idx] * 12 / 26 * 0.8 * np.exp(rng.normal(0, 0.05, len(idx)))
    external(ctx, b[idx], ctx.times(rng, day, "batch"), amt, DEBIT, "ach", proc[b[idx] % len(proc)])
    if tax:
        taxc = ctx.codes.setdefault("tax", np.array([ctx.pool.one(ctx.world.region.tax_payee)]))
        i, acc, day, amt = monthly(
            ctx,
            rng,
            b[has_pr],
            np.full(has_pr.sum(), 15),
            monthly_rev[has_pr] * pr[has_pr] * 0.22,
            jitter=0.05,
            day_lo=lo[has_pr],
            day_hi=hi[has_pr],
        )
        external(ctx, acc, ctx.times(rng, day, "batch"), amt, DEBIT, "ach", taxc[0])
    hr = np.broadcast_to(np.asarray(housing_ratio, float), (n,))
    hb = np.flatnonzero(hr > 0)
    if len(hb):
        # housing: rent of worker houses (to landlords) and motel blocks (C6)
        i, acc, day, amt = monthly(
            ctx,
            rng,
            b[hb],
            rng.integers(1, 6, len(hb)),
            monthly_rev[hb] * hr[hb] * 0.6,
            jitter=0.05,
            day_lo=lo[hb],
            day_hi=hi[hb],
        )
        external(
            ctx, acc, ctx.times(rng, day, "business"), amt, DEBIT, "ach", ll[(acc + 5) % len(ll)]
        )
        k = rng.poisson(np.maximum(hi[hb] - lo[hb], 0) / 30.44 * 3)
        j = np.repeat(hb, k)
        day = lo[j] + rng.random(len(j)) * (hi[j] - lo[j])
        amt = monthly_rev[j] * hr[j] * 0.4 / 3 * rng.gamma(4, 0.25, len(j))
        card(ctx, rng, b[j], ctx.times(rng, day, "any"), "motel", amt)
    # owner draws to the owner's personal account
    own = a.get("owner")
    if own is not None:
        ob = np.flatnonzero(own[b] >= 0)
        i, acc, day, amt = monthly(
            ctx,
            rng,
            b[ob],
            np.full(len(ob), 28),
            monthly_rev[ob] * 0.1,
            jitter=0.3,
            day_lo=lo[ob],
            day_hi=hi[ob],
        )
        transfer(ctx, acc, own[acc], ctx.times(rng, day, "business"), amt, "ach")
