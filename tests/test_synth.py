"""Tests of the synthetic bank generator (fintrak.synth)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import numpy as np
import pandas as pd
import pycountry
import pytest
from pydantic import ValidationError

from fintrak.schema import ACCOUNTS, CHANNELS, DIRECTIONS, INTEL, INTEL_KINDS, LABELS, TRANSACTIONS
from fintrak.synth import HARD_NEGATIVE_GROUPS, TYPOLOGIES, SynthConfig, generate, write_bank

SMALL = {"n_accounts": 400, "months": 2, "seed": 11, "prevalence": 0.1}


@pytest.fixture(scope="module")
def bank():
    return generate(SynthConfig(**SMALL))


@pytest.fixture(scope="module")
def gb_bank():
    return generate(SynthConfig(n_accounts=300, months=1, seed=5, region="gb", prevalence=0.1))


# ---- determinism ----------------------------------------------------------------------------


def test_same_config_same_frames_and_bytes(bank, tmp_path):
    again = generate(SynthConfig(**SMALL))
    for name in ("transactions", "accounts", "intel", "labels", "observations"):
        pd.testing.assert_frame_equal(getattr(bank, name), getattr(again, name))
    p1 = write_bank(bank, tmp_path / "a")
    p2 = write_bank(again, tmp_path / "b")
    assert set(p1) == {"transactions", "accounts", "intel", "labels", "observations", "config"}
    for name in p1:
        assert p1[name].read_bytes() == p2[name].read_bytes(), name
    back = pd.read_parquet(p1["transactions"])
    assert len(back) == len(bank.transactions)


def test_other_seed_differs(bank):
    other = generate(SynthConfig(**{**SMALL, "seed": 12}))
    assert (
        not bank.transactions["amount"].head(1000).equals(other.transactions["amount"].head(1000))
    )
    assert set(bank.accounts["account_id"]) != set(other.accounts["account_id"])


# ---- contract -------------------------------------------------------------------------------


def _check_strings(frame, spec):
    for col in spec.columns:
        if col.kind == "string":
            assert frame[col.name].dtype == pd.StringDtype(), (spec.name, col.name)


@pytest.mark.parametrize("which", ["bank", "gb_bank"])
def test_columns_dtypes_and_vocabularies(which, request):
    b = request.getfixturevalue(which)
    tx, acc, it, lab = b.transactions, b.accounts, b.intel, b.labels
    assert tuple(tx.columns) == TRANSACTIONS.names
    assert tuple(acc.columns) == ACCOUNTS.names
    assert tuple(it.columns) == INTEL.names
    assert tuple(lab.columns[:5]) == LABELS.names
    assert tuple(lab.columns[5:]) == ("segment",)
    for frame, spec in ((tx, TRANSACTIONS), (acc, ACCOUNTS), (it, INTEL), (lab, LABELS)):
        _check_strings(frame, spec)
        for col in spec.columns:
            if col.required:
                assert frame[col.name].notna().all(), (spec.name, col.name)
    assert str(tx["timestamp"].dtype) == "datetime64[us, UTC]"
    assert tx["amount"].dtype == np.float64
    assert (tx["amount"] > 0).all()
    assert np.allclose(tx["amount"], tx["amount"].round(2))
    assert str(tx["mcc"].dtype) == "Int16"
    assert tx["mcc"].dropna().between(0, 9999).all()
    assert set(tx["direction"].unique()) <= set(DIRECTIONS)
    assert set(tx["channel"].unique()) <= set(CHANNELS)
    # no merchant on P2P, ACH and wires
    assert tx.loc[tx["channel"].isin(["p2p", "ach", "wire"]), "mcc"].isna().all()
    assert tx.loc[tx["channel"] == "atm", "mcc"].eq(6011).all()
    for cur in tx["currency"].unique():
        assert pycountry.currencies.get(alpha_3=cur) is not None
    for col in (tx["country"], acc["country"], acc["nationality"]):
        for c in col.dropna().unique():
            assert pycountry.countries.get(alpha_2=c) is not None, c
    for z in acc["timezone"].unique():
        zoneinfo.ZoneInfo(z)
    assert set(acc["account_type"].unique()) <= {"personal", "business"}
    assert set(it["kind"].unique()) <= set(INTEL_KINDS)
    assert tx["txn_id"].is_unique
    assert acc["account_id"].is_unique
    assert str(acc["opened_at"].dtype) == "datetime64[us, UTC]"
    dob = acc["date_of_birth"].dropna()
    assert str(acc["date_of_birth"].dtype).startswith("datetime64") and dob.dt.tz is None
    assert (dob == dob.dt.normalize()).all()
    assert acc["declared_income"].dtype == np.float64
    assert (acc["declared_income"].dropna() >= 0).all()
    assert lab["is_trafficking"].dtype == np.int8
    # every account in transactions is known, and has a label
    assert set(tx["account_id"]) <= set(acc["account_id"])
    assert set(lab["account_id"]) == set(acc["account_id"])
    # some optional KYC fields are missing, not all
    for col in ("occupation", "phone", "email", "date_of_birth"):
        share = acc[col].isna().mean()
        assert 0 < share < 0.5, col


def test_timestamps_inside_period_in_local_time(bank):
    tx, acc = bank.transactions, bank.accounts
    cfg = bank.config
    tz = tx["account_id"].map(acc.set_index("account_id")["timezone"])
    start = pd.Timestamp(cfg.start)
    end = start + pd.DateOffset(months=cfg.months)
    ok = []
    for z, idx in tz.groupby(tz).groups.items():
        local = tx.loc[idx, "timestamp"].dt.tz_convert(z).dt.tz_localize(None)
        # credit sides of transfers keep the sender's clock: allow the zones' offset difference
        ok.append(local.between(start - pd.Timedelta(hours=4), end + pd.Timedelta(hours=4)))
    assert pd.concat(ok).all()
    assert tx["timestamp"].is_monotonic_increasing
    opened = tx["account_id"].map(acc.set_index("account_id")["opened_at"])
    assert (tx["timestamp"] >= opened - pd.Timedelta(hours=12)).all()


def test_both_sides_of_internal_transfers(bank):
    tx = bank.transactions
    internal = tx[tx["counterparty_id"].notna()]
    assert len(internal) > 100
    deb = internal[internal["direction"] == "debit"]
    cred = internal[internal["direction"] == "credit"]
    key = ["timestamp", "amount", "channel"]
    d = deb.assign(src=deb["account_id"], dst=deb["counterparty_id"])[key + ["src", "dst"]]
    c = cred.assign(src=cred["counterparty_id"], dst=cred["account_id"])[key + ["src", "dst"]]
    merged = d.merge(c, on=key + ["src", "dst"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()


# ---- labels, prevalence, groups ---------------------------------------------------------------


def test_labels_prevalence_typologies_and_groups(bank):
    lab = bank.labels
    cfg = bank.config
    share = lab["is_trafficking"].mean()
    assert abs(share - cfg.prevalence) < 0.5 * cfg.prevalence
    assert set(lab["typology"].dropna()) == set(TYPOLOGIES)
    assert set(HARD_NEGATIVE_GROUPS) <= set(lab["segment"])
    inv = lab[lab["is_trafficking"] == 1]
    assert inv["role"].notna().all() and inv["case_id"].notna().all()
    assert (inv["segment"] == inv["typology"]).all()
    clean = lab[lab["is_trafficking"] == 0]
    assert clean["typology"].isna().all() and clean["role"].isna().all()
    assert clean["case_id"].isna().all()
    # ids do not reveal the role: same format for everyone
    pat = re.compile(r"^\d{10}$")
    assert lab["account_id"].map(lambda s: bool(pat.match(s))).all()


def test_mix_switches_typologies_and_groups_off():
    cfg = SynthConfig(
        n_accounts=300,
        months=1,
        seed=2,
        prevalence=0.05,
        typology_mix={"funnel": 1.0},
        hard_negative_mix={"landlord": 1.0, "remitter": 0.0},
    )
    lab = generate(cfg).labels
    assert set(lab["typology"].dropna()) == {"funnel"}
    assert set(lab["segment"]) == {"ordinary", "funnel", "landlord"}


def test_rings_active_only_in_their_window(bank):
    tx, lab = bank.transactions, bank.labels
    ring_of = lab.set_index("account_id")["case_id"]
    both = tx[tx["counterparty_id"].notna()].copy()
    both["r1"] = both["account_id"].map(ring_of)
    both["r2"] = both["counterparty_id"].map(ring_of)
    inside = both[both["r1"].notna() & (both["r1"] == both["r2"])]
    assert len(inside) > 0
    span = inside.groupby("r1")["timestamp"].agg(["min", "max"])
    period = pd.Timestamp(bank.config.start, tz="UTC")
    # at least one ring starts after the period start or ends before its end
    end = period + pd.DateOffset(months=bank.config.months)
    assert (
        (span["min"] > period + pd.Timedelta(days=3)) | (span["max"] < end - pd.Timedelta(days=3))
    ).any()
    # ad-site payments only by rings' members and look-alike creators
    ads = tx[
        tx["counterparty_name"].isin(
            [
                "NIGHTLISTR.COM",
                "VIPDATEADS*CREDITS",
                "BUMPMYAD",
                "ESCORTBOARD*POST",
                "ADHOSTPRO*RENEW",
                "SWEETCLASSIFIEDS",
                "CITYNIGHTS GUIDE",
                "PRVTLISTINGS",
            ]
        )
    ]
    seg = ads["account_id"].map(lab.set_index("account_id")["segment"])
    assert set(seg) <= {"sex_trafficking", "adult_creator"}


def test_intel_phones_match_some_kyc_phones(bank, gb_bank):
    for b in (bank, gb_bank):
        it, acc = b.intel, b.accounts

        def norm(s: pd.Series) -> set[str]:
            d = s.dropna().str.replace(r"\D", "", regex=True)
            return set(d[d.str.len() >= 9].str[-9:])

        ads = norm(it.loc[it["kind"] == "phone", "value"])
        kyc = norm(acc["phone"])
        assert ads & kyc, "some ad phones are customers' phones"
        assert ads - kyc, "many ad phones are not held by the bank"
        assert (it["kind"] == "merchant").any()
        # formats vary (not one canonical layout)
        assert acc["phone"].dropna().str.replace(r"\d", "9", regex=True).nunique() >= 4


# ---- config validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"n_accounts": 10},
        {"months": 0},
        {"months": 37},
        {"prevalence": 0.5},
        {"region": "xx"},
        {"currency": "DOLLARS"},
        {"typology_mix": {"sex_trafficking": -1}},
        {"typology_mix": {"arms": 1.0}},
        {"typology_mix": {"funnel": 0.0}},
        {"sex_ring_victims": (5, 2)},
        {"hard_negative_mix": {"astronaut": 1.0}},
        {"unknown_option": 1},
    ],
)
def test_config_validation(bad):
    with pytest.raises(ValidationError):
        SynthConfig(**bad)


def test_config_defaults_and_frozen():
    cfg = SynthConfig(region="au")
    assert cfg.currency == "AUD"
    assert cfg.start == dt.date(2025, 1, 1)
    assert SynthConfig(currency="eur").currency == "EUR"
    with pytest.raises(ValidationError):
        cfg.seed = 3  # type: ignore[misc]
