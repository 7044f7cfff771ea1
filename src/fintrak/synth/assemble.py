"""Turn the event buffer and account arrays into the canonical tables of :mod:`fintrak.schema`.

Local clock times become UTC through each account's IANA time zone (vectorised per zone,
DST-safe); rows are sorted by (timestamp, account_id, generation order) and only then get their
``txn_id``; strings are decoded from pool codes with pyarrow ``take``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fintrak.schema import ACCOUNTS, CHANNELS, DIRECTIONS, INTEL, LABELS, TRANSACTIONS
from fintrak.synth import devices
from fintrak.synth.events import DAY, Ctx
from fintrak.synth.observations import build_observations
from fintrak.synth.plan import Ring
from fintrak.synth.world import format_phones

__all__ = ["assemble", "to_utc"]

LABEL_EXTRA = ("segment",)


def _strings(dictionary: pa.Array, codes: np.ndarray) -> pd.arrays.ArrowStringArray:
    codes = np.asarray(codes)
    idx = pa.array(codes.astype(np.int64), mask=codes < 0)
    return pd.arrays.ArrowStringArray(pc.take(dictionary, idx))


def _obj_strings(values: np.ndarray) -> pd.arrays.ArrowStringArray:
    vals = np.asarray(values, dtype=object)
    mask = pd.isna(vals)
    return pd.arrays.ArrowStringArray(pa.array(np.where(mask, None, vals), type=pa.string()))


def to_utc(local_s: np.ndarray, tz_idx: np.ndarray, tz_names: tuple[str, ...]) -> np.ndarray:
    """Convert local naive seconds to UTC microseconds through each IANA zone.

    Ambiguous times (DST fall-back) are read as standard time; nonexistent ones (spring-forward)
    are shifted forward.
    """
    out = np.empty(len(local_s), dtype=np.int64)
    for z, name in enumerate(tz_names):
        m = tz_idx == z
        if not m.any():
            continue
        idx = pd.DatetimeIndex(local_s[m].astype("datetime64[s]"))
        loc = idx.tz_localize(name, ambiguous=np.zeros(m.sum(), bool), nonexistent="shift_forward")
        out[m] = loc.tz_convert("UTC").as_unit("us").asi8
    return out


def _utc_series(us: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    vals = us.astype("datetime64[us]")
    if mask is not None:
        vals = np.where(mask, np.datetime64("NaT", "us"), vals)
    return pd.Series(vals).dt.tz_localize("UTC")


def _account_ids(ctx: Ctx, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = ctx.n
    raw = rng.choice(9 * 10**9, size=n, replace=False) + 10**9
    ids = raw.astype(str).astype(object)
    cust_raw = rng.choice(9 * 10**7, size=n, replace=False) + 10**7
    cust = ("C" + cust_raw.astype(str).astype(object))[ctx.kyc["customer"]]
    return ids, cust


def assemble(
    ctx: Ctx, rng: np.random.Generator, rings: list[Ring], intel: dict[str, np.ndarray]
) -> dict[str, pd.DataFrame]:
    """Build transactions, accounts, intel, labels and observations."""
    a, k, w = ctx.arrays, ctx.kyc, ctx.world
    ids, cust = _account_ids(ctx, rng)
    acct_tz = w.city_tz[a["city"]].astype(np.int64)
    # opening time: a local working hour of the opening day; nothing posts before it
    opened_s = (
        ctx.start_s
        + np.floor(a["opened_day"]).astype(np.int64) * DAY
        + np.where(a["is_business"], 10 * 3600, (9 + (np.arange(ctx.n) * 7919) % 9) * 3600)
        + (np.arange(ctx.n) * 104729) % 3600
    )
    # ---- transactions -------------------------------------------------------------------
    ev = ctx.buf.concat()
    t = ev["t"]
    end_s = ctx.start_s + ctx.n_days * DAY
    cp = ev["cp"]
    cp_open = np.where(cp >= 0, opened_s[np.maximum(cp, 0)], np.iinfo(np.int64).min)
    keep = (t >= ctx.start_s) & (t < end_s) & (t >= opened_s[ev["acct"]]) & (t >= cp_open)
    keep &= ev["amount"] >= 0.005
    ev = {c: v[keep] for c, v in ev.items()}
    utc = to_utc(ev["t"], acct_tz[ev["clock"]], w.tz_names)
    rank = np.empty(ctx.n, dtype=np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(ctx.n)
    order = np.lexsort((np.arange(len(utc)), rank[ev["acct"]], utc))
    ev = {c: v[order] for c, v in ev.items()}
    utc = utc[order]
    n = len(utc)
    id_dict = pa.array(ids.tolist(), type=pa.string())
    pool = pa.array(ctx.pool.strings, type=pa.string())
    city_names = pa.array(w.city_names.tolist(), type=pa.string())
    city_country = pa.array(w.city_country.tolist(), type=pa.string())
    width = max(9, len(str(n)))
    txn = pc.binary_join_element_wise(
        "T", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0"), ""
    )
    mcc = ev["mcc"]
    device_id, ip = devices.assign(ctx, ctx.rng("devices"), ev, rings)
    tx = pd.DataFrame(
        {
            "txn_id": pd.arrays.ArrowStringArray(txn),
            "account_id": _strings(id_dict, ev["acct"]),
            "timestamp": _utc_series(utc),
            "amount": np.maximum(np.round(ev["amount"], 2), 0.01),
            "currency": _strings(pa.array([ctx.cfg.currency]), np.zeros(n, np.int64)),
            "direction": _strings(pa.array(list(DIRECTIONS)), ev["direction"]),
            "channel": _strings(pa.array(list(CHANNELS)), ev["channel"]),
            "mcc": pd.arrays.IntegerArray(np.maximum(mcc, 0).astype(np.int16), mcc < 0),
            "counterparty_id": _strings(id_dict, ev["cp"]),
            "counterparty_name": _strings(pool, ev["name"]),
            "city": _strings(city_names, ev["city"]),
            "country": _strings(city_country, ev["city"]),
            "memo": _strings(pool, ev["memo"]),
            "device_id": _obj_strings(device_id),
            "ip": _obj_strings(ip),
        }
    )
    assert tuple(tx.columns) == TRANSACTIONS.names
    # ---- accounts -----------------------------------------------------------------------
    opened_utc = to_utc(opened_s, acct_tz, w.tz_names)
    dob = k["dob"]
    dob_vals = np.where(dob >= 0, dob, 0).astype("datetime64[D]").astype("datetime64[us]")
    dob_vals = np.where(dob >= 0, dob_vals, np.datetime64("NaT", "us"))
    phone = k["phone"]
    has_phone = phone != None  # noqa: E711
    ph_text = np.full(ctx.n, None, dtype=object)
    if has_phone.any():
        ph_text[has_phone] = format_phones(
            w, phone[has_phone].astype(str), k["phone_style"][has_phone]
        )
    tzn = np.array(w.tz_names, dtype=object)
    acc = pd.DataFrame(
        {
            "account_id": _obj_strings(ids),
            "customer_id": _obj_strings(cust),
            "account_type": _obj_strings(np.where(a["is_business"], "business", "personal")),
            "opened_at": _utc_series(opened_utc),
            "date_of_birth": pd.Series(dob_vals),
            "occupation": _obj_strings(k["occupation"]),
            "declared_income": k["income"].astype(np.float64),
            "name": _obj_strings(k["name"]),
            "nationality": _obj_strings(k["nationality"]),
            "phone": _obj_strings(ph_text),
            "email": _obj_strings(k["email"]),
            "address": _obj_strings(k["address"]),
            "city": _obj_strings(w.city_names[a["city"]]),
            "country": _obj_strings(np.full(ctx.n, w.region.country, dtype=object)),
            "timezone": _obj_strings(tzn[acct_tz]),
        }
    )
    assert tuple(acc.columns) == ACCOUNTS.names
    by_id = np.argsort(ids.astype(str), kind="stable")
    acc = acc.iloc[by_id].reset_index(drop=True)
    # ---- labels -------------------------------------------------------------------------
    ring_label = np.array([r.label for r in rings] + [None], dtype=object)
    lab = pd.DataFrame(
        {
            "account_id": _obj_strings(ids),
            "is_trafficking": (a["typology"] != None).astype(np.int8),  # noqa: E711
            "typology": _obj_strings(a["typology"]),
            "role": _obj_strings(a["role"]),
            "case_id": _obj_strings(ring_label[a["ring"]]),
            "segment": _obj_strings(a["segment"]),
        }
    )
    assert tuple(lab.columns) == LABELS.names + LABEL_EXTRA
    lab = lab.iloc[by_id].reset_index(drop=True)
    # ---- intel --------------------------------------------------------------------------
    it_t = intel["first_seen"]
    it_order = np.lexsort((intel["value"].astype(str), it_t))
    it = pd.DataFrame(
        {
            "kind": _obj_strings(intel["kind"][it_order]),
            "value": _obj_strings(intel["value"][it_order]),
            "source": _obj_strings(intel["source"][it_order]),
            "first_seen": _utc_series(it_t[it_order].astype(np.int64) * 1_000_000),
        }
    )
    assert tuple(it.columns) == INTEL.names
    # ---- observations -------------------------------------------------------------------
    obs = build_observations(ctx, ctx.rng("observations"), rings, ev, utc, ids, acct_tz, opened_s)
    return {"transactions": tx, "accounts": acc, "intel": it, "labels": lab, "observations": obs}
