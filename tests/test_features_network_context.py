"""Network-context features: two-pass scoring, on a hand-made ring and on the synthetic bank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fintrak.features.network_context as network_context
from fintrak.features.builder import build_features
from fintrak.synth import SynthConfig, generate
from fintrak.validation import validate

FEATURES = [
    "network_flagged_members",
    "shared_identifier_flagged_accounts",
    "inflow_share_from_likely_victims_90d",
    "collector_in_flagged_network",
]


def _ring() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three victims (v1-v3) sweep most of each day's P2P takings to controller c; o is alone.

    v1 and v2 share a phone number with the controller's account; o pays a utility only.
    """
    rows = []
    day0 = pd.Timestamp("2025-03-01", tz="UTC")
    n = 0
    for week in range(8):
        for victim in ("v1", "v2", "v3"):
            when = day0 + pd.Timedelta(days=7 * week)
            n += 1
            rows.append((f"t{n}", victim, when, 500.0, "credit", "p2p", None, "buyer"))
            n += 1
            rows.append(
                (f"t{n}", victim, when + pd.Timedelta(hours=5), 450.0, "debit", "p2p", "c", "c")
            )
            n += 1
            rows.append(
                (f"t{n}", "c", when + pd.Timedelta(hours=5), 450.0, "credit", "p2p", victim, victim)
            )
        n += 1
        rows.append(
            (
                f"t{n}",
                "o",
                day0 + pd.Timedelta(days=7 * week),
                80.0,
                "debit",
                "ach",
                None,
                "city power",
            )
        )
    txn = pd.DataFrame(
        rows,
        columns=[
            "txn_id",
            "account_id",
            "timestamp",
            "amount",
            "direction",
            "channel",
            "counterparty_id",
            "counterparty_name",
        ],
    )
    for column in ("currency",):
        txn[column] = "USD"
    for column in ("mcc",):
        txn[column] = pd.array([pd.NA] * len(txn), dtype="Int16")
    for column in ("city", "country", "memo"):
        txn[column] = pd.array([None] * len(txn), dtype="string")
    for column in (
        "txn_id",
        "account_id",
        "direction",
        "channel",
        "counterparty_id",
        "counterparty_name",
        "currency",
    ):
        txn[column] = txn[column].astype("string")
    accounts = pd.DataFrame(
        {
            "account_id": ["c", "v1", "v2", "v3", "o"],
            "customer_id": ["C", "V1", "V2", "V3", "O"],
            "phone": [
                "+1 415 555 0100",
                "(415) 555-0100",
                "415.555.0100",
                "+1 415 555 0177",
                "+1 415 555 0199",
            ],
            "country": ["US"] * 5,
        },
        dtype="string",
    )
    checked = validate(txn, accounts)
    assert checked.rejects.empty
    return checked.tables["transactions"], checked.tables["accounts"]


@pytest.fixture()
def flag_only_controller(monkeypatch):
    """First pass: the rules flag the controller only (the rules themselves are tested apart)."""

    def first_pass(account_features: pd.DataFrame) -> pd.Series:
        return pd.Series(
            np.where(account_features.index == "c", 1.0, 0.0), index=account_features.index
        )

    monkeypatch.setattr(network_context, "first_pass", first_pass)


def test_ring_members_see_the_flagged_controller(flag_only_controller):
    txn, accounts = _ring()
    result = build_features(txn, accounts, lookback_days=0)
    got = result.features[FEATURES]
    # every victim's network holds the flagged controller; the controller's holds no other
    assert got.loc[["v1", "v2", "v3"], "network_flagged_members"].tolist() == [1.0, 1.0, 1.0]
    assert got.loc["c", "network_flagged_members"] == 0.0
    assert got.loc["o", "network_flagged_members"] == 0.0
    # v1 and v2 share the controller's phone (three ways of writing it); v3 and o do not
    assert got.loc["v1", "shared_identifier_flagged_accounts"] == 1.0
    assert got.loc["v2", "shared_identifier_flagged_accounts"] == 1.0
    assert got.loc["v3", "shared_identifier_flagged_accounts"] == 0.0
    assert got.loc["o", "shared_identifier_flagged_accounts"] == 0.0
    # all of the controller's inflow comes from likely victims; it collects for the network
    assert got.loc["c", "inflow_share_from_likely_victims_90d"] == pytest.approx(1.0)
    assert got.loc["c", "collector_in_flagged_network"] == 1.0
    assert got.loc["v1", "collector_in_flagged_network"] == 0.0
    assert np.isnan(got.loc["o", "inflow_share_from_likely_victims_90d"])


def test_nothing_flagged_means_no_network_signal(monkeypatch):
    monkeypatch.setattr(network_context, "first_pass", lambda f: pd.Series(0.0, index=f.index))
    txn, accounts = _ring()
    got = build_features(txn, accounts, lookback_days=0).features[FEATURES]
    assert (got["network_flagged_members"] == 0).all()
    assert (got["shared_identifier_flagged_accounts"] == 0).all()
    assert (got["collector_in_flagged_network"] == 0).all()
    assert (got["inflow_share_from_likely_victims_90d"].fillna(0) == 0).all()


def test_row_order_does_not_change_network_context(flag_only_controller):
    txn, accounts = _ring()
    shuffled = txn.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a = build_features(txn, accounts, lookback_days=0).features[FEATURES]
    b = build_features(shuffled, accounts, lookback_days=0).features[FEATURES]
    pd.testing.assert_frame_equal(a, b)


def test_synthetic_rings_keep_flagged_company():
    bank = generate(SynthConfig(n_accounts=2000, months=6, seed=31))
    result = build_features(
        bank.transactions,
        bank.accounts,
        bank.intel,
        observations=bank.observations,
        lookback_days=0,
    )
    frame = result.features[FEATURES].join(bank.labels.set_index("account_id"))
    ring = frame[frame["typology"] == "sex_trafficking"]
    ordinary = frame[frame["segment"] == "ordinary"]
    assert ring["network_flagged_members"].mean() > 5 * max(
        ordinary["network_flagged_members"].mean(), 0.01
    )
    assert (ordinary["collector_in_flagged_network"] > 0).mean() < 0.01
