"""Suppression lists and the alert history: who reaches the threshold but raises no alert."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from fintrak.alerting import (
    RealertRule,
    active_suppressions,
    held_back_by_history,
    read_history,
    read_suppression,
    update_history,
    write_history,
)
from fintrak.cli import app
from fintrak.exceptions import InputFileError
from fintrak.pipeline import score_tables
from fintrak.scoring.model import load_model
from fintrak.synth import SynthConfig, generate, write_bank
from fintrak.validation import validate

AS_OF = "2025-03-01T00:00:00+00:00"


# -- suppression lists ----------------------------------------------------------------------------


def test_suppression_list_is_read_with_expiry_through_the_end_of_its_day(tmp_path):
    path = tmp_path / "suppress.csv"
    path.write_text(
        "account_id,reason,expires\n"
        "A1,domestic-violence shelter,\n"
        "A2,reviewed payroll hub,2025-02-28\n"
        "A3,reviewed landlord,2025-03-01\n"
        "A1,victim-support charity,\n"
    )
    listed = read_suppression(path)
    assert list(listed["account_id"]) == ["A1", "A2", "A3", "A1"]
    active = active_suppressions(listed, AS_OF)
    # A2 expired the day before; A3 applies through the whole of 1 March
    assert list(active.index) == ["A1", "A3"]
    assert active["A1"] == "domestic-violence shelter; victim-support charity"
    assert list(active_suppressions(listed, "2025-03-02T00:00:00+00:00").index) == ["A1"]
    assert list(active_suppressions(listed, None).index) == ["A1", "A2", "A3"]


@pytest.mark.parametrize(
    ("text", "column", "row"),
    [
        ("account_id\nA1\n", "reason", None),
        ("account_id,reason\nA1,shelter\n,charity\n", "account_id", 2),
        ("account_id,reason\nA1,shelter\nA2,  \n", "reason", 2),
        ("account_id,reason,expires\nA1,shelter,2025-13-01\n", "expires", 1),
    ],
)
def test_a_bad_suppression_list_names_file_column_and_row(tmp_path, text, column, row):
    path = tmp_path / "suppress.csv"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_suppression(path)
    assert caught.value.column == column
    assert caught.value.row == row
    assert str(path) in str(caught.value)


def test_a_missing_suppression_list_is_an_error_not_an_empty_list(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_suppression(tmp_path / "nowhere.csv")


# -- the re-alert rule, worked by hand ----------------------------------------------------------


def _history(*rows):
    frame = pd.DataFrame(
        rows, columns=["alert_id", "account_id", "typology", "as_of", "score", "intel_matches"]
    )
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True).astype("datetime64[us, UTC]")
    frame["model_version"] = "m1"
    for column in ("alert_id", "account_id", "typology", "model_version"):
        frame[column] = frame[column].astype("string")
    return frame


def _candidates(*rows):
    return pd.DataFrame(rows, columns=["account_id", "typology", "score", "intel_matches"])


def test_the_rule_holds_back_only_unchanged_repeats_of_the_same_typology():
    history = _history(
        # odds 0.9/0.1 = 9
        ("a-same", "same", "sex_trafficking", "2025-02-20", 0.90, 0),
        ("a-rose", "rose", "sex_trafficking", "2025-02-20", 0.90, 0),
        ("a-intel", "intel", "funnel", "2025-02-20", 0.95, 1),
        ("a-other", "other-typology", "funnel", "2025-02-20", 0.95, 0),
        ("a-old", "old", "funnel", "2024-11-01", 0.95, 0),  # 120 days before: forgotten
        ("a-null", "no-typology", None, "2025-02-01", 0.92, 0),
        ("a-tonight", "tonight", "funnel", "2025-03-01", 0.95, 0),  # this run itself
        # an earlier, lower alert of "same": the latest one is the reference
        ("a-same-0", "same", "sex_trafficking", "2025-01-10", 0.50, 0),
    )
    candidates = _candidates(
        ("same", "sex_trafficking", 0.94, 0),  # odds 15.7: x1.74 < x2 -> held
        ("rose", "sex_trafficking", 0.95, 0),  # odds 19: x2.11 -> alert again
        ("intel", "funnel", 0.95, 2),  # one more intelligence match -> alert again
        ("other-typology", "labour_trafficking", 0.95, 0),  # another typology -> alert
        ("old", "funnel", 0.95, 0),
        ("no-typology", None, 0.92, 0),  # same (missing) typology, same score -> held
        ("tonight", "funnel", 0.95, 0),
        ("new", "funnel", 0.99, 0),
    )
    held = held_back_by_history(candidates, history, AS_OF)
    assert list(held.index) == ["no-typology", "same"]
    assert "sex_trafficking on 2025-02-20 (alert a-same" in held["same"]
    assert "odds x1.74 < x2" in held["same"]
    assert "no typology" in held["no-typology"]
    # a longer window remembers "old"; a smaller factor lets "same" through
    assert "old" in held_back_by_history(candidates, history, AS_OF, RealertRule(window_days=200))
    assert "same" not in held_back_by_history(
        candidates, history, AS_OF, RealertRule(odds_ratio=1.5)
    )


def test_the_rule_has_nothing_to_hold_without_history():
    candidates = _candidates(("x", "funnel", 0.99, 0))
    assert held_back_by_history(candidates, None, AS_OF).empty
    assert held_back_by_history(candidates, _history(), AS_OF).empty


@pytest.mark.parametrize("kwargs", [{"window_days": 0}, {"odds_ratio": 1.0}])
def test_a_rule_that_could_never_hold_or_never_release_is_refused(kwargs):
    with pytest.raises(ValueError):
        RealertRule(**kwargs)


def test_history_round_trips_and_a_rerun_replaces_its_own_night(tmp_path):
    alerts = pd.DataFrame(
        {
            "alert_id": ["x1", "y1"],
            "account_id": ["X", "Y"],
            "typology": ["funnel", None],
            "score": [0.97, 0.91],
            "model_version": ["m1", "m1"],
        }
    )
    intel = pd.Series({"X": 2, "Y": 0})
    first = update_history(None, alerts, intel, "2025-02-01T00:00:00+00:00")
    again = update_history(first, alerts.iloc[:1], intel, "2025-02-01T00:00:00+00:00")
    assert list(again["account_id"]) == ["X"]
    later = update_history(first, alerts.iloc[1:], intel, AS_OF)
    assert list(later["account_id"]) == ["X", "Y", "Y"]
    path = tmp_path / "history.parquet"
    write_history(later, path)
    back = read_history(path)
    pd.testing.assert_frame_equal(back, later)
    assert back.loc[0, "intel_matches"] == 2
    assert read_history(tmp_path / "not-yet.parquet").empty


def test_a_damaged_history_names_its_column_and_row(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "alert_id,account_id,typology,as_of,score,intel_matches,model_version\n"
        "a,X,funnel,2025-02-01T00:00:00+00:00,0.9,0,m1\n"
        "b,Y,funnel,2025-02-01T00:00:00+00:00,1.7,0,m1\n"
    )
    with pytest.raises(InputFileError) as caught:
        read_history(path)
    assert (caught.value.column, caught.value.row) == ("score", 2)


# -- in a scoring run ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank():
    return generate(SynthConfig(n_accounts=500, months=2, seed=5, prevalence=0.05))


@pytest.fixture(scope="module")
def tables(bank):
    return validate(bank.transactions, bank.accounts, bank.intel).tables


@pytest.fixture(scope="module")
def bundle():
    return load_model()


@pytest.fixture(scope="module")
def plain(tables, bundle):
    return score_tables(tables, model=bundle)


def test_a_suppressed_account_is_scored_reported_and_not_alerted(tables, bundle, plain):
    assert len(plain.alerts) >= 2
    assert plain.held_back.empty
    top = str(plain.alerts["account_id"].iloc[0])
    listed = pd.DataFrame(
        {"account_id": [top], "reason": ["reviewed: domestic-violence shelter"], "expires": [None]}
    )
    result = score_tables(tables, model=bundle, suppression=listed)
    assert top not in set(result.alerts["account_id"])
    assert len(result.alerts) == len(plain.alerts) - 1
    scored = result.scores.set_index("account_id").loc[top]
    assert scored["score"] == plain.scores.set_index("account_id").loc[top, "score"]
    assert not scored["alert"]
    row = result.held_back.set_index("account_id").loc[top]
    assert row["held_by"] == "suppression"
    assert "domestic-violence shelter" in row["reason"]
    assert result.manifest["held_back"]["suppression"] == 1


def test_tomorrow_repeats_are_held_back_and_a_rise_alerts_again(tables, bundle, plain):
    as_of = plain.manifest["as_of"]
    yesterday = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).isoformat()
    intel = plain.scores.set_index(plain.scores["account_id"].astype(str))["intel_matches"]
    history = update_history(None, plain.alerts, intel, yesterday)
    # one account was weaker yesterday: its odds have since more than doubled
    riser = str(plain.alerts["account_id"].iloc[-1])
    weak = history["account_id"] == riser
    history.loc[weak, "score"] = 0.5
    result = score_tables(tables, model=bundle, history=history)
    assert list(result.alerts["account_id"]) == [riser]
    assert set(result.held_back["held_by"]) == {"history"}
    assert len(result.held_back) == len(plain.alerts) - 1
    assert result.manifest["held_back"]["history"] == len(plain.alerts) - 1


def test_score_command_keeps_the_history_and_reports_held_back(bank, tmp_path):
    files = write_bank(bank, tmp_path / "bank")
    history = tmp_path / "history.parquet"
    runner = CliRunner()

    def run(out, as_of):
        return runner.invoke(
            app,
            [
                "score",
                "--transactions",
                str(files["transactions"]),
                "--accounts",
                str(files["accounts"]),
                "--out",
                str(tmp_path / out),
                "--as-of",
                as_of,
                "--history",
                str(history),
                "--quiet",
            ],
        )

    first = run("night1", "2025-02-27")
    assert first.exit_code == 0, first.output
    stored = read_history(history)
    alerts = pd.read_json(tmp_path / "night1" / "alerts.jsonl", lines=True, dtype=False)
    assert sorted(stored["alert_id"]) == sorted(alerts["alert_id"])
    second = run("night2", "2025-02-28")
    assert second.exit_code == 0, second.output
    held = pd.read_parquet(tmp_path / "night2" / "held_back.parquet")
    assert len(held) > 0 and set(held["held_by"]) == {"history"}
    tonight = (tmp_path / "night2" / "alerts.jsonl").read_text().splitlines()
    assert len(read_history(history)) == len(stored) + len(tonight)


# -- dispositions ----------------------------------------------------------------------------------


def test_the_latest_conclusive_decision_labels_an_account(tmp_path):
    from fintrak.alerting import labels_from_dispositions, read_dispositions

    path = tmp_path / "dispositions.csv"
    path.write_text(
        "account_id,outcome,decided_at,alert_id,typology\n"
        "A,false_positive,2025-01-10,a1,\n"
        "A,sar_filed,2025-02-10,a2,labour trafficking\n"  # later: positive
        "B,true_positive,2025-02-01,b1,sex\n"
        "B,false_positive,2025-03-01,b2,sex\n"  # later: negative, typology dropped
        "C,inconclusive,2025-02-01,c1,\n"
        "D,True_Positive,2025-02-01,d1,\n"  # case is ignored
        "D,false_positive,2025-02-01,d2,\n"  # same day: the later row wins
    )
    labels = labels_from_dispositions(read_dispositions(path))
    assert list(labels["account_id"]) == ["A", "B", "D"]
    assert list(labels["is_trafficking"]) == [1, 0, 0]
    assert labels["typology"].iloc[0] == "labour trafficking"
    assert labels["typology"].iloc[1:].isna().all()


@pytest.mark.parametrize(
    ("text", "column", "row"),
    [
        ("account_id,outcome\nA,sar_filed\n", "decided_at", None),
        (
            "account_id,outcome,decided_at\nA,sar_filed,2025-01-01\nB,maybe,2025-01-01\n",
            "outcome",
            2,
        ),
        ("account_id,outcome,decided_at\nA,sar_filed,01/02/2025\n", "decided_at", 1),
        ("account_id,outcome,decided_at\n,sar_filed,2025-01-01\n", "account_id", 1),
    ],
)
def test_a_bad_dispositions_file_names_column_and_row(tmp_path, text, column, row):
    from fintrak.alerting import read_dispositions

    path = tmp_path / "dispositions.csv"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_dispositions(path)
    assert (caught.value.column, caught.value.row) == (column, row)
