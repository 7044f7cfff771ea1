"""Vectorised building blocks every simulation module uses.

Card spending, transfers between accounts (both sides), payments to outside parties, monthly
bills and pay days.
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CREDIT, DEBIT, Ctx

__all__ = [
    "MEMOS",
    "card",
    "external",
    "monthly",
    "pay_days",
    "spend",
    "transfer",
]

MONTH = 30.44

#: National merchants whose transactions still happen somewhere (the ride, the delivery).
LOCATED = frozenset({"rideshare", "food_delivery"})

#: Memo vocabularies. Trafficking buyers' vague words (A6, F26 flag 7) overlap on purpose with
#: words ordinary people, stylists and creators use.
MEMOS: dict[str, tuple[str, ...]] = {
    "ordinary": (
        "dinner",
        "rent",
        "🍕",
        "gas",
        "thanks!",
        "groceries",
        "tickets",
        "birthday",
        "utilities",
        "lunch",
        "uber",
        "drinks",
        "for mom",
        "babysitting",
        "loan",
        "payback",
        "bills",
        "coffee",
        "movie",
        "split",
        "phone bill",
        "happy birthday",
        "gift",
        "food",
        "house stuff",
        "🍻",
        "wedding gift",
        "car payment",
        "internet",
        "brunch",
        "concert",
        "tip",
        "appointment",
        "xmas",
        "vacation",
        "hotel split",
        "fantasy league",
        "game",
        "books",
        "❤️",
    ),
    "vague": (
        "link",
        "services",
        "donation",
        "personal care",
        "wellness",
        "advertisements",
        "session",
        "for time",
        "🌹",
        "roses",
        "gift",
        "tip",
        "appointment",
        "massage",
        "❤️",
        "deposit",
        "thanks",
        "💋",
        "car",
        "fun",
    ),
    "service": (
        "hair",
        "nails",
        "lashes",
        "braids",
        "services",
        "appointment",
        "cleaning",
        "dog walk",
        "tutoring",
        "deposit",
        "session",
        "tip",
        "massage",
        "color",
        "haircut",
        "wax",
        "thanks",
        "trim",
        "install",
        "service",
    ),
    "creator": (
        "content",
        "link",
        "tip",
        "custom",
        "❤️",
        "subscription",
        "video",
        "donation",
        "🔥",
        "pics",
        "session",
        "gift",
        "😘",
        "for you",
    ),
    "family": (
        "para la familia",
        "mama",
        "familia",
        "school fees",
        "medicine",
        "house",
        "support",
        "for mom",
        "for dad",
        "gift",
        "renta",
        "",
        "family",
        "help",
    ),
    "work": (
        "housing",
        "transport",
        "fee",
        "advance",
        "loan",
        "rent",
        "payment",
        "balance",
        "work",
        "bond",
        "deposit",
        "visa",
        "tickets",
        "room",
    ),
}


def _pick_memo(
    ctx: Ctx, rng: np.random.Generator, n: int, vocab: str, p_empty: float
) -> np.ndarray:
    codes = ctx.codes[f"memo_{vocab}"]
    m = codes[rng.integers(0, len(codes), n)]
    return np.where(rng.random(n) < p_empty, -1, m)


def spend(
    ctx: Ctx,
    rng: np.random.Generator,
    acct: np.ndarray,
    cat: str,
    rate: float | np.ndarray,
    *,
    hours: str | None = None,
    scale: float | np.ndarray = 1.0,
    sigma: float | None = None,
    city: np.ndarray | None = None,
    loyalty: float = 0.5,
    day_lo: float | np.ndarray = 0.0,
    day_hi: float | np.ndarray | None = None,
    baseline: bool = False,
    channel: str = "card",
) -> None:
    """Poisson card spending of ``acct`` at merchants of ``cat``.

    ``rate`` is per account per month; ``scale`` multiplies the category's median amount.
    With ``baseline`` the account's life multiplier and its in-window thinning apply (ordinary
    lives that shrink while a ring controls the account, G1).
    """
    a = ctx.arrays
    acct = np.asarray(acct, dtype=np.int32)
    hi = ctx.n_days if day_hi is None else day_hi
    span = np.broadcast_to(np.asarray(hi, float) - np.asarray(day_lo, float), acct.shape)
    lam = np.broadcast_to(np.asarray(rate, float), acct.shape) * np.maximum(span, 0) / MONTH
    if baseline:
        lam = lam * a["life"][acct]
    cnt = rng.poisson(lam)
    idx = np.repeat(np.arange(len(acct)), cnt)
    ev = acct[idx]
    lo = np.broadcast_to(np.asarray(day_lo, float), acct.shape)[idx]
    day = lo + rng.random(len(ev)) * span[idx]
    if baseline:
        inside = ctx.in_window(ev, day)
        keep = ~inside | (rng.random(len(ev)) < a["life_in"][ev])
        ev, day, idx = ev[keep], day[keep], idx[keep]
    c = ctx.cat.cats[ctx.cat.categories[cat]]
    h = hours or c.hours
    if baseline and h in ("day", "meal", "evening", "morning", "any"):
        # night-living accounts shift their baseline toward the night profile
        t_day = ctx.times(rng, day, h)
        t_night = ctx.times(rng, day, "shift_night")
        t = np.where(a["night"][ev], t_night, t_day)
    else:
        t = ctx.times(rng, day, h)
    where = (a["city"][ev] if city is None else np.asarray(city)[idx]).astype(np.int64)
    sc = np.broadcast_to(np.asarray(scale, float), acct.shape)[idx]
    amt = ctx.money(rng, len(ev), c.median, sigma if sigma is not None else c.sigma) * sc
    card(ctx, rng, ev, t, cat, amt, where, loyalty=loyalty, channel=channel)


def card(
    ctx: Ctx,
    rng: np.random.Generator,
    acct: np.ndarray,
    t: np.ndarray,
    cat: str,
    amount: np.ndarray,
    city: np.ndarray | None = None,
    *,
    loyalty: float = 0.5,
    channel: str = "card",
    direction: int = DEBIT,
) -> None:
    """Card (or ATM/branch) events at merchants of ``cat`` with explicit times and amounts."""
    acct = np.asarray(acct, dtype=np.int32)
    if len(acct) == 0:
        return
    where = ctx.arrays["city"][acct] if city is None else np.asarray(city)
    k = ctx.cat.categories[cat]
    fav = acct.astype(np.int64) * 2654435761 % 4093 + k * 131
    m = ctx.cat.pick(cat, where, rng.random(len(acct)), favourite=fav, loyalty=loyalty)
    mcc = ctx.cat.mcc[m]
    if cat == "atm" or cat == "gas_atm":
        channel = "atm"
        amount = _cash_round(ctx, amount)
    elif cat == "branch":
        channel = "cash"
    if channel in ("ach", "p2p", "wire", "check"):
        mcc = np.full(len(acct), -1, dtype=np.int16)  # no card network, no MCC
    mcity = ctx.cat.city[m]
    if cat in LOCATED:
        mcity = np.where(mcity >= 0, mcity, where)
    ctx.buf.add(acct, t, amount, direction, channel, mcc=mcc, name=ctx.cat.name[m], city=mcity)


def _cash_round(ctx: Ctx, amount: np.ndarray) -> np.ndarray:
    unit = 20.0 if ctx.cfg.currency in ("USD", "CAD", "AUD") else 10.0
    return np.maximum(np.round(np.asarray(amount) / unit), 1) * unit


def transfer(
    ctx: Ctx,
    src: np.ndarray,
    dst: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    channel: str = "p2p",
    *,
    memo: int | np.ndarray = -1,
    src_name: np.ndarray | None = None,
    dst_name: np.ndarray | None = None,
    city: int | np.ndarray = -1,
) -> None:
    """Move money between two of the bank's accounts, writing both sides.

    The debit goes on ``src`` and the credit on ``dst`` at the same instant (the credit side
    keeps the sender's clock).
    """
    src = np.asarray(src, dtype=np.int32)
    dst = np.asarray(dst, dtype=np.int32)
    if len(src) == 0:
        return
    nc = ctx.arrays["name_code"]
    sn = nc[src] if src_name is None else src_name
    dn = nc[dst] if dst_name is None else dst_name
    ctx.buf.add(src, t, amount, DEBIT, channel, cp=dst, name=dn, memo=memo, city=city)
    ctx.buf.add(dst, t, amount, CREDIT, channel, cp=src, name=sn, memo=memo, city=city, clock=src)


def external(
    ctx: Ctx,
    acct: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    direction: int | np.ndarray,
    channel: str,
    name: int | np.ndarray,
    *,
    memo: int | np.ndarray = -1,
    city: int | np.ndarray = -1,
    mcc: int | np.ndarray = -1,
) -> None:
    """Money to or from a party outside the bank (no counterparty_id)."""
    ctx.buf.add(acct, t, amount, direction, channel, name=name, memo=memo, city=city, mcc=mcc)


def monthly(
    ctx: Ctx,
    rng: np.random.Generator,
    acct: np.ndarray,
    dom: np.ndarray,
    amount: np.ndarray,
    *,
    jitter: float = 0.08,
    day_lo: np.ndarray | float = 0.0,
    day_hi: np.ndarray | float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand monthly obligations into (row index, account, day, amount) per month in the period.

    ``dom`` is the day of month (1-28); amounts vary by ``jitter`` (relative sd) month to month.
    Returns the originating row index so callers can look up per-row attributes.
    """
    acct = np.asarray(acct, dtype=np.int32)
    md = ctx.month_days[:-1] if len(ctx.month_days) > 1 else ctx.month_days
    n_m = len(md)
    idx = np.repeat(np.arange(len(acct)), n_m)
    day = np.tile(md, len(acct)) + np.asarray(dom)[idx] - 1
    hi = (
        ctx.n_days
        if day_hi is None
        else np.broadcast_to(np.asarray(day_hi, float), acct.shape)[idx]
    )
    lo = np.broadcast_to(np.asarray(day_lo, float), acct.shape)[idx]
    ok = (day >= 0) & (day < hi) & (day >= lo)
    idx, day = idx[ok], day[ok]
    amt = np.asarray(amount, float)[idx] * np.exp(rng.normal(0, jitter, len(idx)))
    return idx, acct[idx], day.astype(float), amt


def pay_days(ctx: Ctx, sched: int, phase: int) -> np.ndarray:
    """Pay-day offsets for a schedule: 0 weekly, 1 biweekly, 2 semi-monthly, 3 monthly.

    Week-based schedules pay on Fridays (``phase`` picks the week); month-based schedules move a
    weekend pay day to the Friday before.
    """
    nd = ctx.n_days
    if sched in (0, 1):
        first_fri = (4 - ctx.cfg.start.weekday()) % 7
        step = 7 if sched == 0 else 14
        days = np.arange(first_fri + 7 * (phase % (step // 7)), nd, step)
    else:
        md = ctx.month_days
        days = np.concatenate([md[:-1] + 14, md[1:] - 1]) if sched == 2 else md[1:] - 1
        wd = ctx.weekday(days)
        days = days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
    days = np.sort(days)
    return days[(days >= 0) & (days < nd)]


def memo(
    ctx: Ctx, rng: np.random.Generator, n: int, vocab: str, p_empty: float = 0.3
) -> np.ndarray:
    """Memo codes drawn from one vocabulary, some left empty."""
    return _pick_memo(ctx, rng, n, vocab, p_empty)


__all__ += ["memo", "CREDIT", "DEBIT"]
