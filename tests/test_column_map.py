"""Column maps (YAML): each feature and each error, exercised through validate()."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from fintrak.exceptions import ColumnMapError, FintrakError, InputFileError
from fintrak.io.column_map import ColumnMap, load_column_map
from fintrak.validation import validate

BANK_HEADER = "Ref;Acct;PostedAt;Amt;Ccy;DrCr;Chan"


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
    return path


@pytest.fixture
def bank_csv(tmp_path):
    return write(
        tmp_path / "bank.csv",
        f"""
        {BANK_HEADER}
        R1;007;02/01/2025 10:00;12.5;usd;DR;POS
        R2;008;15/07/2025 11:30;3;EUR;CR;TRF
        R3;009;15/07/2025 11:30;4;EUR;XX;TRF
        """,
    )


FULL_MAP = """
transactions:
  columns: {Ref: txn_id, Acct: account_id, PostedAt: timestamp, Amt: amount, Ccy: currency,
            DrCr: direction, Chan: channel}
  values:
    direction: {DR: debit, CR: credit}
    channel: {POS: card, TRF: p2p}
  timestamp_format: "%d/%m/%Y %H:%M"
  assume_tz: Europe/London
  delimiter: ";"
"""


def test_full_map_renames_maps_values_and_parses_local_times(tmp_path, bank_csv):
    cmap = write(tmp_path / "map.yaml", FULL_MAP)
    result = validate(bank_csv, column_map=cmap)
    out = result.tables["transactions"]
    assert out["txn_id"].tolist() == ["R1", "R2"]
    assert out["account_id"].tolist() == ["007", "008"]
    assert out["direction"].tolist() == ["debit", "credit"]
    assert out["channel"].tolist() == ["card", "p2p"]
    assert out["currency"].tolist() == ["USD", "EUR"]
    # London: GMT in January, BST (+1) in July
    assert out["timestamp"].tolist() == [
        pd.Timestamp("2025-01-02T10:00Z"),
        pd.Timestamp("2025-07-15T10:30Z"),
    ]
    # an unmapped value is still rejected, with the file's own column names in the reject row
    rej = result.rejects
    assert rej["row_number"].tolist() == [3]
    assert "direction 'XX' is not one of" in rej.loc[0, "reason"]
    assert rej.loc[0, "Ref"] == "R3" and rej.loc[0, "DrCr"] == "XX"
    stats = result.manifest["tables"]["transactions"]
    assert stats["columns_mapped"]["txn_id"] == "Ref"
    assert stats["assume_tz"] == "Europe/London"
    assert stats["timestamps_assumed_tz"] == 3
    assert result.manifest["rows_accepted"] + result.manifest["rows_rejected"] == 3


def test_map_accepts_a_columnmap_object(bank_csv):
    cmap = ColumnMap.model_validate(
        {
            "transactions": {
                "columns": {
                    "Ref": "txn_id",
                    "Acct": "account_id",
                    "PostedAt": "timestamp",
                    "Amt": "amount",
                    "Ccy": "currency",
                    "DrCr": "direction",
                    "Chan": "channel",
                },
                "values": {"direction": {"DR": "debit", "CR": "credit", "XX": "debit"}},
                "timestamp_format": "%d/%m/%Y %H:%M",
                "delimiter": ";",
            }
        }
    )
    result = validate(bank_csv, column_map=cmap)
    # channel values are not mapped: POS/TRF are rejected
    assert len(result.tables["transactions"]) == 0
    assert all("channel" in r for r in result.rejects["reason"])


def test_timestamp_format_mismatch_rejects_row(tmp_path, bank_csv):
    text = bank_csv.read_text().replace("02/01/2025 10:00", "2025-01-02 10:00")
    bank_csv.write_text(text)
    result = validate(bank_csv, column_map=write(tmp_path / "m.yaml", FULL_MAP))
    assert result.rejects["row_number"].tolist() == [1, 3]
    assert "timestamp '2025-01-02 10:00' is not a timestamp" in result.rejects.loc[0, "reason"]


def test_timestamp_format_with_offset(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A,02/01/2025 10:00 +0200,1,USD,debit,card
        """,
    )
    cmap = write(
        tmp_path / "m.yaml",
        """
        transactions:
          timestamp_format: "%d/%m/%Y %H:%M %z"
          assume_tz: America/Chicago
        """,
    )
    result = validate(csv, column_map=cmap)
    assert result.tables["transactions"].loc[0, "timestamp"] == pd.Timestamp("2025-01-02T08:00Z")
    assert result.manifest["timestamps_assumed_tz"] == 0


def test_assume_tz_applies_to_naive_iso_timestamps_only(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A,2025-07-01T12:00:00,1,USD,debit,card
        t2,A,2025-07-01T12:00:00Z,1,USD,debit,card
        """,
    )
    cmap = write(tmp_path / "m.yaml", "transactions:\n  assume_tz: Asia/Kolkata\n")
    result = validate(csv, column_map=cmap)
    assert result.tables["transactions"]["timestamp"].tolist() == [
        pd.Timestamp("2025-07-01T06:30Z"),
        pd.Timestamp("2025-07-01T12:00Z"),
    ]
    assert result.manifest["timestamps_assumed_tz"] == 1


def test_signed_amounts_give_amount_and_direction(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,channel
        t1,A,2025-01-02T10:00:00Z,-12.50,USD,card
        t2,A,2025-01-02T10:00:00Z,30,USD,p2p
        t3,A,2025-01-02T10:00:00Z,0,USD,p2p
        t4,A,2025-01-02T10:00:00Z,abc,USD,p2p
        """,
    )
    cmap = write(tmp_path / "m.yaml", "transactions:\n  signed_amounts: true\n")
    result = validate(csv, column_map=cmap)
    out = result.tables["transactions"]
    assert out["amount"].tolist() == [12.5, 30.0]
    assert out["direction"].tolist() == ["debit", "credit"]
    rej = result.rejects.set_index("row_number")["reason"]
    assert list(rej.index) == [3, 4]
    assert "amount" in rej[3] and "direction is missing" in rej[3]
    assert "amount 'abc' is not a number" in rej[4]
    # the rejected rows keep the file's original text
    assert result.rejects["amount"].tolist() == ["0", "abc"]


def test_without_signed_amounts_a_negative_amount_is_rejected(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A,2025-01-02T10:00:00Z,-12.50,USD,debit,card
        """,
    )
    result = validate(csv)
    assert "signed_amounts: true" in result.rejects.loc[0, "reason"]


def test_value_map_with_numeric_yaml_keys(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A,2025-01-02T10:00:00Z,1,USD,1,card
        t2,A,2025-01-02T10:00:00Z,1,USD,0,card
        """,
    )
    cmap = write(
        tmp_path / "m.yaml", "transactions:\n  values:\n    direction: {1: credit, 0: debit}\n"
    )
    out = validate(csv, column_map=cmap).tables["transactions"]
    assert out["direction"].tolist() == ["credit", "debit"]


def test_value_map_applies_to_parquet_columns(tmp_path):
    frame = pd.DataFrame(
        {
            "txn_id": ["t1", "t2"],
            "account_id": ["A", "A"],
            "timestamp": ["2025-01-02T10:00:00Z"] * 2,
            "amount": [1.0, 2.0],
            "currency": ["USD"] * 2,
            "direction": ["DR", "CR"],
            "channel": ["card"] * 2,
        }
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    cmap = write(
        tmp_path / "m.yaml", "transactions:\n  values:\n    direction: {DR: debit, CR: credit}\n"
    )
    out = validate(path, column_map=cmap).tables["transactions"]
    assert out["direction"].tolist() == ["debit", "credit"]


def test_delimiter_and_encoding(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id|account_id|timestamp|amount|currency|direction|channel|city
        t1|A|2025-01-02T10:00:00Z|1|EUR|debit|card|Zürich
        """,
        encoding="latin-1",
    )
    with pytest.raises(InputFileError):
        validate(csv)
    cmap = write(tmp_path / "m.yaml", 'transactions:\n  delimiter: "|"\n  encoding: latin-1\n')
    out = validate(csv, column_map=cmap).tables["transactions"]
    assert out["city"].tolist() == ["Zürich"]


def test_tab_delimiter(tmp_path):
    csv = write(
        tmp_path / "t.tsv",
        "txn_id\taccount_id\ttimestamp\tamount\tcurrency\tdirection\tchannel\n"
        "t1\tA\t2025-01-02T10:00:00Z\t1\tEUR\tdebit\tcard\n",
    )
    cmap = write(tmp_path / "m.yaml", 'transactions:\n  delimiter: "\\t"\n')
    assert validate(csv, column_map=cmap).tables["transactions"]["txn_id"].tolist() == ["t1"]


def test_decimal_comma_and_thousands_separator(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id;account_id;timestamp;amount;currency;direction;channel
        t1;A;2025-01-02T10:00:00Z;12,50;EUR;debit;card
        t2;A;2025-01-02T10:00:00Z;1.234,50;EUR;debit;card
        """,
    )
    cmap = write(
        tmp_path / "m.yaml",
        'transactions:\n  delimiter: ";"\n  decimal: ","\n  thousands: "."\n',
    )
    result = validate(csv, column_map=cmap)
    assert result.tables["transactions"]["amount"].tolist() == [12.5, 1234.5]
    assert len(result.rejects) == 0


def test_date_format_for_accounts(tmp_path):
    accounts = write(
        tmp_path / "a.csv",
        """
        CustNo,date_of_birth
        A1,31/12/1990
        A2,1990-12-31
        """,
    )
    txns = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A1,2025-01-02T10:00:00Z,1,USD,debit,card
        """,
    )
    cmap = write(
        tmp_path / "m.yaml",
        'accounts:\n  columns: {CustNo: account_id}\n  date_format: "%d/%m/%Y"\n',
    )
    result = validate(txns, accounts=accounts, column_map=cmap)
    acc = result.tables["accounts"]
    assert acc["account_id"].tolist() == ["A1", "A2"]
    assert acc.loc[0, "date_of_birth"] == pd.Timestamp("1990-12-31")
    assert pd.isna(acc.loc[1, "date_of_birth"])
    assert result.warnings["column"].tolist() == ["date_of_birth"]
    assert result.warnings["value"].isna().all()  # date_of_birth is personal data


def test_map_naming_a_column_the_file_lacks(tmp_path, bank_csv):
    cmap = write(tmp_path / "m.yaml", FULL_MAP.replace("Ref: txn_id", "Reference: txn_id"))
    with pytest.raises(InputFileError) as info:
        validate(bank_csv, column_map=cmap)
    message = str(info.value)
    assert str(bank_csv) in message
    assert "'Reference'" in message and "fix:" in message


def test_identity_map_when_none():
    assert load_column_map(None) == ColumnMap()


# --------------------------------------------------------------------------- malformed maps


@pytest.mark.parametrize(
    ("yaml_text", "named"),
    [
        ("transactions:\n  colums: {A: txn_id}\n", "transactions.colums"),
        ("transactions:\n  assume_tz: Mars/Olympus\n", "transactions.assume_tz"),
        ("transactions:\n  delimiter: ';;'\n", "transactions.delimiter"),
        ("transactions:\n  decimal: ''\n", "transactions.decimal"),
        ("transactions:\n  signed_amounts: maybe\n", "transactions.signed_amounts"),
        ("accounts:\n  columns: [a, b]\n", "accounts.columns"),
        ("banks: {}\n", "banks"),
        ("transactions:\n  columns: {Amt: amout}\n", "'amout'"),
        ("transactions:\n  values: {colour: {a: b}}\n", "'colour'"),
        ("labels:\n  columns: {Flag: txn_id}\n", "labels.columns"),
    ],
)
def test_malformed_map_names_the_key(tmp_path, bank_csv, yaml_text, named):
    cmap = write(tmp_path / "m.yaml", yaml_text)
    with pytest.raises(ColumnMapError) as info:
        validate(bank_csv, column_map=cmap)
    message = str(info.value)
    assert isinstance(info.value, FintrakError) and isinstance(info.value, ValueError)
    assert named in message
    assert str(cmap) in message
    assert "fix:" in message


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        ("transactions: [\n", "not valid YAML"),
        ("- transactions\n", "got a list"),
        ("just text\n", "got a str"),
    ],
)
def test_map_that_is_not_a_mapping(tmp_path, bank_csv, yaml_text, words):
    cmap = write(tmp_path / "m.yaml", yaml_text)
    with pytest.raises(ColumnMapError) as info:
        validate(bank_csv, column_map=cmap)
    assert words in str(info.value) and str(cmap) in str(info.value)


def test_empty_map_file_is_identity(tmp_path):
    csv = write(
        tmp_path / "t.csv",
        """
        txn_id,account_id,timestamp,amount,currency,direction,channel
        t1,A,2025-01-02T10:00:00Z,1,USD,debit,card
        """,
    )
    cmap = write(tmp_path / "m.yaml", "")
    assert len(validate(csv, column_map=cmap).tables["transactions"]) == 1


def test_missing_map_file(tmp_path, bank_csv):
    with pytest.raises(ColumnMapError) as info:
        validate(bank_csv, column_map=tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value) and "--column-map" in str(info.value)


def test_non_utf8_map_file(tmp_path, bank_csv):
    cmap = tmp_path / "m.yaml"
    cmap.write_bytes("transactions:\n  columns: {Kürzel: txn_id}\n".encode("utf-16"))
    with pytest.raises(ColumnMapError) as info:
        validate(bank_csv, column_map=cmap)
    assert str(cmap) in str(info.value)


def test_unknown_encoding_is_an_input_file_error(tmp_path, bank_csv):
    cmap = write(tmp_path / "m.yaml", FULL_MAP + "  encoding: klingon-8\n")
    with pytest.raises(InputFileError) as info:
        validate(bank_csv, column_map=cmap)
    assert "encoding" in str(info.value) and str(bank_csv) in str(info.value)
