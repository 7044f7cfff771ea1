"""Tests of the extended feature modules, each on a table worked out on paper.

Covers ``alt_payments`` (A4, A5, F2, F3), ``buyers`` (A8), ``business`` (D1-D3),
``accounts_life`` (C3, G4, G8), ``events`` (I3) and ``identity`` (I4, G2, J4, J5). Every table is
validated with :func:`fintrak.validation.validate` first. The as-of instant is 2025-04-01 00:00 UTC
unless a test says otherwise; ``at(d, h)`` is ``d`` days before it plus ``h`` hours.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fintrak.features import (
    accounts_life,
    alt_payments,
    business,
    buyers,
    events,
    identity,
)
from fintrak.features._registry import CALCULATORS
from fintrak.features.context import FeatureContext
from fintrak.validation import validate

AS_OF = pd.Timestamp("2025-04-01T00:00:00Z")
MODULES = {m.__name__ for m in (alt_payments, buyers, business, accounts_life, events, identity)}
MINE = [c for c in CALCULATORS.values() if c.module in MODULES]


def at(days: float, hours: float = 0.0, as_of: pd.Timestamp = AS_OF) -> pd.Timestamp:
    return as_of - pd.Timedelta(days=days) + pd.Timedelta(hours=hours)


def tx(account, when, amount, direction, channel, **extra):
    return {
        "account_id": account,
        "timestamp": when.isoformat(),
        "amount": amount,
        "currency": extra.pop("currency", "USD"),
        "direction": direction,
        "channel": channel,
        **extra,
    }


def make_ctx(rows, accounts=None, as_of=AS_OF) -> FeatureContext:
    frame = pd.DataFrame(rows)
    frame.insert(0, "txn_id", [f"t{i}" for i in range(len(frame))])
    result = validate(frame, None if accounts is None else pd.DataFrame(accounts))
    assert result.rejects.empty, result.rejects.to_dict("records")
    return FeatureContext.build(
        result.tables["transactions"], result.tables.get("accounts"), as_of=as_of
    )


def value(frame: pd.DataFrame, account: str, feature: str) -> float:
    return float(frame.loc[account, feature])


def assert_nan(x: float) -> None:
    assert math.isnan(x), x


# -- registry --------------------------------------------------------------------------------------


def test_modules_register_calculators_at_both_levels():
    assert {c.level for c in MINE} == {"account", "population"}
    assert len(MINE) == 19


def test_every_calculator_returns_its_columns_and_counts_are_never_nan():
    rows = [
        tx("A", at(1), 24, "debit", "card", counterparty_name="COINBASE"),
        tx("B", at(2), 50, "credit", "cash"),
    ]
    accounts = [
        {"account_id": "A", "account_type": "business", "opened_at": "2024-01-01T00:00:00Z"},
        {"account_id": "C", "phone": "2135550147", "city": "Los Angeles", "country": "US"},
    ]
    ctx = make_ctx(rows, accounts)
    base = pd.concat([c.func(ctx) for c in MINE if c.level == "account"], axis=1)
    for calc in MINE:
        out = calc.func(ctx) if calc.level == "account" else calc.func(ctx, base)
        assert sorted(out.columns) == sorted(calc.specs)
        assert list(out.index) == ["A", "B", "C"]
        for name, spec in calc.specs.items():
            if spec.kind in ("count", "flag"):
                assert not out[name].isna().any(), name


# -- A4: small virtual-currency buys and prepaid chains --------------------------------------------


def test_vasp_small_buys_multiples_and_prepaid_chain():
    rows = [
        tx("A", at(1), 24, "debit", "card", counterparty_name="COINBASE.COM"),  # small, multiple
        tx("A", at(2), 60, "debit", "card", counterparty_name="Coinbase"),  # multiple only
        tx("A", at(3), 100, "debit", "card", counterparty_name="Kraken"),  # neither
        tx("A", at(5), 200, "debit", "card", mcc=6540, counterparty_name="VANILLA PREPAID"),
        tx("A", at(5, 2), 36, "debit", "card", counterparty_name="PAXFUL"),  # chained, 2 h later
        tx("A", at(31), 12, "debit", "card", counterparty_name="Coinbase"),  # outside 30 days
        tx("B", at(1), 60, "debit", "card", currency="CAD", counterparty_name="shakepay"),
        tx("C", at(1), 10, "debit", "card", counterparty_name="Debt Coinbaser"),  # not a VASP
    ]
    out = alt_payments.alt_vasp_small(make_ctx(rows))
    assert value(out, "A", "vasp_small_buys_30d") == 2
    assert value(out, "A", "vasp_multiple_share_30d") == pytest.approx(3 / 4)
    # 2 h (Paxful), 48 h (Kraken) and exactly 72 h (Coinbase 60) after the load; 96 h is not
    assert value(out, "A", "prepaid_to_vasp_chains_30d") == 3
    assert value(out, "B", "vasp_small_buys_30d") == 1  # CAD 60 <= USD 50 equivalent (68.49)
    assert value(out, "C", "vasp_small_buys_30d") == 0
    assert_nan(value(out, "C", "vasp_multiple_share_30d"))


def test_prepaid_load_more_than_72_hours_before_is_no_chain():
    rows = [
        tx("A", at(10), 200, "debit", "card", mcc=6540),
        tx("A", at(6, 23), 36, "debit", "card", counterparty_name="PAXFUL"),  # 73 h later
    ]
    out = alt_payments.alt_vasp_small(make_ctx(rows))
    assert value(out, "A", "prepaid_to_vasp_chains_30d") == 0


# -- F2: crypto exposure ---------------------------------------------------------------------------


def test_vasp_exposure_in_and_out_over_90_days():
    rows = [
        tx("A", at(10), 100, "debit", "card", counterparty_name="Coinbase"),
        tx("A", at(20), 50, "credit", "ach", counterparty_name="KRAKEN PAYOUT"),
        tx("A", at(80), 30, "debit", "card", mcc=6051, counterparty_name="QUASI CASH 123"),
        tx("A", at(95), 999, "debit", "card", counterparty_name="Coinbase"),  # outside
        tx("B", at(1), 10, "debit", "card", counterparty_name="Grocer"),
    ]
    out = alt_payments.alt_vasp_exposure(make_ctx(rows))
    assert value(out, "A", "vasp_out_amount_90d") == 130
    assert value(out, "A", "vasp_in_amount_90d") == 50
    assert value(out, "A", "vasp_counterparties_90d") == 3
    assert value(out, "B", "vasp_out_amount_90d") == 0


# -- A5: online payment services -------------------------------------------------------------------


def test_online_payment_service_small_and_onward_to_crypto():
    rows = [
        tx("A", at(5), 50, "credit", "ach", counterparty_name="PAYPAL TRANSFER"),
        tx("A", at(6), 150, "debit", "card", counterparty_name="Venmo"),
        tx("A", at(10), 200, "credit", "ach", counterparty_name="PayPal"),
        tx("A", at(9), 100, "debit", "card", counterparty_name="coinbase"),  # 24 h after
        tx("A", at(40), 10, "credit", "ach", counterparty_name="PayPal"),  # outside 30 days
        tx("B", at(2), 90, "debit", "card", currency="CAD", counterparty_name="Skrill"),
        tx("C", at(2), 90, "debit", "card", counterparty_name="Skrill"),  # USD 90 > CAD 100 eq.
        tx("D", at(2), 90, "debit", "card", counterparty_name="Paypalooza"),  # not a whole word
    ]
    out = alt_payments.alt_ops(make_ctx(rows))
    assert value(out, "A", "ops_small_tx_30d") == 1
    assert value(out, "A", "ops_small_share_30d") == pytest.approx(1 / 3)
    assert value(out, "A", "ops_to_vasp_ratio_30d") == pytest.approx(100 / 250)
    assert value(out, "B", "ops_small_tx_30d") == 1
    assert value(out, "C", "ops_small_tx_30d") == 0
    assert value(out, "C", "ops_small_share_30d") == 0
    assert_nan(value(out, "C", "ops_to_vasp_ratio_30d"))
    assert_nan(value(out, "D", "ops_small_share_30d"))


# -- F3: third-party payment processors ------------------------------------------------------------


def test_tppp_counts_amounts_and_transfer_share():
    rows = [
        tx("A", at(10), 500, "debit", "wire", counterparty_name="PAXUM INC"),
        tx("A", at(20), 300, "credit", "ach", counterparty_name="CCBill LLC"),
        tx("A", at(30), 100, "debit", "wire", counterparty_name="Acme"),
        tx("A", at(30), 10, "debit", "card", counterparty_name="Epoch Times"),  # a newspaper
        tx("A", at(100), 700, "debit", "wire", counterparty_name="Paxum"),  # outside
        tx("B", at(1), 5, "debit", "card", counterparty_name="Grocer"),
    ]
    out = alt_payments.alt_tppp(make_ctx(rows))
    assert value(out, "A", "tppp_tx_90d") == 2
    assert value(out, "A", "tppp_amount_90d") == 800
    assert value(out, "A", "tppp_transfer_share_90d") == pytest.approx(2 / 3)
    assert_nan(value(out, "B", "tppp_transfer_share_90d"))


# -- A8: three payees within 15 minutes ------------------------------------------------------------


def test_three_payee_bursts_and_shared_payees():
    rows = [
        tx("A", at(5), 40, "debit", "p2p", counterparty_name="Door"),
        tx("A", at(5, 5 / 60), 120, "debit", "p2p", counterparty_name="Service"),
        tx("A", at(5, 12 / 60), 20, "debit", "p2p", counterparty_name="Tip"),
        tx("A", at(5, 14 / 60), 20, "debit", "p2p", counterparty_name="Tip2"),  # same burst
        tx("A", at(2), 40, "debit", "p2p", counterparty_name="X"),
        tx("A", at(2, 1 / 60), 40, "debit", "p2p", counterparty_name="X"),
        tx("A", at(2, 2 / 60), 40, "debit", "p2p", counterparty_name="Y"),  # 2 payees only
        tx("B", at(3), 40, "debit", "p2p", counterparty_name="P"),
        tx("B", at(3, 10 / 60), 40, "debit", "p2p", counterparty_name="Q"),
        tx("B", at(3, 16 / 60), 40, "debit", "p2p", counterparty_name="R"),  # 16 min after P
        tx("C", at(4), 40, "debit", "p2p", counterparty_name="door"),
        tx("C", at(4, 1 / 60), 40, "debit", "p2p", counterparty_name="M"),
        tx("C", at(4, 2 / 60), 40, "debit", "p2p", counterparty_name="N"),
        tx("C", at(40), 40, "debit", "p2p", counterparty_name="E"),
        tx("C", at(40, 1 / 60), 40, "debit", "p2p", counterparty_name="F"),
        tx("C", at(40, 2 / 60), 40, "debit", "p2p", counterparty_name="G"),  # outside 30 days
    ]
    ctx = make_ctx(rows)
    out = buyers.p2p_bursts(ctx)
    assert value(out, "A", "p2p_three_payee_bursts_30d") == 1
    assert value(out, "B", "p2p_three_payee_bursts_30d") == 0
    assert value(out, "C", "p2p_three_payee_bursts_30d") == 1
    shared = buyers.p2p_burst_payees(ctx, out)
    assert value(shared, "A", "p2p_burst_payee_shared_payers_30d") == 1  # C also paid "door"
    assert value(shared, "C", "p2p_burst_payee_shared_payers_30d") == 1
    assert value(shared, "B", "p2p_burst_payee_shared_payers_30d") == 0


# -- D1, D2: business night and cash shares, sector, peers -----------------------------------------


def _business_table():
    accounts = [
        {"account_id": "A", "account_type": "business", "occupation": "Nail salon"},
        {"account_id": "B", "account_type": "personal", "occupation": "Nail salon"},
        {"account_id": "C", "account_type": "business", "occupation": "Consulting"},
        {"account_id": "D", "account_type": "business", "occupation": "Plumbing"},
    ]
    rows = [
        tx("A", at(5, 23 - 24 * 0), 1000, "credit", "cash"),  # 23:00 UTC: night
        tx("A", at(6, 12), 500, "credit", "card"),  # noon
        tx("A", at(7, 2), 500, "credit", "ach"),  # batch posting: ignored for night
        tx("A", at(50), 1000, "credit", "atm"),
        tx("B", at(5, 23), 1000, "credit", "cash"),
        tx("C", at(3, 12), 80, "credit", "card", mcc=5813),
        tx("C", at(4, 12), 80, "credit", "card", mcc=5813),
        tx("C", at(5, 12), 80, "credit", "card", mcc=5411),
        tx("D", at(3, 12), 100, "credit", "cash"),
        tx("D", at(4, 12), 900, "credit", "ach"),
    ]
    return rows, accounts


def test_business_night_and_cash_shares():
    rows, accounts = _business_table()
    out = business.business_cash_night(make_ctx(rows, accounts))
    assert value(out, "A", "biz_night_credit_share_30d") == pytest.approx(1 / 2)
    assert value(out, "A", "biz_cash_deposit_share_90d") == pytest.approx(2000 / 3000)
    assert_nan(value(out, "B", "biz_night_credit_share_30d"))
    assert_nan(value(out, "B", "biz_cash_deposit_share_90d"))
    assert value(out, "C", "biz_cash_deposit_share_90d") == 0


def test_front_business_sector_and_cash_above_peers():
    rows, accounts = _business_table()
    ctx = make_ctx(rows, accounts)
    base = pd.concat(
        [business.business_cash_night(ctx), business.front_business_sector(ctx)], axis=1
    )
    assert base["biz_risk_sector"].to_dict() == {"A": 1.0, "B": 0.0, "C": 1.0, "D": 0.0}
    out = business.front_business_cash(ctx, base)
    # fewer than 20 peers per occupation: ranked among all 3 businesses (C 0, D 0.1, A 0.67)
    assert value(out, "A", "biz_cash_share_peer_percentile_90d") == pytest.approx(1.0)
    assert value(out, "D", "biz_cash_share_peer_percentile_90d") == pytest.approx(2 / 3)
    assert_nan(value(out, "B", "biz_cash_share_peer_percentile_90d"))
    assert out["biz_front_sector_cash_flag"].to_dict() == {"A": 1.0, "B": 0.0, "C": 0.0, "D": 0.0}


# -- D3: asset purchases after cash build-up -------------------------------------------------------


def test_asset_purchase_cash_funding():
    rows = [
        tx("A", at(60), 3000, "credit", "cash"),
        tx("A", at(101), 4000, "credit", "cash"),  # more than 90 days before both purchases
        tx("A", at(5), 8000, "debit", "card", mcc=5511, counterparty_name="City Motors"),
        tx("A", at(10), 6000, "debit", "wire", counterparty_name="ABC Title Company"),
        tx("A", at(3), 100, "debit", "card", mcc=5511),  # an oil change: too small
        tx("B", at(5), 6000, "debit", "wire", currency="EUR", counterparty_name="Escrow Ltd"),
        tx("C", at(5), 4800, "debit", "wire", currency="EUR", counterparty_name="Escrow Ltd"),
    ]
    out = business.asset_purchases(make_ctx(rows))
    assert value(out, "A", "asset_purchases_30d") == 2
    assert value(out, "A", "asset_cash_funding_ratio_30d") == pytest.approx(0.5)
    assert value(out, "A", "cash_funded_asset_purchases_30d") == 1
    assert value(out, "B", "asset_purchases_30d") == 1  # EUR 6,000 >= USD 5,000 (EUR 4,630)
    assert value(out, "B", "asset_cash_funding_ratio_30d") == 0
    assert value(out, "C", "asset_purchases_30d") == 1  # EUR 4,800 >= EUR 4,630
    assert value(out, "C", "cash_funded_asset_purchases_30d") == 0


def test_asset_purchase_absent_gives_nan_ratio():
    out = business.asset_purchases(make_ctx([tx("A", at(1), 10, "debit", "card")]))
    assert value(out, "A", "asset_purchases_30d") == 0
    assert_nan(value(out, "A", "asset_cash_funding_ratio_30d"))


# -- C3: teller checks and wires after payday ------------------------------------------------------


def test_wage_checks_and_wires_to_same_payee_over_cycles():
    rows = [
        tx("A", at(70), 1000, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("A", at(40), 1000, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("A", at(10), 1000, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("A", at(69), 800, "debit", "wire", counterparty_name="Boss"),
        tx("A", at(39), 800, "debit", "wire", counterparty_name="boss"),
        tx("A", at(20), 800, "debit", "wire", counterparty_name="Boss"),  # 20 days after payday
        tx("A", at(9), 100, "debit", "wire", counterparty_name="Other"),
        tx("A", at(9), 300, "debit", "other", counterparty_name="OFFICIAL CHECK PURCHASE"),
        tx("A", at(9), 100, "debit", "card", counterparty_name="Boss"),  # a card purchase
        tx("A", at(68), 900, "debit", "check", counterparty_name="Landlord"),  # personal checks
        tx("A", at(38), 900, "debit", "check", counterparty_name="Landlord"),
        tx("B", at(9), 100, "debit", "wire", counterparty_name="Boss"),  # no payroll
    ]
    out = accounts_life.wage_checks_wires(make_ctx(rows))
    assert value(out, "A", "wage_check_wire_cycles_90d") == 2
    assert value(out, "A", "wage_checks_wires_90d") == 4
    assert value(out, "B", "wage_check_wire_cycles_90d") == 0


# -- G4: benefits forwarded to a custodian ---------------------------------------------------------


def test_benefits_forwarded_to_common_counterparty():
    rows = [
        tx("A", at(30), 1000, "credit", "ach", counterparty_name="SSA TREAS 310 XXSOC SEC"),
        tx("A", at(29), 600, "debit", "p2p", counterparty_name="Mr X"),
        tx("A", at(29, 12), 100, "debit", "card", counterparty_name="Grocer"),  # card: spending
        tx("A", at(25), 300, "debit", "p2p", counterparty_name="Mr X"),  # 5 days later
        tx("B", at(20), 500, "credit", "ach", counterparty_name="Service Canada CPP"),
        tx("B", at(19, 12), 500, "debit", "p2p", counterparty_name="mr x"),
        tx("C", at(5), 500, "credit", "ach", counterparty_name="Debt collector refund"),
        tx("C", at(4), 500, "debit", "p2p", counterparty_name="Mr X"),
    ]
    ctx = make_ctx(rows)
    out = accounts_life.benefit_forwarding(ctx)
    assert value(out, "A", "benefit_forward_top_ratio_90d") == pytest.approx(0.6)
    assert value(out, "B", "benefit_forward_top_ratio_90d") == pytest.approx(1.0)
    assert_nan(value(out, "C", "benefit_forward_top_ratio_90d"))  # "debt" is not "ebt"
    shared = accounts_life.benefit_custody(ctx, out)
    assert shared["benefit_recipients_sharing_controller_90d"].to_dict() == {
        "A": 1.0,
        "B": 1.0,
        "C": 0.0,
    }


# -- G8: credit drawn and cashed out ---------------------------------------------------------------


def test_loan_draws_cashed_out_within_48_hours():
    rows = [
        tx("A", at(10), 1000, "credit", "ach", counterparty_name="SPEEDY CASH LOAN"),
        tx("A", at(9), 400, "debit", "atm"),
        tx("A", at(7, 12), 300, "debit", "p2p", counterparty_name="Z"),  # 60 h after
        tx("A", at(9, 12), 200, "debit", "card"),  # card: not cash-out
        tx("A", at(100), 500, "credit", "ach", counterparty_name="Personal Loan"),  # outside
        tx("B", at(1), 10, "debit", "atm"),
    ]
    out = accounts_life.loan_cash_out(make_ctx(rows))
    assert value(out, "A", "loan_draws_90d") == 1
    assert value(out, "A", "loan_cash_p2p_out_ratio_90d") == pytest.approx(0.4)
    assert value(out, "B", "loan_draws_90d") == 0
    assert_nan(value(out, "B", "loan_cash_p2p_out_ratio_90d"))


# -- I3: event-city spending spike -----------------------------------------------------------------

WC_AS_OF = pd.Timestamp("2026-07-01T00:00:00Z")


def test_event_city_spend_against_baseline():
    def on(day: str, hour: int = 12) -> pd.Timestamp:
        return pd.Timestamp(f"{day}T{hour:02d}:00:00Z")

    rows = [
        tx("A", on("2026-06-20"), 400, "debit", "card", mcc=7011, city="Toronto"),
        tx("A", on("2026-06-21", 2), 100, "debit", "card", mcc=4121, city="toronto, ON"),
        tx("A", on("2026-05-01"), 300, "debit", "card", mcc=7011, city="Chicago"),  # baseline
        tx(
            "B",
            on("2026-06-20"),
            274,
            "debit",
            "card",
            mcc=7011,
            city="Guadalajara",
            currency="CAD",
        ),
        tx("C", on("2026-06-05"), 400, "debit", "card", mcc=7011, city="Toronto"),  # before
        tx("D", on("2026-06-20"), 400, "debit", "card", mcc=7011, city="Denver"),  # no event
    ]
    out = events.event_city_spend(make_ctx(rows, as_of=WC_AS_OF))
    assert value(out, "A", "event_city_travel_spend_30d") == 500
    assert value(out, "A", "event_city_spend_vs_baseline_30d") == pytest.approx(500 / 100)
    assert value(out, "A", "event_city_night_share_30d") == pytest.approx(1 / 2)
    # no baseline: floored at USD 100 = CAD 136.99
    assert value(out, "B", "event_city_spend_vs_baseline_30d") == pytest.approx(274 / (100 / 0.73))
    assert value(out, "C", "event_city_travel_spend_30d") == 0
    assert_nan(value(out, "C", "event_city_spend_vs_baseline_30d"))
    assert_nan(value(out, "D", "event_city_night_share_30d"))


# -- I4: KYC phone area code not local -------------------------------------------------------------


def test_kyc_phone_non_local():
    accounts = [
        {"account_id": "A", "phone": "(213) 555-0147", "city": "Los Angeles", "country": "US"},
        {"account_id": "B", "phone": "213-555-0147", "city": "Miami", "country": "US"},
        {"account_id": "C", "phone": "+1 416 555 0100", "city": "Toronto", "country": "CA"},
        {"account_id": "D", "phone": "+44 20 7946 0958", "city": "Toronto", "country": "CA"},
        {"account_id": "E", "phone": "2135550147", "city": "Nowhereville", "country": "US"},
        {"account_id": "F", "city": "Miami", "country": "US"},
        {"account_id": "G", "phone": "+1 305 555 0100", "city": "Toronto", "country": "CA"},
    ]
    ctx = make_ctx([tx("A", at(1), 1, "debit", "card")], accounts)
    out = identity.kyc_phone_locality(ctx)
    assert out["kyc_phone_non_local"].to_dict() == {
        "A": 0.0,
        "B": 1.0,
        "C": 0.0,
        "D": 1.0,
        "E": 0.0,
        "F": 0.0,
        "G": 1.0,
    }


# -- G2: accounts opened together with shared contact details --------------------------------------


def test_opened_together_sharing_contact():
    accounts = [
        {
            "account_id": "A",
            "customer_id": "c1",
            "phone": "2135550147",
            "opened_at": "2025-01-10T09:00:00Z",
        },
        {
            "account_id": "B",
            "customer_id": "c2",
            "phone": "(213) 555-0147",
            "opened_at": "2025-01-10T21:00:00Z",
        },
        {
            "account_id": "C",
            "customer_id": "c3",
            "phone": "2135550147",
            "opened_at": "2025-01-13T09:00:00Z",
        },
        {
            "account_id": "D",
            "customer_id": "c1",
            "phone": "2135550147",
            "opened_at": "2025-01-10T09:00:00Z",
        },
        {
            "account_id": "E",
            "customer_id": "c5",
            "email": "x@example.org",
            "opened_at": "2025-02-01T09:00:00Z",
        },
        {
            "account_id": "F",
            "customer_id": "c6",
            "email": "X@example.org",
            "address": "1 Main St",
            "city": "Reno",
            "opened_at": "2025-02-01T10:00:00Z",
        },
        {
            "account_id": "G",
            "customer_id": "c7",
            "address": "1 Main Street, Apt 2",
            "city": "Reno",
            "opened_at": "2025-02-02T09:00:00Z",
        },
    ]
    ctx = make_ctx([tx("A", at(1), 1, "debit", "card")], accounts)
    out = identity.opened_together(ctx, pd.DataFrame(index=ctx.account_ids))
    assert out["opened_with_shared_contact_1d"].to_dict() == {
        "A": 1.0,  # B (D is the same customer)
        "B": 2.0,  # A and D
        "C": 0.0,  # opened three days later
        "D": 1.0,
        "E": 1.0,
        "F": 1.0,  # e-mail with E, address with G: the larger, not the sum
        "G": 1.0,
    }


# -- J4: common landlord ---------------------------------------------------------------------------


def test_landlord_payers_and_flagged_share():
    rows = [
        tx("A", at(10), 500, "debit", "card", mcc=7011, counterparty_name="Sunset Motel"),
        tx("B", at(20), 500, "debit", "card", mcc=7011, counterparty_name="SUNSET MOTEL"),
        tx("C", at(30), 500, "debit", "ach", counterparty_name="Sunset Motel"),
        tx("D", at(70), 500, "debit", "card", mcc=7011, counterparty_name="Sunset Motel"),
        tx("E", at(5), 900, "debit", "ach", counterparty_name="Oak Property Management"),
    ]
    ctx = make_ctx(rows)
    from fintrak.scoring.rules import RuleScorer

    features_in = RuleScorer().fit().features_in_
    base = pd.DataFrame(np.nan, index=ctx.account_ids.rename("account_id"), columns=features_in)
    base.loc["B"] = 1e9  # B reaches review on its own features
    out = identity.landlord_network(ctx, base)
    assert value(out, "A", "landlord_other_payers_60d") == 2
    assert value(out, "A", "landlord_flagged_payer_share_60d") == pytest.approx(1 / 2)
    assert value(out, "B", "landlord_flagged_payer_share_60d") == 0
    assert value(out, "D", "landlord_other_payers_60d") == 0  # paid 70 days ago
    assert_nan(value(out, "D", "landlord_flagged_payer_share_60d"))
    assert value(out, "E", "landlord_other_payers_60d") == 0
    assert_nan(value(out, "E", "landlord_flagged_payer_share_60d"))


# -- J5: storefront networks -----------------------------------------------------------------------


def test_businesses_linked_by_owner_phone_or_address():
    accounts = [
        {"account_id": "A", "account_type": "business", "phone": "2135550147"},
        {
            "account_id": "B",
            "account_type": "business",
            "phone": "213 555 0147",
            "address": "9 Elm St",
            "city": "Reno",
        },
        {
            "account_id": "C",
            "account_type": "business",
            "address": "9 elm street #3",
            "city": "Reno",
        },
        {"account_id": "D", "account_type": "business", "customer_id": "own1"},
        {"account_id": "E", "account_type": "personal", "phone": "2135550147"},
        {"account_id": "F", "account_type": "business", "customer_id": "own1"},
    ]
    ctx = make_ctx([tx("A", at(1), 1, "debit", "card")], accounts)
    base = pd.DataFrame(
        {"biz_risk_sector": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]},
        index=ctx.account_ids.rename("account_id"),
    )
    out = identity.storefront_network(ctx, base)
    assert out["linked_businesses"].to_dict() == {
        "A": 2.0,
        "B": 2.0,
        "C": 2.0,
        "D": 1.0,
        "E": 0.0,
        "F": 1.0,
    }
    assert out["linked_risk_sector_businesses"].to_dict() == {
        "A": 1.0,
        "B": 0.0,
        "C": 1.0,
        "D": 1.0,
        "E": 0.0,
        "F": 1.0,
    }
