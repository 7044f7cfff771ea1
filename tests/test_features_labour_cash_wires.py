"""Tests of the labour, cash, wire and population features, each on a table worked out on paper.

Every table is validated with :func:`fintrak.validation.validate` first, so the features see
canonical frames. The as-of instant is 2025-04-01 00:00 UTC; ``at(d, h)`` is ``d`` days before it
plus ``h`` hours. A 30-day window holds rows with age < 30 days.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fintrak.features import builder, cash, labour, population, wires
from fintrak.features._registry import CALCULATORS, FEATURES
from fintrak.features.context import FeatureContext
from fintrak.validation import validate

AS_OF = pd.Timestamp("2025-04-01T00:00:00Z")
MODULES = {m.__name__ for m in (labour, cash, wires, population)}
MINE = [c for c in CALCULATORS.values() if c.module in MODULES]


def at(days: float, hours: float = 0.0) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days) + pd.Timedelta(hours=hours)


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


def make_ctx(rows, accounts=None, intel=None) -> FeatureContext:
    frame = pd.DataFrame(rows)
    frame.insert(0, "txn_id", [f"t{i}" for i in range(len(frame))])
    result = validate(
        frame,
        None if accounts is None else pd.DataFrame(accounts),
        None if intel is None else pd.DataFrame(intel),
    )
    assert result.rejects.empty, result.rejects.to_dict("records")
    return FeatureContext.build(
        result.tables["transactions"],
        result.tables.get("accounts"),
        result.tables.get("intel"),
        as_of=AS_OF,
    )


def value(frame: pd.DataFrame, account: str, feature: str) -> float:
    return float(frame.loc[account, feature])


def assert_nan(x: float) -> None:
    assert math.isnan(x), x


# -- registry contract -------------------------------------------------------------------------


def test_every_calculator_returns_its_registered_columns_and_counts_are_never_nan():
    rows = [
        tx("A", at(1), 100, "credit", "cash", city="Denver"),
        tx("B", at(2), 50, "debit", "card", mcc=5411),
    ]
    accounts = [{"account_id": "A", "phone": "2135550147", "address": "1 A St", "city": "X"}]
    ctx = make_ctx(rows, accounts, intel=[{"kind": "phone", "value": "213 555 0147"}])
    base = pd.concat([c.func(ctx) for c in MINE if c.level == "account"], axis=1)
    for calc in MINE:
        if builder._missing(calc, ctx) is not None:  # e.g. no intel table here
            continue
        out = calc.func(ctx) if calc.level == "account" else calc.func(ctx, base)
        assert sorted(out.columns) == sorted(calc.specs), calc.name
        assert list(out.index) == list(ctx.account_ids)
        for name, spec in calc.specs.items():
            if spec.kind in ("count", "flag"):
                assert out[name].notna().all(), name


def test_feature_names_used_by_the_typologies_exist():
    expected = [
        "payroll_credits_60d",
        "payroll_sources_60d",
        "wage_passthrough_ratio_60d",
        "wage_out_top_counterparty_share_60d",
        "wage_cash_out_48h_share_60d",
        "recruiter_payments_180d",
        "biz_payroll_to_revenue_90d",
        "biz_sustenance_share_90d",
        "cash_deposits_30d",
        "cash_deposit_cities_30d",
        "cash_deposits_away_from_home_30d",
        "cash_deposit_band_share_30d",
        "hours_deposit_to_withdrawal_median_30d",
        "withdrawal_other_city_share_30d",
        "below_reporting_cash_share_90d",
        "cash_only_no_ach_90d",
        "night_atm_share_30d",
        "deposits_cover_debits_days_90d",
        "small_wires_out_30d",
        "border_transfers_out_30d",
        "transfer_senders_in_30d",
        "corridor_transfers_in_90d",
        "corridor_transfers_out_90d",
        "cash_to_intl_wire_48h_ratio_90d",
        "wire_origin_cities_in_30d",
        "intel_phone_matches",
        "shared_phone_accounts",
        "shared_address_accounts",
        "cash_deposit_peer_z_90d",
        "sustenance_peer_z_30d",
    ]
    assert set(expected) <= set(FEATURES)


def test_missing_optional_column_skips_only_the_calculators_that_need_it():
    ctx = make_ctx([tx("A", at(1), 100, "credit", "cash")])  # no city, mcc, country, names
    skipped = {c.name for c in MINE if builder._missing(c, ctx) is not None}
    assert {"cash_places", "cash_away", "wire_places", "corridor_transfers"} <= skipped
    assert {"cash_amounts", "cash_turnover", "small_wires"}.isdisjoint(skipped)


def test_rows_after_as_of_change_nothing():
    rows = [
        tx("A", at(10), 1000, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("A", at(10, 2), 900, "debit", "p2p", counterparty_name="Boss"),
        tx("A", at(5), 500, "credit", "cash", city="Denver"),
        tx("A", at(5, 1), 500, "debit", "atm", city="Reno"),
    ]
    future = [
        tx("A", at(0, 1), 5000, "credit", "cash", city="Yuma"),
        tx("A", at(0, 2), 5000, "debit", "wire", city="Yuma", country="MX"),
    ]
    now = make_ctx(rows)
    later = make_ctx(rows + future)
    for calc in MINE:
        if calc.level == "account":
            pd.testing.assert_frame_equal(calc.func(now), calc.func(later))


# -- labour -----------------------------------------------------------------------------------


def test_payroll_rule_words_cadence_exclusions_and_window():
    rows = [
        tx("A", at(5), 1000, "credit", "ach", counterparty_name="ACME CORP PAYROLL"),
        # a regular payer without a payroll word: 30 days apart -> both are payroll
        tx("A", at(50), 500, "credit", "ach", counterparty_name="NORTH CO"),
        tx("A", at(20), 500, "credit", "ach", counterparty_name="NORTH CO"),
        # regular but a card-processor payout -> not wages
        tx("A", at(40), 300, "credit", "ach", counterparty_name="STRIPE TRANSFER"),
        tx("A", at(30), 300, "credit", "ach", counterparty_name="STRIPE TRANSFER"),
        # 4 days apart -> not a pay cadence; a one-off gift; a P2P "payroll" is not ACH
        tx("A", at(58), 80, "credit", "ach", counterparty_name="QUICK CO"),
        tx("A", at(54), 80, "credit", "ach", counterparty_name="QUICK CO"),
        tx("A", at(3), 50, "credit", "ach", counterparty_name="Aunt May"),
        tx("A", at(2), 50, "credit", "p2p", counterparty_name="FRIEND PAYROLL"),
        # window edge: exactly 60 days old is out, 59.9 is in
        tx("B", at(60), 700, "credit", "ach", counterparty_name="ADP WAGE PAY"),
        tx("B", at(59.9), 700, "credit", "ach", counterparty_name="ADP WAGE PAY"),
        # several employees' salaries from one employer on one day
        tx("D", at(10), 400, "credit", "ach", counterparty_name="FARM LLC PAYROLL"),
        tx("D", at(10, 1), 400, "credit", "ach", counterparty_name="FARM LLC PAYROLL"),
        tx("D", at(10, 2), 400, "credit", "ach", counterparty_name="FARM LLC PAYROLL"),
        tx("C", at(1), 20, "debit", "card", mcc=5411),
    ]
    out = labour.wages(make_ctx(rows))
    assert value(out, "A", "payroll_credits_60d") == 3
    assert value(out, "A", "payroll_sources_60d") == 2
    assert value(out, "B", "payroll_credits_60d") == 1
    assert value(out, "D", "payroll_credits_60d") == 3
    assert value(out, "D", "payroll_sources_60d") == 1
    assert value(out, "D", "payroll_same_day_duplicates_60d") == 2
    assert value(out, "A", "payroll_same_day_duplicates_60d") == 0
    assert value(out, "C", "payroll_credits_60d") == 0
    assert_nan(value(out, "C", "wage_passthrough_ratio_60d"))


def test_wage_passthrough_top_counterparty_and_cash_out():
    pay = at(10)
    rows = [
        tx("E", at(11), 999, "debit", "p2p", counterparty_name="Boss Man"),  # before payday
        tx("E", pay, 1000, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("E", at(10, 1), 50, "debit", "card", counterparty_name="GROCER", mcc=5411),
        tx("E", at(10, 2), 600, "debit", "p2p", counterparty_name="Boss Man"),
        tx("E", at(10, 30), 200, "debit", "atm"),
        tx("E", at(10, 49), 100, "debit", "p2p", counterparty_name="Boss Man"),  # after 48 h
        # capped at 1
        tx("F", at(5), 100, "credit", "ach", counterparty_name="ACME PAYROLL"),
        tx("F", at(5, 3), 500, "debit", "wire", counterparty_name="Recruiter X"),
        # payroll that stays in the account
        tx("G", at(5), 100, "credit", "ach", counterparty_name="ACME PAYROLL"),
    ]
    out = labour.wages(make_ctx(rows))
    assert value(out, "E", "wage_passthrough_ratio_60d") == pytest.approx(0.8)
    assert value(out, "E", "wage_out_top_counterparty_share_60d") == pytest.approx(0.75)
    assert value(out, "E", "wage_to_top_counterparty_ratio_60d") == pytest.approx(0.6)
    assert value(out, "E", "wage_cash_out_48h_share_60d") == pytest.approx(0.2)
    assert value(out, "F", "wage_passthrough_ratio_60d") == 1.0
    assert value(out, "F", "wage_out_top_counterparty_share_60d") == 1.0
    assert value(out, "F", "wage_to_top_counterparty_ratio_60d") == 1.0
    assert value(out, "G", "wage_passthrough_ratio_60d") == 0.0
    assert value(out, "G", "wage_cash_out_48h_share_60d") == 0.0
    assert_nan(value(out, "G", "wage_out_top_counterparty_share_60d"))


def test_recruiter_payments_by_mcc_or_name_not_card_network_or_insurance_agency():
    rows = [
        tx("A", at(10), 300, "debit", "card", mcc=7361, counterparty_name="JOBS4U"),
        tx("A", at(20), 900, "debit", "p2p", counterparty_name="GLOBAL RECRUITMENT SERVICES"),
        tx("A", at(30), 150, "debit", "wire", counterparty_name="Overseas Employment Agency"),
        tx("A", at(25), 40, "debit", "card", counterparty_name="VISA DIRECT", mcc=6012),
        tx("A", at(25), 90, "debit", "ach", counterparty_name="STATE FARM INSURANCE AGENCY"),
        tx("A", at(181), 500, "debit", "ach", counterparty_name="ABC STAFFING"),
        tx("A", at(5), 500, "credit", "ach", counterparty_name="XYZ STAFFING"),
        tx("B", at(5), 5, "debit", "card", counterparty_name="CAFE"),
    ]
    out = labour.recruiters(make_ctx(rows))
    assert value(out, "A", "recruiter_payments_180d") == 3
    assert value(out, "B", "recruiter_payments_180d") == 0


def _business_rows(account):
    rows = [
        tx(account, at(40), 10000, "credit", "ach", counterparty_name="CUSTOMER A"),
        tx(account, at(95), 5000, "credit", "ach", counterparty_name="CUSTOMER A"),  # out
        tx(account, at(20), 2000, "debit", "ach", counterparty_name="GUSTO PAYROLL"),
        tx(account, at(25), 90, "debit", "ach", counterparty_name="UTILITY CO"),
        tx(account, at(2), 90, "debit", "ach", counterparty_name="UTILITY CO"),
    ]
    for worker in ("Ana Diaz", "Luis Gomez", "Mei Chen"):  # two payroll runs, 14 days apart
        rows.append(tx(account, at(30), 500, "debit", "ach", counterparty_name=worker))
        rows.append(tx(account, at(16), 500, "debit", "ach", counterparty_name=worker))
    return rows


def test_business_payroll_to_revenue():
    accounts = [
        {"account_id": "BIZ", "account_type": "business"},
        {"account_id": "PER", "account_type": "personal"},
        {"account_id": "UNK"},
    ]
    rows = _business_rows("BIZ") + _business_rows("PER") + _business_rows("UNK")
    rows.append(tx("BIZ2", at(3), 10, "debit", "card"))
    accounts.append({"account_id": "BIZ2", "account_type": "business"})
    out = labour.business_payroll(make_ctx(rows, accounts))
    assert value(out, "BIZ", "biz_payroll_to_revenue_90d") == pytest.approx(0.5)
    assert_nan(value(out, "PER", "biz_payroll_to_revenue_90d"))
    assert_nan(value(out, "UNK", "biz_payroll_to_revenue_90d"))
    assert_nan(value(out, "BIZ2", "biz_payroll_to_revenue_90d"))  # no credits


def test_business_sustenance_share():
    accounts = [
        {"account_id": "BIZ", "account_type": "business"},
        {"account_id": "PER", "account_type": "personal"},
    ]
    rows = []
    for account in ("BIZ", "PER"):
        rows += [
            tx(account, at(10), 300, "debit", "card", mcc=7011),
            tx(account, at(11), 100, "debit", "card", mcc=4121),
            tx(account, at(12), 100, "debit", "card", mcc=5814),
            tx(account, at(13), 500, "debit", "card", mcc=5045),
            tx(account, at(95), 900, "debit", "card", mcc=7011),
        ]
    out = labour.business_sustenance(make_ctx(rows, accounts))
    assert value(out, "BIZ", "biz_sustenance_share_90d") == pytest.approx(0.5)
    assert_nan(value(out, "PER", "biz_sustenance_share_90d"))


# -- cash -------------------------------------------------------------------------------------


def test_cash_amounts_bands_reporting_threshold_per_currency_and_cash_only_flag():
    rows = [
        # USD: band is AUD 200-800 = USD 130-520; reporting band is [8000, 10000)
        tx("U", at(5), 9000, "credit", "cash"),
        tx("U", at(5), 10000, "credit", "cash"),
        tx("U", at(5), 8000, "credit", "atm"),
        tx("U", at(5), 7999.99, "credit", "cash"),
        tx("U", at(5), 300, "credit", "atm"),
        tx("U", at(5), 100, "credit", "atm"),
        tx("U", at(40), 9500, "credit", "cash"),
        tx("U", at(4), 9500, "debit", "cash"),  # a withdrawal is not a deposit
        # CAD: band is CAD 178.08-712.33; reporting threshold is CAD 10,000
        tx("K", at(3), 9000, "credit", "cash", currency="CAD"),
        tx("K", at(3), 700, "credit", "atm", currency="CAD"),
        tx("K", at(3), 150, "credit", "atm", currency="CAD"),
        tx("K", at(3), 900, "credit", "ach", currency="CAD", counterparty_name="EMPLOYER"),
        # six deposits; the only ACH credit is 91 days old
        *[tx("V", at(d), 100, "credit", "atm") for d in range(1, 7)],
        tx("V", at(91), 900, "credit", "ach", counterparty_name="EMPLOYER"),
        # five deposits only
        *[tx("W", at(d), 100, "credit", "atm") for d in range(1, 6)],
        tx("N", at(1), 20, "debit", "card"),
    ]
    out = cash.cash_amounts(make_ctx(rows))
    assert value(out, "U", "cash_deposits_30d") == 6
    assert value(out, "U", "cash_deposit_band_share_30d") == pytest.approx(1 / 6)
    assert value(out, "U", "below_reporting_cash_share_90d") == pytest.approx(3 / 7)
    assert value(out, "U", "cash_deposit_total_90d") == pytest.approx(44899.99)
    assert value(out, "U", "cash_only_no_ach_90d") == 1
    assert value(out, "K", "cash_deposit_band_share_30d") == pytest.approx(1 / 3)
    assert value(out, "K", "below_reporting_cash_share_90d") == pytest.approx(1 / 3)
    assert value(out, "K", "cash_only_no_ach_90d") == 0
    assert value(out, "V", "cash_only_no_ach_90d") == 1
    assert value(out, "W", "cash_only_no_ach_90d") == 0
    assert value(out, "N", "cash_deposits_30d") == 0
    assert value(out, "N", "cash_deposit_total_90d") == 0
    assert_nan(value(out, "N", "cash_deposit_band_share_30d"))
    assert_nan(value(out, "N", "below_reporting_cash_share_90d"))


def test_hours_from_deposit_to_withdrawal_median():
    rows = [
        tx("X", at(31), 500, "credit", "cash"),  # outside the window
        tx("X", at(31, 1), 500, "debit", "atm"),
        tx("X", at(10), 500, "credit", "cash"),
        tx("X", at(10, 1), 20, "debit", "card"),  # a purchase is not moving the cash out
        tx("X", at(10, 5), 400, "debit", "atm"),
        tx("X", at(5), 500, "credit", "atm"),
        tx("X", at(5, 20), 400, "debit", "p2p", counterparty_name="Kim"),
        tx("X", at(2), 500, "credit", "cash"),  # nothing follows: not in the median
        tx("Y", at(3), 500, "credit", "cash"),
        tx("Y", at(2), 50, "debit", "card"),
    ]
    out = cash.cash_turnover(make_ctx(rows))
    assert value(out, "X", "hours_deposit_to_withdrawal_median_30d") == pytest.approx(12.5)
    assert_nan(value(out, "Y", "hours_deposit_to_withdrawal_median_30d"))


def test_deposits_just_covering_the_next_three_days_of_debits():
    day20 = pd.Timestamp("2025-03-12T09:00:00Z")
    day10 = pd.Timestamp("2025-03-22T09:00:00Z")
    day5 = pd.Timestamp("2025-03-27T09:00:00Z")
    h = pd.Timedelta(hours=1)
    rows = [
        tx("Y", day20, 1000, "credit", "cash"),
        tx("Y", day20 + 10 * h, 600, "debit", "ach", counterparty_name="RENT"),
        tx("Y", day20 + 72 * h, 400, "debit", "card"),  # exactly 72 h: inside
        tx("Y", day20 + 73 * h, 999, "debit", "card"),  # after 72 h
        tx("Y", day10, 500, "credit", "cash"),  # next 72 h: 530, off by 6%
        tx("Y", day10 + 2 * h, 530, "debit", "card"),
        tx("Y", day5, 1000, "credit", "atm"),  # next 72 h: 1040 then 1040, within 5%
        tx("Y", day5 + 1 * h, 1000, "credit", "atm"),  # same day: counted once
        tx("Y", day5 + 2 * h, 1040, "debit", "p2p", counterparty_name="Kim"),
        tx("Z", day5, 1000, "credit", "cash"),  # no debits at all
        tx("Q", at(100), 1000, "credit", "cash"),  # outside 90 days
        tx("Q", at(100, 1), 1000, "debit", "atm"),
    ]
    out = cash.cash_turnover(make_ctx(rows))
    assert value(out, "Y", "deposits_cover_debits_days_90d") == 2
    assert value(out, "Z", "deposits_cover_debits_days_90d") == 0
    assert value(out, "Q", "deposits_cover_debits_days_90d") == 0


def test_cash_cities_withdrawals_elsewhere_and_away_from_home():
    rows = [
        tx("Z", at(40), 100, "credit", "cash", city="Austin"),  # before the window
        tx("Z", at(27), 100, "debit", "atm", city="Boston"),  # no deposit before it in window
        tx("Z", at(25), 100, "credit", "cash", city="El Paso"),
        tx("Z", at(24), 100, "debit", "atm", city="Los Angeles"),  # other city
        tx("Z", at(20), 100, "credit", "atm", city="Denver"),
        tx("Z", at(19), 100, "debit", "atm", city="denver"),  # same city
        tx("Z", at(18), 100, "debit", "atm"),  # city unknown
        tx("Z", at(15), 100, "credit", "cash", city="el paso "),
        tx("Z", at(14), 100, "debit", "cash", city="Denver"),  # other city
        tx("H", at(5), 100, "credit", "cash", city="Reno"),  # home city unknown
        tx("N", at(5), 100, "debit", "atm", city="Reno"),
    ]
    accounts = [{"account_id": "Z", "city": "EL PASO"}, {"account_id": "H"}]
    ctx = make_ctx(rows, accounts)
    out = cash.cash_places(ctx)
    assert value(out, "Z", "cash_deposit_cities_30d") == 2
    assert value(out, "Z", "withdrawal_other_city_share_30d") == pytest.approx(2 / 3)
    assert value(out, "N", "cash_deposit_cities_30d") == 0
    assert_nan(value(out, "N", "withdrawal_other_city_share_30d"))
    away = cash.cash_away(ctx)
    assert value(away, "Z", "cash_deposits_away_from_home_30d") == 1
    assert value(away, "H", "cash_deposits_away_from_home_30d") == 0


def test_night_atm_share_on_the_local_clock():
    # 2025-03-20 is after the DST switch: Los Angeles is UTC-7
    rows = [
        tx("L", pd.Timestamp("2025-03-20T06:30:00Z"), 100, "debit", "atm"),  # 23:30 local
        tx("L", pd.Timestamp("2025-03-20T12:59:00Z"), 100, "credit", "atm"),  # 05:59 local
        tx("L", pd.Timestamp("2025-03-20T13:00:00Z"), 100, "debit", "atm"),  # 06:00 local
        tx("L", pd.Timestamp("2025-03-21T06:30:00Z"), 100, "debit", "card"),  # not an ATM
        tx("L", pd.Timestamp("2025-02-20T07:30:00Z"), 100, "debit", "atm"),  # 39 days ago
        tx("M", pd.Timestamp("2025-03-20T06:30:00Z"), 100, "debit", "card"),
    ]
    accounts = [
        {"account_id": "L", "timezone": "America/Los_Angeles"},
        {"account_id": "M", "timezone": "America/Los_Angeles"},
    ]
    out = cash.night_atm(make_ctx(rows, accounts))
    assert value(out, "L", "night_atm_share_30d") == pytest.approx(2 / 3)
    assert_nan(value(out, "M", "night_atm_share_30d"))


# -- wires ------------------------------------------------------------------------------------


def test_small_wires_below_the_threshold_in_each_currency():
    rows = [
        tx("U", at(1), 2999.99, "debit", "wire"),
        tx("U", at(2), 3000, "debit", "wire"),
        tx("U", at(29.9), 500, "debit", "wire"),
        tx("U", at(30), 100, "debit", "wire"),  # exactly 30 days: outside
        tx("U", at(3), 100, "credit", "wire"),
        tx("U", at(3), 100, "debit", "p2p"),
        tx("K", at(1), 4000, "debit", "wire", currency="CAD"),  # CAD limit 4109.59
        tx("K", at(1), 4200, "debit", "wire", currency="CAD"),
        tx("N", at(1), 10, "debit", "card"),
    ]
    out = wires.small_wires(make_ctx(rows))
    assert value(out, "U", "small_wires_out_30d") == 2
    assert value(out, "K", "small_wires_out_30d") == 1
    assert value(out, "N", "small_wires_out_30d") == 0


def test_border_transfers_and_wire_origin_cities():
    rows = [
        tx("B", at(1), 900, "debit", "wire", city="El Paso"),
        tx("B", at(2), 900, "debit", "p2p", city="Ciudad Juárez"),
        tx("B", at(3), 900, "debit", "wire", city="TIJUANA, BC"),
        tx("B", at(4), 900, "debit", "card", city="El Paso"),
        tx("B", at(5), 900, "debit", "wire", city="Denver"),
        tx("B", at(31), 900, "debit", "wire", city="Laredo"),
        tx("B", at(6), 900, "credit", "wire", city="Yuma"),
        tx("B", at(7), 900, "credit", "wire", city="yuma"),
        tx("B", at(8), 900, "credit", "wire", city="Phoenix"),
        tx("B", at(9), 900, "credit", "wire"),
        tx("B", at(10), 900, "credit", "p2p", city="Tucson"),
        tx("N", at(1), 10, "debit", "card", city="Reno"),
    ]
    out = wires.wire_places(make_ctx(rows))
    assert value(out, "B", "border_transfers_out_30d") == 3
    assert value(out, "B", "wire_origin_cities_in_30d") == 2
    assert value(out, "N", "border_transfers_out_30d") == 0
    assert value(out, "N", "wire_origin_cities_in_30d") == 0


def test_distinct_transfer_senders():
    rows = [
        tx("S", at(1), 50, "credit", "p2p", counterparty_name="Ann"),
        tx("S", at(2), 50, "credit", "p2p", counterparty_name="ann "),  # same sender
        tx("S", at(3), 50, "credit", "p2p", counterparty_name="Bob"),
        tx("S", at(4), 50, "credit", "wire", counterparty_name="Carl"),
        tx("S", at(5), 50, "credit", "cash", counterparty_id="ACC9"),  # identified depositor
        tx("S", at(6), 50, "credit", "cash", counterparty_name="BRANCH 12"),  # only the branch
        tx("S", at(7), 50, "debit", "p2p", counterparty_name="Dan"),
        tx("S", at(31), 50, "credit", "p2p", counterparty_name="Eve"),
        tx("N", at(1), 10, "debit", "card", counterparty_name="CAFE"),
    ]
    out = wires.transfer_senders(make_ctx(rows))
    assert value(out, "S", "transfer_senders_in_30d") == 4
    assert value(out, "N", "transfer_senders_in_30d") == 0


def test_corridor_transfers_in_and_out():
    rows = [
        tx("C", at(1), 300, "credit", "wire", country="MX"),
        tx("C", at(2), 300, "credit", "wire", country="GT"),
        tx("C", at(3), 300, "credit", "wire", country="US"),
        tx("C", at(4), 300, "credit", "p2p", country="MX"),
        tx("C", at(5), 300, "debit", "wire", country="HN"),
        tx("C", at(6), 300, "debit", "card", country="SV", mcc=4829),
        tx("C", at(7), 300, "debit", "card", country="MX", mcc=5411),
        tx("C", at(91), 300, "debit", "wire", country="MX"),
        tx("N", at(1), 10, "debit", "card", country="US"),
    ]
    out = wires.corridor_transfers(make_ctx(rows))
    assert value(out, "C", "corridor_transfers_in_90d") == 2
    assert value(out, "C", "corridor_transfers_out_90d") == 2
    assert value(out, "N", "corridor_transfers_out_90d") == 0


def test_cash_then_wire_abroad_within_48_hours():
    rows = [
        tx("H", at(10), 1000, "credit", "cash"),
        tx("H", at(10, 10), 600, "debit", "wire", country="MX"),
        tx("H", at(10, 12), 300, "debit", "wire", country="US"),  # domestic
        tx("H", at(10, 47), 200, "debit", "card", country="GT", mcc=4829),
        tx("H", at(10, 49), 100, "debit", "wire", country="GT"),  # too late
        tx("J", at(5), 100, "credit", "atm"),
        tx("J", at(5, 1), 500, "debit", "wire", country="IN"),
        tx("N", at(5), 500, "debit", "wire", country="MX"),
        tx("Q", at(5), 100, "credit", "cash"),  # home country unknown
        tx("Q", at(5, 1), 100, "debit", "wire", country="MX"),
    ]
    accounts = [{"account_id": a, "country": "US"} for a in ("H", "J", "N")] + [{"account_id": "Q"}]
    out = wires.cash_to_foreign_wires(make_ctx(rows, accounts))
    assert value(out, "H", "cash_to_intl_wire_48h_ratio_90d") == pytest.approx(0.8)
    assert value(out, "J", "cash_to_intl_wire_48h_ratio_90d") == 1.0
    assert_nan(value(out, "N", "cash_to_intl_wire_48h_ratio_90d"))
    assert value(out, "Q", "cash_to_intl_wire_48h_ratio_90d") == 0.0


# -- population -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["(213) 555-0147", "+1 213.555.0147", "call 2I3 555 O147", "1-213-555-0147", "2135550147"],
)
def test_phone_formats_that_match(written):
    assert population.phone_digits(pd.Series([written])).iloc[0] == "2135550147"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("213-555-0148", "2135550148"),  # another number
        ("555-0147", None),  # too short to be a whole number
        ("lol 213 555 014", None),  # letters of words are not digits; 9 digits left
        ("", None),
    ],
)
def test_phone_formats_that_do_not_match(written, expected):
    assert population.phone_digits(pd.Series([written])).iloc[0] == expected


def test_intel_phone_matches_and_shared_phones():
    accounts = [
        {"account_id": "A", "customer_id": "C1", "phone": "(213) 555-0147"},
        {"account_id": "B", "customer_id": "C2", "phone": "+1 213.555.0147"},
        {"account_id": "F", "customer_id": "C1", "phone": "213 555 0147"},  # A's own 2nd account
        {"account_id": "C", "customer_id": "C3", "phone": "213-555-0148"},
        {"account_id": "D", "customer_id": "C4"},
        {"account_id": "E", "customer_id": "C5", "phone": "555-0147"},
    ]
    intel = [
        {"kind": "phone", "value": "call 2I3 555 O147", "first_seen": "2025-01-01T00:00:00Z"},
        {"kind": "phone", "value": "+1 (213) 555-0147"},
        {"kind": "phone", "value": "213 555 0148", "first_seen": "2025-05-01T00:00:00Z"},
        {"kind": "email", "value": "2135550147@example.com"},
    ]
    ctx = make_ctx([tx("A", at(1), 10, "debit", "card")], accounts, intel)
    out = population.intel_phones(ctx, pd.DataFrame(index=ctx.account_ids))
    assert out["intel_phone_matches"].to_dict() == {
        "A": 2.0,
        "B": 2.0,
        "C": 0.0,  # its only record was first seen after as-of
        "D": 0.0,
        "E": 0.0,
        "F": 2.0,
    }
    shared = population.shared_phones(ctx, pd.DataFrame(index=ctx.account_ids))
    assert shared["shared_phone_accounts"].to_dict() == {
        "A": 1.0,
        "B": 2.0,
        "C": 0.0,
        "D": 0.0,
        "E": 0.0,
        "F": 1.0,
    }


def test_shared_addresses_ignore_case_punctuation_and_units():
    accounts = [
        {"account_id": "A", "address": "12 Main St., Apt 4B", "city": "Reno"},
        {"account_id": "B", "address": "12 main street #7", "city": "RENO"},
        {"account_id": "C", "address": "12 Main Street Unit 9", "city": "Reno"},
        {"account_id": "D", "address": "12 Main St", "city": "Boise"},
        {"account_id": "E", "address": "14 Main St", "city": "Reno"},
        {"account_id": "G", "city": "Reno"},
    ]
    ctx = make_ctx([tx("A", at(1), 10, "debit", "card")], accounts)
    out = population.shared_addresses(ctx, pd.DataFrame(index=ctx.account_ids))
    assert out["shared_address_accounts"].to_dict() == {
        "A": 2.0,
        "B": 2.0,
        "C": 2.0,
        "D": 0.0,
        "E": 0.0,
        "G": 0.0,
    }


def test_peer_z_groups_fallbacks_zero_mad_and_clip():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 5.0, np.nan])
    fine = pd.Series(["a", "a", "a", "a", "a", "b", "b", "a"])
    z = population.peer_z(values, [fine], min_size=5)
    # group a (5 values): median 3, MAD 1 -> scale 1.4826
    assert z.iloc[0] == pytest.approx(-2 / 1.4826)
    assert z.iloc[4] == 20.0  # clipped
    # group b has 2 members -> everyone: median 4, MAD 1
    assert z.iloc[5] == pytest.approx(1 / 1.4826)
    assert math.isnan(z.iloc[7])
    # MAD 0 -> 1.2533 x mean absolute deviation; all equal -> 0
    zeros = pd.Series([0.0, 0.0, 0.0, 0.0, 10.0])
    assert population.peer_z(zeros, [], min_size=1).iloc[4] == pytest.approx(10 / (1.2533 * 2.0))
    assert population.peer_z(pd.Series([3.0] * 4), [], min_size=1).tolist() == [0.0] * 4


def test_peer_scores_use_occupation_then_account_type_and_skip_missing_inputs():
    accounts = [
        {"account_id": f"P{i:02d}", "occupation": "Cook", "account_type": "personal"}
        for i in range(20)
    ] + [{"account_id": "Z", "occupation": "Pilot", "account_type": "personal"}]
    ctx = make_ctx([tx("P00", at(1), 10, "debit", "card")], accounts)
    totals = pd.Series([float(i) for i in range(20)] + [100.0], index=ctx.account_ids)
    base = pd.DataFrame({"cash_deposit_total_90d": totals})
    out = population.peer_scores(ctx, base)
    # cooks: 20 peers, median 9.5, MAD 5 -> P19 is (19 - 9.5) / 7.413
    assert value(out, "P19", "cash_deposit_peer_z_90d") == pytest.approx(9.5 / (1.4826 * 5))
    # the lone pilot falls back to all 21 personal accounts: median 10, MAD 5
    assert value(out, "Z", "cash_deposit_peer_z_90d") == pytest.approx(90 / (1.4826 * 5))
    assert out["sustenance_peer_z_30d"].isna().all()


# -- smoke test on the synthetic bank ---------------------------------------------------------


@pytest.fixture(scope="module")
def synth_features():
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=400, months=2, seed=3, prevalence=0.1))
    ctx = FeatureContext.build(bank.transactions, bank.accounts, bank.intel)
    base = pd.concat([c.func(ctx) for c in MINE if c.level == "account"], axis=1)
    pop = [c.func(ctx, base) for c in MINE if c.level == "population"]
    frame = pd.concat([base, *pop], axis=1)
    labels = bank.labels.set_index("account_id").reindex(frame.index).astype(object)
    role = labels["typology"] + ":" + labels["role"]
    frame["group"] = role.where(labels["role"].notna(), labels["segment"])
    return frame


@pytest.mark.parametrize(
    ("group", "feature"),
    [
        ("labour_trafficking:worker", "wage_passthrough_ratio_60d"),
        ("labour_trafficking:worker", "wage_out_top_counterparty_share_60d"),
        ("labour_trafficking:worker", "wage_cash_out_48h_share_60d"),
        ("labour_trafficking:worker", "recruiter_payments_180d"),
        ("funnel:funnel", "cash_deposit_cities_30d"),
        ("funnel:funnel", "cash_deposits_away_from_home_30d"),
        ("funnel:funnel", "withdrawal_other_city_share_30d"),
        ("funnel:funnel", "deposits_cover_debits_days_90d"),
        ("funnel:funnel", "cash_only_no_ach_90d"),
        ("funnel:funnel", "cash_deposit_peer_z_90d"),
        ("funnel:coordinator", "transfer_senders_in_30d"),
        ("human_smuggling:sender", "small_wires_out_30d"),
        ("human_smuggling:sender", "border_transfers_out_30d"),
        ("human_smuggling:sender", "corridor_transfers_out_90d"),
    ],
)
def test_synthetic_roles_score_higher_than_ordinary_accounts(synth_features, group, feature):
    frame = synth_features
    assert (frame["group"] == group).any(), group
    ours = frame.loc[frame["group"] == group, feature].fillna(0).mean()
    ordinary = frame.loc[frame["group"] == "ordinary", feature].fillna(0).mean()
    assert ours > ordinary, (group, feature, ours, ordinary)


def test_shared_beneficiary_counts_other_customers_wiring_the_same_payee():
    def wire(account, days, name, city, direction="debit"):
        return tx(account, at(days), 900, direction, "wire", counterparty_name=name, city=city)

    rows = [
        wire("A", 5, "Maria Vasquez", "McAllen"),
        wire("B", 20, "MARIA  VASQUEZ.", "mcallen"),  # same payee, other spelling
        wire("C", 170, "Maria Vasquez", "McAllen"),
        wire("D", 200, "Maria Vasquez", "McAllen"),  # outside 180 days: not counted
        wire("E", 3, "Maria Vasquez", "Laredo"),  # another city: another beneficiary
        wire("F", 3, "Maria Vasquez", "McAllen", direction="credit"),  # incoming: not a payment
        wire("G", 4, "Maria Vasquez", "McAllen"),  # G and H are one customer: count once
        wire("H", 6, "Maria Vasquez", "McAllen"),
        tx("I", at(2), 50, "debit", "card", counterparty_name="Maria Vasquez", city="McAllen"),
    ]
    accounts = [{"account_id": a} for a in "ABCDEFI"] + [
        {"account_id": "G", "customer_id": "K1"},
        {"account_id": "H", "customer_id": "K1"},
    ]
    ctx = make_ctx(rows, accounts)
    out = population.shared_beneficiaries(ctx, pd.DataFrame(index=ctx.account_ids))
    got = out["shared_beneficiary_senders_180d"].to_dict()
    # senders of (maria vasquez, mcallen) in 180 days: customers A, B, C, K1 -> 4
    assert got == {
        "A": 3.0,
        "B": 3.0,
        "C": 3.0,
        "D": 0.0,
        "E": 0.0,
        "F": 0.0,
        "G": 3.0,
        "H": 3.0,
        "I": 0.0,
    }
