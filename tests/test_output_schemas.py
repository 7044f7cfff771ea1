"""JSON Schemas of alerts.jsonl and cases.jsonl, the CSV export and `fintrak export`."""

from __future__ import annotations

import copy
import csv
import io
import json

import jsonschema
import pytest
from typer.testing import CliRunner

from fintrak.cli import app
from fintrak.export import ALERT_COLUMNS, CASE_COLUMNS, alerts_csv, cases_csv, export_run
from fintrak.features._registry import TYPOLOGIES
from fintrak.intel import MATCHED_ON
from fintrak.network import ROLES as NETWORK_ROLES
from fintrak.network.graph import MONEY_KINDS
from fintrak.network.links import IDENTIFIER_KINDS
from fintrak.schemas import SCHEMAS, load_schema, schema_text
from fintrak.typologies import ROLES as RULE_ROLES


@pytest.fixture(scope="module")
def scored():
    from fintrak.pipeline import score
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=1500, months=4, seed=23))
    return score(bank.transactions, bank.accounts, bank.intel)


@pytest.fixture(scope="module")
def run_dir(scored, tmp_path_factory):
    from fintrak.pipeline import write_scores

    folder = tmp_path_factory.mktemp("run")
    write_scores(scored, folder)
    return folder


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def alerts(run_dir):
    return lines(run_dir / "alerts.jsonl")


@pytest.fixture(scope="module")
def cases(run_dir):
    return lines(run_dir / "cases.jsonl")


def validator(name):
    return jsonschema.Draft202012Validator(
        load_schema(name), format_checker=jsonschema.FormatChecker()
    )


def errors(name, record):
    return [e.message for e in validator(name).iter_errors(record)]


# --- the schemas themselves ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _objects(node, path="$"):
    """Yield (path, schema) of every object schema with properties."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{path}[{i}]")


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_object_is_closed_and_every_field_described(name):
    found = list(_objects(load_schema(name)))
    assert found
    for path, node in found:
        assert node.get("additionalProperties") is False, path
        for field, spec in node["properties"].items():
            assert spec.get("description", "").strip(), f"{path}.{field} has no description"


def test_load_schema_refuses_unknown_names_and_returns_copies():
    with pytest.raises(ValueError, match="must be one of 'alert', 'case'"):
        load_schema("alerts")
    first = load_schema("alert")
    first["required"].clear()
    assert load_schema("alert")["required"]
    assert json.loads(schema_text("case")) == load_schema("case")


def _enum(schema, ref):
    return set(schema["$defs"][ref]["enum"])


def test_schema_enums_match_the_code():
    alert = load_schema("alert")
    case = load_schema("case")
    assert _enum(alert, "typology") == set(TYPOLOGIES) == _enum(case, "typology")
    assert _enum(alert, "network_role") == set(NETWORK_ROLES) == _enum(case, "network_role")
    assert set(alert["properties"]["role_hypothesis"]["enum"]) == {*RULE_ROLES, "unknown"}
    intel = alert["properties"]["intel_evidence"]["items"]["properties"]
    assert set(intel["matched_on"]["enum"]) == set(MATCHED_ON)
    assert _enum(case, "link_kind") == {"customer", *IDENTIFIER_KINDS, *MONEY_KINDS}


def test_the_wheel_includes_the_schemas():
    from importlib.resources import files

    folder = files("fintrak.schemas")
    assert {f"{n}.schema.json" for n in SCHEMAS} <= {p.name for p in folder.iterdir()}


# --- real outputs validate ------------------------------------------------------------------


def test_the_run_has_alerts_cases_and_evidence_to_check(alerts, cases):
    assert len(alerts) >= 3
    assert len(cases) >= 1
    assert any(a["rule_hits"] for a in alerts)
    assert any(c["links"] for c in cases)


def test_every_alert_line_validates(alerts):
    for alert in alerts:
        assert errors("alert", alert) == [], alert["alert_id"]


def test_every_case_line_validates(cases):
    for case in cases:
        assert errors("case", case) == [], case["case_id"]


# --- broken lines fail ----------------------------------------------------------------------


def test_alert_with_a_missing_field_fails(alerts):
    broken = copy.deepcopy(alerts[0])
    del broken["score"]
    assert any("'score' is a required property" in m for m in errors("alert", broken))


def test_alert_with_a_wrong_type_fails(alerts):
    broken = copy.deepcopy(alerts[0])
    broken["score"] = "0.9"
    assert errors("alert", broken)
    nested = copy.deepcopy(alerts[0])
    nested["reasons"] = [{"feature": "x", "value": 1.0, "contribution": "high", "text": "t"}]
    assert errors("alert", nested)


def test_alert_with_an_unknown_field_fails(alerts):
    broken = copy.deepcopy(alerts[0])
    broken["phone"] = "+15555550100"
    assert any("Additional properties" in m for m in errors("alert", broken))


def test_alert_with_an_unknown_typology_or_role_fails(alerts):
    broken = copy.deepcopy(alerts[0])
    broken["typology"] = "fraud"
    assert errors("alert", broken)
    broken = copy.deepcopy(alerts[0])
    broken["role_hypothesis"] = "boss"
    assert errors("alert", broken)


def test_case_with_a_missing_field_fails(cases):
    broken = copy.deepcopy(cases[0])
    del broken["members"][0]["account_id"]
    assert any("'account_id' is a required property" in m for m in errors("case", broken))


def test_case_with_a_wrong_type_or_unknown_field_fails(cases):
    broken = copy.deepcopy(cases[0])
    broken["priority"] = 1.5
    assert errors("case", broken)
    broken = copy.deepcopy(cases[0])
    broken["evidence"]["phones"] = []
    assert any("Additional properties" in m for m in errors("case", broken))
    broken = copy.deepcopy(cases[0])
    broken["trigger"] = "hunch"
    assert errors("case", broken)


def test_nullable_fields_accept_null(alerts, cases):
    alert = copy.deepcopy(alerts[0])
    alert.update(typology=None, network_id=None, network_role=None, case_id=None)
    assert errors("alert", alert) == []
    case = copy.deepcopy(cases[0])
    case.update(network_id=None, typology=None)
    case["members"][0]["alert_id"] = None
    assert errors("case", case) == []


# --- CSV export -----------------------------------------------------------------------------


def parse(text):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


def test_alerts_csv_has_one_row_per_alert_in_order(alerts):
    columns, rows = parse(alerts_csv(alerts))
    assert tuple(columns) == ALERT_COLUMNS
    assert len(rows) == len(alerts)
    assert [r["alert_id"] for r in rows] == [a["alert_id"] for a in alerts]
    for row, alert in zip(rows, alerts, strict=True):
        assert float(row["score"]) == pytest.approx(alert["score"], abs=1e-6)
        top = sorted(alert["reasons"], key=lambda r: -r["contribution"])[:3]
        assert [row[f"reason_{i}"] for i in (1, 2, 3)][: len(top)] == [r["text"] for r in top]
        assert int(row["rule_hits_count"]) == len(alert["rule_hits"])
        for hit in alert["rule_hits"]:
            assert hit["indicator"] in row["rule_indicators"]
            assert hit["reason"] in row["rule_hits"]
        assert int(row["intel_matches"]) == len(alert["intel_evidence"])
        assert row["case_id"] == (alert["case_id"] or "")


def test_cases_csv_has_one_row_per_member(cases):
    columns, rows = parse(cases_csv(cases))
    assert tuple(columns) == CASE_COLUMNS
    assert len(rows) == sum(len(c["members"]) for c in cases)
    expected = [(c["case_id"], m["account_id"]) for c in cases for m in c["members"]]
    assert [(r["case_id"], r["account_id"]) for r in rows] == expected
    by_case = {c["case_id"]: c for c in cases}
    for row in rows:
        case = by_case[row["case_id"]]
        assert int(row["priority"]) == case["priority"]
        assert row["trigger"] == case["trigger"]
        assert row["alert"] in ("true", "false")
        assert (row["intel_match"] == "true") == (
            row["account_id"] in case["evidence"]["intel_members"]
        )


def test_csv_from_the_score_result_equals_csv_from_the_files(scored, alerts, cases):
    assert alerts_csv(scored.alerts) == alerts_csv(alerts)
    assert cases_csv(scored.cases) == cases_csv(cases)


def test_empty_inputs_give_a_header_only():
    assert parse(alerts_csv([])) == (list(ALERT_COLUMNS), [])
    assert parse(cases_csv([])) == (list(CASE_COLUMNS), [])


def test_text_that_a_spreadsheet_would_run_is_defused():
    alert = {"alert_id": "a" * 20, "account_id": "=HYPERLINK(1)", "reasons": [], "rule_hits": []}
    _, rows = parse(alerts_csv([alert]))
    assert rows[0]["account_id"] == "'=HYPERLINK(1)"


def test_csv_holds_no_phone_or_email(alerts, cases):
    import re

    text = alerts_csv(alerts) + cases_csv(cases)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\+\d{10,}", text)


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def run_copy(run_dir, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("alerts.jsonl", "cases.jsonl"):
        (folder / name).write_bytes((run_dir / name).read_bytes())
    return folder


def test_cli_export_writes_both_files(runner, run_copy, alerts, cases):
    result = runner.invoke(app, ["export", "--run", str(run_copy), "--quiet"])
    assert result.exit_code == 0, result.output
    _, alert_rows = parse((run_copy / "alerts.csv").read_text(encoding="utf-8"))
    _, case_rows = parse((run_copy / "cases.csv").read_text(encoding="utf-8"))
    assert len(alert_rows) == len(alerts)
    assert len(case_rows) == sum(len(c["members"]) for c in cases)
    assert not [p.name for p in run_copy.iterdir() if p.name.endswith(".tmp")]


def test_cli_export_refuses_to_overwrite_without_the_flag(runner, run_copy):
    assert runner.invoke(app, ["export", "--run", str(run_copy), "-q"]).exit_code == 0
    (run_copy / "cases.csv").write_text("mine")
    result = runner.invoke(app, ["export", "--run", str(run_copy), "-q"])
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert (run_copy / "cases.csv").read_text() == "mine"
    result = runner.invoke(app, ["export", "--run", str(run_copy), "-q", "--overwrite"])
    assert result.exit_code == 0
    assert (run_copy / "cases.csv").read_text() != "mine"


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        pytest.param(None, "run folder does not exist", id="no-folder"),
        pytest.param(lambda d: (d / "cases.jsonl").unlink(), "cases.jsonl", id="no-cases"),
        pytest.param(
            lambda d: (d / "alerts.jsonl").write_text('{"alert_id": \n'),
            "alerts.jsonl: line 1 is not valid JSON",
            id="corrupt-alerts",
        ),
        pytest.param(
            lambda d: (d / "cases.jsonl").write_text('{"case_id": "case-1"}\n'),
            "cases.jsonl: line 1 lacks the field(s)",
            id="cases-missing-fields",
        ),
        pytest.param(
            lambda d: (d / "alerts.jsonl").write_text("[1, 2]\n"),
            "not an object",
            id="alerts-not-objects",
        ),
    ],
)
def test_cli_export_fails_cleanly(runner, run_copy, tmp_path, damage, expected):
    target = tmp_path / "missing" if damage is None else run_copy
    if damage is not None:
        damage(run_copy)
    result = runner.invoke(app, ["export", "--run", str(target)])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (run_copy / "alerts.csv").exists()


def test_cli_export_points_a_demo_folder_to_its_run(runner, run_copy):
    result = runner.invoke(app, ["export", "--run", str(run_copy.parent)])
    assert result.exit_code == 2
    assert "pass --run" in " ".join(result.output.split())


def test_cli_export_refuses_an_unknown_format(runner, run_copy):
    result = runner.invoke(app, ["export", "--run", str(run_copy), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--format must be one of csv" in result.output


def test_export_run_returns_the_paths(run_copy):
    written = export_run(run_copy)
    assert written == {"alerts": run_copy / "alerts.csv", "cases": run_copy / "cases.csv"}
