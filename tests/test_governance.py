"""Model governance: drift (PSI), segments, false-positive rates and calibration in the card."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fintrak.drift import PSI_WARNING, drift_reference, population_stability
from fintrak.scoring.model import load_model
from fintrak.segments import account_segments
from fintrak.training import calibration_table, false_positive_rates

# -- population stability ----------------------------------------------------------------


def test_psi_is_zero_on_the_training_data_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.exponential(size=5000)})
    train.loc[::10, "b"] = np.nan
    reference = drift_reference(train, pd.Series({"a": 5.0, "b": 3.0, "unused": 0.0}))
    assert list(reference["features"]) == ["a", "b"]  # by gain; zero gain left out
    assert reference["features"]["b"]["missing_share"] == 0.1
    assert population_stability(reference, train)["psi"].max() < 1e-3
    moved = train.assign(a=train["a"] + 1.0)
    psi = population_stability(reference, moved)["psi"]
    assert psi["a"] > PSI_WARNING and psi["b"] < 1e-3


def test_psi_by_hand():
    # reference: two bins cut at 0 with shares 0.5/0.5, a fifth of accounts without a value
    reference = {"features": {"x": {"edges": [0.0], "shares": [0.5, 0.5], "missing_share": 0.2}}}
    now = pd.DataFrame({"x": [-1.0, 1.0, 1.0, 1.0, np.nan, np.nan]})  # shares 0.25 / 0.75
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    table = population_stability(reference, now)
    assert table.loc["x", "psi"] == pytest.approx(expected, abs=1e-4)
    assert table.loc["x", "values"] == 4
    # missing values are reported beside the PSI, not in it: an optional input (intelligence,
    # devices) given to some banks and not others must not read as a shift of the values
    assert table.loc["x", "missing_share_training"] == 0.2
    assert table.loc["x", "missing_share_now"] == pytest.approx(1 / 3, abs=1e-6)
    # a feature no scored account has is not computed: no PSI, and no error
    assert np.isnan(population_stability(reference, pd.DataFrame({"y": [1.0]})).loc["x", "psi"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=60), st.randoms(use_true_random=False))
def test_psi_does_not_depend_on_row_order(values, random):
    frame = pd.DataFrame({"v": values})
    reference = drift_reference(frame, pd.Series({"v": 1.0}))
    shuffled = frame.sample(frac=1.0, random_state=random.randint(0, 10_000))
    assert population_stability(reference, shuffled).equals(population_stability(reference, frame))


def test_the_shipped_model_carries_a_drift_reference_and_a_governance_card():
    bundle = load_model()
    reference = bundle.config["drift_reference"]["features"]
    assert 10 <= len(reference) <= 20
    assert set(reference) <= set(bundle.features)
    for ref in reference.values():
        assert len(ref["shares"]) == len(ref["edges"]) + 1
        assert sum(ref["shares"]) == pytest.approx(1.0, abs=1e-4)
        assert 0.0 <= ref["missing_share"] <= 1.0
    card = bundle.card
    assert card["known_failure_modes"]
    assert len(card["data_hashes"]["training_features_sha256"]) == 64
    fairness = card["metrics_held_out"]["false_positive_rates_at_threshold"]
    for key in ("by_hard_negative_group", "by_occupation", "by_age_band", "by_corridor"):
        assert fairness[key], key
    calibration = card["metrics_held_out"]["calibration_model_score"]
    assert sum(b["accounts"] for b in calibration["bands"]) == card["metrics_held_out"]["accounts"]


# -- false positives per segment, calibration, by hand ------------------------------------


def test_false_positive_rates_by_hand():
    y = np.array([0, 0, 0, 0, 0, 1, 0, 0])
    alerted = np.array([1, 0, 0, 0, 1, 1, 0, 0], dtype=bool)
    groups = pd.Series(["remitter", "remitter", "remitter", "x", "y", "remitter", "y", "y"])
    rates = false_positive_rates(y, alerted, groups, min_negatives=3)
    # remitters: 3 negatives, 1 alerted; y: 3 negatives, 1 alerted; x (1 negative) is pooled
    assert rates == {
        "(smaller groups)": {"negatives": 1, "false_positives": 0, "rate": 0.0},
        "remitter": {"negatives": 3, "false_positives": 1, "rate": 0.3333},
        "y": {"negatives": 3, "false_positives": 1, "rate": 0.3333},
    }


def test_calibration_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.95, 1.0])
    table = calibration_table(y, p)
    assert [b["from"] for b in table["bands"]] == [0.0, 0.1, 0.9]
    assert table["bands"][2] == {
        "from": 0.9,
        "to": 1.0,
        "accounts": 2,
        "mean_score": 0.975,
        "observed_rate": 1.0,
    }
    assert table["brier"] == pytest.approx((0.05**2 + 0.15**2 + 0.05**2 + 0) / 4)


def test_segments_by_hand():
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "occupation": ["  Cleaner ", None, "Driver"],
            "date_of_birth": pd.to_datetime(["2000-06-01", "1960-01-01", None]),
            "country": ["US", "US", "US"],
        }
    )
    transactions = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "c"],
            "direction": ["debit", "debit", "debit", "credit", "debit"],
            "amount": [100.0, 300.0, 250.0, 900.0, 50.0],
            "country": ["MX", "GT", "GT", "MX", "US"],
        }
    )
    seg = account_segments(pd.Index(["a", "b", "c", "d"]), transactions, accounts, "2025-03-01")
    assert list(seg["occupation"]) == ["cleaner", "unknown", "driver", "unknown"]
    assert list(seg["age_band"]) == ["<25", "65+", "unknown", "unknown"]
    # a sent 100 to MX and 550 to GT; b only received from abroad; c paid at home
    assert list(seg["corridor"]) == ["GT", "domestic", "domestic", "domestic"]


# -- at scoring time ------------------------------------------------------------------------------


def test_score_reports_psi_and_names_the_shifted_features(caplog):
    from fintrak.pipeline import score_tables
    from fintrak.scoring.model import ModelBundle
    from fintrak.synth import SynthConfig, generate
    from fintrak.validation import validate

    bank = generate(SynthConfig(n_accounts=300, months=2, seed=8, prevalence=0.05))
    tables = validate(bank.transactions, bank.accounts, bank.intel).tables
    shipped = load_model()
    reference = dict(shipped.config["drift_reference"]["features"])
    # pretend the model was trained on a population where every account received over a
    # million in 90 days: tonight's values all fall in the lowest bin
    reference["credit_total_90d"] = {
        "edges": [1e6, 2e6],
        "shares": [0.0, 0.5, 0.5],
        "missing_share": 0.0,
    }
    # the same shift on a feature only a few accounts have is noted, not judged
    reference["hours_deposit_to_withdrawal_median_30d"] = {
        "edges": [1e6, 2e6],
        "shares": [0.0, 0.5, 0.5],
        "missing_share": 0.0,
    }
    config = {**shipped.config, "drift_reference": {"bins": 10, "features": reference}}
    bundle = ModelBundle(booster=shipped.booster, config=config, card=shipped.card)
    with caplog.at_level("WARNING", logger="fintrak.pipeline"):
        drift = score_tables(tables, model=bundle).manifest["drift"]
    assert drift["checked"]
    assert "credit_total_90d" in drift["shifted_features"]
    assert drift["psi"]["credit_total_90d"] > 5
    assert "credit_total_90d" in caplog.text
    assert set(drift["missing_share"]) == set(reference)
    assert "hours_deposit_to_withdrawal_median_30d" in drift["too_few_values"]
    assert "hours_deposit_to_withdrawal_median_30d" not in drift["shifted_features"]
