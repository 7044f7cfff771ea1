"""Backtesting and threshold tuning.

Hand-worked cases check every definition on an 8-account bank worked out on paper below;
hypothesis properties check the ranking maths on random tables; an end-to-end run on a small
synthetic bank checks that the summary is complete and the page is offline.

The hand-worked bank (combined ``score``; ``rule_score`` is 0 everywhere, a total tie;
``model_score`` ranks every positive first)::

    rank  id  score  y  typology  role        model
      1   a   0.90   1  sex       victim      0.9
      2   b   0.80   0  -         -           0.2   <- b and c tie at 0.80: b first (id order)
      3   c   0.80   1  labour    worker      0.8
      4   d   0.70   0  -         -           0.3
      5   e   0.60   1  sex       controller  0.7
      6   f   0.50   0  -         -           0.1
      7   g   0.40   0  -         -           0.4
      8   h   0.30   1  labour    victim      0.6

P = 4, N = 4.

Precision-recall points of ``score`` (alert when score >= t):

    t     TP FP  precision  recall
    0.9   1  0   1          0.25
    0.8   2  1   2/3        0.50   (b and c enter together)
    0.7   2  2   1/2        0.50
    0.6   3  2   3/5        0.75
    0.5   3  3   1/2        0.75
    0.4   3  4   3/7        0.75
    0.3   4  4   1/2        1.00

AP = sum (R_n - R_n-1) P_n = .25*1 + .25*(2/3) + .25*(3/5) + .25*(1/2) = 83/120 = 0.691667.
(Were the tie broken c-before-b, AP would be .25*(1 + 1 + 3/5 + 1/2) = 0.775: ties matter.)

Budgets on the ranking a b c d e f g h (labels 1 0 1 0 1 0 0 1):
    k=1: 1/1 = 1,    recall 1/4      k=2: 1/2,        recall 1/4 (b before c)
    k=3: 2/3,        recall 2/4      k=5: 3/5,        recall 3/4
    k=10: min(10, 8) = 8 alerts, 4/8 = 1/2, recall 1
    1xP = 4: 2/4, recall 1/2         2xP = 8: 4/8, recall 1

Per typology (positives of T against all four negatives b d f g):
    sex    (a, e): ranking a b d e f g -> labels 1 0 0 1 0 0
           AP = .5*1 + .5*(2/4) = 0.75
           k=2: a b -> precision 1/2, recall 1/2; overall top 2 (a b) holds a -> recall_overall 1/2
           k=5: a b d e f -> precision 2/5, recall 1; overall top 5 (a..e) holds a, e -> 1
    labour (c, h): ranking b c d f g h (b, c tie at .8, b first) -> labels 0 1 0 0 0 1
           AP = .5*(1/2) + .5*(2/6) = 5/12 = 0.416667
           k=2: b c -> precision 1/2, recall 1/2; overall top 2 (a b) holds none -> 0
           k=3: b c d -> precision 1/3, recall 1/2; overall top 3 (a b c) holds c -> 1/2

Per role (overall ranking a b c d e f g h): victim {a, h}, worker {c}, controller {e}
    k=1: victim 1/2, worker 0, controller 0
    k=3: victim 1/2, worker 1, controller 0
    k=5: victim 1/2, worker 1, controller 1
    k=10: victim 1, worker 1, controller 1

rule_score: one threshold (0) holding everyone: precision 4/8, recall 1 -> AP = 0.5; the
ranking falls back to id order a b c d e f g h, so precision@3 = 2/3.
model_score: positives 0.9 0.8 0.7 0.6 above every negative -> AP = 1, precision@4 = 1.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintrak.backtest import (
    backtest,
    backtest_files,
    below_the_line_sample,
    choose_threshold,
    threshold_for_precision,
    threshold_from_budget,
    write_backtest,
    write_threshold,
)
from fintrak.backtest.metrics import (
    Budget,
    average_precision,
    budget_metrics,
    precision_at_k,
    rank,
    recall_at_k,
)
from fintrak.exceptions import ConfigError, FintrakError, InputFileError, OutputExistsError

REPO = Path(__file__).resolve().parents[1]
BUDGETS = (1, 2, 3, 5, 10)


def _scores() -> pd.DataFrame:
    rows = [
        ("a", 0.90, 0.9),
        ("b", 0.80, 0.2),
        ("c", 0.80, 0.8),
        ("d", 0.70, 0.3),
        ("e", 0.60, 0.7),
        ("f", 0.50, 0.1),
        ("g", 0.40, 0.4),
        ("h", 0.30, 0.6),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "score", "model_score"])
    frame["rule_score"] = 0.0
    frame["typology"] = ["sex_trafficking"] * 4 + ["labour_trafficking"] * 4
    frame["alert"] = frame["score"] >= 0.8
    return frame


def _labels() -> pd.DataFrame:
    rows = [
        ("a", 1, "sex", "victim"),
        ("b", 0, None, None),
        ("c", 1, "labour", "worker"),
        ("d", 0, None, None),
        ("e", 1, "sex", "controller"),
        ("f", 0, None, None),
        ("g", 0, None, None),
        ("h", 1, "labour", "victim"),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "is_trafficking", "typology", "role"])
    frame["case_id"] = None
    frame["segment"] = "ordinary"
    return frame


@pytest.fixture(scope="module")
def hand():
    return backtest(_scores(), _labels(), budgets=BUDGETS, positive_multiples=(1, 2))


def _at(rows, name):
    (row,) = [r for r in rows if r["budget"] == name]
    return row


# --- hand-worked ------------------------------------------------------------------------------


def test_hand_worked_average_precision(hand):
    columns = hand.summary["columns"]
    assert columns["score"]["average_precision"] == pytest.approx(83 / 120)
    assert columns["rule_score"]["average_precision"] == pytest.approx(0.5)
    assert columns["model_score"]["average_precision"] == pytest.approx(1.0)


def test_hand_worked_budgets(hand):
    rows = hand.summary["columns"]["score"]["at_budget"]
    expected = {
        "1": (1, 1, 1.0, 0.25),
        "2": (2, 1, 0.5, 0.25),
        "3": (3, 2, 2 / 3, 0.5),
        "5": (5, 3, 0.6, 0.75),
        "10": (8, 4, 0.5, 1.0),
        "1xP": (4, 2, 0.5, 0.5),
        "2xP": (8, 4, 0.5, 1.0),
    }
    assert [r["budget"] for r in rows] == list(expected)
    for name, (alerts, hits, precision, recall) in expected.items():
        row = _at(rows, name)
        assert (row["alerts"], row["hits"]) == (alerts, hits), name
        assert row["precision"] == pytest.approx(precision), name
        assert row["recall"] == pytest.approx(recall), name
    assert _at(rows, "1xP")["k"] == 4
    assert _at(hand.summary["columns"]["rule_score"]["at_budget"], "3")["precision"] == (
        pytest.approx(2 / 3)
    )
    assert _at(hand.summary["columns"]["model_score"]["at_budget"], "1xP")["precision"] == 1.0


def test_ties_are_broken_by_account_id_whatever_the_row_order():
    shuffled = _scores().iloc[[7, 2, 5, 1, 0, 6, 3, 4]]
    assert rank(shuffled, "score")["account_id"].tolist() == list("abcdefgh")
    result = backtest(shuffled, _labels().iloc[::-1], budgets=(2,), positive_multiples=())
    # b (negative) before c (positive) at 0.80: precision@2 is 1/2, not 1
    assert result.summary["columns"]["score"]["at_budget"][0]["precision"] == 0.5
    renamed = _scores().replace({"account_id": {"b": "z"}})
    labels = _labels().replace({"account_id": {"b": "z"}})
    flipped = backtest(renamed, labels, budgets=(2,), positive_multiples=())
    # now c sorts before z: the tie goes the other way
    assert flipped.summary["columns"]["score"]["at_budget"][0]["precision"] == 1.0
    # AP treats the tie as one threshold, so it does not move
    assert flipped.summary["columns"]["score"]["average_precision"] == pytest.approx(83 / 120)


def test_hand_worked_per_typology(hand):
    groups = hand.summary["columns"]["score"]["by_typology"]
    assert sorted(groups) == ["labour", "sex"]
    sex, labour = groups["sex"], groups["labour"]
    assert (sex["positives"], sex["negatives"]) == (2, 4)
    assert sex["average_precision"] == pytest.approx(0.75)
    assert labour["average_precision"] == pytest.approx(5 / 12)
    two, five = _at(sex["at_budget"], "2"), _at(sex["at_budget"], "5")
    assert (two["precision"], two["recall"], two["recall_overall"]) == (0.5, 0.5, 0.5)
    assert (five["precision"], five["recall"], five["recall_overall"]) == (0.4, 1.0, 1.0)
    two, three = _at(labour["at_budget"], "2"), _at(labour["at_budget"], "3")
    assert (two["precision"], two["recall"], two["recall_overall"]) == (0.5, 0.5, 0.0)
    assert three["precision"] == pytest.approx(1 / 3)
    assert (three["recall"], three["recall_overall"]) == (0.5, 0.5)


def test_hand_worked_per_role_has_recall_only(hand):
    roles = hand.summary["columns"]["score"]["by_role"]
    assert sorted(roles) == ["controller", "victim", "worker"]
    expected = {"1": (0.5, 0.0, 0.0), "3": (0.5, 1.0, 0.0), "5": (0.5, 1.0, 1.0), "10": (1, 1, 1)}
    for name, (victim, worker, controller) in expected.items():
        assert _at(roles["victim"]["at_budget"], name)["recall"] == victim
        assert _at(roles["worker"]["at_budget"], name)["recall"] == worker
        assert _at(roles["controller"]["at_budget"], name)["recall"] == controller
    assert roles["victim"]["positives"] == 2
    assert all("precision" not in row for row in roles["victim"]["at_budget"])


def test_positive_without_typology_or_role_is_grouped_as_unknown():
    labels = _labels()
    labels.loc[labels["account_id"] == "h", ["typology", "role"]] = None
    result = backtest(_scores(), labels, budgets=(10,), positive_multiples=())
    column = result.summary["columns"]["score"]
    assert column["by_typology"]["unknown"]["positives"] == 1
    assert column["by_role"]["unknown"]["positives"] == 1


def test_unmatched_accounts_are_counted_not_dropped_silently():
    scores = pd.concat(
        [_scores(), _scores().head(1).assign(account_id="x", score=0.99)], ignore_index=True
    )
    labels = pd.concat(
        [
            _labels(),
            pd.DataFrame({"account_id": ["y1", "y2"], "is_trafficking": [1, 0]}),
        ],
        ignore_index=True,
    )
    result = backtest(scores, labels, budgets=BUDGETS, positive_multiples=(1, 2))
    coverage = result.summary["coverage"]
    assert coverage == {
        "scored": 9,
        "labelled": 10,
        "evaluated": 8,
        "scored_not_labelled": 1,
        "labelled_not_scored": 2,
        "positives_not_scored": 1,
        "positives": 4,
        "negatives": 4,
    }
    warnings = " ".join(result.summary["warnings"])
    assert "1 labelled positive(s) have no score" in warnings
    assert "1 scored account(s) have no label" in warnings
    # x (0.99, unlabelled) is left out: the metrics are those of the eight labelled accounts
    assert result.summary["columns"]["score"]["average_precision"] == pytest.approx(83 / 120)
    assert _at(result.summary["columns"]["score"]["at_budget"], "2")["precision"] == 0.5


# --- inputs -----------------------------------------------------------------------------------


def test_missing_column_names_the_column_and_the_source():
    with pytest.raises(InputFileError, match="model_score") as info:
        backtest(_scores().drop(columns="model_score"), _labels())
    assert "<scores DataFrame>" in str(info.value)
    assert info.value.column == "model_score"


def test_labels_other_than_zero_or_one_are_refused(tmp_path):
    labels = _labels()
    labels["is_trafficking"] = labels["is_trafficking"].astype(object)
    labels.loc[3, "is_trafficking"] = 2
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)
    with pytest.raises(InputFileError, match="must be 0 or 1") as info:
        backtest(_scores(), path)
    assert str(path) in str(info.value) and info.value.row == 4
    assert "fix:" in str(info.value)


def test_duplicate_account_ids_are_refused(tmp_path):
    scores = pd.concat([_scores(), _scores().tail(1)], ignore_index=True)
    path = tmp_path / "scores.parquet"
    scores.to_parquet(path)
    with pytest.raises(InputFileError, match="'h'.*more than once") as info:
        backtest(path, _labels())
    assert str(path) in str(info.value) and info.value.column == "account_id"
    labels = pd.concat([_labels(), _labels().head(1)], ignore_index=True)
    with pytest.raises(InputFileError, match="<labels DataFrame>.*more than once"):
        backtest(_scores(), labels)


def test_missing_score_and_bad_files_are_refused(tmp_path):
    scores = _scores()
    scores.loc[2, "score"] = np.nan
    with pytest.raises(InputFileError, match="'score'.*row 3"):
        backtest(scores, _labels())
    with pytest.raises(InputFileError, match="does not exist"):
        backtest(tmp_path / "nope.parquet", _labels())
    odd = tmp_path / "scores.xlsx"
    odd.write_text("x")
    with pytest.raises(InputFileError, match="unknown file type"):
        backtest(odd, _labels())


def test_csv_and_parquet_paths_give_the_same_numbers(tmp_path, hand):
    _scores().to_csv(tmp_path / "scores.csv", index=False)
    _labels().to_parquet(tmp_path / "labels.parquet")
    result = backtest(
        tmp_path / "scores.csv",
        tmp_path / "labels.parquet",
        budgets=BUDGETS,
        positive_multiples=(1, 2),
    )
    assert result.summary["columns"] == hand.summary["columns"]
    assert len(result.summary["inputs"]["scores_sha256"]) == 64


def test_bad_budget_is_a_config_error():
    with pytest.raises(ConfigError, match="at least 1"):
        backtest(_scores(), _labels(), budgets=(0,))


# --- outputs ----------------------------------------------------------------------------------


def test_write_backtest_refuses_to_overwrite(tmp_path, hand):
    paths = write_backtest(hand, tmp_path / "out")
    summary = json.loads(paths["summary"].read_text())
    assert summary["columns"]["score"]["average_precision"] == 0.691667
    with pytest.raises(OutputExistsError) as info:
        write_backtest(hand, tmp_path / "out")
    assert isinstance(info.value, FintrakError)
    assert str(paths["summary"]) in str(info.value) and "--overwrite" in str(info.value)
    write_backtest(hand, tmp_path / "out", overwrite=True)
    with pytest.raises(OutputExistsError, match="backtest.html"):
        backtest_files("missing.parquet", "missing.parquet", paths["html"].parent)


def test_outputs_are_byte_identical_and_keys_sorted(tmp_path, hand):
    one = write_backtest(hand, tmp_path / "one")
    again = backtest(_scores(), _labels(), budgets=BUDGETS, positive_multiples=(1, 2))
    two = write_backtest(again, tmp_path / "two")
    for key in ("summary", "html"):
        assert one[key].read_bytes() == two[key].read_bytes()
    text = one["summary"].read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert not re.search(r"\d\.\d{7,}", text), "floats must be rounded to 6 decimals"


# --- thresholds -------------------------------------------------------------------------------


def test_threshold_from_budget_and_the_tie_rule():
    choice = threshold_from_budget(_scores(), 3, labels=_labels())
    assert (choice.threshold, choice.expected_alerts, choice.method) == (0.8, 3, "budget")
    assert choice.expected_precision == pytest.approx(2 / 3)
    assert choice.expected_recall == 0.5
    assert choice.run == "<scores DataFrame>" and choice.scores_sha256 is None
    # b and c tie at 0.80 across the line of 2: move up to 0.90, one alert
    tied = threshold_from_budget(_scores(), 2)
    assert (tied.threshold, tied.expected_alerts) == (0.9, 1)
    assert tied.expected_precision is None
    everyone = threshold_from_budget(_scores(), 20)
    assert (everyone.threshold, everyone.expected_alerts) == (0.3, 8)
    # every rule_score ties at 0: no threshold gives at most 3 alerts but one above them all
    none = threshold_from_budget(_scores(), 3, column="rule_score")
    assert none.threshold > 0.0 and none.expected_alerts == 0


def test_threshold_for_target_precision():
    # precision is not monotone: 3/7 at 0.4 but 1/2 again at 0.3, the lowest reaching 0.5
    half = threshold_for_precision(_scores(), _labels(), 0.5)
    assert (half.threshold, half.expected_precision, half.expected_recall) == (0.3, 0.5, 1.0)
    assert half.expected_alerts == 8 and half.method == "target_precision"
    assert half.target_precision == 0.5
    more = threshold_for_precision(_scores(), _labels(), 0.55)
    assert (more.threshold, more.expected_precision, more.expected_recall) == (0.6, 0.6, 0.75)
    top = choose_threshold(_scores(), target_precision=0.7, labels=_labels())
    assert (top.threshold, top.expected_recall, top.expected_alerts) == (0.9, 0.25, 1)
    with pytest.raises(ConfigError, match="best is 0.5000"):
        threshold_for_precision(_scores(), _labels(), 0.9, column="rule_score")
    with pytest.raises(ConfigError, match="exactly one"):
        choose_threshold(_scores())
    with pytest.raises(ConfigError, match="needs labels"):
        choose_threshold(_scores(), target_precision=0.5)
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        threshold_for_precision(_scores(), _labels(), 1.5)


def test_write_threshold_updates_a_copy_of_the_model_folder(tmp_path):
    shipped = REPO / "models" / "default"
    before = (shipped / "config.json").read_bytes()
    folder = tmp_path / "model"
    shutil.copytree(shipped, folder)
    scores_path = tmp_path / "scores.parquet"
    _scores().to_parquet(scores_path)
    choice = threshold_from_budget(scores_path, 3, labels=_labels())
    written = write_threshold(folder, choice, today=date(2026, 1, 2))
    config = json.loads(written.read_text())
    old = json.loads(before)
    assert config["alert_threshold"] == 0.8
    record = config["threshold_choice"]
    assert record["method"] == "budget" and record["budget"] == 3
    assert record["date"] == "2026-01-02"
    assert record["expected_precision"] == pytest.approx(2 / 3)
    assert record["scores_sha256"] == choice.scores_sha256 and len(choice.scores_sha256) == 64
    assert {
        k: v for k, v in config.items() if k not in ("alert_threshold", "threshold_choice")
    } == {k: v for k, v in old.items() if k not in ("alert_threshold", "threshold_choice")}
    assert (shipped / "config.json").read_bytes() == before
    from fintrak.scoring.model import load_model

    assert load_model(folder).config["alert_threshold"] == 0.8
    with pytest.raises(ConfigError, match="combined score"):
        write_threshold(folder, threshold_from_budget(_scores(), 3, column="model_score"))
    with pytest.raises(FintrakError, match="config.json"):
        write_threshold(tmp_path / "empty", choice)


# --- below-the-line sampling -----------------------------------------------------------------


def _population(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "account_id": [f"acc{i:04d}" for i in range(n)],
            "score": np.round(rng.random(n), 3),
            "rule_score": 0.0,
            "model_score": 0.0,
            "typology": rng.choice(["funnel", "sex_trafficking", "labour_trafficking"], n),
        }
    )


def test_sample_design_is_written_and_reproducible():
    scores = _population()
    one = below_the_line_sample(scores, 0.6, size=20, seed=11, width=0.5)
    two = below_the_line_sample(scores.iloc[::-1], 0.6, size=20, seed=11, width=0.5)
    pd.testing.assert_frame_equal(one.sample, two.sample)
    assert one.design == two.design
    design = one.design
    band = scores[(scores["score"] >= 0.3) & (scores["score"] < 0.6)]
    assert design["population"] == band["typology"].value_counts().sort_index().to_dict()
    assert design["population_total"] == len(band)
    assert sum(design["sampled"].values()) == 20 == len(one.sample)
    assert design["seed"] == 11 and design["band"]["lower"] == pytest.approx(0.3)
    for name, count in design["sampled"].items():
        drawn = one.sample[one.sample["stratum"] == name]
        assert len(drawn) == count
        assert drawn["weight"].tolist() == [design["population"][name] / count] * count
    other = below_the_line_sample(scores, 0.6, size=20, seed=12, width=0.5)
    assert other.sample["account_id"].tolist() != one.sample["account_id"].tolist()


def test_sample_by_ranks_and_deciles():
    scores = _population()
    drawn = below_the_line_sample(
        scores, 0.6, size=10, seed=3, ranks=50, strata="decile", allocation="equal"
    )
    ranked = rank(scores, "score")
    below = ranked[ranked["score"] < 0.6].head(50)
    assert set(drawn.sample["account_id"]) <= set(below["account_id"])
    assert drawn.design["population"] == {f"d{i:02d}": 5 for i in range(1, 11)}
    assert drawn.design["sampled"] == {f"d{i:02d}": 1 for i in range(1, 11)}
    everything = below_the_line_sample(scores, 0.6, size=500, seed=3, ranks=50, strata=None)
    assert len(everything.sample) == 50 and set(everything.sample["weight"]) == {1.0}
    with pytest.raises(ConfigError, match="strata"):
        below_the_line_sample(scores, 0.6, size=10, seed=3, strata="segment")


# --- properties -------------------------------------------------------------------------------

labels_strategy = st.lists(st.integers(0, 1), min_size=1, max_size=40)


@given(y=labels_strategy, ks=st.lists(st.integers(1, 50), min_size=2, max_size=6))
def test_recall_at_k_never_decreases_in_k(y, ks):
    y = np.array(y)
    recalls = [recall_at_k(y, k) for k in sorted(ks)]
    if y.sum() == 0:
        assert all(r is None for r in recalls)
    else:
        assert all(a <= b for a, b in zip(recalls, recalls[1:], strict=False))


@given(
    data=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 1)), min_size=1, max_size=30, unique_by=None
    ),
    k=st.integers(1, 40),
)
def test_precision_at_budget_is_hits_over_min_k_n(data, k):
    frame = pd.DataFrame(
        {
            "account_id": [f"id{i:03d}" for i in range(len(data))],
            "score": [s / 5 for s, _ in data],
            "y": [label for _, label in data],
        }
    )
    order = sorted(range(len(data)), key=lambda i: (-frame["score"][i], frame["account_id"][i]))
    hits = sum(frame["y"][i] for i in order[:k])
    y_ranked = rank(frame, "score")["y"].to_numpy()
    (row,) = budget_metrics(y_ranked, [Budget(str(k), k)])
    assert row["hits"] == hits
    assert row["precision"] == pytest.approx(hits / min(k, len(data)))
    assert precision_at_k(y_ranked, k) == pytest.approx(hits / min(k, len(data)))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=50)
@given(
    data=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1)), min_size=2, max_size=30),
    seed=st.integers(0, 2**16),
)
def test_average_precision_does_not_depend_on_row_order(data, seed):
    y = np.array([label for _, label in data])
    s = np.array([score / 4 for score, _ in data])
    permutation = np.random.default_rng(seed).permutation(len(data))
    first, second = average_precision(y, s), average_precision(y[permutation], s[permutation])
    if y.sum() == 0:
        assert first is None and second is None
    else:
        assert first == pytest.approx(second)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(
    values=st.lists(st.integers(0, 6), min_size=1, max_size=30),
    k=st.integers(1, 35),
)
def test_threshold_from_budget_never_exceeds_the_budget(values, k):
    frame = pd.DataFrame(
        {
            "account_id": [f"id{i:03d}" for i in range(len(values))],
            "score": [v / 6 for v in values],
            "rule_score": 0.0,
            "model_score": 0.0,
        }
    )
    choice = threshold_from_budget(frame, k)
    scores = frame["score"].to_numpy()
    alerts = int((scores >= choice.threshold).sum())
    assert alerts == choice.expected_alerts <= k
    lower = scores[scores < choice.threshold]
    if len(lower):  # the lowest such threshold: the next score down would exceed the budget
        assert int((scores >= lower.max()).sum()) > k
    if k < len(values) and np.sort(scores)[::-1][k] < np.sort(scores)[::-1][k - 1]:
        assert alerts == k  # no tie across the line: exactly k


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=30)
@given(
    threshold=st.floats(0.05, 1.0),
    width=st.floats(0.05, 1.0),
    size=st.integers(1, 40),
    seed=st.integers(0, 1000),
    strata=st.sampled_from(["typology", "decile", None]),
)
def test_sample_is_deterministic_and_inside_the_band(threshold, width, size, seed, strata):
    scores = _population(120, seed=5)
    one = below_the_line_sample(scores, threshold, size=size, seed=seed, width=width, strata=strata)
    two = below_the_line_sample(scores, threshold, size=size, seed=seed, width=width, strata=strata)
    pd.testing.assert_frame_equal(one.sample, two.sample)
    lower = threshold * (1 - width)
    assert (one.sample["score"] < threshold).all() and (one.sample["score"] >= lower).all()
    assert len(one.sample) == min(size, one.design["population_total"])
    for name, count in one.design["sampled"].items():
        assert count <= one.design["population"][name]


# --- end to end on a synthetic bank -------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_backtest(tmp_path_factory):
    from fintrak.pipeline import score
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=800, months=3, seed=23))
    result = score(bank.transactions, bank.accounts, bank.intel)
    folder = tmp_path_factory.mktemp("backtest")
    scores_path, labels_path = folder / "scores.parquet", folder / "labels.parquet"
    result.scores.to_parquet(scores_path)
    bank.labels.to_parquet(labels_path)
    out = folder / "out"
    backtest_files(scores_path, labels_path, out)
    return bank, out


def test_synthetic_summary_is_complete(synthetic_backtest):
    bank, out = synthetic_backtest
    summary = json.loads((out / "summary.json").read_text())
    labels = bank.labels
    positives = labels[labels["is_trafficking"] == 1]
    assert len(positives) > 0
    assert summary["coverage"]["evaluated"] == len(labels)
    assert summary["coverage"]["positives"] == len(positives)
    assert [b["budget"] for b in summary["budgets"]] == [
        "50",
        "100",
        "250",
        "500",
        "1xP",
        "2xP",
        "5xP",
    ]
    for column in ("rule_score", "model_score", "score"):
        block = summary["columns"][column]
        assert 0.0 < block["average_precision"] <= 1.0
        assert len(block["at_budget"]) == 7
        assert set(block["by_typology"]) == set(positives["typology"].astype(str))
        assert set(block["by_role"]) == set(positives["role"].astype(str))
        recalls = [r["recall"] for r in block["at_budget"][:4]]
        assert recalls == sorted(recalls)
        for group in block["by_typology"].values():
            assert len(group["at_budget"]) == 7 and group["average_precision"] is not None


def test_synthetic_page_is_offline(synthetic_backtest):
    _, out = synthetic_backtest
    page = (out / "backtest.html").read_text()
    assert page.count("<svg") == 2
    assert "Precision-recall curves" in page and "Per typology" in page and "Per role" in page
    assert not re.search(r"https?:|//[a-z0-9]", page, re.IGNORECASE)
    assert not re.search(r"<script|<link|<img|<iframe|@import", page, re.IGNORECASE)
    assert not re.search(r'(?:src|href)\s*=\s*"(?!#)', page)
