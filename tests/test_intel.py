"""Intelligence matching: every format of one number matches, others never do, nothing leaks."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintrak.intel import (
    MATCH_COLUMNS,
    MATCHED_ON,
    evidence_records,
    intel_match_counts,
    match_intel,
)
from fintrak.synth import SynthConfig, generate

# ---------------------------------------------------------------------------------------------
# A hand-made bank

PHONE_KYC = ["(415) 555-0132", "+1 415 555 0132", "415.555.0132", "1-415-555-0132", "4155550132"]
PHONE_MEMOS = [
    "thx! call me (415) 555-0132",
    "rent 415.555.0132",
    "+1 415 555 0132 for pics",
    "txt 415-555-0132",
    "my new # is 4155550132",
]
OTHER_PHONE = "(415) 555-0133"  # one digit off: must never match
OTHER_MEMO = "call 415 555 0133 tonight"
GB_MEMO = "ring 020 7946 0958"  # no country code: a London number only for a GB account
LATE_PHONE = "(212) 555-0199"  # in intel first seen after as_of
AR_KYC = "02966 15-123456"  # Argentine mobile, national format: "15" becomes "9" up front
VANITY_KYC = "1-800-FLOWERS"  # letters read as keypad digits
TWO_NUMBERS_MEMO = "call 415-555-0132 or +44 20 7946 0958"
EMAIL_KYC = "Jane.Doe+bank@GoogleMail.com"
EMAIL_MEMO = "paid, receipt to j.a.n.e.doe@gmail.com, thanks"
OTHER_EMAIL = "janedoe2@gmail.com"
AD_DESCRIPTOR = "SQ *NIGHTLISTR.COM  800-555-0100 NV"
ADDRESS_KYC = "12 main st #4b"
DEVICE_TXN = " dev-7f3a9c "
IP_TXN = "2001:0db8:0000:0000:0000:0000:0000:0001"

INTEL_VALUES = {
    "phone_ad": "call/text 415 555 0132",
    "phone_ngo": "+1 (415) 555-0132",
    "phone_gb": "+44 20 7946 0958",
    "phone_late": "212-555-0199",
    "phone_ar": "+54 9 2966 12-3456",
    "phone_vanity": "+1 800 356 9377",
    "email": "jane.doe+ads@gmail.com",
    "merchant": "NightListr.com",
    "address": "12 Main Street, Apt 4B",
    "device": "dev-7f3a9c",
    "ip": "2001:db8::1",
}
AS_OF = "2025-03-31"
T0 = pd.Timestamp("2025-02-01 12:00", tz="UTC")


def _intel() -> pd.DataFrame:
    v = INTEL_VALUES
    rows = [
        ("phone", v["phone_ad"], "ad-scraper", "2025-01-10"),
        ("phone", v["phone_ngo"], "ngo-tipline", "2024-12-01"),
        ("phone", v["phone_gb"], "ad-scraper", "2025-01-05"),
        ("phone", v["phone_late"], "ad-scraper", "2025-06-01"),  # after as_of
        ("phone", v["phone_ar"], "ngo-tipline", "2025-01-05"),
        ("phone", v["phone_vanity"], "ngo-tipline", "2025-01-05"),
        ("email", v["email"], "vendor-feed", "2025-01-02"),
        ("merchant", v["merchant"], "ngo-tipline", "2024-11-01"),
        ("address", v["address"], "law-enforcement", None),
        ("device", v["device"], "vendor-feed", "2025-01-01"),
        ("ip", v["ip"], "vendor-feed", "2025-01-01"),
        ("url", "https://nightlistr.com/ad/123", "ad-scraper", "2025-01-01"),
    ]
    frame = pd.DataFrame(rows, columns=["kind", "value", "source", "first_seen"])
    frame["first_seen"] = pd.to_datetime(frame["first_seen"], utc=True)
    return frame


def _accounts() -> pd.DataFrame:
    rows = [(f"kyc-{i}", phone, None, None, "US") for i, phone in enumerate(PHONE_KYC)]
    rows += [
        ("kyc-other", OTHER_PHONE, OTHER_EMAIL, "13 main st #4b", "US"),
        ("kyc-late", LATE_PHONE, None, None, "US"),
        ("kyc-email", None, EMAIL_KYC, None, "US"),
        ("kyc-address", None, None, ADDRESS_KYC, "US"),
        ("kyc-ar", AR_KYC, None, None, "AR"),
        ("kyc-vanity", VANITY_KYC, None, None, "US"),
        ("gb-memo", None, None, None, "GB"),
        ("us-memo-gb", None, None, None, "US"),
    ]
    rows += [(f"memo-{i}", None, None, None, "US") for i in range(len(PHONE_MEMOS))]
    rows += [("memo-other", None, None, None, "US"), ("memo-email", None, None, None, "US")]
    rows += [("memo-two", None, None, None, "US")]
    rows += [("card", None, None, None, "US"), ("p2p", None, None, None, "US")]
    rows += [("digital", None, None, None, "US"), ("late-txn", None, None, None, "US")]
    return pd.DataFrame(rows, columns=["account_id", "phone", "email", "address", "country"])


def _transactions() -> pd.DataFrame:
    rows: list[dict[str, object]] = []

    def add(account, day, channel="p2p", name=None, memo=None, device=None, ip=None):
        rows.append(
            {
                "txn_id": f"t{len(rows)}",
                "account_id": account,
                "timestamp": T0 + pd.Timedelta(days=day),
                "amount": 40.0,
                "currency": "USD",
                "direction": "debit",
                "channel": channel,
                "counterparty_name": name,
                "memo": memo,
                "device_id": device,
                "ip": ip,
            }
        )

    for i, memo in enumerate(PHONE_MEMOS):
        add(f"memo-{i}", i, memo=memo)
    add("memo-0", 10, memo=PHONE_MEMOS[3])  # the same number again, another format
    add("memo-other", 2, memo=OTHER_MEMO)
    add("gb-memo", 3, memo=GB_MEMO)
    add("us-memo-gb", 3, memo=GB_MEMO)
    add("memo-email", 4, memo=EMAIL_MEMO)
    add("memo-two", 4, memo=TWO_NUMBERS_MEMO)
    add("card", 5, channel="card", name=AD_DESCRIPTOR)
    add("card", 7, channel="card", name=AD_DESCRIPTOR.lower())
    add("card", 8, channel="card", name="NIGHTLIST DINER")  # not the descriptor
    add("p2p", 5, channel="p2p", name=AD_DESCRIPTOR)  # a P2P payee is not a card descriptor
    add("digital", 6, channel="card", name="ONLINE STORE", device=DEVICE_TXN, ip=IP_TXN)
    add("late-txn", 70, memo=PHONE_MEMOS[0])  # after as_of
    for day in range(0, 60, 3):
        add("kyc-0", day, channel="card", name="GROCERY OUTLET", memo="groceries")
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bank() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return _transactions(), _accounts(), _intel()


@pytest.fixture(scope="module")
def matches(bank) -> pd.DataFrame:
    transactions, accounts, intel = bank
    return match_intel(transactions, accounts, intel, as_of=AS_OF)


def _rows(matches: pd.DataFrame, account_id: str) -> pd.DataFrame:
    return matches[matches["account_id"] == account_id].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The hand-made bank: what matches and what does not


def test_columns_and_dtypes(matches):
    assert tuple(matches.columns) == MATCH_COLUMNS
    assert set(matches["matched_on"]) <= set(MATCHED_ON)
    assert str(matches["intel_first_seen"].dtype) == "datetime64[us, UTC]"
    assert matches["transactions"].dtype == np.int64
    assert matches["values"].dtype == np.int64
    keys = ["account_id", "kind", "matched_on", "source"]
    assert not matches.duplicated(keys).any()


@pytest.mark.parametrize("i", range(len(PHONE_KYC)), ids=PHONE_KYC)
def test_every_kyc_phone_format_matches(matches, i):
    found = _rows(matches, f"kyc-{i}")
    assert found["matched_on"].tolist() == ["kyc_phone", "kyc_phone"]
    assert found["source"].tolist() == ["ad-scraper", "ngo-tipline"]
    assert found["intel_first_seen"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-10",
        "2024-12-01",
    ]
    assert found["transactions"].tolist() == [0, 0]
    assert found["values"].tolist() == [1, 1]
    assert found["first_date"].isna().all() and found["last_date"].isna().all()


@pytest.mark.parametrize("i", range(len(PHONE_MEMOS)), ids=PHONE_MEMOS)
def test_every_memo_phone_format_matches(matches, i):
    found = _rows(matches, f"memo-{i}")
    assert found["matched_on"].tolist() == ["memo_phone", "memo_phone"]
    expected = 2 if i == 0 else 1  # memo-0 wrote the number twice, in two formats
    assert found["transactions"].tolist() == [expected, expected]
    assert found["values"].tolist() == [1, 1]
    assert (found["first_date"] == T0 + pd.Timedelta(days=i)).all()


def test_numbers_rewritten_by_their_country_or_spelt_in_letters_match(matches):
    assert _rows(matches, "kyc-ar")["matched_on"].tolist() == ["kyc_phone"]
    assert _rows(matches, "kyc-vanity")["matched_on"].tolist() == ["kyc_phone"]


def test_one_memo_with_two_numbers_is_one_transaction(matches):
    found = _rows(matches, "memo-two")
    assert found[["source", "transactions", "values"]].values.tolist() == [
        ["ad-scraper", 1, 2],  # both numbers are in ads
        ["ngo-tipline", 1, 1],  # the NGO reported one of them
    ]


def test_different_number_never_matches(matches):
    assert _rows(matches, "kyc-other").empty  # phone, gmail and address all one step off
    assert _rows(matches, "memo-other").empty


def test_number_without_country_code_is_read_in_the_accounts_country(matches):
    assert _rows(matches, "gb-memo")["matched_on"].tolist() == ["memo_phone"]
    assert _rows(matches, "us-memo-gb").empty


def test_email_provider_variants_match(matches):
    kyc = _rows(matches, "kyc-email")
    assert kyc[["kind", "matched_on", "source"]].values.tolist() == [
        ["email", "kyc_email", "vendor-feed"]
    ]
    memo = _rows(matches, "memo-email")
    assert memo[["matched_on", "transactions", "values"]].values.tolist() == [["memo_email", 1, 1]]


def test_ad_descriptor_inside_a_longer_card_descriptor(matches):
    found = _rows(matches, "card")
    assert found[["kind", "matched_on", "source", "transactions"]].values.tolist() == [
        ["merchant", "descriptor", "ngo-tipline", 2]
    ]
    assert found.loc[0, "first_date"] == T0 + pd.Timedelta(days=5)
    assert found.loc[0, "last_date"] == T0 + pd.Timedelta(days=7)
    assert _rows(matches, "p2p").empty


def test_address_device_and_ip(matches):
    assert _rows(matches, "kyc-address")["matched_on"].tolist() == ["kyc_address"]
    assert _rows(matches, "kyc-address")["intel_first_seen"].isna().all()  # no first_seen given
    assert _rows(matches, "digital")["matched_on"].tolist() == ["device", "ip"]


def test_as_of_hides_later_intel_and_later_rows(bank, matches):
    assert _rows(matches, "kyc-late").empty
    assert _rows(matches, "late-txn").empty
    transactions, accounts, intel = bank
    later = match_intel(transactions, accounts, intel, as_of="2025-06-30")
    assert _rows(later, "kyc-late")["matched_on"].tolist() == ["kyc_phone"]
    assert _rows(later, "late-txn")["matched_on"].tolist() == ["memo_phone", "memo_phone"]
    # Default as_of: the last transaction, which is before the late intel record.
    default = match_intel(transactions, accounts, intel)
    assert _rows(default, "kyc-late").empty
    assert not _rows(default, "late-txn").empty


def test_no_raw_values_in_output_or_logs(bank, caplog):
    transactions, accounts, intel = bank
    with caplog.at_level(logging.DEBUG):
        out = match_intel(transactions, accounts, intel, as_of="2025-06-30")
        counts = intel_match_counts(out, accounts["account_id"])
        evidence = [evidence_records(out, a) for a in out["account_id"].unique()]
    assert len(out) > 10 and any("intel" in r.name for r in caplog.records)
    raw = [
        *PHONE_KYC,
        *PHONE_MEMOS,
        *INTEL_VALUES.values(),
        OTHER_PHONE,
        OTHER_MEMO,
        GB_MEMO,
        LATE_PHONE,
        AR_KYC,
        VANITY_KYC,
        TWO_NUMBERS_MEMO,
        EMAIL_KYC,
        EMAIL_MEMO,
        OTHER_EMAIL,
        AD_DESCRIPTOR,
        ADDRESS_KYC,
        DEVICE_TXN.strip(),
        IP_TXN,
        # normalised forms too
        "4155550132",
        "2079460958",
        "2966123456",
        "8003569377",
        "janedoe@gmail.com",
        "nightlistr",
        "12 main st",
        "2001:db8",
    ]
    text = "\n".join(
        [
            out.to_csv(index=False),
            out.to_json(orient="records", date_format="iso"),
            repr(out.to_dict()),
            counts.to_csv(),
            json.dumps(evidence),
            caplog.text,
            *(r.getMessage() for r in caplog.records),
        ]
    ).lower()
    for value in raw:
        assert value.lower() not in text, "a raw identifier leaked"


def test_match_counts_count_each_identifier_once(matches, bank):
    _, accounts, _ = bank
    counts = intel_match_counts(matches, [*accounts["account_id"], "unknown"])
    assert counts.dtype == np.int64 and counts.name == "intel_matches"
    assert counts["kyc-0"] == 1  # one number, two sources
    assert counts["digital"] == 2  # a device and an IP
    assert counts["memo-two"] == 2  # two numbers, one of them from two sources
    assert counts["kyc-other"] == 0 and counts["unknown"] == 0
    assert counts.index.tolist() == [*accounts["account_id"], "unknown"]
    both = pd.concat([_rows(matches, "kyc-0"), _rows(matches, "memo-0")])
    both["account_id"] = "one"
    assert intel_match_counts(both, ["one"]).tolist() == [1]  # KYC and memo: the same number


def test_evidence_records_are_json_ready(matches):
    records = evidence_records(matches, "card")
    assert records == [
        {
            "kind": "merchant",
            "matched_on": "descriptor",
            "source": "ngo-tipline",
            "intel_first_seen": "2024-11-01",
            "first_date": "2025-02-06",
            "last_date": "2025-02-08",
            "transactions": 2,
            "values": 1,
        }
    ]
    kyc = evidence_records(matches, "kyc-0")
    assert [r["first_date"] for r in kyc] == [None, None]
    assert json.loads(json.dumps(kyc)) == kyc
    assert evidence_records(matches, "nobody") == []


def test_empty_and_missing_inputs(bank):
    transactions, accounts, intel = bank
    empty = match_intel(transactions, accounts, intel.iloc[:0])
    assert tuple(empty.columns) == MATCH_COLUMNS and empty.empty
    assert tuple(match_intel(transactions, accounts, None).columns) == MATCH_COLUMNS
    without_accounts = match_intel(transactions, None, intel, as_of=AS_OF)
    assert not without_accounts["matched_on"].str.startswith("kyc_").any()
    # Without a country, only numbers written with their country code are read (in memos and
    # in intel): the memo "+1 415 ..." matches the intel "+1 (415) ..." only.
    found = _rows(without_accounts, "memo-2")
    assert found[["matched_on", "source"]].values.tolist() == [["memo_phone", "ngo-tipline"]]
    assert _rows(without_accounts, "memo-0").empty
    bare = transactions.drop(columns=["memo", "device_id", "ip"])
    assert set(match_intel(bare, accounts, intel, as_of=AS_OF)["matched_on"]) == {
        "kyc_phone",
        "kyc_email",
        "kyc_address",
        "descriptor",
    }
    with pytest.raises(ValueError, match="intel must have columns"):
        match_intel(transactions, accounts, intel.drop(columns="value"))


# ---------------------------------------------------------------------------------------------
# Properties


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), reindex=st.booleans())
def test_row_order_does_not_change_the_output(bank, matches, seed, reindex):
    transactions, accounts, intel = bank
    shuffled = transactions.sample(frac=1.0, random_state=np.random.RandomState(seed))
    if reindex:
        shuffled = shuffled.reset_index(drop=True)
    again = match_intel(
        shuffled, accounts.sample(frac=1.0, random_state=seed % 1000), intel, as_of=AS_OF
    )
    pd.testing.assert_frame_equal(again, matches)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(1, 400), which=st.lists(st.integers(0, 18), min_size=1, max_size=8))
def test_future_rows_change_nothing(bank, matches, days, which):
    transactions, accounts, intel = bank
    future = transactions.iloc[which].copy()
    future["txn_id"] = [f"future-{i}" for i in range(len(future))]
    future["timestamp"] = pd.Timestamp(AS_OF, tz="UTC") + pd.Timedelta(days=days)
    grown = pd.concat([transactions, future], ignore_index=True)
    pd.testing.assert_frame_equal(match_intel(grown, accounts, intel, as_of=AS_OF), matches)


# ---------------------------------------------------------------------------------------------
# The synthetic bank


@pytest.fixture(scope="module")
def synthetic():
    bank = generate(SynthConfig(n_accounts=1500, months=4, seed=23))
    found = match_intel(bank.transactions, bank.accounts, bank.intel)
    counts = intel_match_counts(found, bank.labels["account_id"])
    labels = bank.labels.set_index("account_id")
    labels["matches"] = counts.to_numpy()
    return found, labels


def test_synthetic_sex_trafficking_rings_are_matched(synthetic):
    found, labels = synthetic
    ring = labels[labels["typology"] == "sex_trafficking"]
    ordinary = labels[labels["is_trafficking"] == 0]
    assert len(ring) >= 3
    ring_share = (ring["matches"] > 0).mean()
    ordinary_share = (ordinary["matches"] > 0).mean()
    # Intel holds the phones of about 60% of ring members; the ring also pays ad sites.
    assert ring_share >= 0.5
    assert ordinary_share <= 0.02
    assert set(found["matched_on"]) >= {"kyc_phone", "descriptor"}
    # Ordinary accounts matched are mostly the look-alikes planted in intel (adult-content
    # creators); with seed 23 one more ordinary customer shares a creator's KYC phone.
    segments = ordinary.loc[ordinary["matches"] > 0, "segment"]
    assert (segments == "adult_creator").mean() >= 0.8
    others = labels[labels["is_trafficking"].eq(1) & labels["typology"].ne("sex_trafficking")]
    assert (others["matches"] == 0).all()


def test_kyc_matches_alone_when_no_transaction_matches():
    # an extract with no memos or descriptors to match: only the KYC phone matches
    txn = pd.DataFrame(
        {
            "txn_id": ["t1"],
            "account_id": ["a1"],
            "timestamp": pd.to_datetime(["2025-03-01"], utc=True),
            "amount": [10.0],
            "direction": ["debit"],
            "channel": ["ach"],
        }
    )
    accounts = pd.DataFrame({"account_id": ["a1"], "phone": ["(415) 555-0132"], "country": ["US"]})
    intel = pd.DataFrame(
        {
            "kind": ["phone"],
            "value": ["+1 415 555 0132"],
            "source": ["ngo"],
            "first_seen": pd.to_datetime(["2025-01-01"], utc=True),
        }
    )
    got = match_intel(txn, accounts, intel)
    assert got[["account_id", "matched_on", "transactions"]].values.tolist() == [
        ["a1", "kyc_phone", 0]
    ]
    assert got["first_date"].isna().all()
