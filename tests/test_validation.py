"""Example-based tests of validate(): one hand-made tiny table per rule of the input contract."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fintrak.exceptions import FintrakError, InputFileError, NoValidRowsError
from fintrak.io.column_map import ColumnMap, TableMap
from fintrak.schema import ACCOUNTS, TABLES, TRANSACTIONS
from fintrak.validation import validate, write_validation

REQUIRED = list(TRANSACTIONS.required)
GOOD = {
    "txn_id": "t1",
    "account_id": "007",
    "timestamp": "2025-01-02T10:00:00+01:00",
    "amount": "12.5",
    "currency": "USD",
    "direction": "debit",
    "channel": "card",
}


def txns(*rows: dict, **columns: list) -> pd.DataFrame:
    """Return a text frame of GOOD rows, each updated by a dict, or by per-column lists."""
    if columns:
        n = len(next(iter(columns.values())))
        base = [dict(GOOD, txn_id=f"t{i + 1}") for i in range(n)]
        for name, values in columns.items():
            for row, value in zip(base, values, strict=True):
                row[name] = value
        return pd.DataFrame(base)
    return pd.DataFrame([{**GOOD, "txn_id": f"t{i + 1}", **row} for i, row in enumerate(rows)])


def write_csv(path, frame: pd.DataFrame):
    frame.to_csv(path, index=False)
    return path


def only_reason(result) -> str:
    assert len(result.rejects) == 1, result.rejects
    return result.rejects.loc[0, "reason"]


def assert_counts_add_up(manifest: dict) -> None:
    assert manifest["rows_accepted"] + manifest["rows_rejected"] == manifest["rows_read"]
    for stats in manifest["tables"].values():
        assert stats["rows_accepted"] + stats["rows_rejected"] == stats["rows_read"]
    assert manifest["rows_read"] == sum(s["rows_read"] for s in manifest["tables"].values())


# --------------------------------------------------------------------------- happy path


def test_valid_row_is_accepted_in_canonical_form():
    result = validate(txns({"currency": " usd ", "direction": "Debit", "channel": "CARD"}))
    out = result.tables["transactions"]
    assert list(out.columns) == list(TRANSACTIONS.names)
    assert len(out) == 1 and len(result.rejects) == 0 and len(result.warnings) == 0
    row = out.iloc[0]
    assert row["txn_id"] == "t1"
    assert row["account_id"] == "007"  # leading zeros kept
    assert row["timestamp"] == pd.Timestamp("2025-01-02T09:00:00Z")
    assert str(out["timestamp"].dtype) == "datetime64[us, UTC]"
    assert row["amount"] == 12.5
    assert (row["currency"], row["direction"], row["channel"]) == ("USD", "debit", "card")
    assert_counts_add_up(result.manifest)


# --------------------------------------------------------------------------- required fields


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("amount", "nan", "amount is missing or NaN"),
        ("amount", None, "amount is missing or NaN"),
        ("amount", "inf", "amount 'inf' is not finite"),
        ("amount", "-3", "amount '-3' must be > 0"),
        ("amount", "0", "amount '0' must be > 0"),
        ("amount", "1e11", "amount '1e11' is larger than 1e+10"),
        ("amount", "12,50", "amount '12,50' is not a number"),
        ("direction", "sideways", "direction 'sideways' is not one of: credit, debit"),
        ("currency", "XYZ", "currency 'XYZ' is not an ISO 4217 currency code"),
        ("channel", "bike", "channel 'bike' is not one of: card, atm"),
        ("timestamp", "yesterday", "timestamp 'yesterday' is not a timestamp"),
        ("timestamp", "1850-01-01T00:00:00Z", "is before 1900 or after 2099"),
        ("account_id", None, "account_id is missing"),
        ("account_id", "   ", "account_id is missing"),
        ("txn_id", "", "txn_id is missing"),
    ],
)
def test_invalid_required_field_rejects_row_with_reason(column, value, expected):
    frame = txns({}, {column: value}, {})
    result = validate(frame)
    assert result.tables["transactions"]["txn_id"].tolist() == ["t1", "t3"]
    assert result.rejects["row_number"].tolist() == [2]
    reason = only_reason(result)
    assert expected in reason
    rej = result.rejects.iloc[0]
    assert rej["table"] == "transactions"
    assert rej["source_file"] == "<DataFrame transactions>"
    assert_counts_add_up(result.manifest)


def test_negative_amount_message_points_to_signed_amounts():
    reason = only_reason(validate(txns({"amount": "-3"})))
    assert "signed_amounts" in reason


def test_reason_lists_every_problem_of_the_row_in_column_order():
    frame = txns({"timestamp": "x", "amount": "-5", "currency": "zz", "direction": "up"})
    reason = only_reason(validate(frame))
    parts = reason.split("; ")
    positions = [
        next(i for i, p in enumerate(parts) if p.startswith(c))
        for c in ("timestamp", "amount", "currency", "direction")
    ]
    assert positions == sorted(positions)
    assert "account_id" not in reason and "channel" not in reason


def test_rejects_carry_original_fields_as_text(tmp_path):
    frame = txns({}, {"account_id": "0042", "amount": "-1.50", "memo": "x"})
    frame.loc[0, "memo"] = "hello"
    path = write_csv(tmp_path / "t.csv", frame)
    result = validate(path)
    rej = result.rejects
    assert rej["row_number"].tolist() == [2]
    assert rej.loc[0, "source_file"] == str(path)
    assert rej.loc[0, "account_id"] == "0042"
    assert rej.loc[0, "amount"] == "-1.50"
    assert rej.loc[0, "txn_id"] == "t2"
    for column in frame.columns:
        assert str(rej[column].dtype) == "string"


def test_row_number_counts_from_first_data_row(tmp_path):
    frame = txns(*[{} for _ in range(5)])
    frame.loc[3, "direction"] = "??"
    result = validate(write_csv(tmp_path / "t.csv", frame))
    assert result.rejects["row_number"].tolist() == [4]
    assert result.rejects.loc[0, "txn_id"] == "t4"


def test_file_column_named_like_a_reject_column_is_kept_as_original():
    frame = txns({"direction": "?"})
    frame["reason"] = ["their own reason"]
    rej = validate(frame).rejects
    assert rej.loc[0, "reason"].startswith("direction")
    assert rej.loc[0, "original_reason"] == "their own reason"


def test_duplicate_txn_id_rejected_after_the_first_naming_it():
    result = validate(txns(txn_id=["a", "b", "a", "a"]))
    assert result.tables["transactions"]["txn_id"].tolist() == ["a", "b"]
    assert result.rejects["row_number"].tolist() == [3, 4]
    assert result.rejects["reason"].tolist() == ["txn_id 'a' repeats row 1"] * 2
    assert result.manifest["tables"]["transactions"]["rejects_by_reason"] == {"txn_id.duplicate": 2}


def test_duplicate_message_row_is_an_integer_when_column_has_nulls():
    result = validate(txns(txn_id=["a", None, "a"]))
    assert "txn_id 'a' repeats row 1" in result.rejects["reason"].tolist()
    assert not any("1.0" in r for r in result.rejects["reason"])


def test_duplicate_compares_trimmed_ids():
    result = validate(txns(txn_id=["a", " a "]))
    assert result.rejects["row_number"].tolist() == [2]
    assert "repeats row 1" in result.rejects.loc[0, "reason"]


def test_duplicate_account_in_accounts_table():
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A1"]})
    result = validate(txns({}), accounts=accounts)
    assert result.tables["accounts"]["account_id"].tolist() == ["A1", "A2"]
    rej = result.rejects[result.rejects["table"] == "accounts"]
    assert rej["row_number"].tolist() == [3]
    assert rej["reason"].tolist() == ["account_id 'A1' repeats row 1"]


# --------------------------------------------------------------------------- optional fields


def test_invalid_optional_fields_are_nulled_and_warned():
    frame = txns({}, {})
    frame["mcc"] = ["123456", "5411"]
    frame["country"] = ["XX", "us"]
    result = validate(frame)
    out = result.tables["transactions"]
    assert len(out) == 2 and len(result.rejects) == 0
    assert pd.isna(out.loc[0, "mcc"]) and pd.isna(out.loc[0, "country"])
    assert out.loc[1, "mcc"] == 5411 and out.loc[1, "country"] == "US"
    warnings = result.warnings.sort_values("column").reset_index(drop=True)
    assert warnings[["row_number", "column", "value"]].to_dict("records") == [
        {"row_number": 1, "column": "country", "value": "XX"},
        {"row_number": 1, "column": "mcc", "value": "123456"},
    ]
    assert "not an ISO 3166-1 alpha-2 country code" in warnings.loc[0, "reason"]
    assert "outside 0-9999" in warnings.loc[1, "reason"]
    stats = result.manifest["tables"]["transactions"]
    assert stats["fields_nulled"] == 2
    assert stats["warnings_by_reason"] == {"country.not_iso3166": 1, "mcc.out_of_range": 1}


@pytest.mark.parametrize("value", ["12.5", "abc", "-1", "inf"])
def test_other_invalid_mcc_is_warned(value):
    frame = txns({"mcc": value})
    result = validate(frame)
    assert len(result.tables["transactions"]) == 1
    assert pd.isna(result.tables["transactions"].loc[0, "mcc"])
    assert result.warnings["column"].tolist() == ["mcc"]
    assert result.warnings["value"].tolist() == [value]


def test_huge_mcc_is_warned_not_silently_nulled():
    result = validate(txns({"mcc": "1e20"}))
    assert pd.isna(result.tables["transactions"].loc[0, "mcc"])
    assert result.warnings["column"].tolist() == ["mcc"]


def test_invalid_optional_field_next_to_invalid_required_is_in_reason_not_warnings():
    result = validate(txns({"amount": "-1", "mcc": "123456"}))
    assert len(result.warnings) == 0
    reason = only_reason(result)
    assert "amount" in reason


def test_absent_optional_columns_are_all_null_and_listed():
    result = validate(txns({}))
    out = result.tables["transactions"]
    optional = [c.name for c in TRANSACTIONS.columns if not c.required]
    assert list(out.columns) == list(TRANSACTIONS.names)
    for name in optional:
        assert out[name].isna().all()
    assert str(out["mcc"].dtype) == "Int16"
    assert result.manifest["tables"]["transactions"]["columns_absent"] == optional


def test_present_but_empty_optional_column_is_all_null_not_absent():
    frame = txns({})
    frame["city"] = [""]
    stats = validate(frame).manifest["tables"]["transactions"]
    assert "city" not in stats["columns_absent"]
    assert stats["columns_all_null"] == ["city"]


def test_unknown_columns_are_ignored_and_listed():
    frame = txns({})
    frame["branch_code"] = ["X1"]
    result = validate(frame)
    assert "branch_code" not in result.tables["transactions"].columns
    assert result.manifest["tables"]["transactions"]["columns_ignored"] == ["branch_code"]


def test_column_names_matched_ignoring_case_and_spaces():
    frame = txns({}).rename(columns={"txn_id": " TXN_ID ", "account_id": "Account Id"})
    result = validate(frame)
    assert result.tables["transactions"]["account_id"].tolist() == ["007"]


# --------------------------------------------------------------------------- timestamps


def test_naive_timestamp_read_in_utc_by_default_and_counted():
    result = validate(txns(timestamp=["2025-01-02T10:00:00", "2025-01-02T10:00:00Z"]))
    out = result.tables["transactions"]
    assert out["timestamp"].tolist() == [pd.Timestamp("2025-01-02T10:00:00Z")] * 2
    assert result.manifest["timestamps_assumed_tz"] == 1
    assert result.manifest["tables"]["transactions"]["assume_tz"] == "UTC"


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2025-07-01T12:00:00", "2025-07-01T16:00:00Z"),  # summer time, -4
        ("2025-01-15T12:00:00", "2025-01-15T17:00:00Z"),  # standard time, -5
        ("2025-11-02T01:30:00", "2025-11-02T06:30:00Z"),  # repeated hour: standard time
        ("2025-03-09T02:30:00", "2025-03-09T07:00:00Z"),  # skipped hour: moved forward
    ],
)
def test_naive_timestamp_in_non_utc_assume_tz_respects_dst(local, utc):
    cmap = ColumnMap(transactions=TableMap(assume_tz="America/New_York"))
    result = validate(txns({"timestamp": local}), column_map=cmap)
    assert result.tables["transactions"].loc[0, "timestamp"] == pd.Timestamp(utc)
    assert result.manifest["timestamps_assumed_tz"] == 1


def test_timestamp_with_offset_ignores_assume_tz():
    cmap = ColumnMap(transactions=TableMap(assume_tz="Asia/Tokyo"))
    result = validate(txns({"timestamp": "2025-07-01T12:00:00-04:00"}), column_map=cmap)
    assert result.tables["transactions"].loc[0, "timestamp"] == pd.Timestamp("2025-07-01T16:00Z")
    assert result.manifest["timestamps_assumed_tz"] == 0


def test_date_only_timestamp_is_read_in_assume_tz():
    cmap = ColumnMap(transactions=TableMap(assume_tz="America/New_York"))
    result = validate(txns({"timestamp": "2025-01-02"}), column_map=cmap)
    assert result.tables["transactions"].loc[0, "timestamp"] == pd.Timestamp("2025-01-02T05:00Z")
    assert result.manifest["timestamps_assumed_tz"] == 1


# --------------------------------------------------------------------------- PII


def test_pii_values_never_echoed_in_messages_or_warning_values():
    email = "victim.name@example.com"
    phone = "+1 555 867 5309"
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "email": ["not-an-email " + phone, email],
            "date_of_birth": [phone, "1990-01-01"],
            "phone": [phone, phone],
            "nationality": ["XX", "US"],
        }
    )
    intel = pd.DataFrame({"kind": ["phone", "email", "fax"], "value": [phone, None, email]})
    result = validate(txns({}), accounts=accounts, intel=intel)
    warnings = result.warnings
    pii_warned = warnings[warnings["column"].isin(["email", "date_of_birth"])]
    assert len(pii_warned) == 2
    assert pii_warned["value"].isna().all()
    assert warnings.loc[warnings["column"] == "nationality", "value"].tolist() == ["XX"]
    texts = " ".join(warnings["reason"].tolist() + result.rejects["reason"].tolist())
    texts += json.dumps(result.manifest, default=str)
    for secret in (email, phone, "867"):
        assert secret not in texts
        assert not warnings["value"].fillna("").str.contains(secret, regex=False).any()
    # intel rows: missing value and unknown kind are rejected without echoing the value
    intel_rejects = result.rejects[result.rejects["table"] == "intel"]
    assert intel_rejects["row_number"].tolist() == [2, 3]
    assert intel_rejects["reason"].tolist()[0] == "value is missing"
    assert ACCOUNTS["email"].pii and TABLES["intel"]["value"].pii


# --------------------------------------------------------------------------- formats


def test_parquet_integer_ids_read_as_exact_text(tmp_path):
    big = 9_007_199_254_740_993  # 2**53 + 1: not representable as float64
    table = pa.table(
        {
            "txn_id": pa.array([1, 2], pa.int64()),
            "account_id": pa.array([big, 12], pa.int64()),
            "timestamp": pa.array(
                [pd.Timestamp("2025-01-02T10:00Z"), pd.Timestamp("2025-01-02T11:00Z")],
                pa.timestamp("us", tz="UTC"),
            ),
            "amount": pa.array([12.5, 3.0]),
            "currency": ["USD", "USD"],
            "direction": ["debit", "credit"],
            "channel": ["card", "p2p"],
            "mcc": pa.array([5411, None], pa.int32()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    result = validate(path)
    out = result.tables["transactions"]
    assert out["txn_id"].tolist() == ["1", "2"]
    assert out["account_id"].tolist() == [str(big), "12"]
    assert out.loc[0, "mcc"] == 5411 and pd.isna(out.loc[1, "mcc"])
    assert out["timestamp"].tolist() == [
        pd.Timestamp("2025-01-02T10:00Z"),
        pd.Timestamp("2025-01-02T11:00Z"),
    ]
    assert result.manifest["inputs"][0]["format"] == "parquet"


def test_parquet_uint64_ids_do_not_crash(tmp_path):
    table = pa.table(
        {
            "txn_id": pa.array([2**64 - 1, 5], pa.uint64()),
            "account_id": ["A", "B"],
            "timestamp": ["2025-01-02T10:00:00Z"] * 2,
            "amount": [1.0, 2.0],
            "currency": ["USD"] * 2,
            "direction": ["debit"] * 2,
            "channel": ["card"] * 2,
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    try:
        result = validate(path)
    except FintrakError:
        return
    assert result.tables["transactions"]["txn_id"].tolist() == [str(2**64 - 1), "5"]


def test_csv_reads_ids_as_text(tmp_path):
    frame = txns(account_id=["007", "1e5", "12.0"])
    out = validate(write_csv(tmp_path / "t.csv", frame)).tables["transactions"]
    assert out["account_id"].tolist() == ["007", "1e5", "12.0"]


# --------------------------------------------------------------------------- file-level errors


def _assert_file_error(exc_info, path, *words):
    exc = exc_info.value
    assert isinstance(exc, FintrakError) and isinstance(exc, ValueError)
    message = str(exc)
    assert str(path) in message
    assert "fix:" in message
    assert exc.fix and exc.fix in message
    for word in words:
        assert word in message, message


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "no such file")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(InputFileError) as info:
        validate(tmp_path)
    _assert_file_error(info, tmp_path, "folder")


def test_unknown_extension(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"PK\x03\x04junk")
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, ".xlsx", ".csv")


def test_empty_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("")
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "empty")


def test_header_without_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(",".join(GOOD) + "\n")
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "no data rows")


def test_missing_required_column_names_it_and_suggests_close_match(tmp_path):
    frame = txns({}).rename(columns={"amount": "amt"})
    path = write_csv(tmp_path / "t.csv", frame)
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "'amount'", "'amt'", "column map")
    assert info.value.column == "amount"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_wrong_delimiter(tmp_path, delimiter):
    path = tmp_path / "t.csv"
    txns({}).to_csv(path, index=False, sep=delimiter)
    with pytest.raises(InputFileError) as info:
        validate(path)
    shown = "\\t" if delimiter == "\t" else delimiter
    _assert_file_error(info, path, f"delimited by {shown!r}", "delimiter:")


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html><html><body>Session expired</body></html>",
        "  \n<html><head><title>502</title></head></html>",
    ],
)
def test_html_page_saved_as_csv(tmp_path, page):
    path = tmp_path / "t.csv"
    path.write_text(page)
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "HTML", "export")


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("txn_id,amount\n".encode("utf-16"))
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "binary")


def test_parquet_named_csv(tmp_path):
    path = tmp_path / "t.csv"
    txns({}).to_parquet(path)
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, ".parquet")


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "Parquet")


def test_unparseable_csv(tmp_path):
    path = tmp_path / "t.csv"
    header = ",".join(GOOD)
    path.write_text(
        header + "\nt1,007,2025-01-02T10:00:00Z,1,USD,debit,card\n"
        "t2,007,2025-01-02T10:00:00Z,1,USD,debit,card,extra,more\n"
    )
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "cannot be parsed", "delimiter")


def test_trailing_delimiter_on_data_rows_does_not_shift_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        ",".join(GOOD) + "\n"
        "t1,007,2025-01-02T10:00:00Z,12.5,USD,debit,card,\n"
        "t2,008,2025-01-02T10:00:00Z,3,USD,credit,card,\n"
    )
    try:
        result = validate(path)
    except InputFileError as exc:  # refusing the file, naming it, is also acceptable
        assert str(path) in str(exc)
        return
    assert result.tables["transactions"]["txn_id"].tolist() == ["t1", "t2"]
    assert result.tables["transactions"]["account_id"].tolist() == ["007", "008"]


def test_non_utf8_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(
        (",".join(GOOD) + ",city\nt1,007,2025-01-02T10:00:00Z,1,USD,debit,card,Zürich\n").encode(
            "latin-1"
        )
    )
    with pytest.raises(InputFileError) as info:
        validate(path)
    _assert_file_error(info, path, "utf-8", "encoding:")


def test_two_columns_mapping_to_the_same_canonical_name():
    frame = txns({})
    frame["TXN_ID"] = ["other"]
    with pytest.raises(InputFileError) as info:
        validate(frame)
    assert "txn_id" in str(info.value) and "TXN_ID" in str(info.value)


def test_every_row_rejected_is_reported_by_raise_if_unusable(tmp_path):
    path = write_csv(tmp_path / "t.csv", txns({"amount": "-1"}, {"amount": "0"}))
    result = validate(path)
    assert result.manifest["rows_accepted"] == 0
    assert len(result.rejects) == 2
    with pytest.raises(NoValidRowsError) as info:
        result.raise_if_unusable()
    assert isinstance(info.value, InputFileError)
    assert str(path) in str(info.value)
    assert "amount.not_above_minimum" in str(info.value)


# --------------------------------------------------------------------------- manifest & outputs


def test_manifest_inputs_counts_and_sha256(tmp_path):
    frame = txns({}, {"amount": "-1"}, {"mcc": "99999"})
    path = write_csv(tmp_path / "t.csv", frame)
    accounts = pd.DataFrame({"account_id": ["007", "X"]})
    apath = tmp_path / "a.parquet"
    accounts.to_parquet(apath)
    result = validate(path, accounts=apath)
    m = result.manifest
    assert [i["table"] for i in m["inputs"]] == ["transactions", "accounts"]
    tin = m["inputs"][0]
    assert tin["path"] == str(path)
    assert tin["format"] == "csv"
    assert tin["bytes"] == path.stat().st_size
    assert tin["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tin["rows"] == 3
    assert m["inputs"][1]["sha256"] == hashlib.sha256(apath.read_bytes()).hexdigest()
    assert (m["rows_read"], m["rows_accepted"], m["rows_rejected"]) == (5, 4, 1)
    assert m["fields_nulled"] == 1
    assert m["rejects_by_reason"] == {"transactions.amount.not_above_minimum": 1}
    assert m["warnings_by_reason"] == {"transactions.mcc.out_of_range": 1}
    assert m["cross_checks"]["accounts_without_transactions"] == 1
    assert m["cross_checks"]["accounts_in_transactions_without_kyc_row"] == 0
    assert set(m["versions"]) >= {"fintrak", "python", "pandas", "pandera"}
    assert_counts_add_up(m)


def test_write_validation_writes_every_file_atomically(tmp_path):
    result = validate(txns({}, {"amount": "-1"}, {"country": "XX"}))
    out = tmp_path / "run"
    out.mkdir()
    written = write_validation(result, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "manifest.json",
        "rejects.parquet",
        "transactions.parquet",
        "warnings.parquet",
    ]
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"] == names[1:] + ["manifest.json"]
    assert manifest["rows_read"] == 3
    back = pd.read_parquet(written["transactions"])
    assert back["txn_id"].tolist() == ["t1", "t3"]
    assert pd.read_parquet(written["rejects"])["row_number"].tolist() == [2]
    warnings = pd.read_parquet(written["warnings"])
    assert warnings[["column", "value"]].to_dict("records") == [
        {"column": "country", "value": "XX"}
    ]


def test_rejects_and_warnings_have_stable_columns_when_empty():
    result = validate(txns({}))
    assert list(result.rejects.columns) == ["table", "source_file", "row_number", "reason"]
    assert list(result.warnings.columns) == [
        "table",
        "source_file",
        "row_number",
        "column",
        "value",
        "reason",
    ]
