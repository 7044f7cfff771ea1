"""Staff observations (the optional ``observations`` table): what branch staff saw and coded.

Rare for ordinary customers (a stray code now and then; pensioners escorted by a carer who
speaks for them, the legitimate look-alike); routine for cash businesses exchanging small bills
(excluded by H6 because their trade is cash-intensive). For trafficking, only some accounts show
anything: some victims come in escorted, spoken for or visibly unwell (G5, G7); some workers are
escorted to send money abroad by someone who "interprets" (C8); some smuggling and funnel accounts
exchange small bills for large ones (H6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from fintrak.schema import OBSERVATION_CODES, OBSERVATIONS
from fintrak.synth.events import CH, DAY, DEBIT, Ctx
from fintrak.synth.plan import Ring

__all__ = ["build_observations"]

_CODES = tuple(OBSERVATION_CODES)
_VICTIM = (
    "escorted_by_third_party",
    "third_party_speaks_for_customer",
    "third_party_holds_documents",
    "third_party_insists_on_presence",
    "third_party_aggression",
    "signs_of_abuse_or_poor_wellbeing",
    "disoriented_or_scripted",
)
_WORKER = (
    "escorted_by_third_party",
    "interpreter_insisted",
    "third_party_holds_documents",
    "third_party_speaks_for_customer",
    "id_presented_by_other_person",
)
_ELDERLY = (
    "escorted_by_third_party",
    "third_party_speaks_for_customer",
    "disoriented_or_scripted",
)
_BACKGROUND = (
    "third_party_speaks_for_customer",
    "interpreter_insisted",
    "escorted_by_third_party",
    "disoriented_or_scripted",
    "small_bills_exchanged_for_large",
    "third_party_fills_paperwork",
    "third_party_claims_kinship",
    "minor_account_by_non_guardian",
)
_NOTES = (
    "Companion answered every question.",
    "Customer looked to companion before answering.",
    "Customer could not give a home address.",
    "Companion kept the passport.",
    "Asked for large notes in exchange for small ones.",
    "Carer assisting; customer confirmed the request.",
)


class _Rows:
    def __init__(self) -> None:
        self.acct: list[np.ndarray] = []
        self.t: list[np.ndarray] = []  # local seconds (branch clock) or UTC microseconds
        self.utc: list[np.ndarray] = []  # bool: t is already UTC microseconds
        self.code: list[np.ndarray] = []

    def add(self, acct: np.ndarray, t: np.ndarray, code: np.ndarray, *, utc: bool) -> None:
        self.acct.append(np.asarray(acct, dtype=np.int64))
        self.t.append(np.asarray(t, dtype=np.int64))
        self.utc.append(np.full(len(acct), utc))
        self.code.append(np.asarray(code, dtype=object))


def _visits(
    ctx: Ctx, rng: np.random.Generator, rows: _Rows, who: np.ndarray, lo, hi, codes, n_each
) -> None:
    """Add ``n_each`` branch visits per account in ``who`` on days in ``[lo, hi)``."""
    if len(who) == 0:
        return
    reps = np.repeat(who, n_each)
    lo = np.repeat(np.broadcast_to(np.asarray(lo, dtype=float), who.shape), n_each)
    hi = np.repeat(np.broadcast_to(np.asarray(hi, dtype=float), who.shape), n_each)
    day = lo + rng.random(len(reps)) * np.maximum(hi - lo, 0)
    t = ctx.at_hour(rng, day, 9.0, 17.0)
    rows.add(
        reps, t, np.array(codes, dtype=object)[rng.integers(0, len(codes), len(reps))], utc=False
    )


def build_observations(
    ctx: Ctx,
    rng: np.random.Generator,
    rings: list[Ring],
    ev: dict[str, np.ndarray],
    ev_utc: np.ndarray,
    ids: np.ndarray,
    acct_tz: np.ndarray,
    opened_s: np.ndarray,
) -> pd.DataFrame:
    """Return the observations table (canonical columns, sorted by time, ids assigned in order)."""
    from fintrak.synth.assemble import to_utc  # assemble imports this module

    a = ctx.arrays
    n, nd = ctx.n, ctx.n_days
    rows = _Rows()
    ordinary = (a["segment"] == "ordinary") & ~a["is_business"]
    # background: a stray code for a few customers
    stray = np.flatnonzero(rng.random(n) < 0.004)
    _visits(ctx, rng, rows, stray, 0, nd, _BACKGROUND, 1)
    # look-alike: elderly customers escorted by a carer who speaks for them
    # (pensioners stand in for the elderly: the generator's dates of birth stop at 1970)
    elderly = np.flatnonzero(ordinary & (a["job"] == 2))
    old = elderly[rng.random(len(elderly)) < 0.06]
    _visits(ctx, rng, rows, old, 0, nd, _ELDERLY, 1 + (rng.random(len(old)) < 0.4))
    # cash businesses exchange small bills as a matter of course
    cash = np.flatnonzero(
        (a["segment"] == "cash_business") | (a["is_business"] & (rng.random(n) < 0.1))
    )
    cash = cash[rng.random(len(cash)) < 0.5]
    _visits(
        ctx,
        rng,
        rows,
        cash,
        0,
        nd,
        ("small_bills_exchanged_for_large",),
        1 + rng.poisson(2, len(cash)),
    )
    for r in rings:
        everyone = r.all()
        if r.typology == "sex_trafficking":
            vic = r.members.get("victim", np.zeros(0, int))
            seen = vic[rng.random(len(vic)) < 0.3]
            _visits(ctx, rng, rows, seen, r.lo, r.hi, _VICTIM, 1 + rng.poisson(0.8, len(seen)))
            id_case = vic[rng.random(len(vic)) < 0.05]
            opened = np.maximum(a["opened_day"][id_case], 0)
            _visits(
                ctx, rng, rows, id_case, opened, opened + 1, ("id_presented_by_other_person",), 1
            )
        elif r.typology == "labour_trafficking":
            wk = r.members.get("worker", np.zeros(0, int))
            seen = wk[rng.random(len(wk)) < 0.25]
            _visits(ctx, rng, rows, seen, r.lo, r.hi, _WORKER, 1)
            # C8: escorted to the counter to send money abroad
            escorted = wk[rng.random(len(wk)) < 0.4]
            abroad = (
                (ev["direction"] == DEBIT)
                & np.isin(ev["acct"], escorted)
                & ((ev["mcc"] == 4829) | (ev["channel"] == CH["wire"]))
            )
            idx = np.flatnonzero(abroad)
            idx = idx[rng.random(len(idx)) < 0.6]
            before = rng.integers(0, 3 * 3600, len(idx)) * 1_000_000
            codes = np.array(["escorted_by_third_party", "interpreter_insisted"], dtype=object)
            rows.add(
                ev["acct"][idx], ev_utc[idx] - before, codes[rng.integers(0, 2, len(idx))], utc=True
            )
        else:
            seen = everyone[rng.random(len(everyone)) < 0.15]
            _visits(
                ctx,
                rng,
                rows,
                seen,
                r.lo,
                r.hi,
                ("small_bills_exchanged_for_large",),
                1 + rng.poisson(1.5, len(seen)),
            )
    if not rows.acct:
        return _frame(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object), ids, rng)
    acct = np.concatenate(rows.acct)
    t = np.concatenate(rows.t)
    is_utc = np.concatenate(rows.utc)
    code = np.concatenate(rows.code)
    local = ~is_utc
    # a visit is never before the account was opened nor after the period
    end_s = ctx.start_s + nd * DAY - 1
    t[local] = np.clip(t[local], opened_s[acct[local]] + 60, end_s)
    utc = t.copy()
    if local.any():
        utc[local] = to_utc(t[local], acct_tz[acct[local]], ctx.world.tz_names)
    keep = code != None  # noqa: E711
    return _frame(acct[keep], utc[keep], code[keep], ids, rng)


def _frame(
    acct: np.ndarray, utc: np.ndarray, code: np.ndarray, ids: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    account = ids[acct].astype(str) if len(acct) else np.zeros(0, dtype=str)
    order = np.lexsort((code.astype(str), account, utc)) if len(acct) else np.zeros(0, np.int64)
    acct, utc, code, account = acct[order], utc[order], code[order], account[order]
    m = len(acct)
    channel = np.where(
        (code == "small_bills_exchanged_for_large") | (rng.random(m) < 0.85), "branch", "phone"
    )
    staff = np.array([f"EMP{v:05d}" for v in rng.integers(1, 4000, m).tolist()], dtype=object)
    staff = np.where(rng.random(m) < 0.05, None, staff)
    note = np.array(_NOTES, dtype=object)[rng.integers(0, len(_NOTES), m)]
    note = np.where(rng.random(m) < 0.4, note, None)
    width = max(7, len(str(m)))
    frame = pd.DataFrame(
        {
            "observation_id": _text(
                np.array([f"OB{i:0{width}d}" for i in range(1, m + 1)], dtype=object)
            ),
            "account_id": _text(account),
            "timestamp": pd.Series(utc.astype("datetime64[us]")).dt.tz_localize("UTC"),
            "code": _text(code),
            "channel": _text(channel),
            "staff_id": _text(staff),
            "note": _text(note),
        }
    )
    assert tuple(frame.columns) == OBSERVATIONS.names
    assert set(frame["code"].dropna()) <= set(_CODES)
    return frame


def _text(values: np.ndarray) -> pd.arrays.ArrowStringArray:
    vals = np.asarray(values, dtype=object)
    mask = pd.isna(vals)
    return pd.arrays.ArrowStringArray(pa.array(np.where(mask, None, vals), type=pa.string()))
