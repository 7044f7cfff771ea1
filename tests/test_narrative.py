"""SAR narrative drafts: key terms, victims never subjects, amounts, dates, no contact data."""

from __future__ import annotations

import pandas as pd
import pytest

from fintrak.report import draft_narrative, write_narratives
from fintrak.report.narrative import DRAFT_MARKER, HT_KEY_TERM, SMUGGLING_KEY_TERM

PHONE = "+15550104477"
EMAIL = "victim.one@example.org"


def _txn(rows):
    frame = pd.DataFrame(
        rows, columns=["account_id", "timestamp", "amount", "direction", "channel", "city"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["currency"] = "USD"
    return frame


@pytest.fixture
def sex_case():
    case = {
        "case_id": "case-test0001",
        "typology": "sex_trafficking",
        "as_of": "2025-03-31T23:59:59+00:00",
        "members": [
            {
                "account_id": "C100",
                "role": "controller",
                "score": 0.97,
                "alert": True,
                "alert_id": "al-c",
            },
            {
                "account_id": "V200",
                "role": "victim",
                "score": 0.80,
                "alert": True,
                "alert_id": "al-v",
            },
            {
                "account_id": "V300",
                "role": "victim",
                "score": 0.40,
                "alert": False,
                "alert_id": None,
            },
        ],
        "links": [
            {
                "account_a": "C100",
                "account_b": "V200",
                "kind": "money",
                "amount": 1500.0,
                "count": 2,
                "weight": 1.0,
            },
            {
                "account_a": "C100",
                "account_b": "V300",
                "kind": "phone",
                "amount": 0.0,
                "count": 1,
                "weight": 1.0,
            },
        ],
    }
    alerts = pd.DataFrame(
        [
            {
                "alert_id": "al-c",
                "account_id": "C100",
                "score": 0.97,
                "typology": "sex_trafficking",
                "role_hypothesis": "controller",
                "reasons": [
                    {
                        "feature": "sweeps",
                        "text": "fed by 2 accounts (peers: 0)",
                        "contribution": 2.0,
                        "value": 2.0,
                    }
                ],
                "rule_hits": [
                    {
                        "typology": "sex_trafficking",
                        "indicator": "sex_trafficking.sweep",
                        "points": 20.0,
                        "reason": "80% or more of inflow swept",
                        "source": "G1; F20",
                    }
                ],
                "intel_evidence": [
                    {
                        "kind": "phone",
                        "matched_on": "kyc_phone",
                        "source": "ad-scraper",
                        "intel_first_seen": "2025-01-05",
                        "first_date": None,
                        "last_date": None,
                        "transactions": 0,
                        "values": 1,
                    }
                ],
            },
            # the victim's alert even suggests "controller": the network role still wins
            {
                "alert_id": "al-v",
                "account_id": "V200",
                "score": 0.80,
                "typology": "sex_trafficking",
                "role_hypothesis": "controller",
                "reasons": [
                    {
                        "feature": "ads",
                        "text": f"paid ads; call {PHONE} or {EMAIL}",
                        "contribution": 1.0,
                        "value": 3.0,
                    }
                ],
                "rule_hits": [],
                "intel_evidence": [],
            },
        ]
    )
    transactions = _txn(
        [
            ["V200", "2025-02-01 23:00", 400.0, "credit", "p2p", "Reno"],
            ["V200", "2025-02-02 01:00", 750.0, "debit", "p2p", "Reno"],
            ["V200", "2025-02-10 12:00", 60.0, "debit", "card", "Las Vegas"],
            ["V300", "2025-02-05 22:00", 300.0, "credit", "p2p", "Reno"],
            ["V300", "2025-02-06 09:00", 750.0, "debit", "p2p", "Reno"],
            ["C100", "2025-02-02 02:00", 750.0, "credit", "p2p", "Reno"],
            ["C100", "2025-02-06 10:00", 750.0, "credit", "p2p", "Reno"],
            ["C100", "2025-03-15 10:00", 2000.0, "debit", "cash", "Reno"],
            ["C100", "2025-01-20 08:00", 120.5, "debit", "card", "Sparks"],
            ["C100", "2025-04-15 10:00", 9999.0, "debit", "cash", "Reno"],  # after as-of
            ["X999", "2025-02-01 10:00", 5000.0, "credit", "p2p", "Reno"],  # not a member
        ]
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["C100", "V200", "V300"],
            "account_type": ["personal"] * 3,
            "opened_at": pd.to_datetime(["2020-01-01", "2024-11-01", "2024-11-01"], utc=True),
            "name": ["Alex Sample", "Victim One", "Victim Two"],
            "phone": ["+15550100001", PHONE, "702-555-0199"],
            "email": ["alex@example.com", EMAIL, "v2@example.net"],
            "address": ["1 Test St", "2 Test St", "3 Test St"],
            "city": ["Reno", "Reno", "Reno"],
        }
    )
    return case, alerts, transactions, accounts


def test_sex_trafficking_case(sex_case):
    n = draft_narrative(*sex_case)
    head = "\n".join(n.markdown.splitlines()[:8])
    assert DRAFT_MARKER in head and HT_KEY_TERM in head
    assert "HUMAN TRAFFICKING FIN-2020-A008" in head  # the advisory's exact words
    assert "DRAFT — for review by a human investigator; not filed" in head
    assert DRAFT_MARKER in n.text and HT_KEY_TERM in n.text
    assert "38(h)" in n.markdown and "38(g)" not in n.markdown
    assert n.fields["key_term"] == HT_KEY_TERM
    assert n.fields["sar_field_38"].startswith("38(h)")
    assert n.fields["subjects"] == ["C100"]
    assert n.fields["potential_victims"] == ["V200", "V300"]
    summary = n.markdown.split("## Summary", 1)[1].split("##", 1)[0]
    subjects_sentence = summary.split("Subjects:", 1)[1].split(".", 1)[0]
    assert "V200" not in subjects_sentence and "V300" not in subjects_sentence
    for victim in ("V200", "V300"):
        assert f"POTENTIAL VICTIM — Account {victim}" in n.markdown
        assert f"Account {victim} (POTENTIAL VICTIM) received" in n.markdown
    assert "X999" not in n.markdown


def test_totals_and_dates_are_hand_computed(sex_case):
    n = draft_narrative(*sex_case)
    assert (n.fields["date_start"], n.fields["date_end"]) == ("2025-01-20", "2025-03-15")
    totals = {(t["account_id"], t["channel"]): t for t in n.fields["totals"]}
    assert totals[("C100", "p2p")]["credits"] == 1500.0
    assert totals[("C100", "p2p")]["n_credits"] == 2
    assert totals[("C100", "cash")]["debits"] == 2000.0  # the 9,999 after as-of is left out
    assert totals[("V200", "p2p")]["credits"] == 400.0
    assert totals[("V200", "p2p")]["debits"] == 750.0
    assert "Account C100 (subject) received USD 1,500.00 in 2 credits and sent USD 2,120.50" in (
        n.markdown
    )
    assert (
        "Account V200 (POTENTIAL VICTIM) received USD 400.00 in 1 credits and sent USD 810.00"
        in (n.markdown)
    )
    assert "from 2025-01-20 to 2025-03-15" in n.markdown
    assert "USD 1,500.00 between them in 2 transfers" in n.markdown


def test_red_flags_sources_and_intel(sex_case):
    n = draft_narrative(*sex_case)
    assert "80% or more of inflow swept (sources: G1, F20)" in n.markdown
    assert "F20: FinCEN Advisory FIN-2020-A008" in n.markdown
    assert "Model: fed by 2 accounts (peers: 0)" in n.markdown
    assert "a phone matched on kyc_phone against intelligence from ad-scraper" in n.markdown
    assert "listed since 2025-01-05" in n.markdown


def test_no_contact_data_even_when_accounts_have_it(sex_case):
    n = draft_narrative(*sex_case)
    accounts = sex_case[3]
    for out in (n.markdown, n.text, repr(n.fields)):
        for value in [*accounts["phone"], *accounts["email"], *accounts["name"]]:
            assert value not in out
        assert "@" not in out
        assert "555" not in out


def test_smuggling_case():
    case = {
        "case_id": "case-smug",
        "typology": "human_smuggling",
        "as_of": "2025-03-31",
        "members": [
            {"account_id": "K1", "role": "controller", "alert": True, "alert_id": "a1"},
            {"account_id": "S1", "role": "victim", "alert": False, "alert_id": None},
        ],
        "links": [],
    }
    txn = _txn(
        [
            ["S1", "2025-03-01", 2900.0, "debit", "wire", "Laredo"],
            ["K1", "2025-03-02", 2900.0, "credit", "wire", "Laredo"],
        ]
    )
    n = draft_narrative(case, None, txn, None)
    assert "FIN-2023-HUMANSMUGGLING" in "\n".join(n.markdown.splitlines()[:8])
    assert HT_KEY_TERM not in n.markdown
    assert "38(g) human smuggling" in n.markdown and "38(h)" not in n.markdown
    assert n.fields["subjects"] == ["K1"] and n.fields["potential_victims"] == ["S1"]


def test_funnel_case_key_term_depends_on_link():
    base = {"case_id": "case-fun", "typology": "funnel", "as_of": "2025-03-31", "links": []}
    txn = _txn([["F1", "2025-03-01", 900.0, "credit", "cash", "Reno"]])
    alone = dict(base, members=[{"account_id": "F1", "role": "funnel", "alert": True}])
    assert draft_narrative(alone, None, txn).fields["key_term"] is None
    linked = dict(
        base,
        members=[
            {"account_id": "F1", "role": "funnel", "alert": True},
            {"account_id": "V1", "role": "victim", "alert": False},
        ],
    )
    assert draft_narrative(linked, None, txn).fields["key_term"] == HT_KEY_TERM


def test_deterministic_and_row_order_free(sex_case):
    case, alerts, txn, accounts = sex_case
    first = draft_narrative(case, alerts, txn, accounts)
    again = draft_narrative(
        case, alerts.iloc[::-1], txn.sample(frac=1, random_state=3), accounts.iloc[::-1]
    )
    assert first.markdown == again.markdown and first.text == again.text
    assert first.fields == again.fields


def test_write_narratives(sex_case, tmp_path):
    case, alerts, txn, accounts = sex_case
    paths = write_narratives([case], alerts, txn, accounts, tmp_path)
    assert [p.name for p in paths] == ["case-test0001.md", "case-test0001.txt"]
    assert (tmp_path / "narratives" / "case-test0001.md").read_text(encoding="utf-8") == (
        draft_narrative(case, alerts, txn, accounts).markdown
    )
    assert not [p for p in (tmp_path / "narratives").iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ValueError, match="case_id"):
        write_narratives([dict(case, case_id="../escape")], alerts, txn, accounts, tmp_path)


def test_end_to_end_on_synthetic_bank(tmp_path):
    from fintrak.pipeline import score
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=1500, months=4, seed=23))
    result = score(bank.transactions, bank.accounts, bank.intel)
    assert result.cases, "the synthetic bank should produce at least one case"
    paths = write_narratives(
        result.cases, result.alerts, bank.transactions, bank.accounts, tmp_path
    )
    names = sorted(p.name for p in paths)
    expected = sorted(f"{c['case_id']}{ext}" for c in result.cases for ext in (".md", ".txt"))
    assert names == expected
    phones = set(bank.accounts["phone"].dropna().astype(str))
    emails = set(bank.accounts["email"].dropna().astype(str))
    for case in result.cases:
        md = (tmp_path / "narratives" / f"{case['case_id']}.md").read_text(encoding="utf-8")
        assert DRAFT_MARKER in md
        assert "@" not in md and not any(p in md for p in phones | emails)
        victims = {m["account_id"] for m in case["members"] if m["role"] in ("victim", "worker")}
        n = draft_narrative(case, result.alerts, bank.transactions, bank.accounts)
        assert not victims & set(n.fields["subjects"])
        if case["typology"] in ("sex_trafficking", "labour_trafficking"):
            assert HT_KEY_TERM in md and "38(h)" in md
        if case["typology"] == "human_smuggling":
            assert SMUGGLING_KEY_TERM in md and "38(g)" in md
