"""Sex-trafficking and logistics features: ads, P2P, lodging and travel, spending, geography.

Each calculator runs on a tiny hand-made bank whose expected values were worked out on paper
(window edges, local clocks, NaN versus 0, thresholds in each currency); a smoke test runs them
all on a small synthetic bank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fintrak.features import (
    CALCULATORS,
    FEATURES,
    FeatureContext,
    ads,
    geography,
    lodging_travel,
    p2p,
    spending,
)
from fintrak.features.builder import _missing
from fintrak.schema import TRANSACTIONS
from fintrak.validation import validate

MODULES = (ads, geography, lodging_travel, p2p, spending)
MINE = {
    name: calc for name, calc in CALCULATORS.items() if calc.module in {m.__name__ for m in MODULES}
}
AS_OF = pd.Timestamp("2025-03-31T00:00:00Z")


def ago(days: float) -> str:
    """ISO timestamp ``days`` before AS_OF."""
    return (AS_OF - pd.Timedelta(days=days)).isoformat()


def bank(rows: list[dict], accounts: list[dict] | None = None, as_of=AS_OF) -> FeatureContext:
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
    return FeatureContext.build(tables["transactions"], tables.get("accounts"), as_of=as_of)


def run(calc, ctx: FeatureContext) -> pd.DataFrame:
    out = calc(ctx)
    assert list(out.index) == list(ctx.account_ids)
    return out


def nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- registry contract -----------------------------------------------------------------------------

BRIEF = {
    "ad_payments_30d", "ad_spend_30d", "ad_small_multiple_share_30d", "ad_merchants_30d",
    "ad_foreign_payments_30d", "p2p_payers_30d", "p2p_new_payers_30d",
    "p2p_memo_keyword_share_30d", "p2p_service_band_share_30d", "night_p2p_credit_share_30d",
    "forward_ratio_48h_30d", "outflow_top_counterparty_share_30d", "sweep_out_share_30d",
    "lodging_charges_30d", "lodging_cities_14d", "lodging_spend_30d",
    "lodging_max_charges_per_day_30d", "lodging_home_city_charges_30d", "travel_tickets_30d",
    "rideshare_charges_30d", "night_rideshare_share_30d", "fastfood_charges_30d",
    "personal_care_charges_30d", "phone_topups_30d", "sustenance_spend_share_30d",
    "essential_spend_share_60d", "gambling_luxury_share_90d", "prepaid_loads_30d",
    "adult_venue_night_charges_30d", "card_cities_7d", "card_cities_30d",
    "away_from_home_share_30d", "city_switch_rate_30d",
}  # fmt: skip


def test_every_promised_feature_is_registered():
    mine = {name for calc in MINE.values() for name in calc.specs}
    assert mine >= BRIEF
    assert FEATURES["essential_spend_share_60d"].higher_is_riskier is False


@pytest.mark.parametrize("name", sorted(BRIEF))
def test_window_in_name_matches_spec(name):
    spec = FEATURES[name]
    days = int(name.rsplit("_", 1)[1].rstrip("dh"))
    assert pd.Timedelta(spec.window) == pd.Timedelta(days=days)
    assert spec.explain(1.0, 0.0)


# -- ads -------------------------------------------------------------------------------------------


def test_ad_payments_window_multiples_and_currency_thresholds():
    rows = [
        # A (USD): 4 ad payments in the window
        {"account_id": "A", "timestamp": ago(1), "amount": 12.0,
         "counterparty_name": "BACKPAGE.COM"},
        {"account_id": "A", "timestamp": ago(10), "amount": 45.5, "mcc": 7311,
         "counterparty_name": "ACME MEDIA"},
        {"account_id": "A", "timestamp": ago(20), "amount": 24.0,
         "counterparty_name": "SkipTheGames"},
        {"account_id": "A", "timestamp": ago(30 - 1e-5), "amount": 50.0, "mcc": 7311,
         "counterparty_name": "acme media "},
        {"account_id": "A", "timestamp": ago(30), "amount": 3.0,
         "counterparty_name": "BACKPAGE.COM"},  # exactly 30 days before: out
        {"account_id": "A", "timestamp": ago(2), "amount": 12.0, "direction": "credit",
         "counterparty_name": "BACKPAGE.COM"},  # refund: not a payment
        {"account_id": "A", "timestamp": ago(2), "amount": 9.0, "mcc": 5814,
         "counterparty_name": "BURGER"},  # not an ad
        # B (CAD): small fee threshold is 30 USD = 41.10 CAD
        {"account_id": "B", "timestamp": ago(1), "amount": 40.0, "currency": "CAD",
         "counterparty_name": "LEOLIST"},
        {"account_id": "B", "timestamp": ago(1), "amount": 41.5, "currency": "CAD",
         "counterparty_name": "LEOLIST"},
        # C (USD): 40 USD is above the 30 USD fee and not a multiple of 3
        {"account_id": "C", "timestamp": ago(1), "amount": 40.0, "counterparty_name": "LEOLIST"},
        # D: no ad payment
        {"account_id": "D", "timestamp": ago(1), "amount": 40.0, "counterparty_name": "GROCER"},
    ]  # fmt: skip
    out = run(ads.ad_payments, bank(rows))
    assert out.loc["A"].tolist() == [4.0, 131.5, 0.5, 3.0]
    assert out.loc["B", "ad_small_multiple_share_30d"] == 0.5
    assert out.loc["C", "ad_small_multiple_share_30d"] == 0.0
    assert out.loc["D", ["ad_payments_30d", "ad_spend_30d", "ad_merchants_30d"]].tolist() == [
        0,
        0,
        0,
    ]
    assert nan(out.loc["D", "ad_small_multiple_share_30d"])


def test_ad_merchants_counts_distinct_descriptors():
    rows = [
        {"account_id": "A", "timestamp": ago(1), "counterparty_name": "BACKPAGE.COM"},
        {"account_id": "A", "timestamp": ago(2), "counterparty_name": "backpage.com"},
        {"account_id": "A", "timestamp": ago(3), "counterparty_name": "TRYST.LINK"},
        {"account_id": "A", "timestamp": ago(4), "mcc": 4816, "counterparty_name": "HOSTCO"},
    ]
    assert run(ads.ad_payments, bank(rows)).loc["A", "ad_merchants_30d"] == 3.0


def test_ad_foreign_payments_need_both_countries():
    rows = [
        {"account_id": "A", "timestamp": ago(1), "counterparty_name": "LEOLIST", "country": "CA"},
        {"account_id": "A", "timestamp": ago(2), "counterparty_name": "LEOLIST", "country": "US"},
        {"account_id": "A", "timestamp": ago(3), "counterparty_name": "LEOLIST"},  # unknown
        {"account_id": "A", "timestamp": ago(31), "counterparty_name": "LEOLIST", "country": "CA"},
        {"account_id": "A", "timestamp": ago(1), "counterparty_name": "CAFE", "country": "CA"},
        {"account_id": "B", "timestamp": ago(1), "counterparty_name": "LEOLIST", "country": "CA"},
    ]
    accounts = [{"account_id": "A", "country": "US"}, {"account_id": "B"}]
    out = run(ads.ad_foreign_payments, bank(rows, accounts))
    assert out["ad_foreign_payments_30d"].to_dict() == {"A": 1.0, "B": 0.0}


# -- P2P -------------------------------------------------------------------------------------------


def p2p_in(account: str, days: float, cp: str | None = None, **extra) -> dict:
    return {"account_id": account, "timestamp": ago(days), "direction": "credit",
            "channel": "p2p", "counterparty_id": cp, **extra}  # fmt: skip


def test_p2p_payers_and_new_payers():
    rows = [
        p2p_in("A", 1, "X"),
        p2p_in("A", 2, "X"),
        p2p_in("A", 5, "Y"),
        p2p_in("A", 100, "Y"),  # Y paid before the window: not new
        p2p_in("A", 6, "Z"),
        p2p_in("A", 215, "Z"),  # Z paid more than 180 days before the window: new again
        p2p_in("A", 40, "W"),  # W paid only before the window
        p2p_in("A", 3, None, counterparty_name="Jane Doe"),
        p2p_in("A", 4, None, counterparty_name=" jane doe"),  # same payer by name
        {"account_id": "A", "timestamp": ago(1), "channel": "p2p", "counterparty_id": "V"},
        {"account_id": "A", "timestamp": ago(1), "direction": "credit", "channel": "ach",
         "counterparty_id": "U"},
        {"account_id": "B", "timestamp": ago(1), "channel": "p2p", "counterparty_id": "X"},
    ]  # fmt: skip
    out = run(p2p.p2p_payers, bank(rows))
    assert out.loc["A"].tolist() == [4.0, 3.0]  # X, Y, Z, jane doe; new: X, Z, jane doe
    assert out.loc["B"].tolist() == [0.0, 0.0]


def test_p2p_memo_keyword_share_whole_words_and_nan():
    rows = [
        p2p_in("A", 1, "X", memo="for services"),
        p2p_in("A", 2, "X", memo="Link"),
        p2p_in("A", 3, "X", memo="servicesx dinner"),
        p2p_in("A", 4, "X"),  # no memo: counted, not a match
        p2p_in("A", 40, "X", memo="donation"),  # outside the window
        {"account_id": "A", "timestamp": ago(1), "channel": "p2p", "memo": "donation"},  # debit
        {"account_id": "B", "timestamp": ago(1), "channel": "card", "memo": "services"},
    ]
    out = run(p2p.p2p_memo_keywords, bank(rows))
    assert out.loc["A", "p2p_memo_keyword_share_30d"] == 0.5
    assert nan(out.loc["B", "p2p_memo_keyword_share_30d"])


def test_p2p_service_band_in_each_currency():
    # AUD 100-800 is USD 65-520 and CAD 89.04-712.33
    rows = [
        p2p_in("U", 1, "X", amount=65.0),
        p2p_in("U", 1, "X", amount=64.99),
        p2p_in("U", 1, "X", amount=520.0),
        p2p_in("U", 1, "X", amount=520.01),
        p2p_in("C", 1, "X", amount=88.0, currency="CAD"),
        p2p_in("C", 1, "X", amount=90.0, currency="CAD"),
        p2p_in("C", 1, "X", amount=712.0, currency="CAD"),
        p2p_in("C", 1, "X", amount=713.0, currency="CAD"),
        p2p_in("C", 1, "X", amount=100.0, currency="AUD"),
    ]
    out = run(p2p.p2p_service_band, bank(rows))
    assert out.loc["U", "p2p_service_band_share_30d"] == 0.5
    assert out.loc["C", "p2p_service_band_share_30d"] == 0.6


def test_night_p2p_share_uses_the_local_clock():
    # New York in January is UTC-5
    at = ["2025-01-15T03:30:00Z", "2025-01-15T10:59:00Z", "2025-01-15T11:30:00Z",
          "2025-01-15T23:00:00Z"]  # fmt: skip  # 22:30, 05:59, 06:30, 18:00 local
    rows = [
        {"account_id": "A", "timestamp": t, "direction": "credit", "channel": "p2p"} for t in at
    ]
    rows += [{"account_id": "B", "timestamp": at[0], "direction": "debit", "channel": "p2p"}]
    accounts = [{"account_id": "A", "timezone": "America/New_York"}]
    out = run(p2p.p2p_service_band, bank(rows, accounts, as_of="2025-01-31"))
    assert out.loc["A", "night_p2p_credit_share_30d"] == 0.5
    assert nan(out.loc["B", "night_p2p_credit_share_30d"])


def test_forward_ratio_48h():
    t0 = AS_OF - pd.Timedelta(days=20)
    at = lambda hours: (t0 + pd.Timedelta(hours=hours)).isoformat()  # noqa: E731
    rows = [
        {"account_id": "A", "timestamp": at(0), "amount": 100.0, "direction": "credit",
         "channel": "p2p"},
        {"account_id": "A", "timestamp": at(10), "amount": 30.0, "channel": "atm"},
        {"account_id": "A", "timestamp": at(20), "amount": 20.0, "channel": "card"},  # spending
        {"account_id": "A", "timestamp": at(47), "amount": 50.0, "channel": "p2p"},
        {"account_id": "A", "timestamp": at(49), "amount": 40.0, "channel": "p2p"},  # too late
        {"account_id": "A", "timestamp": at(100), "amount": 100.0, "direction": "credit",
         "channel": "cash"},
        {"account_id": "A", "timestamp": at(101), "amount": 100.0, "channel": "wire"},
        {"account_id": "A", "timestamp": at(102), "amount": 50.0, "channel": "ach"},  # a bill
        # a credit just before the window does not make a debit inside it "forwarded"
        {"account_id": "A", "timestamp": ago(30.5), "amount": 500.0, "direction": "credit",
         "channel": "p2p"},
        {"account_id": "A", "timestamp": ago(29.5), "amount": 500.0, "channel": "p2p"},
        # B forwards more than it received: capped at 1
        {"account_id": "B", "timestamp": at(0), "amount": 100.0, "direction": "credit",
         "channel": "p2p"},
        {"account_id": "B", "timestamp": at(1), "amount": 150.0, "channel": "p2p"},
        # C has only payroll: no P2P, cash or ATM credit, so no ratio
        {"account_id": "C", "timestamp": at(0), "amount": 100.0, "direction": "credit",
         "channel": "ach"},
        {"account_id": "C", "timestamp": at(1), "amount": 100.0, "channel": "p2p"},
    ]  # fmt: skip
    out = run(p2p.p2p_forwarding, bank(rows))["forward_ratio_48h_30d"]
    assert out["A"] == pytest.approx(0.9)  # (30 + 50 + 100) / (100 + 100)
    assert out["B"] == 1.0
    assert nan(out["C"])


def test_outflow_concentration_and_sweep():
    t0 = AS_OF - pd.Timedelta(days=10)
    at = lambda hours: (t0 + pd.Timedelta(hours=hours)).isoformat()  # noqa: E731
    rows = [
        {"account_id": "A", "timestamp": at(0), "amount": 1000.0, "direction": "credit",
         "channel": "ach", "counterparty_name": "EMPLOYER"},
        {"account_id": "A", "timestamp": at(1), "amount": 500.0, "channel": "card",
         "counterparty_name": "STORE"},
        {"account_id": "A", "timestamp": at(2), "amount": 100.0, "channel": "atm"},
        {"account_id": "A", "timestamp": at(5), "amount": 400.0, "channel": "p2p",
         "counterparty_id": "BOSS"},
        {"account_id": "A", "timestamp": at(6), "amount": 300.0, "channel": "p2p",
         "counterparty_id": "BOSS"},
        {"account_id": "A", "timestamp": at(72), "amount": 300.0, "channel": "ach",
         "counterparty_name": "RENT CO"},
        {"account_id": "A", "timestamp": ago(40), "amount": 9000.0, "channel": "p2p",
         "counterparty_id": "OLD"},  # outside the window
        # B receives nothing and pays one card merchant: no inflow, no non-card debit
        {"account_id": "B", "timestamp": at(0), "amount": 50.0, "channel": "card",
         "counterparty_name": "STORE"},
        # C sweeps more than it received to one payee within 48 h: capped at 1
        {"account_id": "C", "timestamp": at(0), "amount": 100.0, "direction": "credit",
         "channel": "p2p", "counterparty_id": "P"},
        {"account_id": "C", "timestamp": at(1), "amount": 150.0, "channel": "p2p",
         "counterparty_id": "Q"},
    ]  # fmt: skip
    out = run(p2p.outflow_concentration, bank(rows))
    assert out.loc["A", "outflow_top_counterparty_share_30d"] == pytest.approx(700 / 1100)
    assert out.loc["A", "sweep_out_share_30d"] == pytest.approx(0.7)
    assert nan(out.loc["B", "outflow_top_counterparty_share_30d"])
    assert nan(out.loc["B", "sweep_out_share_30d"])
    assert out.loc["C"].tolist() == [1.0, 1.0]


# -- lodging and travel ----------------------------------------------------------------------------


def test_lodging_counts_local_days_cities_and_home_city():
    # Chicago in February is UTC-6; as of 2025-02-20 (end of day UTC)
    lodging = [
        ("2025-02-09T18:00:00Z", 7011, "Dallas", 100.0),  # 9 Feb 12:00 local
        ("2025-02-10T02:00:00Z", 3509, " dallas", 120.0),  # 9 Feb 20:00 local (brand range)
        ("2025-02-10T05:30:00Z", 7011, "Houston", 80.0),  # 9 Feb 23:30 local
        ("2025-02-06T12:00:00Z", 7011, "Austin", 50.0),  # 14.5 days ago: not in 14 days
        ("2025-01-21T00:00:00Z", 7011, "Dallas", 999.0),  # 31 days before: out
    ]
    rows = [
        {"account_id": "A", "timestamp": t, "mcc": m, "city": c, "amount": a}
        for t, m, c, a in lodging
    ]
    rows += [
        {
            "account_id": "A",
            "timestamp": "2025-02-10T03:00:00Z",
            "mcc": 7011,
            "city": "Dallas",
            "amount": 100.0,
            "direction": "credit",
        },  # refund
        {"account_id": "B", "timestamp": "2025-02-10T05:30:00Z", "mcc": 7011, "city": "Dallas"},
    ]
    accounts = [
        {"account_id": "A", "city": "Dallas", "timezone": "America/Chicago"},
        {"account_id": "B"},
    ]
    ctx = bank(rows, accounts, as_of="2025-02-20")
    out = run(lodging_travel.lodging_charges, ctx)
    # in UTC the busiest day would hold 2 charges; on the Chicago clock 9 Feb holds 3
    assert out.loc["A"].tolist() == [4.0, 350.0, 3.0]
    assert out.loc["B"].tolist() == [1.0, 10.0, 1.0]
    assert run(lodging_travel.lodging_cities, ctx)["lodging_cities_14d"].tolist() == [2.0, 1.0]
    home = run(lodging_travel.lodging_home_city, ctx)["lodging_home_city_charges_30d"]
    assert home.tolist() == [2.0, 0.0]  # B's home city is unknown


def test_travel_and_rides_night_share():
    # Los Angeles in February is UTC-8
    rides = ["2025-02-10T06:30:00Z", "2025-02-10T12:59:00Z", "2025-02-10T13:00:00Z",
             "2025-02-10T20:00:00Z"]  # fmt: skip  # 22:30, 04:59, 05:00, 12:00 local
    rows = [{"account_id": "A", "timestamp": t, "mcc": 4121} for t in rides]
    rows += [
        {"account_id": "A", "timestamp": "2025-02-10T12:00:00Z", "mcc": m}
        for m in (4511, 3005, 4722, 4112, 7011, 4111)
    ]
    rows += [{"account_id": "B", "timestamp": "2025-02-10T12:00:00Z", "mcc": 5814}]
    accounts = [{"account_id": "A", "timezone": "America/Los_Angeles"}]
    out = run(lodging_travel.travel_and_rides, bank(rows, accounts, as_of="2025-02-20"))
    assert out.loc["A"].tolist() == [4.0, 4.0, 0.5]
    assert out.loc["B", ["travel_tickets_30d", "rideshare_charges_30d"]].tolist() == [0.0, 0.0]
    assert nan(out.loc["B", "night_rideshare_share_30d"])


# -- spending --------------------------------------------------------------------------------------


def test_sustenance_purchase_counts():
    mccs = [5814, 5814, 5812, 5912, 7230, 4814, 6540, 6051, 5411]
    rows = [{"account_id": "A", "timestamp": ago(1), "mcc": m} for m in mccs]
    rows += [
        {"account_id": "A", "timestamp": ago(1), "mcc": 5814, "direction": "credit"},
        {"account_id": "A", "timestamp": ago(31), "mcc": 5814},
        {"account_id": "B", "timestamp": ago(1), "channel": "atm"},
    ]
    out = run(spending.sustenance_purchases, bank(rows))
    assert out.loc["A"].tolist() == [2.0, 2.0, 1.0, 2.0]
    assert out.loc["B"].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_spend_mix_shares_and_windows():
    rows = [
        {"account_id": "A", "timestamp": ago(1), "mcc": 7011, "amount": 100.0},
        {"account_id": "A", "timestamp": ago(2), "mcc": 5814, "amount": 50.0},
        {"account_id": "A", "timestamp": ago(3), "mcc": 5411, "amount": 50.0},
        {"account_id": "A", "timestamp": ago(4), "channel": "atm", "amount": 200.0},
        {"account_id": "A", "timestamp": ago(5), "mcc": 7995, "amount": 100.0},
        {"account_id": "A", "timestamp": ago(80), "mcc": 7995, "amount": 100.0},
        {"account_id": "A", "timestamp": ago(95), "mcc": 7995, "amount": 100.0},
        {"account_id": "A", "timestamp": ago(1), "mcc": 7011, "amount": 999.0,
         "direction": "credit"},
        {"account_id": "B", "timestamp": ago(1), "amount": 100.0, "direction": "credit"},
    ]  # fmt: skip
    out = run(spending.spend_mix, bank(rows))
    assert out.loc["A", "sustenance_spend_share_30d"] == pytest.approx(200 / 500)
    assert out.loc["A", "gambling_luxury_share_90d"] == pytest.approx(200 / 600)
    assert out.loc["B"].isna().all()


def test_essential_share_counts_groceries_and_monthly_ach_bills():
    rows = [
        {"account_id": "A", "timestamp": ago(45), "channel": "ach", "amount": 1000.0,
         "counterparty_name": "MERIDIAN APTS"},
        {"account_id": "A", "timestamp": ago(15), "channel": "ach", "amount": 1000.0,
         "counterparty_name": "Meridian Apts"},
        {"account_id": "A", "timestamp": ago(70), "channel": "ach", "amount": 500.0,
         "counterparty_id": "LOAN-1"},  # outside the window, but makes the next one monthly
        {"account_id": "A", "timestamp": ago(40), "channel": "ach", "amount": 500.0,
         "counterparty_id": "LOAN-1"},
        {"account_id": "A", "timestamp": ago(10), "channel": "ach", "amount": 50.0,
         "counterparty_name": "GYM"},  # one-off
        {"account_id": "A", "timestamp": ago(12), "channel": "ach", "amount": 10.0,
         "counterparty_name": "WEEKLY CO"},
        {"account_id": "A", "timestamp": ago(5), "channel": "ach", "amount": 10.0,
         "counterparty_name": "WEEKLY CO"},  # 7 days apart: not monthly
        {"account_id": "A", "timestamp": ago(3), "mcc": 5411, "amount": 100.0},
        {"account_id": "A", "timestamp": ago(2), "channel": "p2p", "amount": 200.0,
         "counterparty_id": "FRIEND"},
        {"account_id": "A", "timestamp": ago(30), "channel": "p2p", "amount": 200.0,
         "counterparty_id": "FRIEND"},  # monthly, but P2P is not a bill
        {"account_id": "B", "timestamp": ago(1), "amount": 100.0, "direction": "credit"},
    ]  # fmt: skip
    out = run(spending.essential_spending, bank(rows))["essential_spend_share_60d"]
    assert out["A"] == pytest.approx(2600 / 3070)
    assert nan(out["B"])


def test_adult_venue_night_charges_local_clock():
    # New York in February is UTC-5
    charges = [
        ("2025-02-10T03:00:00Z", 7297),  # 22:00 local: counts
        ("2025-02-10T10:59:00Z", 5813),  # 05:59 local: counts
        ("2025-02-10T11:00:00Z", 7230),  # 06:00 local: no
        ("2025-02-10T04:00:00Z", 7230),  # 23:00 local salon: counts
        ("2025-02-10T04:00:00Z", 5812),  # restaurant: no
        ("2025-02-10T20:00:00Z", 7298),  # 15:00 local spa: no
        ("2025-02-11T04:30:00Z", 5813),  # 23:30 local bar: open hours, no
        ("2025-02-11T06:59:00Z", 5813),  # 01:59 local bar: no
        ("2025-02-11T07:00:00Z", 5813),  # 02:00 local bar: after closing, counts
    ]
    rows = [{"account_id": "A", "timestamp": t, "mcc": m} for t, m in charges]
    accounts = [{"account_id": "A", "timezone": "America/New_York"}]
    out = run(spending.adult_venue_nights, bank(rows, accounts, as_of="2025-02-20"))
    assert out.loc["A", "adult_venue_night_charges_30d"] == 4.0


# -- geography -------------------------------------------------------------------------------------


def test_card_cities_away_share_and_switch_rate():
    rows = [
        {"account_id": "A", "timestamp": ago(31), "channel": "cash", "city": "Denver"},
        {"account_id": "A", "timestamp": ago(20), "channel": "atm", "city": "Boston"},
        {"account_id": "A", "timestamp": ago(8), "channel": "wire", "city": "Atlanta"},
        {"account_id": "A", "timestamp": ago(7.1), "city": "Orlando"},
        {"account_id": "A", "timestamp": ago(6.9), "city": "Tampa"},
        {"account_id": "A", "timestamp": ago(4), "city": None},
        {"account_id": "A", "timestamp": ago(3), "city": " MIAMI"},
        {"account_id": "A", "timestamp": ago(2), "city": "Miami"},
        {"account_id": "B", "timestamp": ago(2), "city": "Miami"},
        {"account_id": "C", "timestamp": ago(2), "channel": "p2p"},
    ]
    accounts = [{"account_id": "A", "city": "miami"}, {"account_id": "B"}]
    ctx = bank(rows, accounts)
    cities = run(geography.card_mobility, ctx)
    assert cities.loc["A"].tolist() == [2.0, 4.0]
    assert cities.loc["C"].tolist() == [0.0, 0.0]
    away = run(geography.away_from_home, ctx)["away_from_home_share_30d"]
    assert away["A"] == pytest.approx(3 / 5)
    assert nan(away["B"]) and nan(away["C"])  # home unknown / no city
    switch = run(geography.city_switching, ctx)["city_switch_rate_30d"]
    assert switch["A"] == 0.75  # Boston>Orlando>Tampa>Miami>Miami
    assert nan(switch["B"]) and nan(switch["C"])


def test_text_codes_normalise():
    codes = geography.text_codes(pd.Series(["Miami", " miami ", None, "Tampa", ""], dtype="string"))
    assert codes.tolist() == [0, 0, -1, 1, -1]


# -- robustness ------------------------------------------------------------------------------------


def test_calculators_without_mcc_or_city_are_skipped_not_crashed():
    ctx = bank([{"account_id": "A", "timestamp": ago(1), "counterparty_name": "BACKPAGE.COM"}])
    skipped = {name for name, calc in MINE.items() if _missing(calc, ctx) is not None}
    assert {"lodging_charges", "travel_and_rides", "spend_mix", "card_mobility"} <= skipped
    assert "ad_payments" not in skipped  # the descriptor list still finds ad payments
    out = run(ads.ad_payments, ctx)
    assert out.loc["A", "ad_payments_30d"] == 1.0


def test_empty_window():
    ctx = bank([{"account_id": "A", "timestamp": ago(400), "mcc": 7011, "city": "X"}])
    for calc in MINE.values():
        out = run(calc.func, ctx)
        for name, spec in calc.specs.items():
            value = out.loc["A", name]
            assert (value == 0) if spec.kind == "count" else (value == 0 or nan(value)), name


# -- synthetic bank --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth():
    from fintrak.synth import SynthConfig, generate

    config = SynthConfig(
        n_accounts=400, months=2, seed=3, prevalence=0.1, typology_mix={"sex_trafficking": 1.0}
    )
    return generate(config)


def _all(ctx: FeatureContext) -> pd.DataFrame:
    return pd.concat([run(calc.func, ctx) for calc in MINE.values()], axis=1)


def test_synth_sex_trafficking_scores_higher(synth):
    ctx = FeatureContext.build(synth.transactions, synth.accounts)
    out = _all(ctx)
    labels = synth.labels.set_index("account_id").reindex(out.index)
    st = (labels["typology"] == "sex_trafficking").to_numpy(dtype=bool, na_value=False)
    ordinary = (labels["segment"] == "ordinary").to_numpy(dtype=bool, na_value=False)
    assert st.sum() >= 10
    for name in ("ad_payments_30d", "p2p_new_payers_30d", "lodging_charges_30d",
                 "p2p_service_band_share_30d", "card_cities_30d"):  # fmt: skip
        assert out.loc[st, name].mean() > out.loc[ordinary, name].mean(), name
    counts = [n for n, s in FEATURES.items() if n in out and s.kind == "count"]
    assert not out[counts].isna().any().any()


def test_no_future_rows_and_partition_invariance(synth):
    txn, acc = synth.transactions, synth.accounts
    as_of = pd.Timestamp("2025-02-10T00:00:00Z")
    full = _all(FeatureContext.build(txn, acc, as_of=as_of))
    past = _all(FeatureContext.build(txn[txn["timestamp"] <= as_of], acc, as_of=as_of))
    pd.testing.assert_frame_equal(full, past.reindex(full.index))
    half = full.index[::2]
    part = _all(FeatureContext.build(txn, acc, as_of=as_of, account_ids=half))
    pd.testing.assert_frame_equal(full.loc[half], part)
    assert np.isfinite(full.filter(like="_30d").fillna(0).to_numpy()).all()
