"""Scoring end to end: SHAP reasons, alerts, the scores table, the CLI, training and model folders.

Every alert must explain itself (house style, habit 7) with SHAP contributions in raw log-odds
that add up to the model's raw score, each rendered with its feature's reason and actual value;
the same input must give byte-identical outputs (habit 9); user mistakes exit 2 with one message.
Everything runs on small synthetic banks shared at module scope.
"""

from __future__ import annotations

import json
import math
import shutil
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintrak
from fintrak.cli import app
from fintrak.explain import MIN_CONTRIBUTION, shap_explanation
from fintrak.features import CALCULATORS, FEATURES
from fintrak.features.builder import load_library
from fintrak.pipeline import SCORE_COLUMNS, alerts_jsonl, score_tables
from fintrak.resources import models_dir
from fintrak.scoring.model import load_model
from fintrak.synth import SynthConfig, generate, write_bank
from fintrak.validation import validate

load_library()

REPO = Path(__file__).resolve().parents[1]
ONLY_IN_ACCOUNTS = "zz-accounts-only"
ONLY_IN_TRANSACTIONS = "zz-transactions-only"
SCORE_DTYPES = {
    "account_id": "string",
    "score": "float64",
    "rule_score": "float64",
    "model_score": "float64",
    "typology": "string",
    "alert": "bool",
    "intel_matches": "int64",
}
DROPPED = ("mcc", "city", "memo", "counterparty_name")


# -- shared fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank():
    return generate(SynthConfig(n_accounts=500, months=2, seed=5, prevalence=0.05))


@pytest.fixture(scope="module")
def tables(bank):
    """The bank validated, plus one account only in ``accounts`` and one only in transactions."""
    transactions = bank.transactions.copy()
    extra = transactions.iloc[:3].copy()
    extra["account_id"] = ONLY_IN_TRANSACTIONS
    extra["txn_id"] = [f"extra-{i}" for i in range(len(extra))]
    lonely = bank.accounts.iloc[:1].copy()
    lonely["account_id"] = ONLY_IN_ACCOUNTS
    result = validate(
        pd.concat([transactions, extra], ignore_index=True),
        pd.concat([bank.accounts, lonely], ignore_index=True),
        bank.intel,
    )
    assert result.rejects.empty
    return result.tables


@pytest.fixture(scope="module")
def bundle():
    return load_model()


@pytest.fixture(scope="module")
def result(tables, bundle):
    return score_tables(tables, model=bundle)


@pytest.fixture(scope="module")
def contributions(result, bundle):
    """TreeSHAP contributions of every account (last column: the base value)."""
    return pd.DataFrame(
        bundle.contributions(result.features),
        index=result.features.index,
        columns=[*bundle.features, "_base"],
    )


@pytest.fixture(scope="module")
def bank_files(bank, tmp_path_factory):
    return write_bank(bank, tmp_path_factory.mktemp("bank"))


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=True)


def compact(text: str) -> str:
    return "".join(text.split())


def assert_exit(result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def score_cli(runner, files, out, *extra):
    args = ["score", "--transactions", files["transactions"], "--out", out, "--quiet"]
    for name in ("accounts", "intel"):
        if name in files:
            args += [f"--{name}", files[name]]
    return invoke(runner, *args, *extra)


# -- SHAP ------------------------------------------------------------------------------------------


def test_shap_additivity(result, bundle, contributions):
    X = bundle.matrix(result.features)
    raw = bundle.booster.predict(X, raw_score=True)
    values = contributions.drop(columns="_base").to_numpy()
    base = contributions["_base"].to_numpy()
    np.testing.assert_allclose(values.sum(axis=1) + base, raw, rtol=0, atol=1e-6)
    np.testing.assert_allclose(bundle.raw_score(result.features), raw, rtol=0, atol=1e-12)
    # the model score is the logistic of the raw score
    np.testing.assert_allclose(bundle.predict(result.features), 1 / (1 + np.exp(-raw)), atol=1e-9)


def test_shap_explanation_carries_the_same_values(result, bundle, contributions):
    import shap

    explanation = shap_explanation(bundle, result.features)
    assert isinstance(explanation, shap.Explanation)
    values = contributions.drop(columns="_base").to_numpy()
    np.testing.assert_allclose(explanation.values, values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(explanation.base_values, contributions["_base"], atol=1e-12)
    assert list(explanation.feature_names) == bundle.features
    np.testing.assert_array_equal(explanation.data, bundle.matrix(result.features).to_numpy())
    raw = bundle.raw_score(result.features)
    np.testing.assert_allclose(
        explanation.values.sum(axis=1) + explanation.base_values, raw, atol=1e-6
    )


def test_explanations_are_the_shap_contributions(result, contributions):
    reasons = result.explanations
    assert len(reasons) > 0
    for r in reasons.itertuples():
        assert r.contribution == pytest.approx(contributions.at[r.account_id, r.feature], abs=1e-12)
        assert r.value == pytest.approx(result.features.at[r.account_id, r.feature])


# -- alerts ----------------------------------------------------------------------------------------


def formatted_value(feature: str, value: float) -> str:
    """The value as the feature's reason template writes it."""
    spec = FEATURES[feature]
    for _, name, fmt, _ in string.Formatter().parse(spec.reason):
        if name == "value":
            return format(value, fmt or "")
    raise AssertionError(f"{feature}: reason has no {{value}}")


def test_there_are_alerts_to_check(result):
    assert len(result.alerts) >= 5
    assert result.alerts["alert_id"].is_unique
    assert set(result.alerts["account_id"]) == set(
        result.scores.loc[result.scores["alert"], "account_id"]
    )


def test_every_alert_explains_itself(result, bundle, contributions):
    X = bundle.matrix(result.features)
    by_account = dict(tuple(result.explanations.groupby("account_id")))
    for alert in result.alerts.itertuples():
        c = contributions.loc[alert.account_id].drop("_base")
        usable = int(((c.abs() >= MIN_CONTRIBUTION) & X.loc[alert.account_id].notna()).sum())
        reasons = alert.reasons
        if usable >= 3:
            assert len(reasons) >= 3, alert.account_id
        sizes = [abs(r["contribution"]) for r in reasons]
        assert all(s >= MIN_CONTRIBUTION for s in sizes)
        assert sizes == sorted(sizes, reverse=True)
        explained = by_account[alert.account_id]
        assert [r["feature"] for r in reasons] == explained["feature"].tolist()
        for reason, row in zip(reasons, explained.itertuples(), strict=True):
            assert reason["text"] == row.text
            assert formatted_value(row.feature, row.value) in row.text, row.text
            assert "{" not in row.text


def test_alert_ids_are_stable_and_depend_on_as_of(result, tables, bundle):
    again = score_tables(tables, model=bundle)
    assert again.alerts["alert_id"].tolist() == result.alerts["alert_id"].tolist()
    assert alerts_jsonl(again.alerts) == alerts_jsonl(result.alerts)
    last = pd.Timestamp(result.manifest["as_of"])
    earlier = score_tables(tables, model=bundle, as_of=(last - pd.Timedelta(days=1)).date())
    both = result.alerts.merge(earlier.alerts, on=["account_id", "typology"], suffixes=("", "_e"))
    assert len(both) > 0
    assert (both["alert_id"] != both["alert_id_e"]).all()
    assert not set(result.alerts["alert_id"]) & set(earlier.alerts["alert_id"])


# -- the scores table ------------------------------------------------------------------------------


def check_scores(scores: pd.DataFrame, threshold: float, expected_accounts) -> None:
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert {c: str(t) for c, t in scores.dtypes.items()} == SCORE_DTYPES
    assert scores["account_id"].is_unique
    assert sorted(scores["account_id"]) == sorted(expected_accounts)
    for column in ("score", "rule_score", "model_score"):
        assert scores[column].notna().all(), column
        assert scores[column].between(0.0, 1.0).all(), column
    assert (scores["alert"] == (scores["score"] >= threshold)).all()
    assert (scores["intel_matches"] >= 0).all()
    assert scores["score"].is_monotonic_decreasing


def test_scores_table(result, tables, bundle):
    expected = set(tables["accounts"]["account_id"]) | set(tables["transactions"]["account_id"])
    assert {ONLY_IN_ACCOUNTS, ONLY_IN_TRANSACTIONS} <= expected
    check_scores(result.scores, float(bundle.config["alert_threshold"]), expected)
    assert result.manifest["accounts_scored"] == len(expected)
    assert result.manifest["alerts"] == int(result.scores["alert"].sum())


def test_scoring_with_transactions_only(tables, bundle):
    only = score_tables({"transactions": tables["transactions"]}, model=bundle)
    check_scores(
        only.scores,
        float(bundle.config["alert_threshold"]),
        set(tables["transactions"]["account_id"]),
    )
    skipped = only.manifest["features_skipped"]
    for name, calc in CALCULATORS.items():
        if any(r.startswith(("accounts.", "intel.")) for r in calc.requires):
            assert name in skipped, name
    assert (only.scores["intel_matches"] == 0).all()


def test_python_score_returns_frames(bank):
    out = fintrak.score(bank.transactions, bank.accounts, bank.intel)
    for name in ("scores", "alerts", "explanations"):
        assert isinstance(getattr(out, name), pd.DataFrame), name
    assert list(out.scores.columns) == list(SCORE_COLUMNS)
    assert len(out.scores) == bank.accounts["account_id"].nunique()
    assert out.manifest["validation"]["rows_rejected"] == 0


@pytest.fixture(scope="module")
def without_optional_columns(bank):
    return fintrak.score(bank.transactions.drop(columns=list(DROPPED)), bank.accounts, bank.intel)


def test_scoring_without_optional_columns(without_optional_columns, bundle, bank):
    out = without_optional_columns
    check_scores(
        out.scores, float(bundle.config["alert_threshold"]), set(bank.accounts["account_id"])
    )
    assert isinstance(out.explanations, pd.DataFrame)


@pytest.mark.parametrize(
    "calculator",
    sorted(n for n, c in CALCULATORS.items() if set(c.requires) & set(DROPPED)),
)
def test_features_of_missing_columns_are_reported_skipped(without_optional_columns, calculator):
    out = without_optional_columns
    skipped = out.manifest["features_skipped"]
    assert calculator in skipped
    missing = set(CALCULATORS[calculator].requires) & set(DROPPED)
    assert any(column in skipped[calculator] for column in missing), skipped[calculator]
    for feature in CALCULATORS[calculator].specs:
        assert out.features[feature].isna().all(), feature


# -- the command line ------------------------------------------------------------------------------


def test_cli_score_is_deterministic(runner, bank_files, tmp_path):
    first = score_cli(runner, bank_files, tmp_path / "one")
    second = score_cli(runner, bank_files, tmp_path / "two")
    assert_exit(first, 0)
    assert_exit(second, 0)
    for name in ("scores.parquet", "alerts.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    alerts = (tmp_path / "one" / "alerts.jsonl").read_text().splitlines()
    assert alerts and all(json.loads(line)["reasons"] for line in alerts)


def test_cli_as_of_excludes_later_rows(runner, bank, bank_files, tmp_path):
    day = (bank.transactions["timestamp"].max() - pd.Timedelta(days=10)).strftime("%Y-%m-%d")
    end = pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
    earlier = bank.transactions[bank.transactions["timestamp"] < end]
    assert 0 < len(earlier) < len(bank.transactions)
    cut = tmp_path / "cut.parquet"
    earlier.to_parquet(cut, index=False)
    full = score_cli(runner, bank_files, tmp_path / "full", "--as-of", day)
    trimmed = score_cli(
        runner, {**bank_files, "transactions": cut}, tmp_path / "cut", "--as-of", day
    )
    assert_exit(full, 0)
    assert_exit(trimmed, 0)
    for name in ("scores.parquet", "alerts.jsonl"):
        assert (tmp_path / "full" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes()
    manifest = json.loads((tmp_path / "full" / "manifest.json").read_text())
    notes = manifest["scoring"]["feature_notes"]
    assert notes["transactions_after_as_of_ignored"] == len(bank.transactions) - len(earlier)
    assert manifest["scoring"]["as_of"].startswith(day)


@pytest.mark.parametrize("bad", ["2025-02-30", "yesterday", "03/01/2025"])
def test_cli_bad_as_of_exits_2(runner, bank_files, tmp_path, bad):
    result = score_cli(runner, bank_files, tmp_path / "out", "--as-of", bad)
    assert_exit(result, 2)
    assert "--as-of" in result.output
    assert bad in result.output
    assert "YYYY-MM-DD" in result.output


def test_model_folder_without_model_txt_exits_2(runner, bank_files, tmp_path):
    folder = tmp_path / "broken-model"
    shutil.copytree(models_dir() / "default", folder)
    (folder / "model.txt").unlink()
    result = score_cli(runner, bank_files, tmp_path / "out", "--model", folder)
    assert_exit(result, 2)
    assert str(folder) in compact(result.output)
    assert "model.txt" in result.output


# -- training --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def training_bank(tmp_path_factory):
    bank = generate(SynthConfig(n_accounts=400, months=2, seed=9, prevalence=0.05))
    return bank, write_bank(bank, tmp_path_factory.mktemp("training-bank"))


def train_cli(runner, files, labels, out):
    return invoke(
        runner,
        "train",
        "--transactions",
        files["transactions"],
        "--accounts",
        files["accounts"],
        "--intel",
        files["intel"],
        "--labels",
        labels,
        "--out",
        out,
        "--quiet",
    )


@pytest.fixture(scope="module")
def trained(runner, training_bank, tmp_path_factory):
    _, files = training_bank
    folder = tmp_path_factory.mktemp("trained") / "model"
    result = train_cli(runner, files, files["labels"], folder)
    assert_exit(result, 0)
    return folder


def test_train_writes_a_model_folder(trained):
    assert sorted(p.name for p in trained.iterdir()) == [
        "config.json",
        "model.txt",
        "model_card.json",
    ]
    config = json.loads((trained / "config.json").read_text())
    assert 0.0 <= config["alert_threshold"] <= 1.0
    assert set(config["features"]) <= set(FEATURES)
    card = json.loads((trained / "model_card.json").read_text())
    assert card["model_version"] == config["model_version"]
    assert (trained / "model.txt").read_text().startswith("tree")


def test_score_accepts_a_trained_model(runner, trained, bank_files, tmp_path):
    result = score_cli(runner, bank_files, tmp_path / "out", "--model", trained)
    assert_exit(result, 0)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    config = json.loads((trained / "config.json").read_text())
    assert manifest["scoring"]["model_version"] == config["model_version"]
    scores = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    check_scores(scores, config["alert_threshold"], set(scores["account_id"]))


def test_train_with_another_label_vocabulary(runner, training_bank, tmp_path):
    bank, files = training_bank
    names = {
        "sex_trafficking": "HT-SEX",
        "labour_trafficking": "HT-LABOUR",
        "funnel": "HT-FUNNEL",
        "human_smuggling": "SMUGGLING",
    }
    roles = {"controller": "pimp", "victim": "vic", "recruiter": "pimp"}
    labels = bank.labels.drop(columns=["case_id"])
    labels["typology"] = labels["typology"].map(names, na_action="ignore")
    labels["role"] = labels["role"].map(lambda r: roles.get(r, "other"), na_action="ignore")
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)
    result = train_cli(runner, files, path, tmp_path / "model")
    assert_exit(result, 0)
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    by_typology = next(v for k, v in card["metrics_held_out"].items() if "by_typology" in k)
    present = set(labels["typology"].dropna())
    assert set(by_typology) == present
    assert present <= set(names.values())


# -- no pickle -------------------------------------------------------------------------------------

PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".pck", ".dill"}


@pytest.mark.parametrize("root", [REPO / "models", models_dir()], ids=["repo", "installed"])
def test_no_pickle_in_models(root):
    files = [p for p in Path(root).rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.suffix.lower() not in PICKLE_SUFFIXES, path
        head = path.read_bytes()[:2]
        # every pickle protocol >= 2 starts with PROTO (0x80) and the protocol number
        assert not (len(head) == 2 and head[0] == 0x80 and head[1] <= 5), path
        if path.suffix == ".json":
            json.loads(path.read_text())
    assert (Path(root) / "default" / "model.txt").read_text().startswith("tree")


def test_training_label_without_typology_is_not_counted_as_a_typology(trained):
    card = json.loads((trained / "model_card.json").read_text())
    by_typology = next(v for k, v in card["metrics_held_out"].items() if "by_typology" in k)
    assert all(isinstance(k, str) and k and k != "nan" for k in by_typology)
    assert all(0.0 <= v <= 1.0 and not math.isnan(v) for v in by_typology.values())
