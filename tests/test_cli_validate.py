"""The `fintrak validate` command: exit codes, messages, outputs, --overwrite, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fintrak.cli import app

HEADER = "txn_id,account_id,timestamp,amount,currency,direction,channel"
GOOD_ROW = "t1,007,2025-01-02T10:00:00Z,12.5,USD,debit,card"
BAD_ROW = "t2,007,2025-01-02T10:00:00Z,-1,USD,debit,card"
OUTPUTS = ["manifest.json", "rejects.parquet", "transactions.parquet", "warnings.parquet"]


@pytest.fixture
def runner():
    return CliRunner()


def csv_file(path, *rows: str, header: str = HEADER):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def invoke(runner, *args: str):
    result = runner.invoke(app, ["validate", *map(str, args)], catch_exceptions=True)
    return result


def output_of(result) -> str:
    """Everything the command printed (click >= 8.2 mixes stderr into ``output``)."""
    return result.output


def compact(text: str) -> str:
    """The text without any whitespace (rich wraps the summary at the terminal width)."""
    return "".join(text.split())


def assert_no_traceback(result) -> None:
    text = output_of(result)
    assert "Traceback" not in text
    assert 'File "' not in text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def assert_no_temp_files(folder) -> None:
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name]
    assert leftovers == []


def test_success_writes_outputs_and_exits_0(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW, BAD_ROW)
    out = tmp_path / "run"
    result = invoke(runner, "--transactions", src, "--out", out)
    assert result.exit_code == 0, output_of(result)
    assert_no_traceback(result)
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    assert_no_temp_files(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["rows_read"], manifest["rows_accepted"], manifest["rows_rejected"]) == (
        2,
        1,
        1,
    )
    assert manifest["outputs"] == sorted(OUTPUTS[1:]) + ["manifest.json"]
    rejects = pd.read_parquet(out / "rejects.parquet")
    assert rejects["row_number"].tolist() == [2]
    assert pd.read_parquet(out / "transactions.parquet")["account_id"].tolist() == ["007"]
    text = compact(output_of(result))
    assert "amount.not_above_minimum" in text  # the summary names the top reason
    assert str(out / "rejects.parquet") in text


def test_quiet_prints_nothing_on_success(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0
    assert output_of(result).strip() == ""


def test_existing_non_empty_out_is_refused_without_overwrite(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = invoke(runner, "--transactions", src, "--out", out, "-q")
    assert result.exit_code == 2
    assert_no_traceback(result)
    text = output_of(result)
    assert "already exists" in text and "--overwrite" in text
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]

    result = invoke(runner, "--transactions", src, "--out", out, "-q", "--overwrite")
    assert result.exit_code == 0, output_of(result)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS + ["keep.txt"])
    assert (out / "keep.txt").read_text() == "precious"
    assert_no_temp_files(out)


def test_existing_empty_out_is_accepted(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    out = tmp_path / "run"
    out.mkdir()
    assert invoke(runner, "--transactions", src, "--out", out, "-q").exit_code == 0


def test_overwrite_replaces_previous_outputs(runner, tmp_path):
    out = tmp_path / "run"
    first = csv_file(tmp_path / "a.csv", GOOD_ROW, BAD_ROW)
    second = csv_file(tmp_path / "b.csv", GOOD_ROW, GOOD_ROW.replace("t1", "t9"))
    assert invoke(runner, "--transactions", first, "--out", out, "-q").exit_code == 0
    result = invoke(runner, "--transactions", second, "--out", out, "-q", "--overwrite")
    assert result.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["path"] == str(second)
    assert manifest["rows_rejected"] == 0
    assert len(pd.read_parquet(out / "rejects.parquet")) == 0
    assert_no_temp_files(out)


def test_out_is_a_file(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    out = tmp_path / "run"
    out.write_text("x")
    result = invoke(runner, "--transactions", src, "--out", out, "-q")
    assert result.exit_code == 2
    assert "is a file" in output_of(result)
    assert_no_traceback(result)


def _missing(p):
    return p / "missing.csv"


def _missing_column(p):
    return csv_file(p / "t.csv", GOOD_ROW, header=HEADER.replace("amount", "amt"))


def _semicolons(p):
    return csv_file(p / "t.csv", GOOD_ROW.replace(",", ";"), header=HEADER.replace(",", ";"))


def _html(p):
    (p / "t.csv").write_text("<html><body>Login</body></html>")
    return p / "t.csv"


def _empty(p):
    (p / "t.csv").write_text("")
    return p / "t.csv"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_missing, ["missing.csv", "no such file", "fix:"]),
        (_missing_column, ["t.csv", "'amount'", "fix:"]),
        (_semicolons, ["t.csv", "delimiter", "fix:"]),
        (_html, ["t.csv", "HTML", "fix:"]),
        (_empty, ["t.csv", "empty", "fix:"]),
    ],
    ids=["missing", "missing-column", "delimiter", "html", "empty"],
)
def test_file_level_problems_exit_2_with_message(runner, tmp_path, make, words):
    src = make(tmp_path)
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 2
    assert_no_traceback(result)
    text = output_of(result)
    assert "error" in text
    for word in words:
        assert word in text, text


def test_all_rows_rejected_exits_2_after_writing_rejects(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", BAD_ROW, BAD_ROW.replace("t2", "t3"))
    out = tmp_path / "run"
    result = invoke(runner, "--transactions", src, "--out", out, "-q")
    assert result.exit_code == 2
    assert_no_traceback(result)
    text = output_of(result)
    assert "rejected" in text and "rejects.parquet" in text and "t.csv" in text
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    rejects = pd.read_parquet(out / "rejects.parquet")
    assert rejects["row_number"].tolist() == [1, 2]
    assert_no_temp_files(out)


def test_bad_column_map_exits_2_naming_the_key(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    cmap = tmp_path / "m.yaml"
    cmap.write_text("transactions:\n  assume_tz: Nowhere/Special\n")
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "--column-map", cmap)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "transactions.assume_tz" in output_of(result)


def test_column_map_through_cli(runner, tmp_path):
    src = csv_file(
        tmp_path / "t.csv",
        "t1,007,2025-01-02T10:00:00Z,12.5,USD,DR,card",
        header=HEADER.replace("direction", "DrCr"),
    )
    cmap = tmp_path / "m.yaml"
    cmap.write_text(
        "transactions:\n  columns: {DrCr: direction}\n  values:\n    direction: {DR: debit}\n"
    )
    out = tmp_path / "run"
    result = invoke(runner, "--transactions", src, "--out", out, "--column-map", cmap, "-q")
    assert result.exit_code == 0, output_of(result)
    assert pd.read_parquet(out / "transactions.parquet")["direction"].tolist() == ["debit"]


def test_all_tables_through_cli(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    accounts = csv_file(tmp_path / "a.csv", "007,personal", header="account_id,account_type")
    intel = csv_file(tmp_path / "i.csv", "phone,+15551234567", header="kind,value")
    labels = csv_file(tmp_path / "l.csv", "007,yes", header="account_id,is_trafficking")
    out = tmp_path / "run"
    result = invoke(
        runner,
        "--transactions", src, "--accounts", accounts, "--intel", intel, "--labels", labels,
        "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, output_of(result)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(OUTPUTS + ["accounts.parquet", "intel.parquet", "labels.parquet"])
    labels_out = pd.read_parquet(out / "labels.parquet")
    assert labels_out["is_trafficking"].tolist() == [1]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows_read"] == 4 and manifest["rows_accepted"] == 4


def test_missing_required_option_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(app, ["validate", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "--transactions" in output_of(result)


def test_phone_in_data_not_echoed_by_cli(runner, tmp_path):
    phone = "+1 555 867 5309"
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    accounts = csv_file(
        tmp_path / "a.csv",
        f'007,"{phone}",not-an-email {phone}',
        header="account_id,phone,email",
    )
    out = tmp_path / "run"
    result = invoke(runner, "--transactions", src, "--accounts", accounts, "--out", out)
    assert result.exit_code == 0
    assert compact(phone) not in compact(output_of(result))
    warnings = pd.read_parquet(out / "warnings.parquet")
    assert warnings["column"].tolist() == ["email"]
    assert warnings["value"].isna().all()
    assert phone not in (out / "manifest.json").read_text()


def test_column_name_with_brackets_gives_clean_user_error(runner, tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW, header=HEADER.replace("timestamp", "[/when]"))
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 2
    assert "[/when]" in output_of(result)


def test_file_name_with_brackets_is_named_exactly(runner, tmp_path):
    src = tmp_path / "export[bold].csv"
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 2
    assert "export[bold].csv" in output_of(result)


# --------------------------------------------------------------------------- real process


def _fintrak_cmd() -> list[str]:
    """The installed ``fintrak`` console script of this interpreter, else its entry point."""
    script = Path(sys.executable).with_name("fintrak")
    if script.is_file():
        return [str(script)]
    found = shutil.which("fintrak")
    if found:
        return [found]
    return [sys.executable, "-c", "from fintrak.cli import main; main()"]


def test_console_entry_point_subprocess(tmp_path):
    src = csv_file(tmp_path / "t.csv", GOOD_ROW, BAD_ROW)
    out = tmp_path / "run"
    ok = subprocess.run(
        [*_fintrak_cmd(), "validate", "--transactions", str(src), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    assert_no_temp_files(out)
    assert "Traceback" not in ok.stdout + ok.stderr

    again = subprocess.run(
        [*_fintrak_cmd(), "validate", "--transactions", str(src), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--overwrite" in again.stderr
    assert "Traceback" not in again.stdout + again.stderr

    missing = subprocess.run(
        [*_fintrak_cmd(), "validate", "--transactions", str(tmp_path / "nope.csv"),
         "--out", str(tmp_path / "run2")],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2
    assert "nope.csv" in missing.stderr and "no such file" in missing.stderr
    assert "Traceback" not in missing.stdout + missing.stderr


def test_internal_error_exits_1_without_traceback(runner, tmp_path, monkeypatch):
    import tempfile

    import fintrak.validation

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(fintrak.validation, "validate", boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    src = csv_file(tmp_path / "t.csv", GOOD_ROW)
    result = invoke(runner, "--transactions", src, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 1
    text = output_of(result)
    assert "internal error" in text and "RuntimeError" in text
    assert "Traceback" not in text
    logs = list(tmp_path.glob("fintrak-error-*.log"))
    assert len(logs) == 1 and "simulated bug" in logs[0].read_text()
