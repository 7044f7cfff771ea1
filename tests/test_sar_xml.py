"""Draft FinCEN SAR batch XML: schema-valid, right subtype and key term, victims never subjects."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fintrak.exceptions import FintrakError, OutputExistsError
from fintrak.report import (
    FilerConfig,
    SarXmlError,
    build_sar_batch,
    load_filer,
    sar_batch_for_run,
    split_narrative,
    write_sar_batch,
)
from fintrak.report.narrative import HT_KEY_TERM, SMUGGLING_KEY_TERM
from fintrak.report.sar_xml import example_filer_path

XSD = Path(__file__).parent / "data" / "fincen" / "EFL_SARXBatchSchema.xsd"
NS = {"fc2": "www.fincen.gov/base"}
CREATED = "2025-04-02"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema11(str(XSD))


@pytest.fixture(scope="module")
def filer_path():
    return example_filer_path()


@pytest.fixture(scope="module")
def filer(filer_path):
    return load_filer(filer_path)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small scored synthetic bank written as a run folder (a few seconds)."""
    from fintrak.io.atomic import write_parquet_atomic
    from fintrak.pipeline import score, write_scores
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=400, months=2, seed=23))
    result = score(bank.transactions, bank.accounts, bank.intel)
    out = tmp_path_factory.mktemp("run")
    write_scores(result, out)
    write_parquet_atomic(out / "transactions.parquet", bank.transactions)
    write_parquet_atomic(out / "accounts.parquet", bank.accounts)
    return out


@pytest.fixture(scope="module")
def run_cases(run_dir):
    """The run's cases that carry a trafficking or smuggling key term (others are refused)."""
    from fintrak.export import read_jsonl
    from fintrak.report import draft_narrative

    cases = read_jsonl(run_dir / "cases.jsonl", "case")
    transactions = pd.read_parquet(run_dir / "transactions.parquet")
    return [c for c in cases if draft_narrative(c, None, transactions).fields["key_term"]]


@pytest.fixture(scope="module")
def run_batch(run_dir, run_cases, filer_path):
    ids = [c["case_id"] for c in run_cases]
    return sar_batch_for_run(run_dir, ids, filer_path, created_at=CREATED)


def _activities(xml: str):
    return ET.fromstring(xml.encode("utf-8")).findall("fc2:Activity", NS)


def _parties(activity, code: str):
    return [
        p
        for p in activity.findall("fc2:Party", NS)
        if p.findtext("fc2:ActivityPartyTypeCode", namespaces=NS) == code
    ]


def _subject_accounts(activity) -> set[str]:
    return {
        a.text for p in _parties(activity, "33") for a in p.iterfind(".//fc2:AccountNumberText", NS)
    }


# --- hand-built cases ---------------------------------------------------------------------------


def _txn(rows):
    frame = pd.DataFrame(
        rows, columns=["account_id", "timestamp", "amount", "direction", "channel"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["currency"] = "USD"
    frame["city"] = "Fairfax"
    return frame


PEOPLE = {
    "C100": ("Victor Quentin Boss", "+15550100111", "boss.c100@example.org", "1980-02-03"),
    "V200": ("Ann Victimname", "+15550100222", "ann.v200@example.org", "2001-05-06"),
    "V300": ("Bea Otherwoman", "+15550100333", "bea.v300@example.org", "1999-07-08"),
}


@pytest.fixture
def accounts():
    return pd.DataFrame(
        [
            {
                "account_id": acc,
                "customer_id": f"CU-{acc}",
                "account_type": "personal",
                "name": name,
                "phone": phone,
                "email": email,
                "date_of_birth": pd.Timestamp(dob),
                "address": f"{acc[1:]} Example Road",
                "city": "Fairfax",
                "country": "US",
                "occupation": "Manager",
            }
            for acc, (name, phone, email, dob) in PEOPLE.items()
        ]
    )


def _case(typology, roles, case_id="case-hand0001"):
    return {
        "case_id": case_id,
        "typology": typology,
        "as_of": "2025-03-31T23:59:59+00:00",
        "members": [
            {"account_id": a, "role": r, "score": 0.9, "alert": False, "alert_id": None}
            for a, r in roles.items()
        ],
        "links": [],
    }


@pytest.fixture
def transactions():
    return _txn(
        [
            ("V200", "2025-02-01 10:00", 800.25, "credit", "p2p"),
            ("V200", "2025-02-01 12:00", 750.00, "debit", "p2p"),
            ("C100", "2025-02-01 12:00", 750.00, "credit", "p2p"),
            ("V300", "2025-03-05 09:00", 400.10, "credit", "cash"),
            ("V300", "2025-03-06 09:00", 390.00, "debit", "p2p"),
            ("C100", "2025-03-06 09:00", 390.00, "credit", "p2p"),
        ]
    )


SEX = {"C100": "controller", "V200": "victim", "V300": "victim"}


def test_schema_copy_matches_its_provenance():
    import hashlib

    digest = hashlib.sha256(XSD.read_bytes()).hexdigest()
    assert digest in (XSD.parent / "PROVENANCE.md").read_text(encoding="utf-8")


# --- filer.yaml ---------------------------------------------------------------------------------


def test_example_filer_ships_in_the_package_and_loads(filer):
    resource = files("fintrak.report") / "filer.example.yaml"
    assert resource.is_file()
    assert "FAKE" in resource.read_text(encoding="utf-8")
    assert isinstance(filer, FilerConfig)
    assert filer.filing_institution.tin == "000000000"
    assert filer.filing_institution.primary_regulator == "2"  # FDIC
    assert filer.where.branch is not None


def _write_filer(tmp_path, mutate) -> Path:
    data = yaml.safe_load(example_filer_path().read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "filer.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d["transmitter"].pop("tcc"), "transmitter.tcc", "is missing"),
        (lambda d: d["filing_institution"].update(tin=123), "filing_institution.tin", "quotes"),
        (lambda d: d["filing_institution"].update(tin="12-34"), "filing_institution.tin", "9"),
        (
            lambda d: d["filing_institution"].update(primary_regulator="BANK OF MARS"),
            "filing_institution.primary_regulator",
            "FDIC",
        ),
        (lambda d: d["contact_office"].update(phone="call us"), "contact_office.phone", "digits"),
        (lambda d: d["transmitter"].update(contact_nam="x"), "transmitter.contact_nam", "typo"),
        (
            lambda d: d["filing_institution"]["address"].update(zip="ABC"),
            "filing_institution.address",
            "zip",
        ),
        (lambda d: d.pop("contact_office"), "contact_office", "is missing"),
    ],
)
def test_bad_filer_names_file_field_and_fix(tmp_path, mutate, field, words):
    path = _write_filer(tmp_path, mutate)
    with pytest.raises(SarXmlError) as info:
        load_filer(path)
    message = str(info.value)
    assert str(path) in message
    assert f"`{field}" in message
    assert words in message
    assert "fix:" in message
    assert isinstance(info.value, FintrakError) and isinstance(info.value, ValueError)


def test_filer_missing_or_not_yaml(tmp_path):
    with pytest.raises(SarXmlError, match="does not exist"):
        load_filer(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("filing_institution: [unclosed\n", encoding="utf-8")
    with pytest.raises(SarXmlError, match="YAML"):
        load_filer(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SarXmlError, match="mapping"):
        load_filer(bad)


def test_filer_without_activity_institution_uses_the_filer(
    tmp_path, schema, transactions, accounts
):
    path = _write_filer(tmp_path, lambda d: d.pop("activity_institution"))
    filer = load_filer(path)
    assert filer.where.name == filer.filing_institution.name and filer.where.branch is None
    batch = build_sar_batch(
        [_case("sex_trafficking", SEX)], None, transactions, accounts, filer, created_at=CREATED
    )
    schema.validate(batch.xml)
    (activity,) = _activities(batch.xml)
    (where,) = _parties(activity, "34")
    assert where.findtext("fc2:NoBranchActivityInvolvedIndicator", namespaces=NS) == "Y"
    assert not activity.findall(".//fc2:Party[fc2:ActivityPartyTypeCode='46']", NS)


# --- narrative blocks ---------------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
)
sentences = st.lists(words, min_size=1, max_size=12).map(lambda w: " ".join(w) + ".")
paragraphs = st.lists(sentences, min_size=1, max_size=6).map(" ".join)
documents = st.one_of(
    st.lists(paragraphs, min_size=1, max_size=25).map("\n\n".join),
    st.text(max_size=3000),
)


@settings(max_examples=120, deadline=None)
@given(
    text=documents,
    block_chars=st.integers(130, 700),
    max_blocks=st.integers(1, 5),
    extra=st.integers(0, 3000),
)
def test_split_narrative_respects_the_limits(text, block_chars, max_blocks, extra):
    max_total = 130 + extra
    marker = "[cut: see the full draft]"
    blocks = split_narrative(text, block_chars, max_blocks, max_total, marker=marker)
    assert len(blocks) <= max_blocks
    assert sum(map(len, blocks)) <= max_total
    for block in blocks:
        assert 0 < len(block) <= block_chars
        assert block == block.strip()
    if not blocks.shortened:
        assert _squash("".join(blocks)) == _squash(text)
    else:
        assert blocks[-1].endswith(marker)
        kept = _squash("".join(blocks))[: -len(_squash(marker))]
        assert _squash(text).startswith(kept)
        assert len(_squash(text)) > len(kept)


def test_split_narrative_prefers_paragraphs_then_sentences():
    first = "A" * 50 + " ends here."
    second = "Second paragraph starts. " + "b" * 40 + "."
    blocks = split_narrative(f"{first}\n\n{second}", block_chars=130, marker="[cut]")
    assert list(blocks) == [f"{first}\n\n{second}"]
    blocks = split_narrative(f"{first}\n\n{second}", block_chars=80, marker="[cut]")
    assert list(blocks) == [first, second]
    long_sentences = " ".join(f"Sentence number {i} is here." for i in range(10))
    blocks = split_narrative(long_sentences, block_chars=100, marker="[cut]")
    assert all(b.endswith(".") for b in blocks)
    assert not blocks.shortened


def test_split_narrative_shortens_with_a_visible_marker():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 150 for i in range(60))
    assert len(text) > 17000
    blocks = split_narrative(text, marker="[narrative shortened; see narratives/x.txt]")
    assert blocks.shortened
    assert len(blocks) == 5
    assert sum(map(len, blocks)) <= 17000
    assert all(len(b) <= 4000 for b in blocks)
    assert blocks[-1].endswith("[narrative shortened; see narratives/x.txt]")
    assert blocks.kept_chars < blocks.total_chars == len(text.strip())
    assert split_narrative("   ") == []
    with pytest.raises(ValueError, match="marker"):
        split_narrative(text, block_chars=20, marker="x" * 30)


# --- hand-built batches -------------------------------------------------------------------------


def test_potential_victims_are_never_parties(schema, filer, transactions, accounts):
    batch = build_sar_batch(
        [_case("sex_trafficking", SEX)], None, transactions, accounts, filer, created_at=CREATED
    )
    schema.validate(batch.xml)
    (activity,) = _activities(batch.xml)
    assert _subject_accounts(activity) == {"C100"}
    assert len(_parties(activity, "33")) == 1
    (fact,) = batch.cases
    assert fact.subjects == ("C100",) and set(fact.potential_victims) == {"V200", "V300"}
    # the subject's own details fill its party ...
    (subject,) = _parties(activity, "33")
    assert subject.findtext(".//fc2:RawEntityIndividualLastName", namespaces=NS) == "Boss"
    assert subject.findtext(".//fc2:RawIndividualFirstName", namespaces=NS) == "Victor"
    assert subject.findtext(".//fc2:RawIndividualMiddleName", namespaces=NS) == "Quentin"
    assert subject.findtext("fc2:IndividualBirthDateText", namespaces=NS) == "19800203"
    assert subject.findtext(".//fc2:PhoneNumberText", namespaces=NS) == "5550100111"
    assert subject.findtext(".//fc2:ElectronicAddressText", namespaces=NS) == PEOPLE["C100"][2]
    # ... and nothing of a potential victim appears anywhere in the file
    for account in ("V200", "V300"):
        name, phone, email, _ = PEOPLE[account]
        for value in (*name.split(), phone[2:], email, f"{account[1:]} Example Road"):
            assert value not in batch.xml
    # warnings never carry personal data
    joined = "\n".join(batch.warnings)
    for name, phone, email, _ in PEOPLE.values():
        assert not any(v in joined for v in (*name.split(), phone[2:], email))


@pytest.mark.parametrize(
    ("typology", "roles", "subtype", "term"),
    [
        ("sex_trafficking", SEX, "927", HT_KEY_TERM),
        ("labour_trafficking", {"C100": "employer", "V200": "worker"}, "927", HT_KEY_TERM),
        ("funnel", {"C100": "funnel", "V200": "victim"}, "927", HT_KEY_TERM),
        ("human_smuggling", {"C100": "controller", "V200": "other"}, "926", SMUGGLING_KEY_TERM),
    ],
)
def test_subtype_and_field_2(schema, filer, transactions, accounts, typology, roles, subtype, term):
    batch = build_sar_batch(
        [_case(typology, roles)], None, transactions, accounts, filer, created_at=CREATED
    )
    schema.validate(batch.xml)
    (activity,) = _activities(batch.xml)
    classification = activity.find(
        "fc2:SuspiciousActivity/fc2:SuspiciousActivityClassification", NS
    )
    assert classification.findtext("fc2:SuspiciousActivitySubtypeID", namespaces=NS) == subtype
    assert classification.findtext("fc2:SuspiciousActivityTypeID", namespaces=NS) == "9"
    assert activity.findtext("fc2:FilingInstitutionNotetoFinCEN", namespaces=NS) == term
    assert batch.cases[0].subtype == int(subtype)


def test_amount_dates_and_batch_totals(schema, filer, transactions, accounts):
    batch = build_sar_batch(
        [_case("sex_trafficking", SEX)], None, transactions, accounts, filer, created_at=CREATED
    )
    (activity,) = _activities(batch.xml)
    suspicious = activity.find("fc2:SuspiciousActivity", NS)
    # credits of the subject and the potential victims, rounded up to whole dollars
    expected = 800.25 + 750.00 + 400.10 + 390.00
    assert suspicious.findtext("fc2:TotalSuspiciousAmountText", namespaces=NS) == "2341"
    assert batch.cases[0].amount == 2341 >= expected
    assert suspicious.findtext("fc2:SuspiciousActivityFromDateText", namespaces=NS) == "20250201"
    assert suspicious.findtext("fc2:SuspiciousActivityToDateText", namespaces=NS) == "20250306"
    assert activity.findtext("fc2:FilingDateText", namespaces=NS) == "20250402"
    root = ET.fromstring(batch.xml.encode("utf-8"))
    assert root.get("TotalAmount") == "2341"
    assert root.get("ActivityCount") == "1"
    assert root.get("PartyCount") == str(len(activity.findall("fc2:Party", NS))) == "6"


def test_case_without_subject_is_valid_with_unknown_subject(schema, filer, transactions, accounts):
    case = _case("sex_trafficking", {"V200": "victim", "V300": "victim"})
    batch = build_sar_batch([case], None, transactions, accounts, filer, created_at=CREATED)
    schema.validate(batch.xml)
    (activity,) = _activities(batch.xml)
    (subject,) = _parties(activity, "33")
    flag = subject.findtext("fc2:AllCriticalSubjectInformationUnavailableIndicator", namespaces=NS)
    assert flag == "Y"
    assert not _subject_accounts(activity)
    assert "Victimname" not in batch.xml and "Otherwoman" not in batch.xml
    assert any("no subject identified" in w for w in batch.warnings)


def test_case_without_key_term_or_cases_is_refused(filer, transactions, accounts):
    with pytest.raises(SarXmlError, match="case-hand0001.*key term"):
        build_sar_batch([_case("other", SEX)], None, transactions, accounts, filer)
    with pytest.raises(SarXmlError, match="at least one case"):
        build_sar_batch([], None, transactions, accounts, filer)
    with pytest.raises(SarXmlError, match="once"):
        case = _case("sex_trafficking", SEX)
        build_sar_batch([case, case], None, transactions, accounts, filer)


# --- a real run ---------------------------------------------------------------------------------


def test_run_batch_validates_against_fincen_schema(schema, run_batch, run_cases):
    assert run_cases, "the synthetic run should produce cases"
    schema.validate(run_batch.xml)
    root = ET.fromstring(run_batch.xml.encode("utf-8"))
    activities = _activities(run_batch.xml)
    assert root.get("ActivityCount") == str(len(activities)) == str(len(run_cases))
    assert int(root.get("PartyCount")) == sum(len(a.findall("fc2:Party", NS)) for a in activities)
    assert int(root.get("TotalAmount")) == sum(c.amount or 0 for c in run_batch.cases)
    seq = [int(e.get("SeqNum")) for e in root.iter() if e.get("SeqNum") is not None]
    assert seq == list(range(1, len(seq) + 1))


def test_run_subtypes_follow_the_typology(run_batch, run_cases):
    typology = {c["case_id"]: c["typology"] for c in run_cases}
    seen = set()
    for fact, activity in zip(run_batch.cases, _activities(run_batch.xml), strict=True):
        subtype = activity.findtext(".//fc2:SuspiciousActivitySubtypeID", namespaces=NS)
        note = activity.findtext("fc2:FilingInstitutionNotetoFinCEN", namespaces=NS)
        seen.add(subtype)
        if typology[fact.case_id] in ("sex_trafficking", "labour_trafficking"):
            assert (subtype, note) == ("927", HT_KEY_TERM)
        if typology[fact.case_id] == "human_smuggling":
            assert (subtype, note) == ("926", SMUGGLING_KEY_TERM)
    assert seen == {"926", "927"}, "the fixture run should hold trafficking and smuggling cases"


def test_run_victims_are_not_subjects_and_blocks_fit(run_batch):
    for fact, activity in zip(run_batch.cases, _activities(run_batch.xml), strict=True):
        accounts = _subject_accounts(activity)
        assert accounts == set(fact.subjects)
        assert not accounts & set(fact.potential_victims)
        assert not accounts & set(fact.other_members)
        texts = [
            n.findtext("fc2:ActivityNarrativeText", namespaces=NS)
            for n in activity.findall("fc2:ActivityNarrativeInformation", NS)
        ]
        assert 1 <= len(texts) <= 5 and sum(map(len, texts)) <= 17000
        assert all(0 < len(t) <= 4000 and t == t.strip() for t in texts)
        assert texts[0].startswith("SAR NARRATIVE DRAFT")
        if fact.narrative_shortened:
            assert texts[-1].endswith(f"narratives/{fact.case_id}.txt]")


def test_run_batch_is_deterministic(run_dir, run_cases, filer_path, run_batch):
    ids = [c["case_id"] for c in run_cases]
    again = sar_batch_for_run(run_dir, ids, filer_path, created_at=CREATED)
    assert again.xml.encode("utf-8") == run_batch.xml.encode("utf-8")
    later = sar_batch_for_run(run_dir, ids, filer_path, created_at="2025-05-01")
    changed = [
        (a, b)
        for a, b in zip(run_batch.xml.splitlines(), later.xml.splitlines(), strict=True)
        if a != b
    ]
    assert changed and all("FilingDateText" in a for a, _ in changed)


def test_unknown_case_id_lists_the_run_cases(run_dir, run_cases, filer_path):
    with pytest.raises(SarXmlError) as info:
        sar_batch_for_run(run_dir, ["case-doesnotexist"], filer_path)
    message = str(info.value)
    assert "case-doesnotexist" in message and "cases.jsonl" in message
    assert run_cases[0]["case_id"] in message
    with pytest.raises(SarXmlError, match="at least one case"):
        sar_batch_for_run(run_dir, [" "], filer_path)


def test_missing_run_file_is_named(tmp_path, run_dir, run_cases, filer_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "transactions.parquet").unlink()
    with pytest.raises(SarXmlError, match=r"transactions\.parquet"):
        sar_batch_for_run(copy, [run_cases[0]["case_id"]], filer_path)
    with pytest.raises(SarXmlError, match="does not exist"):
        sar_batch_for_run(tmp_path / "nowhere", [run_cases[0]["case_id"]], filer_path)


def test_write_sar_batch_is_atomic_and_refuses_to_overwrite(tmp_path, run_batch, schema):
    target = tmp_path / "sar" / "batch.xml"
    assert write_sar_batch(run_batch, target) == target
    assert target.read_bytes() == run_batch.xml.encode("utf-8")
    schema.validate(str(target))
    with pytest.raises(OutputExistsError):
        write_sar_batch(run_batch, target)
    write_sar_batch(run_batch, target, overwrite=True)
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert re.search(r"DRAFT SAR batch", target.read_text(encoding="utf-8"))
