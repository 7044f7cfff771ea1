"""Optional data: the observations table, device_id/ip on transactions, and their features.

Validation of the new table and columns (rejects, warnings, personal data never echoed); the
features on tiny hand-made tables (G5, G6, G7, C8, H6, G3); skipped with a reason when the data
is absent; scoring with and without observations.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fintrak.cli import app
from fintrak.features.builder import build_features
from fintrak.io.column_map import ColumnMap, TableMap
from fintrak.pipeline import score_tables
from fintrak.schema import OBSERVATION_CODES, OBSERVATIONS, TABLES
from fintrak.synth import SynthConfig, generate, write_bank
from fintrak.validation import validate

AS_OF = "2025-06-30"
OBS_FEATURES = [
    "third_party_observations_180d",
    "id_or_minor_observations_180d",
    "wellbeing_observations_180d",
    "denomination_exchanges_90d",
    "escorted_transfers_abroad_90d",
]


def txn(i, account, when, **extra):
    row = {
        "txn_id": f"t{i}",
        "account_id": account,
        "timestamp": when,
        "amount": "50",
        "currency": "USD",
        "direction": "debit",
        "channel": "card",
    }
    row.update(extra)
    return row


def obs(i, account, when, code, **extra):
    return {
        "observation_id": f"o{i}",
        "account_id": account,
        "timestamp": when,
        "code": code,
        **extra,
    }


# ------------------------------------------------------------------------------ validation


def test_observations_table_is_canonical():
    assert "observations" in TABLES
    assert OBSERVATIONS.required == ("observation_id", "account_id", "timestamp", "code")
    assert OBSERVATIONS["code"].allowed == tuple(OBSERVATION_CODES)
    assert OBSERVATIONS["note"].pii
    assert TABLES["transactions"]["device_id"].pii and TABLES["transactions"]["ip"].pii


def test_observations_rejects_and_warnings():
    frame = pd.DataFrame(
        [
            obs(1, "A", "2025-01-02T10:00:00+00:00", "escorted_by_third_party", channel="branch"),
            obs(2, "A", "2025-01-02T10:00:00+00:00", "looked_nervous"),  # not in vocabulary
            obs(1, "B", "2025-01-03T10:00:00+00:00", "interpreter_insisted"),  # repeated id
            obs(4, "B", "not a time", "interpreter_insisted"),
            obs(5, "B", "2025-01-03T11:00:00Z", "Interpreter_Insisted ", channel="teller"),
        ]
    )
    result = validate(pd.DataFrame([txn(1, "A", "2025-01-02T09:00:00Z")]), observations=frame)
    kept = result.tables["observations"]
    assert kept["observation_id"].tolist() == ["o1", "o5"]
    assert kept["code"].tolist() == ["escorted_by_third_party", "interpreter_insisted"]
    assert str(kept["timestamp"].dtype) == "datetime64[us, UTC]"
    rejects = result.rejects.set_index("row_number")["reason"]
    assert "code 'looked_nervous' is not one of" in rejects[2]
    assert "repeats row 1" in rejects[3]
    assert "timestamp" in rejects[4]
    warned = result.warnings
    assert warned[["column", "value"]].values.tolist() == [["channel", "teller"]]
    manifest = result.manifest
    assert manifest["tables"]["observations"]["rows_rejected"] == 3
    assert manifest["cross_checks"]["observations_for_unknown_accounts"] == 1  # B


def test_observation_note_is_never_echoed():
    secret = "Companion Jane Roe held passport 123"
    frame = pd.DataFrame(
        [obs(1, "A", "2025-01-02T10:00:00Z", "no_such_code", note=secret)]
        + [obs(2, "A", "2025-01-02T10:00:00Z", "escorted_by_third_party", note=secret)]
    )
    result = validate(pd.DataFrame([txn(1, "A", "2025-01-02T09:00:00Z")]), observations=frame)
    assert result.tables["observations"]["note"].tolist() == [secret]
    assert secret not in result.rejects["reason"].str.cat()


def test_ip_is_checked_and_never_echoed():
    frame = pd.DataFrame(
        [
            txn(1, "A", "2025-01-02T09:00:00Z", device_id="dev-1", ip="203.0.113.7"),
            txn(2, "A", "2025-01-02T09:00:00Z", device_id="dev-1", ip="2001:DB8::1"),
            txn(3, "A", "2025-01-02T09:00:00Z", device_id="dev-2", ip="999.1.2.3"),
            txn(4, "A", "2025-01-02T09:00:00Z", ip="10.0.0.1/24"),
        ]
    )
    result = validate(frame)
    kept = result.tables["transactions"]
    assert len(kept) == 4  # optional: invalid values are nulled, rows kept
    assert kept["ip"].tolist()[:2] == ["203.0.113.7", "2001:db8::1"]
    assert kept["ip"].isna().tolist() == [False, False, True, True]
    assert kept["device_id"].tolist()[:3] == ["dev-1", "dev-1", "dev-2"]
    warned = result.warnings
    assert warned["column"].tolist() == ["ip", "ip"]
    assert warned["value"].isna().all()  # personal data: not copied into the warnings file
    assert "999.1.2.3" not in warned["reason"].str.cat()
    assert "is not an IPv4 or IPv6 address" in warned["reason"].iloc[0]
    assert result.manifest["warnings_by_reason"] == {"transactions.ip.not_ip": 2}


def test_column_map_has_an_observations_section():
    cmap = ColumnMap(
        observations=TableMap(
            columns={"Ref": "observation_id", "Obs": "code"},
            values={"code": {"ESC": "escorted_by_third_party"}},
        )
    )
    frame = pd.DataFrame(
        {"Ref": ["x"], "account_id": ["A"], "timestamp": ["2025-01-02T10:00:00Z"], "Obs": ["ESC"]}
    )
    result = validate(
        pd.DataFrame([txn(1, "A", "2025-01-02T09:00:00Z")]), observations=frame, column_map=cmap
    )
    assert result.tables["observations"]["code"].tolist() == ["escorted_by_third_party"]
    with pytest.raises(ValueError, match="not a column of observations"):
        ColumnMap(observations=TableMap(columns={"Ref": "txn_id"}))


# ------------------------------------------------------------------------------ features


@pytest.fixture(scope="module")
def tiny():
    """Four accounts with hand-placed observations, transfers abroad and devices."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E"],
            "customer_id": ["c1", "c2", "c3", "c4", "c1"],
            "occupation": ["Cleaner", "Convenience store", None, "Teacher", "Cleaner"],
            "country": ["US"] * 5,
        }
    )
    transactions = pd.DataFrame(
        [
            # A: two transfers abroad, one escorted (within a day), one not; MSB payment escorted
            txn(1, "A", "2025-06-10T12:00:00Z", channel="wire", country="MX"),
            txn(2, "A", "2025-05-01T12:00:00Z", channel="wire", country="MX"),
            txn(3, "A", "2025-06-20T12:00:00Z", mcc="4829"),
            txn(4, "A", "2025-06-20T13:00:00Z", channel="wire", country="US"),  # domestic
            # devices: A and E (same customer c1) and B share dev-x; C shares B's home IP
            txn(5, "A", "2025-06-01T08:00:00Z", channel="p2p", device_id="dev-x", ip="198.18.0.1"),
            txn(6, "E", "2025-06-02T08:00:00Z", channel="p2p", device_id="dev-x", ip="198.18.0.2"),
            txn(7, "B", "2025-06-03T08:00:00Z", channel="p2p", device_id="dev-x", ip="198.18.0.3"),
            txn(8, "C", "2025-06-04T08:00:00Z", channel="p2p", device_id="dev-c", ip="198.18.0.3"),
            # an old shared device (outside 90 days) does not count
            txn(9, "D", "2025-01-04T08:00:00Z", channel="p2p", device_id="dev-c", ip="198.18.0.9"),
            txn(10, "D", "2025-06-29T08:00:00Z"),
        ]
    )
    observations = pd.DataFrame(
        [
            obs(1, "A", "2025-06-10T02:00:00Z", "escorted_by_third_party"),  # 10 h before wire
            obs(2, "A", "2025-06-21T10:00:00Z", "interpreter_insisted"),  # 22 h after MSB
            obs(3, "A", "2025-04-01T10:00:00Z", "third_party_holds_documents"),
            obs(4, "A", "2024-11-01T10:00:00Z", "third_party_speaks_for_customer"),  # > 180 d
            obs(5, "B", "2025-06-01T10:00:00Z", "small_bills_exchanged_for_large"),
            obs(6, "C", "2025-06-01T10:00:00Z", "small_bills_exchanged_for_large"),
            obs(7, "C", "2025-06-02T10:00:00Z", "small_bills_exchanged_for_large"),
            obs(8, "C", "2025-03-01T10:00:00Z", "small_bills_exchanged_for_large"),  # > 90 d
            obs(9, "D", "2025-05-01T10:00:00Z", "id_presented_by_other_person"),
            obs(10, "D", "2025-05-02T10:00:00Z", "minor_account_by_non_guardian"),
            obs(11, "D", "2025-05-03T10:00:00Z", "signs_of_abuse_or_poor_wellbeing"),
            obs(12, "D", "2025-07-03T10:00:00Z", "disoriented_or_scripted"),  # after as_of
            obs(13, "Z", "2025-05-03T10:00:00Z", "disoriented_or_scripted"),  # unknown account
        ]
    )
    result = validate(transactions, accounts, observations=observations)
    assert result.rejects.empty
    return result.tables


def test_observation_features_hand_computed(tiny):
    result = build_features(
        tiny["transactions"],
        tiny["accounts"],
        as_of=AS_OF,
        observations=tiny["observations"],
        lookback_days=0,
    )
    X = result.features
    assert not any(name in result.skipped for name in ("staff_observations", "shared_devices"))
    expected = {
        # third party, id/minor, wellbeing, exchanges, escorted transfers abroad
        "A": [3, 0, 0, 0, 2],
        "B": [0, 0, 0, 0, 0],  # convenience store: cash-intensive, exchanges do not count
        "C": [0, 0, 0, 2, 0],  # unknown occupation counts
        "D": [0, 2, 1, 0, 0],  # the observation after as_of is not read
        "E": [0, 0, 0, 0, 0],
    }
    for account, values in expected.items():
        assert X.loc[account, OBS_FEATURES].tolist() == values, account
    # A: B on dev-x (E is A's own customer); B: c1 once (A and E) and C on the IP; C: B
    assert X["shared_device_customers_90d"].to_dict() == {"A": 1, "B": 2, "C": 1, "D": 0, "E": 1}


def test_observation_features_read_nothing_after_as_of(tiny):
    early = build_features(
        tiny["transactions"],
        tiny["accounts"],
        as_of="2025-06-10",
        observations=tiny["observations"],
        lookback_days=0,
    ).features
    # the wire of 06-10 and its escort count; the MSB payment of 06-20 is after the cut-off
    assert early.loc["A", "escorted_transfers_abroad_90d"] == 1
    assert early.loc["A", "third_party_observations_180d"] == 2


def test_public_ip_addresses_are_ignored():
    n = 30
    transactions = pd.DataFrame(
        [
            txn(
                i,
                f"P{i}",
                "2025-06-01T08:00:00Z",
                channel="p2p",
                device_id=f"d{i}",
                ip="100.64.0.1",
            )
            for i in range(n)
        ]
    )
    tables = validate(transactions).tables
    X = build_features(tables["transactions"], as_of=AS_OF, lookback_days=0).features
    assert (X["shared_device_customers_90d"] == 0).all()


def test_skipped_with_reason_without_the_data(tiny):
    plain = tiny["transactions"].assign(device_id=pd.NA, ip=pd.NA)
    result = build_features(plain, tiny["accounts"], as_of=AS_OF, lookback_days=0)
    assert result.skipped["staff_observations"] == "no observations table was given"
    assert result.skipped["escorted_transfers"] == "no observations table was given"
    assert result.skipped["shared_devices"] == "column transactions.device_id is entirely null"
    assert result.features[[*OBS_FEATURES, "shared_device_customers_90d"]].isna().all().all()


def test_other_features_identical_with_and_without_observations(tiny):
    without = build_features(tiny["transactions"], tiny["accounts"], as_of=AS_OF).features
    with_obs = build_features(
        tiny["transactions"], tiny["accounts"], as_of=AS_OF, observations=tiny["observations"]
    ).features
    others = [c for c in without.columns if c not in OBS_FEATURES]
    pd.testing.assert_frame_equal(without[others], with_obs[others])


# ------------------------------------------------------------------------------ synthetic bank


@pytest.fixture(scope="module")
def bank():
    return generate(SynthConfig(n_accounts=600, months=3, seed=4, prevalence=0.08))


def test_synthetic_bank_has_devices_and_observations(bank):
    tx, o = bank.transactions, bank.observations
    online = tx["device_id"].notna()
    assert 0.05 < online.mean() < 0.5
    assert set(tx.loc[online, "channel"].unique()) <= {"p2p", "card"}
    assert (tx.loc[online, "direction"] == "debit").all()
    assert tx.loc[tx["channel"].isin(["atm", "cash"]), "device_id"].isna().all()
    assert tuple(o.columns) == OBSERVATIONS.names
    assert o["observation_id"].is_unique and len(o) > 0
    labels = bank.labels.set_index("account_id")
    involved = labels.loc[o["account_id"], "is_trafficking"].to_numpy()
    # observations are rare for ordinary customers, and only some trafficking accounts have one
    n_involved = int(labels["is_trafficking"].sum())
    seen_involved = o.loc[involved == 1, "account_id"].nunique()
    assert 0 < seen_involved < n_involved
    seen_other = o.loc[involved == 0, "account_id"].nunique()
    assert seen_other < 0.1 * (len(labels) - n_involved)


def test_synthetic_controllers_share_devices_with_victims(bank):
    tables = validate(bank.transactions, bank.accounts, observations=bank.observations).tables
    X = build_features(
        tables["transactions"], tables["accounts"], observations=tables["observations"]
    ).features
    roles = bank.labels.set_index("account_id")["role"].reindex(X.index)
    shared = X["shared_device_customers_90d"]
    assert shared[roles == "victim"].mean() > shared[roles.isna()].mean()


# ------------------------------------------------------------------------------ scoring and CLI


def test_score_tables_with_and_without_observations(tiny):
    with_obs = score_tables(tiny, as_of=AS_OF)
    tables = {k: v for k, v in tiny.items() if k != "observations"}
    without = score_tables(tables, as_of=AS_OF)
    assert "staff_observations" not in with_obs.manifest["features_skipped"]
    assert "staff_observations" in without.manifest["features_skipped"]
    assert len(with_obs.scores) == len(without.scores) == 5
    assert np.isfinite(with_obs.scores["score"]).all()


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bank")
    return write_bank(generate(SynthConfig(n_accounts=300, months=2, seed=9)), folder)


def _score(paths, out, *extra):
    args = ["score", "--transactions", paths["transactions"], "--accounts", paths["accounts"]]
    args += ["--out", out, "--quiet", *extra]
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_cli_score_lists_the_skipped_features(bank_dir, tmp_path):
    manifest = _score(bank_dir, tmp_path / "plain")
    skipped = manifest["scoring"]["features_skipped"]
    assert skipped["staff_observations"] == "no observations table was given"
    assert skipped["escorted_transfers"] == "no observations table was given"
    assert "shared_devices" not in skipped  # the synthetic bank logs devices


def test_cli_score_and_validate_with_observations(bank_dir, tmp_path):
    manifest = _score(bank_dir, tmp_path / "obs", "--observations", bank_dir["observations"])
    assert "staff_observations" not in manifest["scoring"]["features_skipped"]
    assert manifest["tables"]["observations"]["rows_rejected"] == 0
    assert "observations.parquet" in manifest["outputs"]
    out = tmp_path / "validated"
    args = [
        "validate",
        "--transactions",
        bank_dir["transactions"],
        "--observations",
        bank_dir["observations"],
        "--out",
        out,
        "--quiet",
    ]
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    assert result.exit_code == 0, result.output
    assert (out / "observations.parquet").exists()
