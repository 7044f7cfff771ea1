"""Identifier normalisation: phones, e-mails, addresses, the long table, keyed hashes, no leaks."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fintrak.exceptions import ConfigError
from fintrak.features.population import normalise_address
from fintrak.identifiers import (
    MIN_KEY_BYTES,
    account_identifiers,
    hash_identifiers,
    normalise_addresses,
    normalise_devices,
    normalise_emails,
    normalise_phones,
)

KEY = b"k" * MIN_KEY_BYTES

# ---------------------------------------------------------------------------------------------
# Phones: every format of one number matches

US_FORMATS = [
    "+1 (415) 555-0132",
    "+14155550132",
    "+1-415-555-0132",
    "+1.415.555.0132",
    "(415) 555-0132",
    "415-555-0132",
    "415.555.0132",
    "415 555 0132",
    "4155550132",
    "1-415-555-0132",
    "1 (415) 555-0132",
    "001 415 555 0132",
    "011 1 415 555 0132",
    "tel:+1-415-555-0132",
    "tel:+14155550132;ext=22",
    "(415) 555-0132 ext. 12",
    "415-555-0132 x12",
    "415.555.0132 extension 3",
    "  (415)555-0132  ",
    "４１５５５５０１３２",
    4155550132.0,
]
GB_FORMATS = [
    "+44 20 7946 0958",
    "+442079460958",
    "+44 (0)20 7946 0958",
    "0044 20 7946 0958",
    "020 7946 0958",
    "(020) 7946 0958",
    "020-7946-0958",
    "02079460958",
    "tel:+44-20-7946-0958",
]
AU_FORMATS = [
    "+61 2 5550 1234",
    "+61255501234",
    "(02) 5550 1234",
    "02 5550 1234",
    "0011 61 2 5550 1234",
    "tel:+61 2 5550 1234",
]


@pytest.mark.parametrize(
    ("formats", "region", "expected"),
    [
        (US_FORMATS, "US", "+14155550132"),
        (GB_FORMATS, "GB", "+442079460958"),
        (AU_FORMATS, "AU", "+61255501234"),
    ],
    ids=["us", "gb", "au"],
)
def test_every_format_of_one_number_matches(formats, region, expected):
    got = normalise_phones(pd.Series(formats, dtype=object), region)
    wrong = {str(f): g for f, g in zip(formats, got, strict=True) if g != expected}
    assert wrong == {}


@pytest.mark.parametrize("region", ["US", "AU", "DE", None])
def test_international_formats_match_whatever_the_account_country(region):
    # Written with + or 00 the country code is explicit; the account's country does not matter.
    # (US_FORMATS[0:4] start with +1; GB "0044" uses the 00 prefix that the US does not dial.)
    phones = pd.Series(["+1 (415) 555-0132", "+44 20 7946 0958", "0044 20 7946 0958"])
    assert normalise_phones(phones, region).tolist() == [
        "+14155550132",
        "+442079460958",
        "+442079460958",
    ]


def test_region_default_reads_national_numbers_in_the_account_country():
    phones = pd.Series(["(415) 555-0132", "020 7946 0958", "(415) 555-0132", "020 7946 0958"])
    regions = pd.Series(["US", "GB", None, "ZZ"])
    got = normalise_phones(phones, regions)
    assert got.tolist() == ["+14155550132", "+442079460958", pd.NA, pd.NA]
    # "uk" is accepted for GB, and case and spacing do not matter
    assert normalise_phones(pd.Series(["020 7946 0958"]), " uk ").tolist() == ["+442079460958"]
    # read in another country, a national number is not the US number
    assert normalise_phones(pd.Series(["(415) 555-0132"]), "GB").iloc[0] != "+14155550132"


def test_regions_must_align_with_values():
    with pytest.raises(ValueError, match="same index as values"):
        normalise_phones(pd.Series(["415 555 0132"], index=[5]), pd.Series(["US"], index=[0]))


@pytest.mark.parametrize(
    "text", ["", "   ", "12", "call me", "555-0132", "+999 123", "0" * 300, "not a phone"]
)
def test_non_numbers_are_na(text):
    assert normalise_phones(pd.Series([text]), "US").isna().all()


def test_phones_keep_index_and_dtype_and_work_per_distinct_value(monkeypatch):
    import fintrak.identifiers as ids

    calls = []
    original = ids._phone_one
    monkeypatch.setattr(ids, "_phone_one", lambda t, r: calls.append((t, r)) or original(t, r))
    phones = pd.Series(["415 555 0132"] * 1000 + [None] * 10, index=range(100, 1110))
    regions = pd.Series(["US"] * 500 + ["CA"] * 510, index=phones.index)
    got = normalise_phones(phones, regions)
    assert str(got.dtype) == "string"
    assert got.index.equals(phones.index)
    assert sorted(calls) == [("415 555 0132", "CA"), ("415 555 0132", "US")]
    assert got.iloc[:1000].eq("+14155550132").all() and got.iloc[1000:].isna().all()


REGIONS = ["US", "CA", "GB", "AU", "NZ", "DE", "FR", "ES", "NL", "IN", "PH", "NG", "ZA", "JP"]
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


@st.composite
def valid_numbers(draw):
    """A random valid number: a region's example number with its national digits redrawn."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    digits = draw(st.text("0123456789", min_size=len(national), max_size=len(national)))
    number = phonenumbers.parse(f"+{example.country_code}{digits}", None)
    assume(phonenumbers.is_valid_number(number))
    return number


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(valid_numbers(), min_size=2, max_size=6))
def test_different_valid_numbers_never_normalise_equal(numbers):
    rows, regions, owners = [], [], []
    for i, number in enumerate(numbers):
        region = phonenumbers.region_code_for_number(number)
        for layout in FORMATS:
            rows.append(phonenumbers.format_number(number, layout))
            regions.append(region)
            owners.append(i)
    got = normalise_phones(pd.Series(rows), pd.Series(regions))
    e164 = [phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) for n in numbers]
    # every written form of a number gives that number's E.164 ...
    assert got.tolist() == [e164[i] for i in owners], list(zip(rows, regions, got, strict=True))
    # ... so two different numbers never share a normalised value
    groups = pd.DataFrame({"owner": owners, "value": got}).groupby("value")["owner"]
    shared = groups.nunique()
    different = {e164[i] for i in range(len(numbers))}
    assert (shared == 1).all() or len(different) < len(numbers)


# ---------------------------------------------------------------------------------------------
# E-mails


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Jane.Doe@gmail.com", "janedoe@gmail.com"),
        ("j.a.n.e.d.o.e+ads@gmail.com", "janedoe@gmail.com"),
        ("JANEDOE@GOOGLEMAIL.COM", "janedoe@gmail.com"),
        ("  janedoe+a+b@gmail.com  ", "janedoe@gmail.com"),
        ("mailto:Jane.Doe@Gmail.com", "janedoe@gmail.com"),
        ("<jane.doe@gmail.com>", "janedoe@gmail.com"),
        ("jane.doe+tag@outlook.com", "jane.doe@outlook.com"),
        ("Jane.Doe+tag@Hotmail.com", "jane.doe@hotmail.com"),
        ("jane.doe+tag@fastmail.com", "jane.doe@fastmail.com"),
        ("jane.doe+tag@proton.me", "jane.doe@proton.me"),
        ("jane.doe+tag@example.org", "jane.doe+tag@example.org"),
        ("Jane.Doe@Example.ORG", "jane.doe@example.org"),
        ("jane.doe@example.org.", "jane.doe@example.org"),
    ],
)
def test_email_provider_rules(written, expected):
    assert normalise_emails(pd.Series([written])).tolist() == [expected]


def test_dots_are_significant_outside_gmail():
    got = normalise_emails(
        pd.Series(
            ["jane.doe@outlook.com", "janedoe@outlook.com", "a.b@example.org", "ab@example.org"]
        )
    )
    assert got.nunique() == 4


@pytest.mark.parametrize(
    "written",
    [
        "",
        "jane",
        "jane@",
        "@gmail.com",
        "jane@localhost",
        "jane doe@gmail.com",
        "a@b@c.com",
        "+tag@gmail.com",
        "jane@@gmail.com",
        "x" * 70 + "@example.org",
        None,
    ],
)
def test_invalid_emails_are_na(written):
    assert normalise_emails(pd.Series([written], dtype=object)).isna().all()


def test_a_bank_extends_the_provider_rules(tmp_path):
    extra = tmp_path / "providers.yaml"
    extra.write_text(
        "providers:\n  hyphen_mail:\n    domains: [example.net]\n    ignore_dots: false\n"
        "    tag_separator: '-'\n    source: test\n"
    )
    emails = pd.Series(["jane-news@example.net", "jane.doe+x@gmail.com"])
    assert normalise_emails(emails, providers=extra).tolist() == [
        "jane@example.net",
        "janedoe@gmail.com",
    ]
    assert normalise_emails(emails).tolist() == ["jane-news@example.net", "janedoe@gmail.com"]


def test_provider_file_has_provenance():
    from fintrak.reference import load_reference

    data = load_reference("email_providers")
    assert data["provenance"]["version"] and data["provenance"]["date"]
    for name, entry in data["providers"].items():
        assert entry["domains"], name
        assert entry["source"] and entry["urls"] and entry["checked"], name


# ---------------------------------------------------------------------------------------------
# Addresses


@pytest.mark.parametrize(
    "written",
    [
        "12 Main St, Apt 4",
        "12 Main Street Apt. 4",
        "12 main street, apartment 4",
        "12 MAIN ST UNIT 4",
        "12 Main St #4",
        "12 Main St # 4",
        "12 Main St Suite 4",
        "12 Main St Ste. 4",
        "12 Main St, Flat 4",
        "Apt 4, 12 Main St.",
        "4/12 Main Street",
        "12  Main   St.,  Unit #4",
    ],
)
def test_unit_designators_take_one_form(written):
    assert normalise_addresses(pd.Series([written])).tolist() == ["12 main st unit 4"]


def test_units_keep_flats_apart_and_drop_links_the_building():
    addresses = pd.Series(["12 Main St Apt 4", "12 Main St Apt 5", "12 Main Street"])
    assert normalise_addresses(addresses).nunique() == 3
    assert normalise_addresses(addresses, units="drop").nunique() == 1


def test_address_words_and_accents():
    got = normalise_addresses(
        pd.Series(["1 North Avenue", "P.O. Box 77", "5 Rue de l'Église", "9 Straße", "  ", None])
    )
    assert got.tolist() == ["1 n ave", "po box 77", "5 rue de l eglise", "9 strasse", pd.NA, pd.NA]


def test_units_argument_is_checked():
    with pytest.raises(ValueError, match="units must be 'keep' or 'drop'"):
        normalise_addresses(pd.Series(["1 Main St"]), units="floor")


@st.composite
def addresses(draw):
    number = draw(st.integers(1, 9999))
    name = draw(st.sampled_from(["Main", "Oak", "Smith", "George", "North Hill", "Elm"]))
    kind = draw(
        st.sampled_from(
            [
                "Street",
                "St",
                "St.",
                "Avenue",
                "Ave",
                "Av",
                "Road",
                "Rd",
                "Lane",
                "Court",
                "Drive",
                "Boulevard",
                "Place",
                "Terrace",
                "Highway",
                "Parkway",
                "Circle",
            ]
        )
    )
    unit_word = draw(
        st.sampled_from(
            [
                "",
                "Apt",
                "Apt.",
                "Apartment",
                "Unit",
                "Suite",
                "Ste",
                "#",
                "Flat",
                "Room",
                "Bldg",
                "Floor",
                "Lot",
                "Space",
            ]
        )
    )
    unit_id = draw(st.sampled_from(["4", "4B", "B", "12-A", "100"]))
    sep = draw(st.sampled_from([" ", ", ", " - "]))
    direction = draw(st.sampled_from(["", " North", " W", " South-East"]))
    street = f"{number} {name} {kind}{direction}"
    if not unit_word:
        return street
    unit = f"{unit_word} {unit_id}"
    return draw(st.sampled_from([f"{street}{sep}{unit}", f"{unit}{sep}{street}"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(addresses(), min_size=1, max_size=8), st.sampled_from(["lower", "upper", "title"]))
def test_drop_mode_keeps_population_normalise_address_as_a_subset(written, case):
    series = pd.Series([getattr(a, case)() for a in written])
    old = normalise_address(series)
    new = normalise_addresses(series, units="drop")
    # whatever the old function makes equal, the new one makes equal: new = g(old)
    assert normalise_addresses(old.astype(object), units="drop").tolist() == new.tolist()
    # and on these addresses (no new designators or words) they agree exactly
    assert new.tolist() == old.tolist()


@settings(max_examples=200, deadline=None)
@given(addresses())
def test_normalised_addresses_are_a_fixed_point(written):
    once = normalise_addresses(pd.Series([written]))
    assert normalise_addresses(once.astype(object)).tolist() == once.tolist()


# ---------------------------------------------------------------------------------------------
# The long table


def _accounts():
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "phone": ["(415) 555-0132", "+1 415 555 0132", "not a phone", None],
            "email": ["Jane.Doe+x@gmail.com", "janedoe@gmail.com", None, "bad"],
            "address": ["12 Main St Apt 4", None, "12 main street #4", None],
            "country": ["US", "GB", "US", None],
        }
    )


def test_account_identifiers_shape():
    txns = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A1", "A2", "A9"],
            "device_id": [" dev-1", "dev-1", None, "dev-2", "dev-1"],
        }
    )
    got = account_identifiers(_accounts(), txns)
    assert got.columns.tolist() == ["account_id", "kind", "value"]
    assert all(str(t) == "string" for t in got.dtypes)
    assert got.to_dict("records") == [
        {"account_id": "A1", "kind": "address", "value": "12 main st unit 4"},
        {"account_id": "A1", "kind": "device", "value": "dev-1"},
        {"account_id": "A1", "kind": "email", "value": "janedoe@gmail.com"},
        {"account_id": "A1", "kind": "phone", "value": "+14155550132"},
        {"account_id": "A2", "kind": "device", "value": "dev-2"},
        {"account_id": "A2", "kind": "email", "value": "janedoe@gmail.com"},
        {"account_id": "A2", "kind": "phone", "value": "+14155550132"},
        {"account_id": "A3", "kind": "address", "value": "12 main st unit 4"},
        {"account_id": "A9", "kind": "device", "value": "dev-1"},
    ]
    assert not got.duplicated().any() and not got.isna().any().any()


def test_account_identifiers_skip_absent_and_all_null_columns():
    accounts = _accounts()[["account_id", "email"]]
    txns = pd.DataFrame({"account_id": ["A1"], "device_id": pd.Series([None], dtype="string")})
    got = account_identifiers(accounts, txns)
    assert set(got["kind"]) == {"email"}
    empty = account_identifiers(pd.DataFrame({"account_id": ["A1"]}))
    assert empty.columns.tolist() == ["account_id", "kind", "value"] and len(empty) == 0
    with pytest.raises(ValueError, match="accounts must have an account_id column"):
        account_identifiers(pd.DataFrame({"phone": ["1"]}))


def test_devices_are_only_trimmed():
    got = normalise_devices(pd.Series(["ABC", "abc", " abc ", ""]))
    assert got.tolist() == ["ABC", "abc", "abc", pd.NA]


# ---------------------------------------------------------------------------------------------
# Keyed hashes


def test_hash_is_hmac_sha256_of_kind_and_value():
    ids = pd.DataFrame({"kind": ["phone", "email", "phone"], "value": ["x@y.org", "x@y.org", None]})
    got = hash_identifiers(ids, KEY)
    expected = hmac.new(KEY, b"phone:x@y.org", hashlib.sha256).hexdigest()
    assert got.iloc[0] == expected
    assert got.iloc[1] != got.iloc[0]  # the kind is part of the message
    assert pd.isna(got.iloc[2])
    assert got.iloc[0] != hash_identifiers(ids, b"j" * MIN_KEY_BYTES).iloc[0]


@pytest.mark.parametrize("key", [b"", b"short", b"k" * (MIN_KEY_BYTES - 1), "k" * 64])
def test_short_or_textual_keys_are_refused(key):
    with pytest.raises(ConfigError):
        hash_identifiers(pd.DataFrame({"kind": ["phone"], "value": ["+14155550132"]}), key)


# ---------------------------------------------------------------------------------------------
# Nothing raw in the logs

RAW = {
    "phone": ["(415) 555-0132", "020 7946 0958", "415.555.0199"],
    "email": ["Jane.Doe+x@gmail.com", "secret.person@example.org"],
    "address": ["12 Main St Apt 4", "99 Hidden Lane"],
}


def test_no_raw_or_normalised_values_in_log_records(caplog):
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "phone": RAW["phone"],
            "email": RAW["email"] + [None],
            "address": RAW["address"] + [None],
            "country": ["US", "GB", "US"],
        }
    )
    with caplog.at_level(logging.DEBUG, logger="fintrak"):
        long = account_identifiers(accounts)
        hash_identifiers(long, KEY)
        normalise_phones(pd.Series(RAW["phone"] + ["garbage 123"]), "US")
        normalise_emails(pd.Series(RAW["email"] + ["not an email"]))
    assert caplog.records, "the identifiers module logs counts at DEBUG level"
    forbidden = [*RAW["phone"], *RAW["email"], *RAW["address"], *long["value"], "0132", "garbage"]
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        leaked = [v for v in forbidden if v.lower() in text.lower()]
        assert leaked == [], f"log record {record.getMessage()!r} holds identifiers"


def test_lookalike_letters_in_ad_numbers_are_read_as_digits():
    # ads write O for 0 and I/l for 1 to dodge scrapers; words keep their letters
    got = normalise_phones(
        pd.Series(["2I3 555 O147", "call 2l3-555-0I47", "(213) 555-0147", "1-800-FLOWERS"]), "US"
    )
    assert got.iloc[0] == got.iloc[1] == got.iloc[2] == "+12135550147"
    assert got.iloc[3] == "+18003569377"
