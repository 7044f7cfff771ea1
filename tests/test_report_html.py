"""HTML report pages: one per alert and case, stable sections, offline, no contact data, escaped.

Most tests read a small hand-built run folder (written once per module) that plants hostile
values: a counterparty name holding a ``<script>`` tag and another holding a customer's phone,
a city with markup, and KYC phones, e-mails and addresses that must never reach a page. One test
runs the real pipeline (``fintrak demo``) on a small synthetic bank and reports on its output.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fintrak.exceptions import InputFileError, OutputExistsError
from fintrak.report import ReportResult, write_report
from fintrak.report.flagged import FLAG_RULES, flag_rows, rules_for_features
from fintrak.report.pages import ALERT_SECTIONS, CASE_SECTIONS, INDEX_SECTIONS

AS_OF = "2025-06-30T23:59:59+00:00"
MODEL = "fintrak-lgbm-test"
BASE = -4.0
HOSTILE_NAME = "<script>alert('x')</script> MOTEL 6"
HOSTILE_CITY = "Spring<b>field</b>"
# KYC contact values: none may appear on any page, in any spelling we write them.
KYC = {
    "A100": ("Alice Controller", "+16175550142", "alice.c@example.org", "12 Harbor Rd"),
    "V200": ("Vera Victim", "617-555-0177", "vera.v@example.com", "99 Elm Street"),
    "V300": ("Val Victim", "(617) 555-0188", "val@example.net", "7 Pine Court"),
    "L400": ("Lee Loner", "+13055550199", "lee.loner@example.org", "400 Bay Blvd"),
    "O500": ("Otto Other", "+12125550111", "otto@example.com", "5 Main Ave"),
}
ALERTS = {
    "A100": "al0000000000000000a1",
    "V200": "al0000000000000000v2",
    "L400": "al00000000000000l400",
}
CASES = {"ring": "case-" + "a" * 20, "loner": "case-" + "b" * 20}
RING = ["A100", "V200", "V300"]


# --------------------------------------------------------------------------- the hand-built run


def _transactions() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    end = pd.Timestamp(AS_OF)
    rows = []

    def add(
        account,
        days_ago,
        amount,
        direction,
        channel,
        mcc=None,
        cp_id=None,
        name=None,
        city="Boston",
    ):
        rows.append(
            {
                "account_id": account,
                "timestamp": end - pd.Timedelta(days=float(days_ago)),
                "amount": float(amount),
                "currency": "USD",
                "direction": direction,
                "channel": channel,
                "mcc": mcc,
                "counterparty_id": cp_id,
                "counterparty_name": name,
                "city": city,
                "country": "US",
                "memo": f"MEMO-TEXT call {KYC[account][1]} or {KYC[account][2]}",
                "device_id": None,
                "ip": None,
            }
        )

    for account in KYC:
        for i in range(40):
            add(
                account,
                150 - i * 3.7,
                rng.uniform(5, 90),
                "debit",
                "card",
                5411,
                name="GROCER #12",
                city=["Boston", "Miami", HOSTILE_CITY][i % 3],
            )
        add(account, 20, 1200, "credit", "ach", name="PAYROLL INC")
    for i in range(12):  # the controller: hotels in many cities, cash in, money from victims
        add(
            "A100",
            80 - i * 6,
            120 + i,
            "debit",
            "card",
            7011,
            name=f"HOTEL {i}",
            city=["Miami", "Dallas", "Reno"][i % 3],
        )
        add("A100", 79 - i * 6, 400, "credit", "cash", city="Dallas")
        for victim in ("V200", "V300"):
            add(victim, 78 - i * 6, 300, "debit", "p2p", cp_id="A100", name="A. C.")
            add("A100", 78 - i * 6, 300, "credit", "p2p", cp_id=victim, name="V.")
    add("A100", 5, 89.0, "debit", "card", 7011, name=HOSTILE_NAME, city="Reno")
    add("A100", 4, 50.0, "debit", "p2p", name=f"PAY {KYC['O500'][1]}")
    add("A100", 3, 700.0, "debit", "card", 6513, name=f"RENT {KYC['O500'][3]}")  # not on a page
    add("A100", 200, 75.0, "debit", "card", 7011, name="OLD HOTEL", city="Reno")  # too old
    add("L400", 10, 9000, "credit", "cash", city="El Paso")
    add("L400", 9, 8900, "debit", "wire", name="CORRIDOR MSB")
    frame = pd.DataFrame(rows).sort_values(["timestamp", "account_id"], kind="stable")
    frame.insert(0, "txn_id", [f"T{i:06d}" for i in range(len(frame))])
    frame["mcc"] = frame["mcc"].astype("Int16")
    for column in (
        "account_id",
        "currency",
        "direction",
        "channel",
        "counterparty_id",
        "counterparty_name",
        "city",
        "country",
        "memo",
        "device_id",
        "ip",
        "txn_id",
    ):
        frame[column] = frame[column].astype("string")
    return frame.reset_index(drop=True)


def _accounts() -> pd.DataFrame:
    rows = [
        {
            "account_id": a,
            "customer_id": f"C{a}",
            "account_type": "personal",
            "opened_at": pd.Timestamp("2024-01-15", tz="UTC"),
            "date_of_birth": pd.NaT,
            "occupation": "Server" if a != "L400" else None,
            "declared_income": 30000.0,
            "name": name,
            "nationality": "US",
            "phone": phone,
            "email": email,
            "address": address,
            "city": "Boston",
            "country": "US",
            "timezone": "America/New_York",
        }
        for a, (name, phone, email, address) in KYC.items()
    ]
    return pd.DataFrame(rows)


def _hit(typology, indicator, points, reason, source):
    return {
        "indicator": indicator,
        "points": points,
        "reason": reason,
        "source": source,
        "typology": typology,
        "typology_version": "1.1.0",
    }


def _rule_hits() -> pd.DataFrame:
    rows = [
        (
            "A100",
            "sex_trafficking",
            "sex_trafficking.hotels",
            "lodging_cities_14d",
            3.0,
            20.0,
            "hotel charges in 3 or more cities",
            "B1; F20",
            "controller",
        ),
        (
            "A100",
            "sex_trafficking",
            "sex_trafficking.collector",
            "transfer_senders_in_30d",
            2.0,
            15.0,
            "money from 2 or more senders",
            "A7; F26",
            "controller",
        ),
        (
            "A100",
            "sex_trafficking",
            "sex_trafficking.shared_phone",
            "shared_phone_accounts",
            1.0,
            5.0,
            "shares a phone with another customer",
            "G2",
            None,
        ),
        (
            "V200",
            "sex_trafficking",
            "sex_trafficking.sweep",
            "sweep_out_share_30d",
            0.9,
            20.0,
            "80% or more swept out",
            "G1; F20",
            "victim",
        ),
        (
            "L400",
            "funnel",
            "funnel.cash_deposits",
            "cash_deposits_30d",
            1.0,
            10.0,
            "large cash deposit",
            "E1; F20",
            None,
        ),
        (
            "L400",
            "funnel",
            "funnel.small_wires",
            "small_wires_out_30d",
            1.0,
            10.0,
            "wire out after cash",
            "E1; F23",
            None,
        ),
        (
            "O500",
            "funnel",
            "funnel.cash_deposits",
            "cash_deposits_30d",
            1.0,
            10.0,
            "not alerted",
            "E1",
            None,
        ),
    ]
    columns = [
        "account_id",
        "typology",
        "indicator",
        "feature",
        "value",
        "points",
        "reason",
        "source",
        "suggests_role",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(2, "typology_version", "1.1.0")
    return frame.astype({"account_id": "string"})


def _alert(account, typology, score, network, role, case, hits, intel=()):
    reasons = [
        {"contribution": 1.5, "feature": "lodging_cities_14d", "text": "hotels", "value": 3.0}
    ]
    return {
        "account_id": account,
        "alert_id": ALERTS[account],
        "as_of": AS_OF,
        "case_id": case,
        "intel_evidence": list(intel),
        "model_version": MODEL,
        "network_id": network,
        "network_role": role,
        "reasons": reasons,
        "role_hypothesis": role,
        "rule_hits": hits,
        "score": score,
        "typology": typology,
    }


def _alerts(hits: pd.DataFrame) -> list[dict]:
    def of(account):
        part = hits[hits["account_id"] == account]
        return [
            _hit(r.typology, r.indicator, r.points, r.reason, r.source)
            for r in part.itertuples(index=False)
        ]

    intel = [
        {
            "first_date": None,
            "intel_first_seen": "2025-02-09",
            "kind": "phone",
            "last_date": None,
            "matched_on": "kyc_phone",
            "source": "ad-scraper",
            "transactions": 0,
            "values": 1,
        }
    ]
    return [
        _alert(
            "A100",
            "sex_trafficking",
            0.97,
            "net-ring",
            "controller",
            CASES["ring"],
            of("A100"),
            intel,
        ),
        _alert("V200", "sex_trafficking", 0.91, "net-ring", "victim", CASES["ring"], of("V200")),
        _alert("L400", "funnel", 0.93, "net-loner", "other", CASES["loner"], of("L400")),
    ]


def _cases() -> list[dict]:
    ring_members = [
        {
            "account_id": "A100",
            "alert": True,
            "alert_id": ALERTS["A100"],
            "role": "controller",
            "score": 0.97,
        },
        {
            "account_id": "V200",
            "alert": True,
            "alert_id": ALERTS["V200"],
            "role": "victim",
            "score": 0.91,
        },
        {"account_id": "V300", "alert": False, "alert_id": None, "role": "victim", "score": 0.4},
    ]
    links = [
        {
            "account_a": "A100",
            "account_b": "V200",
            "amount": 3600.0,
            "count": 12,
            "kind": "money",
            "weight": 0.5,
        },
        {
            "account_a": "A100",
            "account_b": "V300",
            "amount": 3600.0,
            "count": 12,
            "kind": "money",
            "weight": 0.5,
        },
        {
            "account_a": "A100",
            "account_b": "V200",
            "amount": 0.0,
            "count": 1,
            "kind": "phone",
            "weight": 1.0,
        },
    ]
    evidence = {
        "alerted_members": 2,
        "intel_members": ["A100"],
        "link_kinds": {"money": 2, "phone": 1},
        "members": 3,
        "money_inside": 7200.0,
        "roles": {"controller": 1, "victim": 2},
        "top_alert_id": ALERTS["A100"],
        "top_member": "A100",
        "top_reasons": [{"feature": "x", "text": f"call {KYC['A100'][1]} now"}],
    }
    ring = {
        "as_of": AS_OF,
        "case_id": CASES["ring"],
        "evidence": evidence,
        "links": links,
        "members": ring_members,
        "model_version": MODEL,
        "network_id": "net-ring",
        "priority": 1,
        "score": 0.97,
        "trigger": "alert",
        "typology": "sex_trafficking",
    }
    loner = {
        "as_of": AS_OF,
        "case_id": CASES["loner"],
        "evidence": {"alerted_members": 1, "members": 1, "money_inside": 0.0},
        "links": [],
        "members": [
            {
                "account_id": "L400",
                "alert": True,
                "alert_id": ALERTS["L400"],
                "role": "other",
                "score": 0.93,
            }
        ],
        "model_version": MODEL,
        "network_id": "net-loner",
        "priority": 2,
        "score": 0.93,
        "trigger": "alert",
        "typology": "funnel",
    }
    return [ring, loner]


def _scores() -> pd.DataFrame:
    rows = [
        ("A100", 0.97, 0.6, 0.98, "sex_trafficking", True, 1),
        ("V200", 0.91, 0.3, 0.95, "sex_trafficking", True, 0),
        ("V300", 0.40, 0.0, 0.40, None, False, 0),
        ("L400", 0.93, 0.3, 0.96, "funnel", True, 0),
        ("O500", 0.10, 0.1, 0.10, "funnel", False, 0),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "score",
            "rule_score",
            "model_score",
            "typology",
            "alert",
            "intel_matches",
        ],
    ).astype({"account_id": "string", "typology": "string"})


def _explanations() -> pd.DataFrame:
    rows = []
    for account in ("A100", "V200", "L400"):
        for rank, (feature, contribution) in enumerate(
            [("lodging_cities_14d", 2.5), ("transfer_senders_in_30d", 1.25), ("night", -0.5)],
            start=1,
        ):
            rows.append(
                {
                    "account_id": account,
                    "rank": rank,
                    "feature": feature,
                    "value": 3.0,
                    "peer_median": 0.0,
                    "contribution": contribution,
                    "text": f"{feature} was 3 (peers: 0) <i>",
                }
            )
    return pd.DataFrame(rows)


def _networks() -> pd.DataFrame:
    rows = [
        ("A100", "net-ring", 3, "controller"),
        ("V200", "net-ring", 3, "victim"),
        ("V300", "net-ring", 3, "victim"),
        ("L400", "net-loner", 1, "other"),
        ("O500", "net-o", 1, "other"),
    ]
    return pd.DataFrame(rows, columns=["account_id", "network_id", "network_size", "role"]).astype(
        {"account_id": "string", "network_id": "string", "role": "string"}
    )


def build_run(folder: Path) -> Path:
    """Write a small, hostile run folder into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    hits = _rule_hits()
    manifest = {
        "scoring": {
            "as_of": AS_OF,
            "model_version": MODEL,
            "alert_threshold": 0.85,
            "model_base_log_odds": BASE,
            "alerts": 3,
            "cases": 2,
        }
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "alerts.jsonl").write_text(
        "".join(json.dumps(a, sort_keys=True) + "\n" for a in _alerts(hits)), encoding="utf-8"
    )
    (folder / "cases.jsonl").write_text(
        "".join(json.dumps(c, sort_keys=True) + "\n" for c in _cases()), encoding="utf-8"
    )
    tables = {
        "transactions": _transactions(),
        "accounts": _accounts(),
        "scores": _scores(),
        "explanations": _explanations(),
        "rule_hits": hits,
        "networks": _networks(),
    }
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


# --------------------------------------------------------------------------- fixtures


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections: list[str] = []
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("id"))
        if tag == "script":
            self.scripts += 1
        for key in ("href", "src", "xlink:href", "action"):
            if values.get(key) is not None:
                self.links.append(values[key])


def _parse(path: Path) -> _Sections:
    parser = _Sections()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return build_run(tmp_path_factory.mktemp("report-run") / "run")


@pytest.fixture(scope="module")
def report(run_dir, tmp_path_factory) -> ReportResult:
    return write_report(run_dir, tmp_path_factory.mktemp("report") / "out")


def _pages(report: ReportResult) -> list[Path]:
    return [report.index, *report.alert_pages, *report.case_pages]


# --------------------------------------------------------------------------- tests


def test_every_alert_and_case_gets_a_page(report):
    assert report.n_alerts == 3 and report.n_cases == 2
    assert sorted(p.stem for p in report.alert_pages) == sorted(ALERTS.values())
    assert sorted(p.stem for p in report.case_pages) == sorted(CASES.values())
    assert report.index.name == "index.html"
    assert all(p.is_file() for p in _pages(report))


def test_pages_have_the_expected_sections(report):
    assert _parse(report.index).sections == list(INDEX_SECTIONS)
    for path in report.alert_pages:
        assert _parse(path).sections == list(ALERT_SECTIONS), path.name
    for path in report.case_pages:
        assert _parse(path).sections == list(CASE_SECTIONS), path.name


def test_index_ranks_links_and_keeps_every_row_visible_without_script(report):
    text = report.index.read_text(encoding="utf-8")
    order = [text.index(ALERTS[a]) for a in ("A100", "L400", "V200")]  # by score
    assert order == sorted(order)
    links = _parse(report.index).links
    for alert_id in ALERTS.values():
        assert f"alerts/{alert_id}.html" in links
    for case_id in CASES.values():
        assert f"cases/{case_id}.html" in links
    assert text.count('data-typology="sex_trafficking"') == 2 + 1  # two alerts, one case
    assert "<tr hidden" not in text and 'id="filter-box" hidden' in text
    assert MODEL in text and "2025-06-30" in text and "0.8500" in text


def test_no_external_references(report):
    for path in _pages(report):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path.name
        for target in _parse(path).links:
            inline = target.startswith("data:image/")  # e.g. a colour bar, embedded
            assert inline or target.startswith(("#", "../", "alerts/", "cases/", "index.html"))
            assert not target.startswith("//")


def test_no_contact_details_or_names_on_any_page(report):
    digits = re.compile(r"\D")
    for path in _pages(report):
        text = path.read_text(encoding="utf-8")
        squashed = digits.sub("", text)
        for name, phone, email, address in KYC.values():
            assert name not in text and email not in text and address not in text, path.name
            assert phone not in text, path.name
            assert digits.sub("", phone)[-10:] not in squashed, (path.name, phone)
        assert "MEMO-TEXT" not in text  # memos are never shown


def test_values_are_escaped(report):
    page = (report.alert_pages[0].parent / f"{ALERTS['A100']}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; MOTEL 6" in page
    assert "Spring&lt;b&gt;field&lt;/b&gt;" in page
    for path in _pages(report):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<b>field" not in text
        assert _parse(path).scripts == (1 if path == report.index else 0)


def test_flagged_rows_on_the_alert_page(report):
    page = (report.alert_pages[0].parent / f"{ALERTS['A100']}.html").read_text(encoding="utf-8")
    timeline = page[page.index('<section id="timeline">') : page.index('<section id="shap">')]
    assert "HOTEL 11" in timeline and "MOTEL 6" in timeline  # lodging rows of the window
    assert "OLD HOTEL" not in timeline  # 200 days before the as-of: never flagged
    assert "transfers; network" in timeline  # p2p from a victim of the same network
    assert "shared_phone_accounts" in timeline  # a rule about the account as a whole
    assert "not say that the row itself is suspicious" in timeline


def test_shap_waterfall_ends_at_the_model_log_odds(report):
    page = (report.alert_pages[0].parent / f"{ALERTS['A100']}.html").read_text(encoding="utf-8")
    shap = page[page.index('<section id="shap">') : page.index('<section id="rules">')]
    total = math.log(0.98 / 0.02)
    rest = total - BASE - (2.5 + 1.25 - 0.5)
    assert f"{rest:,.3f}" in shap and f"{total:,.3f}" in shap
    assert "all other features" in shap and "<svg" in shap
    assert "was 3 (peers: 0) &lt;i&gt;" in shap


def test_rules_resolve_their_sources(report):
    page = (report.alert_pages[0].parent / f"{ALERTS['A100']}.html").read_text(encoding="utf-8")
    rules = page[page.index('<section id="rules">') : page.index('<section id="intel">')]
    assert "<b>F20</b>: FinCEN Advisory FIN-2020-A008" in rules
    assert '<abbr title="FinCEN Advisory FIN-2020-A008, Supplemental' in rules
    assert "lodging_cities_14d = 3.00" in rules
    assert "ad-scraper" in page[page.index('<section id="intel">') :]


def test_case_page_members_money_and_links(report):
    page = (report.case_pages[0].parent / f"{CASES['ring']}.html").read_text(encoding="utf-8")
    assert f'href="../alerts/{ALERTS["A100"]}.html"' in page
    money = page[page.index('<section id="money">') : page.index('<section id="evidence">')]
    assert money.count("3,600.00 USD") == 2  # 12 transfers of 300 from each victim, once each
    links = page[page.index('<section id="links">') : page.index('<section id="money">')]
    assert "phone" in links and "[withheld]" not in links


def test_output_is_deterministic(run_dir, report, tmp_path):
    again = write_report(run_dir, tmp_path / "again")
    for first, second in zip(_pages(report), _pages(again), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_refuses_to_overwrite_unless_asked(run_dir, report, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(report.index.parent, out)
    with pytest.raises(OutputExistsError, match="--overwrite") as error:
        write_report(run_dir, out)
    assert str(out) in str(error.value)
    stale = out / "alerts" / "stale.html"
    stale.write_text("old", encoding="utf-8")
    result = write_report(run_dir, out, overwrite=True)
    assert result.n_alerts == 3 and not stale.exists()
    assert result.index.read_bytes() == report.index.read_bytes()


def test_missing_run_file_is_named(run_dir, tmp_path):
    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    (broken / "rule_hits.parquet").unlink()
    with pytest.raises(InputFileError, match="rule_hits.parquet"):
        write_report(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputFileError, match="does not exist"):
        write_report(tmp_path / "nowhere", tmp_path / "out")


def test_runs_without_alerts_accounts_or_base_value(run_dir, tmp_path):
    quiet = tmp_path / "quiet"
    shutil.copytree(run_dir, quiet)
    (quiet / "alerts.jsonl").write_text("", encoding="utf-8")
    (quiet / "cases.jsonl").write_text("", encoding="utf-8")
    empty = write_report(quiet, tmp_path / "empty")
    assert (empty.n_alerts, empty.n_cases) == (0, 0)
    assert _parse(empty.index).sections == list(INDEX_SECTIONS)
    bare = tmp_path / "bare"
    shutil.copytree(run_dir, bare)
    (bare / "accounts.parquet").unlink()
    manifest = json.loads((bare / "manifest.json").read_text(encoding="utf-8"))
    del manifest["scoring"]["model_base_log_odds"]
    (bare / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = write_report(bare, tmp_path / "bare-out")
    page = result.alert_pages[0].read_text(encoding="utf-8")
    assert "No KYC row" in page and "No model explanation" in page
    assert _parse(result.alert_pages[0]).sections == list(ALERT_SECTIONS)


def test_flag_rules_are_table_driven():
    assert len({r.family for r in FLAG_RULES}) == len(FLAG_RULES)
    rules, rest = rules_for_features(["cash_deposits_30d", "lodging_cities_14d", "intel_x"])
    assert [r.family for r in rules] == ["cash", "lodging"] and rest == ["intel_x"]
    rows = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(
                ["2025-06-01", "2025-06-02", "2025-06-03", "2025-01-01"], utc=True
            ),
            "channel": ["atm", "p2p", "card", "atm"],
            "direction": ["debit", "credit", "debit", "debit"],
            "mcc": pd.array([6011, None, 4121, 6011], dtype="Int16"),
            "counterparty_id": [None, "B", None, None],
        }
    )
    why = flag_rows(
        rows,
        ["cash_deposits_30d", "rideshare_charges_30d"],
        as_of=pd.Timestamp(AS_OF),
        account_id="A",
        members=["A", "B"],
    )
    assert why.tolist() == ["cash", "network", "rides", ""]


def test_real_pipeline_run(tmp_path_factory):
    from typer.testing import CliRunner

    from fintrak.cli import app

    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--out",
            str(folder),
            "--accounts",
            "500",
            "--months",
            "2",
            "--quiet",
            "--overwrite",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    run = folder / "run"
    start = time.perf_counter()
    report = write_report(run, folder / "report")
    seconds = time.perf_counter() - start
    alerts = [json.loads(line) for line in (run / "alerts.jsonl").read_text().splitlines()]
    cases = [json.loads(line) for line in (run / "cases.jsonl").read_text().splitlines()]
    assert report.n_alerts == len(alerts) >= 1 and report.n_cases == len(cases) >= 1
    accounts = pd.read_parquet(run / "accounts.parquet")
    secrets = {str(v) for c in ("phone", "email", "address") for v in accounts[c].dropna()}
    for path in _pages(report):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text)
        assert not any(s in text for s in secrets), path.name
        sections = _parse(path).sections
        assert sections in (list(INDEX_SECTIONS), list(ALERT_SECTIONS), list(CASE_SECTIONS))
    assert seconds < 30
