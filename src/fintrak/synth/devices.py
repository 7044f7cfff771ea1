"""Devices and IP addresses of online transactions (``transactions.device_id`` and ``ip``).

Online rows are P2P payments sent and card payments to merchants without a city (online and
national merchants: card not present). Each customer has a phone and sometimes a laptop; a
household shares its home IP address and sometimes a tablet; on mobile data, customers appear
behind a handful of carrier addresses shared by everyone (100.64.0.0/10, carrier-grade NAT).
Home addresses come from the benchmarking range 198.18.0.0/15 and the IPv6 documentation prefix
2001:db8::/32, so no real address appears.

Trafficking (G3): in some sex-trafficking rings the controller runs the victims' accounts from
their own device and home connection during the ring's window; the others leave no trace here.
Look-alike: a few pensioners' accounts are run by a carer from the carer's device.
"""

from __future__ import annotations

import numpy as np

from fintrak.synth.events import CH, DEBIT, Ctx
from fintrak.synth.plan import Ring

__all__ = ["assign"]

#: Share of sex-trafficking rings whose controller operates the victims' accounts.
CONTROLLED_RING_SHARE = 0.5
#: In such a ring, the share of a victim's online rows made from the controller's device.
CONTROLLER_SHARE = 0.8


def _device_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.integers(0, 2**48, n, dtype=np.int64)
    return np.array([f"dev-{v:012x}" for v in values.tolist()], dtype=object)


def _home_ips(rng: np.random.Generator, n: int) -> np.ndarray:
    v6 = rng.random(n) < 0.25
    b = rng.integers(18, 20, n)
    c = rng.integers(0, 256, n)
    d = rng.integers(1, 255, n)
    g = rng.integers(1, 2**16, (n, 3))
    out = np.empty(n, dtype=object)
    for i in range(n):
        if v6[i]:
            out[i] = f"2001:db8:{g[i, 0]:x}:{g[i, 1]:x}::{g[i, 2]:x}"
        else:
            out[i] = f"198.{b[i]}.{c[i]}.{d[i]}"
    return out


def assign(
    ctx: Ctx, rng: np.random.Generator, ev: dict[str, np.ndarray], rings: list[Ring]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the device id and IP address of every event (object arrays, None when in person).

    Parameters
    ----------
    ctx : Ctx
        The simulation context (accounts, households, customers).
    rng : numpy.random.Generator
        The ``devices`` stream.
    ev : dict of str to numpy.ndarray
        The final, ordered events.
    rings : list of Ring
        The injected rings.
    """
    a, k = ctx.arrays, ctx.kyc
    n_acct = ctx.n
    customer = k["customer"]
    # devices per customer: a phone, sometimes a laptop; households sometimes share a tablet
    phone = _device_ids(rng, n_acct)[customer]
    laptop = np.where(rng.random(n_acct) < 0.3, _device_ids(rng, n_acct), None)[customer]
    household = a["household"]
    tablet = np.where(rng.random(n_acct) < 0.25, _device_ids(rng, n_acct), None)[household]
    home_ip = _home_ips(rng, n_acct)[household]
    n_carrier = max(3, n_acct // 150)
    carrier = np.array(
        [f"100.{64 + i % 64}.{(i * 37) % 256}.{1 + (i * 11) % 254}" for i in range(n_carrier)],
        dtype=object,
    )

    acct = ev["acct"]
    debit = ev["direction"] == DEBIT
    online = debit & (
        (ev["channel"] == CH["p2p"]) | ((ev["channel"] == CH["card"]) & (ev["city"] < 0))
    )
    rows = np.flatnonzero(online)
    who = acct[rows]
    m = len(rows)
    pick = rng.random(m)
    device = phone[who].copy()
    use_laptop = (pick < 0.25) & (laptop[who] != None)  # noqa: E711
    device[use_laptop] = laptop[who][use_laptop]
    use_tablet = (pick >= 0.25) & (pick < 0.35) & (tablet[who] != None)  # noqa: E711
    device[use_tablet] = tablet[who][use_tablet]
    on_mobile = (device == phone[who]) & (rng.random(m) < 0.45)
    ip = np.where(on_mobile, carrier[rng.integers(0, n_carrier, m)], home_ip[who])

    day = ctx.day_of(ev["t"][rows])
    # G3: a controller operates the victims' accounts from their own device and connection
    for r in rings:
        if r.typology != "sex_trafficking" or rng.random() >= CONTROLLED_RING_SHARE:
            continue
        boss = int(r.members["controller"][0])
        for v in r.members.get("victim", np.zeros(0, int)):
            hit = (who == v) & (day >= r.lo) & (day < r.hi) & (rng.random(m) < CONTROLLER_SHARE)
            device[hit] = phone[boss]
            ip[hit] = home_ip[boss]
    # look-alike: a carer runs an elderly customer's account from the carer's own device
    # (pensioners stand in for the elderly: the generator's dates of birth stop at 1970)
    elderly = np.flatnonzero((a["job"] == 2) & (a["segment"] == "ordinary") & ~a["is_business"])
    helped = elderly[rng.random(len(elderly)) < 0.06]
    helpers = np.flatnonzero((a["segment"] == "ordinary") & ~a["is_business"])
    for e in helped:
        carer = int(helpers[rng.integers(0, len(helpers))])
        hit = (who == e) & (rng.random(m) < 0.7)
        device[hit] = phone[carer]
        ip[hit] = home_ip[carer]
    # logs are not perfect: a few online rows lack the IP address
    ip = np.where(rng.random(m) < 0.03, None, ip)

    device_out = np.full(len(acct), None, dtype=object)
    ip_out = np.full(len(acct), None, dtype=object)
    device_out[rows] = device
    ip_out[rows] = ip
    return device_out, ip_out
