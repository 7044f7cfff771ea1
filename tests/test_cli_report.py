"""The investigator and governance commands, as a user runs them on a demo run.

``fintrak report`` (pages and narratives; ``--sar-xml``), ``fintrak backtest``, ``fintrak
threshold``, ``fintrak sample`` and ``fintrak train --dispositions``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
from typer.testing import CliRunner

from fintrak.cli import app
from fintrak.report.narrative import DRAFT_MARKER
from fintrak.report.sar_xml import example_filer_path

SCHEMA = Path(__file__).parent / "data" / "fincen" / "EFL_SARXBatchSchema.xsd"
MODEL = Path(__file__).parents[1] / "models" / "default"


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    done = invoke("demo", "--out", folder, "--accounts", 600, "--months", 3, "--seed", 11, "-q")
    assert done.exit_code == 0, done.output
    return folder


def _cases(demo: Path) -> list[dict]:
    lines = (demo / "run" / "cases.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_report_writes_pages_and_a_narrative_per_case(demo, tmp_path):
    done = invoke("report", "--run", demo / "run", "--out", tmp_path / "pages")
    assert done.exit_code == 0, done.output
    alerts = (demo / "run" / "alerts.jsonl").read_text().splitlines()
    cases = _cases(demo)
    assert cases, "the demo run should hold at least one case"
    assert len(list((tmp_path / "pages" / "alerts").glob("*.html"))) == len(alerts)
    assert len(list((tmp_path / "pages" / "cases").glob("*.html"))) == len(cases)
    for case in cases:
        text = (tmp_path / "pages" / "narratives" / f"{case['case_id']}.txt").read_text()
        assert DRAFT_MARKER in text.splitlines()[3]
    assert "index.html" in done.output
    again = invoke("report", "--run", demo / "run", "--out", tmp_path / "pages")
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_report_sar_xml_validates_against_fincens_schema(demo, tmp_path):
    chosen = [c["case_id"] for c in _cases(demo) if c["typology"] != "funnel"][:2]
    assert chosen
    done = invoke(
        "report",
        "--run",
        demo / "run",
        "--out",
        tmp_path / "sar",
        "--sar-xml",
        "--cases",
        ",".join(chosen),
        "--filer",
        example_filer_path(),
    )
    assert done.exit_code == 0, done.output
    xml = tmp_path / "sar" / "sar-batch.xml"
    xmlschema.XMLSchema11(str(SCHEMA)).validate(str(xml))
    written = sorted(p.stem for p in (tmp_path / "sar" / "narratives").glob("*.txt"))
    assert written == sorted(chosen)
    assert "draft" in done.output.lower()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sar-xml", "--cases", "case-0"], "--filer"),
        (["--cases", "case-0"], "--sar-xml"),
    ],
)
def test_report_options_that_do_not_go_together_are_explained(demo, tmp_path, extra, message):
    done = invoke("report", "--run", demo / "run", "--out", tmp_path / "x", *extra)
    assert done.exit_code == 2
    assert message in done.output
    assert "Traceback" not in done.output


def test_backtest_from_labels_and_from_dispositions(demo, tmp_path):
    scores = demo / "run" / "scores.parquet"
    labels = demo / "bank" / "labels.parquet"
    done = invoke("backtest", "--scores", scores, "--labels", labels, "--out", tmp_path / "bt")
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "bt" / "summary.json").read_text())
    assert summary["columns"]["score"]["average_precision"] > 0.5
    assert (tmp_path / "bt" / "backtest.html").is_file()
    # investigators decided on the alerted accounts only: dispositions cover the alerts
    alerted = pd.read_parquet(scores).query("alert")
    truth = pd.read_parquet(labels).set_index("account_id")["is_trafficking"]
    decided = pd.DataFrame(
        {
            "account_id": alerted["account_id"].astype(str),
            "outcome": [
                "sar_filed" if truth.get(a, 0) == 1 else "false_positive"
                for a in alerted["account_id"]
            ],
            "decided_at": "2025-04-01",
        }
    )
    path = tmp_path / "dispositions.csv"
    decided.to_csv(path, index=False)
    done = invoke("backtest", "--scores", scores, "--dispositions", path, "--out", tmp_path / "bt2")
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "bt2" / "summary.json").read_text())
    assert summary["columns"]["score"]["positives"] == int(
        (decided["outcome"] == "sar_filed").sum()
    )
    both = invoke(
        "backtest", "--scores", scores, "--labels", labels, "--dispositions", path, "--out", "x"
    )
    assert both.exit_code == 2 and "exactly one" in both.output


def test_threshold_from_a_budget_is_written_into_a_model_copy(demo, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(MODEL, model)
    scores = demo / "run" / "scores.parquet"
    done = invoke("threshold", "--scores", scores, "--budget", 10, "--model", model)
    assert done.exit_code == 0, done.output
    config = json.loads((model / "config.json").read_text())
    ranked = pd.read_parquet(scores)["score"].sort_values(ascending=False)
    assert (ranked >= config["alert_threshold"]).sum() <= 10
    assert config["threshold_choice"]["method"] == "budget"
    assert json.loads((MODEL / "config.json").read_text())["alert_threshold"] != 0


def test_sample_writes_the_draw_and_its_design(demo, tmp_path):
    scores = demo / "run" / "scores.parquet"
    args = ("sample", "--scores", scores, "--threshold", 0.5, "--size", 5, "--seed", 3)
    done = invoke(*args, "--width", 0.99, "--out", tmp_path / "s.csv")
    assert done.exit_code == 0, done.output
    sample = pd.read_csv(tmp_path / "s.csv", dtype={"account_id": str})
    design = json.loads((tmp_path / "s.json").read_text())
    assert 0 < len(sample) <= 5
    assert (sample["score"] < 0.5).all()
    assert design["seed"] == 3 and design["sampled_total"] == len(sample)
    same = invoke(*args, "--width", 0.99, "--out", tmp_path / "t.csv")
    assert same.exit_code == 0
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "t.csv").read_bytes()


def test_train_needs_labels_or_dispositions_not_both(demo, tmp_path):
    bank = demo / "bank"
    done = invoke("train", "--transactions", bank / "transactions.parquet", "--out", tmp_path / "m")
    assert done.exit_code == 2 and "exactly one of --labels and --dispositions" in done.output
