"""Outside intelligence: phone numbers scraped from online commercial-sex ads (A3, I4).

Numbers are written the way a scraper finds them; a few ad-site merchant descriptors are added.
Ring members' KYC phones appear for some members only; many decoy numbers are not held by the
bank; a few legitimate adult-content creators' phones appear too (an ambiguous look-alike).
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import Ctx
from fintrak.synth.plan import Ring
from fintrak.synth.world import format_phones, phone_digits

__all__ = ["build_intel"]

_PREFIX = ("", "", "", "call ", "txt ", "text me ", "📱 ", "☎ ", "call/text ", "new # ")
_SOURCES = ("ad-scraper", "ad-scraper", "vendor-feed", "ngo-tipline")
_SITES = (
    "nightlistr.com",
    "VIPDATEADS*CREDITS",
    "bumpmyad",
    "escortboard.net",
    "adhostpro",
    "sweetclassifieds.com",
    "CITYNIGHTS GUIDE",
    "prvtlistings",
)


def _scraped(ctx: Ctx, rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """Write ``digits`` as they appear in ads: any layout, a prefix, sometimes obfuscated."""
    n = len(digits)
    if n == 0:
        return np.zeros(0, dtype=object)
    text = format_phones(ctx.world, digits, rng.integers(0, 8, n)).astype(str)
    obf = rng.random(n) < 0.06
    o = np.strings.replace(np.strings.replace(text, "0", "O"), "1", "I")
    text = np.where(obf, o, text)
    pre = np.array(_PREFIX, dtype=object)[rng.integers(0, len(_PREFIX), n)]
    return pre + text.astype(object)


def build_intel(ctx: Ctx, rng: np.random.Generator, rings: list[Ring]) -> dict[str, np.ndarray]:
    """Intel rows as arrays: kind, value, source, first_seen (local seconds)."""
    a, k = ctx.arrays, ctx.kyc
    phones: list[np.ndarray] = []
    seen: list[np.ndarray] = []
    for r in rings:
        if r.typology != "sex_trafficking":
            continue
        m = r.all()
        m = m[rng.random(len(m)) < 0.6]
        d = k["phone"][m]
        d = d[d != None]  # noqa: E711 - object array comparison
        d = np.array(sorted(set(d.tolist())), dtype=object)
        reps = rng.integers(1, 5, len(d))  # the same number in several ads (I4)
        phones.append(np.repeat(d, reps))
        seen.append(r.lo - 20 + rng.random(reps.sum()) * (r.hi - r.lo + 20))
    ac = np.flatnonzero(a["segment"] == "adult_creator")
    ac = ac[rng.random(len(ac)) < 0.4]
    d = k["phone"][ac]
    d = d[d != None]  # noqa: E711
    phones.append(d)
    seen.append(rng.random(len(d)) * ctx.n_days - 60)
    matched = np.concatenate(phones) if phones else np.zeros(0, dtype=object)
    # decoys: numbers from ads the bank does not hold
    n_decoy = max(60, 3 * len(matched), int(0.02 * ctx.n))
    dec = phone_digits(
        ctx.world, rng.choice(ctx.world.n_home, n_decoy, p=ctx.world.home_weights), rng
    )
    held = k["phone"][k["phone"] != None].astype(str)  # noqa: E711
    dec = dec[~np.isin(dec.astype(str), held)]
    values = np.r_[matched, dec]
    first = np.r_[
        np.concatenate(seen) if seen else np.zeros(0), rng.random(len(dec)) * ctx.n_days - 90
    ]
    text = _scraped(ctx, rng, values.astype(str))
    src = np.array(_SOURCES, dtype=object)[rng.integers(0, len(_SOURCES), len(text))]
    kind = np.full(len(text), "phone", dtype=object)
    sites = np.array(_SITES, dtype=object)
    sel = sites[np.sort(rng.choice(len(sites), 5, replace=False))]
    kind = np.r_[kind, np.full(len(sel), "merchant", dtype=object)]
    text = np.r_[text, sel]
    src = np.r_[src, np.full(len(sel), "ngo-tipline", dtype=object)]
    first = np.r_[first, np.full(len(sel), -120.0)]
    t = ctx.start_s + (first * 86400).astype(np.int64)
    return {"kind": kind, "value": text, "source": src, "first_seen": t}
