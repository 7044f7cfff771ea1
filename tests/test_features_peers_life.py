"""Peer comparisons, the "ordinary life" shares, and the coverage of the indicator catalogue.

The peer and ordinary-life features run on tiny hand-made banks whose expected values were worked
out on paper; the coverage test reads the registry at run time, so it follows the feature modules
as they are added.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest

from fintrak.docs import render_coverage_page
from fintrak.features import CALCULATORS, FeatureContext, ordinary_life, peers
from fintrak.features.builder import LIBRARY_MODULES, load_library
from fintrak.reference import load_catalogue, load_reference
from fintrak.schema import TRANSACTIONS
from fintrak.validation import validate

AS_OF = pd.Timestamp("2025-03-31T00:00:00Z")


def ago(days: float) -> str:
    """ISO timestamp ``days`` before AS_OF."""
    return (AS_OF - pd.Timedelta(days=days)).isoformat()


def bank(rows: list[dict], accounts: list[dict] | None = None) -> FeatureContext:
    """A context from hand-written rows (defaults: USD card debit) and optional accounts."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "txn_id", [f"t{i:03d}" for i in range(len(frame))])
    defaults = {"currency": "USD", "direction": "debit", "channel": "card", "amount": 10.0}
    for column in TRANSACTIONS.names:
        if column not in frame:
            frame[column] = defaults.get(column)
        elif column in defaults:
            frame[column] = frame[column].fillna(defaults[column])
    result = validate(frame, pd.DataFrame(accounts) if accounts else None)
    assert result.rejects.empty, result.rejects
    tables = result.tables
    return FeatureContext.build(tables["transactions"], tables.get("accounts"), as_of=AS_OF)


# -- ordinary life ------------------------------------------------------------------------------


def test_ordinary_life_shares_by_hand():
    a = [
        # rent: P2P to one person, 800 every ~30 days (the first one before the window)
        {
            "account_id": "a",
            "timestamp": ago(70),
            "channel": "p2p",
            "counterparty_name": "J Doe",
            "amount": 800.0,
        },
        {
            "account_id": "a",
            "timestamp": ago(40),
            "channel": "p2p",
            "counterparty_name": "J Doe",
            "amount": 820.0,
        },
        # 20 days later but 30% less: not similar, so not rent
        {
            "account_id": "a",
            "timestamp": ago(20),
            "channel": "p2p",
            "counterparty_name": "J Doe",
            "amount": 560.0,
        },
        # a card payment whose descriptor says rent but whose MCC says car rental: other
        {
            "account_id": "a",
            "timestamp": ago(10),
            "mcc": 7512,
            "counterparty_name": "ENTERPRISE RENT-A-CAR",
            "amount": 200.0,
        },
        # utilities: MCC 4900, and a bill-pay ACH with a utility descriptor and no MCC
        {
            "account_id": "a",
            "timestamp": ago(30),
            "mcc": 4900,
            "counterparty_name": "PG AND E",
            "amount": 100.0,
        },
        {
            "account_id": "a",
            "timestamp": ago(31),
            "channel": "ach",
            "counterparty_name": "CITY WATER DEPT",
            "amount": 60.0,
        },
        # insurance: ACH premium with a descriptor, and a card premium under MCC 6300
        {
            "account_id": "a",
            "timestamp": ago(15),
            "channel": "ach",
            "counterparty_name": "ACME INSURANCE CO",
            "amount": 120.0,
        },
        {
            "account_id": "a",
            "timestamp": ago(16),
            "mcc": 6300,
            "counterparty_name": "GEICO",
            "amount": 80.0,
        },
        # groceries: 5411 and 5499; a restaurant (5812) is not groceries
        {"account_id": "a", "timestamp": ago(5), "mcc": 5411, "amount": 150.0},
        {"account_id": "a", "timestamp": ago(6), "mcc": 5499, "amount": 50.0},
        {"account_id": "a", "timestamp": ago(7), "mcc": 5812, "amount": 40.0},
        # credits never count
        {
            "account_id": "a",
            "timestamp": ago(3),
            "direction": "credit",
            "channel": "ach",
            "counterparty_name": "RENT REFUND",
            "amount": 999.0,
        },
        # "parent" holds "rent" only inside a word: other
        {
            "account_id": "a",
            "timestamp": ago(2),
            "channel": "ach",
            "counterparty_name": "PARENT TEACHER ASSN",
            "amount": 20.0,
        },
        # a mortgage servicer by descriptor, paid once: housing
        {
            "account_id": "m",
            "timestamp": ago(12),
            "channel": "ach",
            "counterparty_name": "OAK MORTGAGE PMT",
            "amount": 300.0,
        },
        {"account_id": "m", "timestamp": ago(11), "mcc": 5411, "amount": 100.0},
        # only a credit: no debit, every share NaN
        {"account_id": "c", "timestamp": ago(1), "direction": "credit", "amount": 5.0},
    ]
    out = ordinary_life.ordinary_life(bank(a))
    # account a, debits in 60 days: 820 + 560 + 200 + 100 + 60 + 120 + 80 + 150 + 50 + 40 + 20
    spent = 2200.0
    assert out.loc["a", "rent_share_60d"] == pytest.approx(820 / spent)
    assert out.loc["a", "utilities_share_60d"] == pytest.approx(160 / spent)
    assert out.loc["a", "insurance_share_60d"] == pytest.approx(200 / spent)
    assert out.loc["a", "groceries_share_60d"] == pytest.approx(200 / spent)
    assert out.loc["m", "rent_share_60d"] == pytest.approx(0.75)
    assert out.loc["m", "groceries_share_60d"] == pytest.approx(0.25)
    assert out.loc["m", "utilities_share_60d"] == 0.0
    assert out.loc["c"].isna().all()


def test_recurring_needs_the_same_payee_and_a_monthly_gap():
    rows = [
        {
            "account_id": "a",
            "timestamp": ago(45),
            "channel": "ach",
            "counterparty_name": "X",
            "amount": 500.0,
        },
        {
            "account_id": "a",
            "timestamp": ago(35),
            "channel": "ach",
            "counterparty_name": "X",
            "amount": 500.0,
        },  # 10 days later: not monthly
        {
            "account_id": "a",
            "timestamp": ago(50),
            "channel": "check",
            "counterparty_name": "Y",
            "amount": 700.0,
        },
        {
            "account_id": "b",
            "timestamp": ago(20),
            "channel": "check",
            "counterparty_name": "Y",
            "amount": 700.0,
        },  # 30 days later, but another account
    ]
    ctx = bank(rows)
    assert not ordinary_life.recurring_similar_debits(ctx).any()
    out = ordinary_life.ordinary_life(ctx)
    assert out["rent_share_60d"].tolist() == [0.0, 0.0]


def test_ordinary_life_shares_are_low_is_risky():
    for calc in ("ordinary_life",):
        for spec in CALCULATORS[calc].specs.values():
            assert spec.higher_is_riskier is False
            assert spec.kind == "share" and "G1" in spec.refs


# -- peers --------------------------------------------------------------------------------------


def people(n: int, **kyc) -> list[dict]:
    """``n`` accounts p00.. with the same KYC values."""
    base = {
        "account_type": "personal",
        "occupation": "Cook",
        "date_of_birth": "1995-01-01",
        "city": "Austin",
    }
    prefix = kyc.pop("prefix", "p")
    return [{"account_id": f"{prefix}{i:02d}", **base, **kyc} for i in range(n)]


def peer_context(accounts: list[dict]) -> FeatureContext:
    rows = [{"account_id": acc["account_id"], "timestamp": ago(1)} for acc in accounts]
    return bank(rows, accounts)


def scores(ctx: FeatureContext, values: dict[str, float]) -> pd.Series:
    base = pd.DataFrame({"credit_total_90d": pd.Series(values)}).reindex(ctx.account_ids)
    return peers.peer_volumes(ctx, base)["credit_total_peer_z_90d"]


def test_peer_levels_keys():
    accounts = people(1) + [
        {
            "account_id": "q",
            "account_type": "business",
            "occupation": None,
            "date_of_birth": "1950-06-01",
            "city": " AUSTIN ",
        },
    ]
    levels = peers.peer_levels(peer_context(accounts))
    assert [lv["p00"] for lv in levels] == [
        "personal | cook | 25-34 | austin",
        "personal | cook | 25-34",
        "personal | cook",
        "personal | 25-34",
        "personal",
    ]
    assert [None if pd.isna(lv["q"]) else lv["q"] for lv in levels] == [
        None,
        None,
        None,
        "business | 65+",
        "business",
    ]


def test_group_of_min_size_is_used():
    # 20 cooks aged 30 in Austin (the minimum group size) with 10, 20, ..., 200
    accounts = people(peers.MIN_PEERS)
    values = {a["account_id"]: 10.0 * (i + 1) for i, a in enumerate(accounts)}
    z = scores(peer_context(accounts), values)
    # median 105; absolute deviations 5, 5, 15, 15, ..., 95, 95 -> MAD 50; scale 74.13
    assert z["p00"] == pytest.approx((10 - 105) / (1.4826 * 50))
    assert z["p19"] == pytest.approx((200 - 105) / (1.4826 * 50))


def test_small_group_falls_back_to_a_coarser_level():
    # 19 cooks in Austin and 1 in Dallas, all aged 30: no city group reaches 20, so both cities
    # fall back to "personal | cook | 25-34" (20 accounts), where the Dallas cook's 1000 stands
    # out; 25 drivers aged 30 have their own group; an account with neither occupation nor age
    # is compared with every personal account (level 5).
    cooks = people(19) + people(1, city="Dallas", prefix="d")
    drivers = people(25, occupation="Driver", prefix="r")
    lone = [
        {
            "account_id": "x",
            "account_type": "personal",
            "occupation": None,
            "date_of_birth": None,
            "city": "Austin",
        }
    ]
    ctx = peer_context(cooks + drivers + lone)
    values = {a["account_id"]: 100.0 + i for i, a in enumerate(cooks[:19])}
    values |= {"d00": 1000.0}
    values |= {a["account_id"]: 50.0 for a in drivers}
    values |= {"x": 50.0}
    z = scores(ctx, values)
    cook_values = np.array([*(100.0 + i for i in range(19)), 1000.0])
    median = np.median(cook_values)  # 109.5
    mad = np.median(np.abs(cook_values - median))  # 5.0
    assert median == 109.5 and mad == 5.0
    assert z["d00"] == pytest.approx(20.0)  # (1000 - 109.5) / 7.41 = 120, clipped to 20
    assert z["p00"] == pytest.approx((100 - 109.5) / (1.4826 * 5))
    # drivers aged 30 (25 of them, all 50) have a group of their own: z = 0
    assert z["r00"] == 0.0
    # x: levels 1-4 unknown, so "personal" (46 accounts: 20 cooks, 25 drivers and x); median 50
    # (26 of 46 values are 50) -> MAD 0 -> scale 1.2533 x mean |dev| > 0 -> z = 0
    everyone = np.array([*cook_values, *([50.0] * 26)])
    scale = 1.2533 * np.mean(np.abs(everyone - 50.0))
    assert z["x"] == pytest.approx(0.0) and scale > 0
    # an account without a value is not scored
    assert math.isnan(scores(ctx, {"x": 1.0})["p00"])


def test_income_ratio_by_hand():
    accounts = [
        {"account_id": "a", "declared_income": 36525.0},
        {"account_id": "b", "declared_income": 0.0},
        {"account_id": "c"},
    ]
    ctx = peer_context(accounts)
    base = pd.DataFrame({"credit_total_90d": [18000.0, 10.0, 10.0]}, index=ctx.account_ids)
    out = peers.income_ratio(ctx, base)["credit_to_income_ratio_90d"]
    # 36,525 a year is 9,000 per 90 days; 18,000 is twice that
    assert out["a"] == pytest.approx(2.0)
    assert math.isnan(out["b"]) and math.isnan(out["c"])


def test_peer_inputs_by_hand():
    rows = [
        {"account_id": "a", "timestamp": ago(100), "direction": "credit", "amount": 1000.0},
        {"account_id": "a", "timestamp": ago(80), "direction": "credit", "amount": 300.0},
        {
            "account_id": "a",
            "timestamp": ago(40),
            "direction": "credit",
            "channel": "p2p",
            "amount": 50.0,
        },
        {
            "account_id": "a",
            "timestamp": ago(10),
            "direction": "credit",
            "channel": "p2p",
            "amount": 70.0,
        },
        {"account_id": "a", "timestamp": ago(5), "channel": "p2p", "amount": 999.0},  # debit
    ]
    out = peers.peer_inputs(bank(rows))
    assert out.loc["a", "credit_total_90d"] == 420.0
    assert out.loc["a", "p2p_inflow_30d"] == 70.0


def test_missing_input_gives_nan_scores():
    ctx = peer_context(people(3))
    out = peers.peer_volumes(ctx, pd.DataFrame(index=ctx.account_ids))
    assert out.isna().all().all()
    assert list(out.columns) == list(peers.PEER_INPUTS)


# -- coverage of the catalogue -------------------------------------------------------------------


def _coverage() -> tuple[dict[str, list[str]], dict[str, dict]]:
    load_library()
    rows = load_catalogue().indicators
    cited: dict[str, list[str]] = {row: [] for row in rows}
    for calc in CALCULATORS.values():
        for name, spec in calc.specs.items():
            for ref in spec.refs:
                if ref in cited:
                    cited[ref].append(name)
    return cited, load_reference("coverage_notes")["notes"]


def test_every_row_is_implemented_noted_or_pending():
    cited, notes = _coverage()
    integrated = {m.rsplit(".", 1)[-1] for m in LIBRARY_MODULES}
    for row, features in cited.items():
        if features:
            continue
        note = notes.get(row)
        assert note, f"{row}: no feature cites it; add a reason to coverage_notes.yaml"
        if "reason" in note:
            assert str(note["reason"]).strip()
            continue
        pending = note.get("pending") or []
        assert pending, f"{row}: a note needs a reason or the pending module(s)"
        assert not set(pending) <= integrated, (
            f"{row}: every module it waited for ({pending}) is in the library and none cites "
            "it; write its reason in coverage_notes.yaml"
        )


def test_no_reason_for_an_implemented_row():
    cited, notes = _coverage()
    stale = [row for row, note in notes.items() if cited.get(row) and "reason" in note]
    assert not stale, f"rows now implemented still have a 'not computable' reason: {stale}"


def test_notes_name_catalogue_rows_and_real_fields():
    _, notes = _coverage()
    rows = load_catalogue().indicators
    for row, note in notes.items():
        assert row in rows, row
        assert set(note) <= {"reason", "needs", "pending"}, (row, sorted(note))
        assert ("reason" in note) != ("pending" in note), row
        for module in note.get("pending", []):
            assert isinstance(module, str) and module.isidentifier(), (row, module)
    assert importlib.util.find_spec("fintrak.features.peers") is not None


def test_coverage_page_lists_every_row():
    page = render_coverage_page()
    for row in load_catalogue().indicators:
        assert f"\n| {row} | " in page
    assert "`credit_total_peer_z_90d`" in page and "`rent_share_60d`" in page
