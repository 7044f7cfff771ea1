"""Tests of the money-flow network features, each on a table worked out on paper.

The as-of instant is 2025-04-01 00:00 UTC; ``at(d, h)`` is ``d`` days before it plus ``h`` hours.
``move(src, dst, ...)`` writes a transfer between two of the bank's own accounts on both sides.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fintrak.features.network_flows as nf
from fintrak.features._registry import CALCULATORS
from fintrak.features.builder import build_features
from fintrak.features.context import FeatureContext
from fintrak.synth import SynthConfig, generate
from fintrak.validation import validate

AS_OF = pd.Timestamp("2025-04-01T00:00:00Z")
MINE = [c for c in CALCULATORS.values() if c.module == nf.__name__]


def at(days: float, hours: float = 0.0) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days) + pd.Timedelta(hours=hours)


def tx(account, when, amount, direction, channel, **extra):
    return {
        "account_id": account,
        "timestamp": when.isoformat(),
        "amount": amount,
        "currency": "USD",
        "direction": direction,
        "channel": channel,
        **extra,
    }


def move(src, dst, when, amount, channel="p2p", *, sides="both", name=None):
    debit = tx(src, when, amount, "debit", channel, counterparty_id=dst, counterparty_name=dst)
    credit = tx(
        dst, when, amount, "credit", channel, counterparty_id=src, counterparty_name=name or src
    )
    return {"both": [debit, credit], "debit": [debit], "credit": [credit]}[sides]


def make_ctx(rows, accounts=None) -> FeatureContext:
    frame = pd.DataFrame(rows)
    frame.insert(0, "txn_id", [f"t{i}" for i in range(len(frame))])
    result = validate(frame, None if accounts is None else pd.DataFrame(accounts))
    assert result.rejects.empty, result.rejects.to_dict("records")
    return FeatureContext.build(
        result.tables["transactions"], result.tables.get("accounts"), as_of=AS_OF
    )


def run_all(ctx: FeatureContext) -> pd.DataFrame:
    parts = []
    for calc in MINE:
        parts.append(calc.func(ctx) if calc.level == "account" else calc.func(ctx, None))
    return pd.concat(parts, axis=1)


# -- hand-computed tables --------------------------------------------------------------------------

SWEEP_ROWS = [
    # A: 300 in from X, 240 (= 80%) on to own account C within 10 h -> swept
    tx("A", at(9), 300, "credit", "p2p", counterparty_name="X"),
    *move("A", "C", at(9, 10), 240),
    # A: 100 in from Y; 90 back to Y (the sender: not a sweep), a card purchase (not a
    # transfer) and 85 to D 50 h later (outside 48 h) -> not swept
    tx("A", at(5), 100, "credit", "p2p", counterparty_name="Y"),
    tx("A", at(5, 1), 90, "debit", "p2p", counterparty_name="Y"),
    tx("A", at(5, 2), 95, "debit", "card", counterparty_name="Shop"),
    *move("A", "D", at(5, 50), 85),
    # B: unrelated, a salary and a card purchase
    tx("B", at(3), 1000, "credit", "ach", counterparty_name="Big Corp"),
    tx("B", at(2), 40, "debit", "card", counterparty_name="Shop"),
]


def test_sweep_share_fan_out_and_own_senders_by_hand():
    out = run_all(make_ctx(SWEEP_ROWS))
    assert out.loc["A", "sweep_credit_share_30d"] == pytest.approx(0.75)  # 300 / 400
    assert out.loc["A", "fan_out_30d"] == 3  # C, Y, D (the shop is a card purchase)
    assert out.loc["C", "own_account_senders_30d"] == 1  # A
    assert out.loc["D", "own_account_senders_30d"] == 1
    assert out.loc["A", "own_account_senders_30d"] == 0  # X and Y are outside the bank
    assert out.loc["B", "sweep_credit_share_30d"] == 0.0
    assert out.loc["C", "sweep_credit_share_30d"] == 0.0  # 240 in, nothing out
    assert out.loc["C", "swept_in_senders_180d"] == 1  # A swept X's 300 to C
    assert out.loc["D", "swept_in_senders_180d"] == 0


NETWORK_ROWS = [
    # scatter-gather: S -> I1, I2, I3; I1 and I2 pass on >= half to D within 7 days, I3 does not
    *move("S", "I1", at(10), 100),
    *move("S", "I2", at(10), 100),
    *move("S", "I3", at(10), 100),
    *move("I1", "D", at(9), 60),
    *move("I2", "D", at(9), 80),  # 80% within 24 h: I2 also sweeps S's money to D
    *move("I3", "D", at(9), 30),
    # gather-scatter: P1, P2 -> H, then H -> R1, R2 within 7 days
    *move("P1", "H", at(20), 100),
    *move("P2", "H", at(20, 1), 100),
    *move("H", "R1", at(19), 120),
    *move("H", "R2", at(19, 1), 100),
    # a 2-cycle E -> F -> E and a 3-cycle K -> L -> M -> K within 7 days
    *move("E", "F", at(30), 100),
    *move("F", "E", at(29), 70),
    *move("K", "L", at(40), 100),
    *move("L", "M", at(39), 90),
    *move("M", "K", at(38), 80),
    # no cycles: back after 10 days, or with less than half the money
    *move("G", "J", at(50), 100),
    *move("J", "G", at(40), 100),
    *move("Q", "W", at(60), 100),
    *move("W", "Q", at(59), 20),
]


def test_scatter_gather_gather_scatter_cycles_and_collectors_by_hand():
    out = run_all(make_ctx(NETWORK_ROWS))
    roles = ("source", "relay", "dest")
    sg = out[[f"scatter_gather_{role}_180d" for role in roles]]
    assert sg.loc["S"].tolist() == [1, 0, 0]
    assert sg.loc["I1"].tolist() == [0, 1, 0]
    assert sg.loc["I2"].tolist() == [0, 1, 0]
    assert sg.loc["I3"].tolist() == [0, 0, 0]  # passed on less than half
    assert sg.loc["D"].tolist() == [0, 0, 1]
    assert sg.drop(["S", "I1", "I2", "D"]).to_numpy().sum() == 0  # H relays P -> R, one each

    hub = out["gather_scatter_hub_180d"]
    assert hub["H"] == 2  # {P1, P2} in, then {R1, R2} out
    assert hub["I1"] == 1 and hub["D"] == 0 and hub["S"] == 0

    cycles = out["short_cycles_180d"]
    assert cycles[["E", "F", "K", "L", "M"]].tolist() == [1, 1, 1, 1, 1]
    assert cycles.drop(["E", "F", "K", "L", "M"]).sum() == 0

    swept_in = out["swept_in_senders_180d"]
    # I2 -> D (80 of 100), H -> R1 (120 >= 80 of P1's and of P2's 100), L -> M (90 of 100),
    # M -> K (80 of 90); F -> E and W -> Q go back to the sender, J -> G after 10 days
    assert swept_in[swept_in > 0].sort_index().to_dict() == {"D": 1, "K": 1, "M": 1, "R1": 1}


def test_own_transfers_seen_on_one_side_only_give_the_same_network():
    ids = sorted({r["account_id"] for r in NETWORK_ROWS})
    accounts = [{"account_id": a} for a in ids]  # every account is a customer of the bank
    both = run_all(make_ctx(NETWORK_ROWS, accounts))
    one_side = []
    for i in range(0, len(NETWORK_ROWS), 2):  # alternate: keep the debit, or the credit
        one_side.append(NETWORK_ROWS[i] if (i // 2) % 2 == 0 else NETWORK_ROWS[i + 1])
    single = run_all(make_ctx(one_side, accounts))
    columns = [
        "scatter_gather_source_180d",
        "scatter_gather_relay_180d",
        "scatter_gather_dest_180d",
        "gather_scatter_hub_180d",
        "short_cycles_180d",
    ]
    pd.testing.assert_frame_equal(single[columns].sort_index(), both[columns].sort_index())


def _payroll(worker, day, amount=1000.0):
    return move("EMP", worker, at(day), amount, "ach", name="ACME PAYROLL")


WAGE_ROWS = [
    # EMP pays W1-W4 three wages of 1000; W1-W3 hand 600 of each to "Boss Man" within a day;
    # W4 hands back one wage of three (not "each wage")
    *[row for w in ("W1", "W2", "W3", "W4") for d in (40, 26, 12) for row in _payroll(w, d)],
    *[
        tx(w, at(d - 1), 600, "debit", "p2p", counterparty_name="Boss Man")
        for w in ("W1", "W2", "W3")
        for d in (40, 26, 12)
    ],
    tx("W4", at(39), 600, "debit", "p2p", counterparty_name="Boss Man"),
    tx("W4", at(20), 50, "debit", "card", counterparty_name="Grocer"),
]
WAGE_ACCOUNTS = [
    {"account_id": "EMP", "customer_id": "c-emp", "address": "1 Farm Rd", "city": "Fresno"},
    {"account_id": "W1", "customer_id": "c1", "address": "12 Main St., Apt 4", "city": "Fresno"},
    {"account_id": "W2", "customer_id": "c2", "address": "12 main st, apt. 4", "city": "Fresno"},
    {"account_id": "W3", "customer_id": "c3", "address": "5 Oak Rd", "city": "Fresno"},
    {"account_id": "W4", "customer_id": "c4", "address": "9 Elm St", "city": "Fresno"},
]


def test_wage_handbacks_and_payee_addresses_by_hand():
    out = run_all(make_ctx(WAGE_ROWS, WAGE_ACCOUNTS))
    assert out.loc["EMP", "employer_payee_handback_share_180d"] == pytest.approx(0.75)  # 3 of 4
    assert out.loc["EMP", "payroll_payees_shared_address_180d"] == pytest.approx(0.5)  # W1, W2
    common = out["wage_handback_common_share_180d"]
    assert common[["W1", "W2", "W3"]].tolist() == [1.0, 1.0, 1.0]
    assert common["W4"] == pytest.approx(1 / 3)  # one wage of three went to Boss Man
    assert math.isnan(common["EMP"])  # no payroll received
    for worker in ("W1", "W2", "W3", "W4"):  # not employers
        assert math.isnan(out.loc[worker, "employer_payee_handback_share_180d"])
        assert math.isnan(out.loc[worker, "payroll_payees_shared_address_180d"])


def test_an_employer_with_two_payees_gets_nan():
    rows = [r for r in WAGE_ROWS if r["account_id"] not in ("W3", "W4")]
    rows = [r for r in rows if r.get("counterparty_id") not in ("W3", "W4")]
    out = run_all(make_ctx(rows, WAGE_ACCOUNTS))
    assert math.isnan(out.loc["EMP", "employer_payee_handback_share_180d"])
    assert math.isnan(out.loc["EMP", "payroll_payees_shared_address_180d"])


# -- properties ------------------------------------------------------------------------------------

ALL_ROWS = SWEEP_ROWS + NETWORK_ROWS + WAGE_ROWS
QUICK = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@QUICK
@given(order=st.permutations(range(len(ALL_ROWS))))
def test_row_order_does_not_change_results(order):
    expected = run_all(make_ctx(ALL_ROWS, WAGE_ACCOUNTS)).sort_index()
    shuffled = run_all(make_ctx([ALL_ROWS[i] for i in order], WAGE_ACCOUNTS)).sort_index()
    pd.testing.assert_frame_equal(shuffled, expected)


unrelated_rows = st.lists(
    st.tuples(
        st.floats(0.0, 170.0),
        st.floats(1.0, 5000.0),
        st.sampled_from(["credit", "debit"]),
        st.sampled_from(["p2p", "ach", "wire", "card", "cash"]),
        st.sampled_from(["Shop", "Friend", "ACME PAYROLL", "Boss Man", "Landlord"]),
    ),
    min_size=1,
    max_size=25,
)


@QUICK
@given(extra=unrelated_rows)
def test_an_unrelated_accounts_rows_do_not_change_other_accounts(extra):
    base = run_all(make_ctx(ALL_ROWS, WAGE_ACCOUNTS)).sort_index()
    rows = ALL_ROWS + [
        tx("ZZ", at(day), round(amount, 2), direction, channel, counterparty_name=name)
        for day, amount, direction, channel, name in extra
    ]
    other = run_all(make_ctx(rows, WAGE_ACCOUNTS)).drop(index="ZZ").sort_index()
    pd.testing.assert_frame_equal(other, base)


# -- the synthetic bank: rings against ordinary accounts and look-alikes ---------------------------


@pytest.fixture(scope="module")
def synthetic():
    raw = generate(SynthConfig(n_accounts=2000, months=6, seed=7, prevalence=0.06))
    tables = validate(raw.transactions, raw.accounts, raw.intel).tables
    result = build_features(tables["transactions"], tables["accounts"], tables["intel"])
    labels = raw.labels.set_index("account_id").reindex(result.features.index)
    kind = tables["accounts"].set_index("account_id")["account_type"].astype(object)
    group = labels["segment"].astype(object).copy()
    ring = labels["typology"].notna().to_numpy()
    group[ring] = (labels["typology"].astype(object) + ":" + labels["role"].astype(object))[ring]
    business = kind.reindex(group.index).eq("business").to_numpy()
    group[(group == "ordinary").to_numpy() & business] = "ordinary_business"
    return result.features, group


def medians(synthetic, feature: str) -> pd.Series:
    features, group = synthetic
    return features[feature].groupby(group).median()


def test_victims_sweep_more_than_ordinary_accounts_and_look_alikes(synthetic):
    m = medians(synthetic, "sweep_credit_share_30d")
    victims = m["sex_trafficking:victim"]
    assert victims > 0.5
    for other in ("ordinary", "adult_creator", "gig_worker", "hairdresser", "night_shift"):
        assert victims > m[other] + 0.3, (other, m[other])


def test_controllers_collect_sweeps_from_more_accounts_than_ordinary(synthetic):
    m = medians(synthetic, "swept_in_senders_180d")
    assert m["sex_trafficking:controller"] >= 2
    assert m["ordinary"] == 0
    assert m["sex_trafficking:controller"] > m["adult_creator"] - 1e-9


def test_labour_employers_against_payroll_employers(synthetic):
    features, group = synthetic
    employers = group == "labour_trafficking:employer"
    payroll = group.isin(["ordinary_business", "seasonal_worker", "cash_business", "salon_spa"])
    handback = features["employer_payee_handback_share_180d"]
    assert handback[employers].median() > 0.1
    assert handback[payroll].fillna(0).max() == 0.0
    # workers hand wages to the ring's common taker; nobody else does
    common = features["wage_handback_common_share_180d"].groupby(group).mean()
    assert common["labour_trafficking:worker"] > 0.2
    assert common["ordinary"] < 0.01 and common["seasonal_worker"] < 0.01
    # shared housing: ring employers' payees share addresses, ordinary employers' do not
    address = features["payroll_payees_shared_address_180d"]
    assert address[employers].max() > 0.5  # (one of the two ring employers, seed 7)
    assert address[employers].mean() > address[group == "ordinary_business"].mean() + 0.2
    assert address[group == "ordinary_business"].median() < 0.1


def test_labour_employers_scatter_money_that_gathers_at_the_taker(synthetic):
    features, group = synthetic
    source = features["scatter_gather_source_180d"].groupby(group).mean()
    assert source["labour_trafficking:employer"] > source["ordinary"]
    assert source["labour_trafficking:employer"] > source["ordinary_business"]


def test_report_medians(synthetic):
    """Print the medians per group (``pytest -s``) - the numbers quoted in the report."""
    features, group = synthetic
    names = [n for c in MINE for n in c.specs]
    table = features[names].groupby(group).median().T
    assert np.isfinite(table.to_numpy(dtype=float)).any()
    print(table.round(2).to_string())
