"""Typologies: a contract over every shipped typology and case, the loader's checks, the scorer."""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fintrak.exceptions import FintrakError
from fintrak.features._registry import FEATURES, TYPOLOGIES, FeatureSpec
from fintrak.features.builder import feature_names
from fintrak.reference import load_catalogue
from fintrak.scoring.rules import (
    HIT_COLUMNS,
    NotFittedError,
    RuleScorer,
    role_hypothesis,
    run_cases,
)
from fintrak.typologies import (
    Typology,
    TypologyError,
    cases_path,
    load_typologies,
    load_typology,
    render_markdown,
    typology_files,
)


@functools.cache
def known_features() -> frozenset[str]:
    return frozenset(feature_names())


FILES = typology_files()


@functools.cache
def shipped(stem: str) -> Typology:
    return load_typology(next(p for p in FILES if p.stem == stem), known_features=known_features())


def _case_params() -> list:
    params = []
    for path in FILES:
        raw = yaml.safe_load(cases_path(path).read_text(encoding="utf-8")) or []
        for number, case in enumerate(raw):
            name = case.get("name", f"case {number + 1}") if isinstance(case, dict) else number
            params.append(pytest.param(path.stem, name, id=f"{path.stem}::{name}"))
    return params


# ------------------------------------------------------------------------- shipped typologies


def test_the_four_typologies_are_shipped():
    assert sorted(p.stem for p in FILES) == sorted(TYPOLOGIES)


@pytest.mark.parametrize("stem", [p.stem for p in FILES])
def test_typology_loads_and_passes_every_check(stem):
    typology = shipped(stem)
    assert typology.id == stem
    assert typology.key == f"{stem}@{typology.version}"


@pytest.mark.parametrize("stem", [p.stem for p in FILES])
def test_typology_has_the_required_kinds_of_case(stem):
    cases = shipped(stem).cases
    levels = {c.expect.level for c in cases}
    assert {"alert", "review"} <= levels, "needs a clear positive (alert) and a borderline (review)"
    lookalikes = [c for c in cases if c.lookalike]
    assert lookalikes, "needs at least one legitimate look-alike"
    assert all(c.expect.level != "alert" for c in lookalikes)
    empty = [c for c in cases if not c.features]
    assert empty and all(c.expect.level == "none" and c.expect.fired == () for c in empty)


@pytest.mark.parametrize("stem", [p.stem for p in FILES])
def test_every_indicator_cites_a_row_and_a_source_and_no_flag_alerts_alone(stem):
    typology = shipped(stem)
    catalogue = load_catalogue()
    for ind in typology.indicators:
        assert any(r in catalogue.indicators for r in ind.references), ind.id
        assert any(r in catalogue.sources for r in ind.references), ind.id
        assert ind.max_points < typology.thresholds.alert, ind.id
        for band in ind.bands:
            assert band.reason.strip(), ind.id


@pytest.mark.parametrize(("stem", "case"), _case_params())
def test_case(stem, case):
    outcomes = {o.case: o for o in run_cases(shipped(stem))}
    outcome = outcomes[case]
    assert outcome.passed, f"{stem} case {case!r}: " + "; ".join(outcome.problems)


def test_reference_page_lists_every_indicator_and_reference():
    typologies = [shipped(p.stem) for p in FILES]
    page = render_markdown(typologies)
    for t in typologies:
        assert f"`{t.key}`" in page
        for ind in t.indicators:
            assert f"| `{ind.id}` | `{ind.feature}` |" in page
            for ref in ind.references:
                assert f"- {ref}" in page
        for fp in t.falsepositives:
            assert fp.split(";")[0] in page


def test_scorer_on_all_shipped_typologies_is_vectorised_and_deterministic():
    typologies = [shipped(p.stem) for p in FILES]
    scorer = RuleScorer(typologies).fit()
    rng = np.random.default_rng(7)
    n = 5_000
    X = pd.DataFrame(
        {f: rng.choice([np.nan, 0, 0.5, 1, 3, 10, 30, 3000], size=n) for f in scorer.features_in_},
        index=pd.Index([f"acc{i:05d}" for i in range(n)], name="account_id"),
    )
    first, second = scorer.score(X), scorer.score(X)
    pd.testing.assert_frame_equal(first.hits, second.hits)
    pd.testing.assert_frame_equal(first.accounts, second.accounts)
    summed = first.hits.groupby(["account_id", "typology"])["points"].sum().unstack(fill_value=0)
    summed = summed.reindex(index=X.index, columns=first.points.columns, fill_value=0.0)
    np.testing.assert_allclose(summed.to_numpy(), first.points.to_numpy())
    assert first.accounts["rule_score"].between(0, 1).all()


# -------------------------------------------------------------------------------- loader errors

KNOWN = {"f_count", "f_share", "f_hours"}


def _typology(**changes) -> dict:
    data = {
        "id": "toy",
        "version": "1.0.0",
        "title": "Toy typology",
        "status": "experimental",
        "description": "A typology for tests.",
        "references": ["F20"],
        "indicators": [
            {
                "id": "toy.count",
                "feature": "f_count",
                "suggests_role": "controller",
                "references": ["A1", "F20"],
                "bands": [
                    {"lower": 0, "upper": 3, "points": 10, "reason": "0-2"},
                    {"lower": 3, "points": 30, "reason": "3+"},
                ],
            },
            {
                "id": "toy.share",
                "feature": "f_share",
                "suggests_role": "victim",
                "references": ["G1", "F26"],
                "bands": [
                    {"upper": 0.05, "points": 25, "reason": "low"},
                    {"lower": 0.4, "points": -10, "reason": "mitigating"},
                ],
            },
            {
                "id": "toy.hours",
                "feature": "f_hours",
                "references": ["E1", "F14"],
                "bands": [{"upper": 24, "points": 20, "reason": "fast"}],
            },
        ],
        "thresholds": {"review": 40, "alert": 70},
        "falsepositives": ["Honest people."],
    }
    data.update(changes)
    return data


CASES = [
    {
        "name": "positive",
        "features": {"f_count": 5, "f_share": 0.0, "f_hours": 2},
        "expect": {"level": "alert", "fired": ["toy.count", "toy.share", "toy.hours"]},
    },
    {
        "name": "look-alike",
        "lookalike": True,
        "features": {"f_count": 5},
        "expect": {"level": "none"},
    },
    {"name": "empty", "features": {}, "expect": {"level": "none", "fired": []}},
]


def _write(folder: Path, typology: dict, cases: list | None = CASES, stem: str = "toy") -> Path:
    path = folder / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(typology, allow_unicode=True), encoding="utf-8")
    if cases is not None:
        (folder / f"{stem}.cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    return path


def _load(folder: Path, typology: dict, cases: list | None = CASES) -> Typology:
    return load_typology(_write(folder, typology, cases), known_features=KNOWN)


def _mutated(path: tuple, value) -> dict:
    data = copy.deepcopy(_typology())
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


def test_a_valid_toy_typology_loads(tmp_path):
    typology = _load(tmp_path, _typology())
    assert [c.name for c in typology.cases] == ["positive", "look-alike", "empty"]
    assert all(o.passed for o in run_cases(typology))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(_typology(version="1.0"), "semantic version", id="version-not-semver"),
        pytest.param(_typology(id="Toy"), "must match", id="id-format"),
        pytest.param(_typology(id="other"), "must equal the file name", id="id-not-file-name"),
        pytest.param(
            _mutated(("indicators", 0, "id"), "count"), "the id must be `toy.<name>`", id="prefix"
        ),
        pytest.param(
            _mutated(("indicators", 1, "id"), "toy.count"), "the id is used twice", id="dup-id"
        ),
        pytest.param(
            _mutated(("indicators", 0, "feature"), "f_cuont"),
            "'f_cuont' is not a registered feature",
            id="unknown-feature",
        ),
        pytest.param(
            _mutated(("indicators", 0, "bands", 1, "lower"), 2),
            "must be ordered and must not overlap",
            id="overlapping-bands",
        ),
        pytest.param(
            _mutated(
                ("indicators", 0, "bands"),
                [
                    {"lower": 3, "points": 30, "reason": "3+"},
                    {"lower": 0, "upper": 3, "points": 10, "reason": "0-2"},
                ],
            ),
            "must be ordered and must not overlap",
            id="unordered-bands",
        ),
        pytest.param(
            _mutated(("indicators", 0, "bands", 0, "upper"), 0),
            "lower (0) must be below upper (0)",
            id="empty-band",
        ),
        pytest.param(
            _mutated(("indicators", 2, "bands", 0), {"points": 20, "reason": "always"}),
            "needs a lower or an upper bound",
            id="unbounded-band",
        ),
        pytest.param(
            _mutated(("indicators", 2, "bands", 0, "points"), 0), "non-zero", id="zero-points"
        ),
        pytest.param(
            _mutated(("indicators", 2, "bands", 0, "upper"), float("inf")),
            "must be finite",
            id="infinite-bound",
        ),
        pytest.param(
            _mutated(("indicators", 0, "bands", 1, "points"), 70),
            "No single red flag",
            id="single-flag-alerts",
        ),
        pytest.param(
            _typology(thresholds={"review": 70, "alert": 40}),
            "0 < review < alert",
            id="thresholds-order",
        ),
        pytest.param(
            _typology(thresholds={"review": 40, "alert": 500}),
            "cannot be reached",
            id="alert-unreachable",
        ),
        pytest.param(
            _mutated(("indicators", 0, "references"), ["A1", "F99"]),
            "['F99'] do not resolve",
            id="unresolved-reference",
        ),
        pytest.param(
            _mutated(("indicators", 0, "references"), ["F20"]),
            "at least one catalogue row",
            id="no-catalogue-row",
        ),
        pytest.param(
            _mutated(("indicators", 0, "references"), ["A1"]),
            "at least one source key",
            id="no-source-key",
        ),
        pytest.param(_typology(references=["Z9"]), "do not resolve", id="typology-reference"),
        pytest.param(
            _mutated(("indicators", 0, "suggests_role"), "boss"),
            "indicators > 1 (toy.count) > suggests_role",
            id="unknown-role",
        ),
        pytest.param(_typology(thresholds={"review": 40}), "thresholds > alert", id="missing-key"),
        pytest.param(_typology(severity="high"), "severity: Extra inputs", id="extra-key"),
        pytest.param(_typology(cases=[]), "cases belong in toy.cases.yaml", id="inline-cases"),
    ],
)
def test_loader_rejects(tmp_path, data, message):
    with pytest.raises(TypologyError) as info:
        _load(tmp_path, data)
    text = str(info.value)
    assert message in text
    assert str(tmp_path / "toy.yaml") in text
    assert isinstance(info.value, FintrakError) and isinstance(info.value, ValueError)


def test_loader_errors_name_the_indicator_and_the_fix(tmp_path):
    data = _mutated(("indicators", 0, "bands", 1, "lower"), 2)
    with pytest.raises(TypologyError, match=r"indicator 'toy.count', band 2") as info:
        _load(tmp_path, data)
    assert "fix:" in str(info.value)


def test_loader_reports_every_problem_at_once(tmp_path):
    data = _mutated(("indicators", 0, "feature"), "nope")
    data["version"] = "one"
    data["thresholds"] = {"review": 80, "alert": 70}
    with pytest.raises(TypologyError) as info:
        _load(tmp_path, data)
    assert len(info.value.problems) >= 3


@pytest.mark.parametrize(
    ("cases", "message"),
    [
        pytest.param(None, "cases file toy.cases.yaml is missing", id="missing-file"),
        pytest.param({"name": "x"}, "must hold a list of cases", id="not-a-list"),
        pytest.param([], "has no cases", id="no-cases"),
        pytest.param(
            [{"name": "a", "features": {"f_other": 1}, "expect": {"level": "none"}}],
            "not read by any indicator",
            id="unknown-feature",
        ),
        pytest.param(
            [{"name": "a", "expect": {"level": "none", "fired": ["toy.nope"]}}],
            "['toy.nope'] are not in toy",
            id="unknown-indicator",
        ),
        pytest.param(
            [{"name": "a", "lookalike": True, "expect": {"level": "alert"}}],
            "must not expect 'alert'",
            id="lookalike-alert",
        ),
        pytest.param(
            [{"name": "a", "expect": {"level": "high"}}], "case 1 (a) > expect > level", id="level"
        ),
        pytest.param(
            [
                {"name": "a", "expect": {"level": "none"}},
                {"name": "a", "expect": {"level": "none"}},
            ],
            "the name is used twice",
            id="duplicate-name",
        ),
        pytest.param(
            [
                {
                    "name": "a",
                    "expect": {"level": "none", "fired": ["toy.count"], "not_fired": ["toy.count"]},
                }
            ],
            "both in fired and not_fired",
            id="fired-and-not-fired",
        ),
    ],
)
def test_loader_rejects_bad_cases(tmp_path, cases, message):
    with pytest.raises(TypologyError, match=None) as info:
        _load(tmp_path, _typology(), cases)
    assert message in str(info.value)


def test_loader_rejects_invalid_yaml_and_non_mappings(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(TypologyError, match="not valid YAML"):
        load_typology(path, known_features=KNOWN)
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(TypologyError, match="must hold a mapping"):
        load_typology(path, known_features=KNOWN)
    with pytest.raises(TypologyError, match="does not exist"):
        load_typology(tmp_path / "absent.yaml", known_features=KNOWN)


def test_share_bands_must_be_fractions(tmp_path, monkeypatch):
    spec = FeatureSpec(
        "a share", "{value:.0%}", ("funnel",), ("E1", "F20"), "share", "30D", "share"
    )
    monkeypatch.setitem(FEATURES, "f_share", spec)
    data = _mutated(("indicators", 1, "bands", 1, "lower"), 40)
    with pytest.raises(TypologyError, match=r"write shares as fractions"):
        _load(tmp_path, data)


def test_load_typologies_reads_a_folder_sorted_by_id(tmp_path):
    _write(tmp_path, _typology())
    second = _typology(id="abc")
    for ind in second["indicators"]:
        ind["id"] = ind["id"].replace("toy.", "abc.")
    cases = copy.deepcopy(CASES)
    for case in cases:
        if "fired" in case["expect"]:
            case["expect"]["fired"] = [f.replace("toy.", "abc.") for f in case["expect"]["fired"]]
    _write(tmp_path, second, cases, stem="abc")
    loaded = load_typologies(tmp_path, known_features=KNOWN)
    assert [t.id for t in loaded] == ["abc", "toy"]


# ------------------------------------------------------------------------------------- scorer


@pytest.fixture
def toy(tmp_path) -> Typology:
    return _load(tmp_path, _typology())


def _frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    index = pd.Index([f"a{i}" for i in range(n)], name="account_id")
    base = {f: [np.nan] * n for f in ("f_count", "f_share", "f_hours")}
    base.update(columns)
    return pd.DataFrame(base, index=index, dtype=float)


def test_band_bounds_lower_inclusive_upper_exclusive_zero_is_a_bound_nan_fires_nothing(toy):
    X = _frame(f_count=[0, 2.999, 3, -1, np.nan], f_hours=[23.99, 24, np.nan, 0, -5])
    result = RuleScorer([toy]).fit().score(X)
    assert result.points["toy"].tolist() == [30.0, 10.0, 30.0, 20.0, 20.0]
    fired = result.hits.groupby("account_id")["indicator"].apply(list).to_dict()
    assert fired == {
        "a0": ["toy.count", "toy.hours"],
        "a1": ["toy.count"],
        "a2": ["toy.count"],
        "a3": ["toy.hours"],
        "a4": ["toy.hours"],
    }


def test_mitigating_points_lower_the_sum_and_never_make_the_score_negative(toy):
    X = _frame(f_share=[0.5, 0.5], f_count=[np.nan, 5])
    result = RuleScorer([toy]).fit().score(X)
    assert result.points["toy"].tolist() == [-10.0, 20.0]
    assert result.accounts["rule_score"].tolist() == [0.0, 0.25]
    assert pd.isna(result.accounts.loc["a0", "rule_typology"])
    assert result.accounts.loc["a1", "rule_typology"] == "toy"


def test_levels_thresholds_and_rule_score(toy):
    X = _frame(
        f_count=[np.nan, 1, 3, 3, 3],
        f_hours=[np.nan, np.nan, np.nan, 1, 1],
        f_share=[np.nan] * 4 + [0],
    )
    result = RuleScorer([toy]).fit().score(X)
    assert result.points["toy"].tolist() == [0.0, 10.0, 30.0, 50.0, 75.0]
    assert result.levels["toy"].astype(str).tolist() == ["none", "none", "none", "review", "alert"]
    expected = [0.0, 0.125, 0.375, 0.5 + 0.5 * 10 / 30, 1.0]
    np.testing.assert_allclose(result.accounts["rule_score"], expected)
    assert result.accounts["rule_level"].astype(str).tolist() == [
        "none",
        "none",
        "none",
        "review",
        "alert",
    ]
    assert result.accounts["rule_typology"].isna().tolist() == [True, False, False, False, False]
    wide = result.to_frame()
    assert {"toy_points", "toy_level", "rule_score", "rule_typology", "rule_level"} <= set(wide)


def test_rule_typology_is_the_best_scaled_typology_and_its_level_is_the_highest(tmp_path):
    strict = _load(tmp_path, _typology())
    loose_data = _typology(id="loose", thresholds={"review": 10, "alert": 100})
    for ind in loose_data["indicators"]:
        ind["id"] = ind["id"].replace("toy.", "loose.")
    loose = Typology.model_validate(loose_data)
    X = _frame(f_count=[3.0])  # 30 points in both: strict none (0.375), loose review (0.555)
    result = RuleScorer([strict, loose]).fit().score(X)
    assert result.accounts.loc["a0", "rule_typology"] == "loose"
    assert result.accounts.loc["a0", "rule_level"] == "review"
    assert list(result.points.columns) == ["loose", "toy"]


def test_hits_columns_sources_and_order(toy):
    X = _frame(f_count=[np.nan, 5], f_share=[0.01, 0.01])
    hits = RuleScorer([toy]).fit().score(X).hits
    assert tuple(hits.columns) == HIT_COLUMNS
    assert hits[["account_id", "indicator"]].values.tolist() == [
        ["a0", "toy.share"],
        ["a1", "toy.count"],
        ["a1", "toy.share"],
    ]
    row = hits.iloc[1]
    assert (row["source"], row["suggests_role"], row["reason"], row["value"]) == (
        "A1; F20",
        "controller",
        "3+",
        5.0,
    )
    assert row["typology_version"] == "1.0.0"


def test_no_hits_gives_an_empty_frame_with_the_columns(toy):
    result = RuleScorer([toy]).fit().score(_frame(f_count=[np.nan]))
    assert tuple(result.hits.columns) == HIT_COLUMNS and result.hits.empty
    assert role_hypothesis(result.hits, result.points.index).tolist() == ["unknown"]


def test_role_hypothesis_picks_the_role_with_most_points(toy):
    X = _frame(
        f_count=[5, 1, np.nan, np.nan], f_share=[0.0, 0.0, 0.5, np.nan], f_hours=[1, 1, 1, 1]
    )
    hits = RuleScorer([toy]).fit().score(X).hits
    roles = role_hypothesis(hits, X.index)
    # a0: controller 30 vs victim 25; a1: controller 10 vs victim 25; a2: only a mitigating band
    # with a role and an indicator without one; a3: no role suggested.
    assert roles.to_dict() == {"a0": "controller", "a1": "victim", "a2": "unknown", "a3": "unknown"}
    assert roles.index.name == "account_id"


def test_scorer_init_stores_arguments_only_and_requires_fit(toy):
    scorer = RuleScorer([toy])
    assert scorer.typologies == [toy] and not hasattr(scorer, "typologies_")
    with pytest.raises(NotFittedError, match="not fitted"):
        scorer.score(_frame(f_count=[1]))


def test_scorer_reports_missing_columns_and_accepts_an_account_id_column(toy):
    scorer = RuleScorer([toy]).fit()
    with pytest.raises(KeyError, match="f_hours"):
        scorer.score(pd.DataFrame({"f_count": [1.0], "f_share": [0.1]}))
    frame = _frame(f_count=[5]).reset_index()
    assert scorer.score(frame).points.loc["a0", "toy"] == 30.0


def test_scorer_rejects_duplicate_typologies_and_bad_items(toy):
    with pytest.raises(ValueError, match="distinct ids"):
        RuleScorer([toy, toy]).fit()
    with pytest.raises(TypeError, match="Typology objects or paths"):
        RuleScorer([42]).fit()


@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder"])
def test_scorer_loads_paths_against_the_feature_registry(tmp_path, as_folder):
    path = _write(tmp_path, _typology())
    with pytest.raises(TypologyError, match="'f_count' is not a registered feature"):
        RuleScorer(tmp_path if as_folder else [path]).fit()


_values = st.one_of(
    st.just(math.nan), st.floats(-5, 100, allow_nan=False), st.sampled_from([0, 3, 24, 0.05, 0.4])
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_values, _values, _values), min_size=1, max_size=30))
def test_vectorised_points_equal_the_band_by_band_definition(rows):
    typology = Typology.model_validate(_typology())
    X = pd.DataFrame(rows, columns=["f_count", "f_share", "f_hours"], dtype=float)
    X.index = pd.Index([f"a{i}" for i in range(len(rows))], name="account_id")
    result = RuleScorer([typology]).fit().score(X)
    for account, row in X.iterrows():
        expected = sum(
            band.points
            for ind in typology.indicators
            for band in ind.bands
            if band.contains(row[ind.feature])
        )
        assert result.points.loc[account, "toy"] == pytest.approx(expected)
        assert result.levels.loc[account, "toy"] == typology.level(expected)
