"""`fintrak share export` / `share match`: round trip, keys, exit codes, atomic output, no leaks."""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from fintrak.cli import app
from fintrak.share import KEY_ENV_VAR, load_key, match_hashes, read_shared

KEY = "3f9c2b7a1e5d4c8b9a0f1e2d3c4b5a69" + "7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
OTHER_KEY = "0" * 64

# Our bank (A) and another bank (B) hold some of the same people, written differently.
OURS = """account_id,phone,email,address,country
A1,(415) 555-0132,Jane.Doe+bank@gmail.com,"12 Main St, Apt 4",US
A2,020 7946 0958,bob@example.org,,GB
A3,415.555.0199,carol@example.org,"99 Oak Road",US
A4,,,"12 Main Street Unit 4",US
"""
THEIRS = """account_id,phone,email,address,country
B1,+1 415 555 0132,janedoe@googlemail.com,,GB
B2,0044 20 7946 0958,,,US
B3,+61 2 5550 1234,dave@example.org,"12 main st #4",US
B4,(415) 555-0132,,,US
"""
RAW_VALUES = [
    "555-0132",
    "5550132",
    "7946",
    "jane",
    "janedoe",
    "bob@",
    "carol",
    "dave",
    "main st",
    "oak",
]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    (tmp_path / "bank_a.csv").write_text(OURS)
    (tmp_path / "bank_b.csv").write_text(THEIRS)
    return tmp_path


def invoke(runner, *args, key: str | None = KEY):
    env = {KEY_ENV_VAR: key} if key is not None else {}
    return runner.invoke(app, ["share", *map(str, args)], env=env, catch_exceptions=True)


def assert_no_traceback(result):
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def assert_no_temp_files(folder):
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name]
    assert leftovers == []


def export(runner, folder, out="theirs.parquet", *extra, key=KEY, accounts="bank_b.csv"):
    return invoke(
        runner, "export", "--accounts", folder / accounts, "--out", folder / out, *extra, key=key
    )


def match(runner, folder, theirs="theirs.parquet", out="matches.parquet", *extra, key=KEY):
    return invoke(
        runner,
        "match",
        "--theirs",
        folder / theirs,
        "--accounts",
        folder / "bank_a.csv",
        "--out",
        folder / out,
        *extra,
        key=key,
    )


def read(path):
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_then_match_round_trip(runner, files, suffix):
    exported = export(runner, files, f"theirs{suffix}")
    assert exported.exit_code == 0, exported.output
    shared = read(files / f"theirs{suffix}")
    assert shared.columns.tolist() == ["kind", "hmac"]
    assert shared["hmac"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert not shared.duplicated().any()
    # B's distinct identifiers: 3 phones, 2 e-mails, 1 address (B1 and B4 share a phone)
    assert shared["kind"].value_counts().to_dict() == {"phone": 3, "email": 2, "address": 1}

    matched = match(runner, files, f"theirs{suffix}", f"matches{suffix}")
    assert matched.exit_code == 0, matched.output
    got = read(files / f"matches{suffix}")
    assert got.columns.tolist() == ["account_id", "kind", "count", "their_rows"]
    assert got.astype(str).to_dict("records") == [
        {"account_id": "A1", "kind": "address", "count": "1", "their_rows": "1"},
        {"account_id": "A1", "kind": "email", "count": "1", "their_rows": "1"},
        {"account_id": "A1", "kind": "phone", "count": "1", "their_rows": "1"},
        {"account_id": "A2", "kind": "phone", "count": "1", "their_rows": "1"},
        {"account_id": "A4", "kind": "address", "count": "1", "their_rows": "1"},
    ]
    assert_no_temp_files(files)


def test_account_ids_only_on_request(runner, files):
    assert export(runner, files, "plain.csv").exit_code == 0
    assert export(runner, files, "with_ids.csv", "--include-account-id").exit_code == 0
    plain = read(files / "plain.csv")
    with_ids = read(files / "with_ids.csv")
    assert "account_id" not in plain.columns
    assert with_ids.columns.tolist() == ["account_id", "kind", "hmac"]
    assert set(with_ids["account_id"]) == {"B1", "B2", "B3", "B4"}
    # one row per account and identifier: B1 and B4 both hold +14155550132
    assert len(with_ids) == len(plain) + 1
    # a list with account ids is matched like any other
    assert match(runner, files, "with_ids.csv", "m.csv").exit_code == 0
    assert set(read(files / "m.csv")["account_id"]) == {"A1", "A2", "A4"}


def test_their_rows_counts_listed_rows(runner, files):
    assert export(runner, files, "with_ids.csv", "--include-account-id").exit_code == 0
    assert match(runner, files, "with_ids.csv", "m.csv").exit_code == 0
    got = read(files / "m.csv").set_index(["account_id", "kind"])
    assert got.loc[("A1", "phone"), "their_rows"] == "2"  # B1 and B4


def test_exported_file_and_output_hold_no_raw_identifiers(runner, files):
    result = export(runner, files, "theirs.csv", "--include-account-id")
    assert result.exit_code == 0
    text = (files / "theirs.csv").read_text().lower()
    for raw in RAW_VALUES + ["+1415", "+44", "gmail"]:
        assert raw not in text
        assert raw not in result.output.lower()
    matched = match(runner, files, "theirs.csv", "m.csv")
    for raw in RAW_VALUES:
        assert raw not in matched.output.lower()


def test_a_wrong_key_matches_nothing(runner, files):
    assert export(runner, files, key=KEY).exit_code == 0
    result = match(runner, files, key=OTHER_KEY)
    assert result.exit_code == 0, result.output
    assert len(read(files / "matches.parquet")) == 0
    assert "No match" in result.output
    # and the right key still matches
    assert match(runner, files, "theirs.parquet", "again.parquet", key=KEY).exit_code == 0
    assert len(read(files / "again.parquet")) == 5


def test_key_file_matches_the_environment_key(runner, files):
    key_file = files / "share.key"
    key_file.write_text(KEY + "\n")
    assert export(runner, files, "from_file.csv", "--key-file", key_file, key=None).exit_code == 0
    assert export(runner, files, "from_env.csv", key=KEY).exit_code == 0
    assert (files / "from_file.csv").read_bytes() == (files / "from_env.csv").read_bytes()


def test_the_key_cannot_be_given_on_the_command_line(runner, files):
    for option in ("--key", "--share-key", "--hmac-key", "--secret"):
        result = export(runner, files, "x.csv", option, KEY, key=None)
        assert result.exit_code == 2
        assert "No such option" in result.output
        assert KEY not in result.output
    assert not (files / "x.csv").exists()
    # no option of either command takes a key value: only --key-file, a path
    group = typer.main.get_command(app).commands["share"]
    for name in ("export", "match"):
        keyish = [
            opt
            for param in group.commands[name].params
            for opt in param.opts
            if "key" in opt or "secret" in opt or "hmac" in opt
        ]
        assert keyish == ["--key-file"], (name, keyish)


def test_missing_key_is_a_user_error(runner, files):
    result = export(runner, files, "x.csv", key=None)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "no sharing key" in result.output and KEY_ENV_VAR in result.output
    assert "--key-file" in result.output
    assert not (files / "x.csv").exists()
    assert match(runner, files, key=None).exit_code == 2


@pytest.mark.parametrize("short", ["short", "x" * 31, "   "])
def test_short_key_is_a_user_error(runner, files, short):
    result = export(runner, files, "x.csv", key=short)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert ("at least 32" in result.output) or ("no sharing key" in result.output)
    if short.strip():
        assert short not in result.output  # the key is never echoed


def test_missing_key_file_does_not_echo_the_path(runner, files):
    result = export(runner, files, "x.csv", "--key-file", KEY, key=None)
    assert result.exit_code == 2
    assert KEY not in result.output
    assert "--key-file path does not exist" in result.output


def test_existing_output_needs_overwrite(runner, files):
    assert export(runner, files, "out.csv").exit_code == 0
    before = (files / "out.csv").read_bytes()
    again = export(runner, files, "out.csv")
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert export(runner, files, "out.csv", "--overwrite").exit_code == 0
    assert (files / "out.csv").read_bytes() == before
    assert export(runner, files, "out.txt").exit_code == 2


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_outputs_are_written_atomically(runner, files, monkeypatch, suffix):
    target = files / f"out{suffix}"
    target.write_bytes(b"previous complete file")

    def half_written(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    method = "to_parquet" if suffix == ".parquet" else "to_csv"
    monkeypatch.setattr(pd.DataFrame, method, half_written)
    result = export(runner, files, f"out{suffix}", "--overwrite")
    assert result.exit_code == 1  # an internal error, reported without a traceback
    assert_no_traceback(result)
    assert target.read_bytes() == b"previous complete file"
    assert_no_temp_files(files)
    monkeypatch.undo()
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    fresh = export(runner, files, f"new{suffix}")
    assert fresh.exit_code == 0
    assert_no_temp_files(files)


def test_bad_shared_list_names_the_row(runner, files):
    (files / "bad.csv").write_text("kind,hmac\nphone," + "a" * 64 + "\nphone,nothex\n")
    result = match(runner, files, "bad.csv")
    assert result.exit_code == 2
    assert "row 2" in result.output and "'hmac'" in result.output
    (files / "nokind.csv").write_text("hmac\n" + "a" * 64 + "\n")
    result = match(runner, files, "nokind.csv")
    assert result.exit_code == 2 and "'kind'" in result.output
    (files / "kind.csv").write_text("kind,hmac\nsocial_security," + "a" * 64 + "\n")
    assert match(runner, files, "kind.csv").exit_code == 2


def test_missing_accounts_file_is_a_user_error(runner, files):
    result = invoke(
        runner, "export", "--accounts", files / "nope.csv", "--out", files / "x.csv", key=KEY
    )
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_device_ids_come_from_transactions(runner, files):
    txns = files / "txns.csv"
    txns.write_text(
        "txn_id,account_id,timestamp,amount,currency,direction,channel,device_id\n"
        "t1,B1,2025-01-02T10:00:00Z,12.5,USD,debit,card,dev-77\n"
    )
    assert export(runner, files, "d.csv", "--transactions", txns).exit_code == 0
    assert "device" in set(read(files / "d.csv")["kind"])


def test_load_key_and_match_from_python(tmp_path):
    assert load_key(environ={KEY_ENV_VAR: f"  {KEY}\n"}) == KEY.encode()
    key_file = tmp_path / "k"
    key_file.write_text(KEY)
    assert load_key(key_file, environ={KEY_ENV_VAR: OTHER_KEY}) == KEY.encode()  # file wins
    ours = pd.DataFrame(
        {"account_id": ["A1"], "kind": ["phone"], "value": ["+14155550132"]}, dtype="string"
    )
    empty = pd.DataFrame({"kind": pd.Series(dtype="string"), "hmac": pd.Series(dtype="string")})
    assert match_hashes(ours, empty, KEY.encode()).columns.tolist() == [
        "account_id",
        "kind",
        "count",
        "their_rows",
    ]
    shared = tmp_path / "s.csv"
    shared.write_text("Kind,HMAC,extra\nPHONE," + "A" * 64 + ",x\n")
    assert read_shared(shared).to_dict("records") == [{"kind": "phone", "hmac": "a" * 64}]
