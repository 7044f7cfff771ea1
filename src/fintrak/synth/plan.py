"""Who is who: split the bank's accounts into rings, hard-negative groups and ordinary customers.

Rings get a random activity window inside the period; account ids are drawn independently of
the role, so nothing in an id or in the row order says who is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fintrak.synth.config import HARD_NEGATIVE_GROUPS, TYPOLOGIES
from fintrak.synth.events import Ctx
from fintrak.synth.hard_negatives import BUSINESS_GROUPS

__all__ = ["Ring", "plan"]

#: share of ordinary (non-look-alike) accounts that are businesses
BUSINESS_SHARE = 0.06


@dataclass
class Ring:
    """One injected ring: its typology, members by role and activity window (days)."""

    id: int
    typology: str
    members: dict[str, np.ndarray]
    lo: float
    hi: float

    @property
    def label(self) -> str:
        """The ring id as written in ``labels.case_id``."""
        return f"ring-{self.id:04d}"

    def all(self) -> np.ndarray:
        """Every member's account index."""
        return np.concatenate(list(self.members.values()))


def _roles(typology: str, cfg, rng: np.random.Generator) -> list[str]:  # noqa: ANN001
    if typology == "sex_trafficking":
        v = int(rng.integers(cfg.sex_ring_victims[0], cfg.sex_ring_victims[1] + 1))
        return ["controller"] + (["recruiter"] if rng.random() < 0.4 else []) + ["victim"] * v
    if typology == "labour_trafficking":
        w = int(rng.integers(cfg.labour_ring_workers[0], cfg.labour_ring_workers[1] + 1))
        extra = (["recruiter"] if rng.random() < 0.7 else []) + (
            ["controller"] if rng.random() < 0.4 else []
        )
        return ["employer"] + extra + ["worker"] * w
    if typology == "funnel":
        k = int(rng.integers(cfg.funnel_ring_size[0], cfg.funnel_ring_size[1] + 1))
        return ["funnel"] * k + (["coordinator"] if rng.random() < 0.6 else [])
    s = int(rng.integers(cfg.smuggling_ring_senders[0], cfg.smuggling_ring_senders[1] + 1))
    return (["coordinator"] if rng.random() < 0.65 else []) + ["sender"] * s


_CORE = {"sex_trafficking": 2, "labour_trafficking": 2, "funnel": 1, "human_smuggling": 2}


def _largest_remainder(total: int, weights: np.ndarray, at_least_one: bool) -> np.ndarray:
    w = weights / weights.sum()
    pos = w > 0
    base = np.zeros(len(w), dtype=int)
    if at_least_one and total >= pos.sum():
        base[pos] = 1
    rest = total - base.sum()
    share = w * rest
    cnt = np.floor(share).astype(int)
    left = rest - cnt.sum()
    order = np.argsort(-(share - cnt), kind="stable")
    cnt[order[:left]] += 1
    return base + cnt


def plan(ctx: Ctx, rng: np.random.Generator) -> list[Ring]:
    """Allocate every account to a role and return the rings."""
    cfg = ctx.cfg
    n = cfg.n_accounts
    n_tr = max(1, round(cfg.prevalence * n))
    weights = np.array([cfg.typology_mix[t] for t in TYPOLOGIES])
    # The mix weights share out accounts (not rings) between typologies, so that large labour
    # rings do not crowd out the others; each typology then gets whole rings until its share is
    # used up (the last ring cut to fit, keeping its core roles).
    budgets = _largest_remainder(n_tr, weights, at_least_one=True)
    ring_roles: list[tuple[str, list[str]]] = []
    for t, budget in zip(TYPOLOGIES, budgets.tolist(), strict=True):
        filled = 0
        while filled < budget:
            roles = _roles(t, cfg, rng)
            room = budget - filled
            if len(roles) > room:
                roles = roles[: max(room, _CORE[t])]
            ring_roles.append((t, roles))
            filled += len(roles)
    total = sum(len(roles) for _, roles in ring_roles)
    n_hn = round(cfg.hard_negative_share * n)
    hw = np.array([cfg.hard_negative_mix[g] for g in HARD_NEGATIVE_GROUPS])
    hn_counts = _largest_remainder(n_hn, hw, at_least_one=True) if n_hn else np.zeros(len(hw), int)
    n_rest = n - total - int(hn_counts.sum())
    if n_rest < 50:
        raise ValueError(
            "prevalence + hard_negative_share leave fewer than 50 ordinary accounts; "
            f"lower them or raise n_accounts (got n_accounts={n})."
        )
    n_biz = int(round(BUSINESS_SHARE * n_rest))
    ctx.init_accounts(n)
    a = ctx.arrays
    i = 0
    rings: list[Ring] = []
    nd = ctx.n_days
    for rid, (t, roles) in enumerate(ring_roles):
        idx = np.arange(i, i + len(roles))
        i += len(roles)
        r = np.array(roles, dtype=object)
        a["segment"][idx] = t
        a["typology"][idx] = t
        a["role"][idx] = r
        a["ring"][idx] = rid
        a["is_business"][idx] = r == "employer"
        dur = nd * rng.uniform(0.35, 1.0) if nd > 20 else nd
        lo = float(np.floor(rng.uniform(0, max(nd - dur, 0))))
        hi = float(min(nd, np.ceil(lo + dur)))
        a["win_lo"][idx] = lo
        a["win_hi"][idx] = hi
        members = {role: idx[r == role] for role in dict.fromkeys(roles)}
        rings.append(Ring(rid, t, members, lo, hi))
    for g, c in zip(HARD_NEGATIVE_GROUPS, hn_counts.tolist(), strict=True):
        idx = np.arange(i, i + c)
        i += c
        a["segment"][idx] = g
        if g in BUSINESS_GROUPS:
            a["is_business"][idx] = True
        elif g == "seasonal_worker" and c >= 3:
            a["is_business"][idx[: max(1, c // 9)]] = True
    a["is_business"][i : i + n_biz] = True
    return rings
