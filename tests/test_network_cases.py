"""Network cases and the establishments view.

Hand-built tables check the rules one by one; an end-to-end run on a small synthetic bank checks
that every alert lands in exactly one case and that no case carries a customer's phone or e-mail.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintrak.network.cases import build_cases, case_id, cases_jsonl
from fintrak.network.establishments import (
    ESTABLISHMENT_COLUMNS,
    categorise,
    rank_establishments,
    wilson_lower_bound,
)

AS_OF = "2025-06-30T23:59:59+00:00"
MODEL = "fintrak-lgbm-test"
RAW_PHONE = "+1 (617) 555-0142"
RAW_EMAIL = "victim.one@example.com"


def _networks() -> pd.DataFrame:
    rows = [
        ("c", "net-ring", 4, "controller"),
        ("v1", "net-ring", 4, "victim"),
        ("v2", "net-ring", 4, "victim"),
        ("r", "net-ring", 4, "recruiter"),
        ("loner", "net-loner", 1, "other"),
        ("q1", "net-quiet", 3, "other"),
        ("q2", "net-quiet", 3, "other"),
        ("q3", "net-quiet", 3, "other"),
        ("s1", "net-pair", 2, "other"),
        ("s2", "net-pair", 2, "other"),
    ]
    return pd.DataFrame(rows, columns=["account_id", "network_id", "network_size", "role"])


def _links() -> pd.DataFrame:
    rows = [
        ("c", "v1", "money", 1.0, 12, 9000.0),
        ("c", "v2", "money", 0.8, 10, 7000.0),
        ("v1", "v2", "phone", 1.0, 1, 0.0),
        ("c", "r", "address", 0.5, 1, 0.0),
        ("q1", "q2", "address", 1.0, 1, 0.0),
        ("q2", "q3", "device", 1.0, 1, 0.0),
        ("s1", "s2", "email", 1.0, 1, 0.0),
        ("c", "q1", "money", 0.1, 1, 20.0),  # between two networks: in no case
    ]
    links = pd.DataFrame(
        rows, columns=["account_a", "account_b", "kind", "weight", "evidence", "amount"]
    )
    # a careless upstream column holding raw values must never reach a case
    links["value"] = [RAW_PHONE, RAW_EMAIL] + [None] * (len(links) - 2)
    return links


def _scores() -> pd.DataFrame:
    rows = [
        ("c", 0.97, "sex_trafficking", True, 2),
        ("v1", 0.91, "sex_trafficking", True, 0),
        ("v2", 0.42, None, False, 0),
        ("r", 0.20, None, False, 0),
        ("loner", 0.93, "funnel", True, 0),
        ("q1", 0.05, None, False, 0),
        ("q2", 0.10, None, False, 0),
        ("q3", 0.02, None, False, 0),
        ("s1", 0.70, "labour_trafficking", False, 0),
        ("s2", 0.60, "labour_trafficking", False, 0),
    ]
    return pd.DataFrame(
        rows, columns=["account_id", "score", "typology", "alert", "intel_matches"]
    ).astype({"typology": "string"})


def _alerts() -> pd.DataFrame:
    reasons = {
        "c": [
            {"feature": "fed_by", "value": 3.0, "contribution": 2.5, "text": "fed by 3 accounts"},
            {"feature": "ads", "value": 9.0, "contribution": 1.5, "text": "9 ad payments"},
            {"feature": "hotels", "value": 4.0, "contribution": 0.7, "text": "4 hotel cities"},
            {"feature": "night", "value": 0.6, "contribution": 0.2, "text": "night P2P"},
        ],
        "v1": [{"feature": "sweep", "value": 0.9, "contribution": 1.0, "text": "sweeps"}],
        "loner": [{"feature": "cash", "value": 15.0, "contribution": 3.0, "text": "cash"}],
    }
    return pd.DataFrame(
        {
            "alert_id": ["al-c", "al-v1", "al-loner"],
            "account_id": ["c", "v1", "loner"],
            "score": [0.97, 0.91, 0.93],
            "typology": ["sex_trafficking", "sex_trafficking", "funnel"],
            "role_hypothesis": ["controller", "victim", "unknown"],
            "reasons": [reasons["c"], reasons["v1"], reasons["loner"]],
            "rule_hits": [[], [], []],
            "model_version": MODEL,
            "as_of": AS_OF,
        }
    )


def _cases(**kwargs) -> list[dict]:
    return build_cases(
        _networks(), _links(), _scores(), _alerts(), as_of=AS_OF, model_version=MODEL, **kwargs
    )


def _by_network(cases: list[dict]) -> dict[str | None, dict]:
    return {c["network_id"]: c for c in cases}


def test_ring_with_two_alerts_is_one_case_with_every_member():
    ring = _by_network(_cases())["net-ring"]
    members = {m["account_id"]: m for m in ring["members"]}
    assert set(members) == {"c", "v1", "v2", "r"}
    assert {k: m["role"] for k, m in members.items()} == {
        "c": "controller",
        "v1": "victim",
        "v2": "victim",
        "r": "recruiter",
    }
    assert members["c"]["alert_id"] == "al-c" and members["v1"]["alert_id"] == "al-v1"
    assert members["v2"]["alert"] is False and members["v2"]["alert_id"] is None
    assert [m["account_id"] for m in ring["members"]] == ["c", "v1", "v2", "r"]  # by score
    assert ring["trigger"] == "alert"
    assert ring["typology"] == "sex_trafficking"
    assert ring["score"] == pytest.approx(0.97)
    evidence = ring["evidence"]
    assert evidence["link_kinds"] == {"address": 1, "money": 2, "phone": 1}
    assert evidence["money_inside"] == pytest.approx(16000.0)
    assert evidence["intel_members"] == ["c"]
    assert evidence["alerted_members"] == 2
    assert evidence["top_member"] == "c" and evidence["top_alert_id"] == "al-c"
    assert [r["text"] for r in evidence["top_reasons"]] == [
        "fed by 3 accounts",
        "9 ad payments",
        "4 hotel cities",
    ]
    # only links inside the ring; the link to the quiet network stays out
    assert {(x["account_a"], x["account_b"]) for x in ring["links"]} == {
        ("c", "v1"),
        ("c", "v2"),
        ("v1", "v2"),
        ("c", "r"),
    }
    assert set(ring["links"][0]) == {"account_a", "account_b", "kind", "weight", "amount", "count"}


def test_alerted_loner_is_a_one_member_case():
    loner = _by_network(_cases())["net-loner"]
    assert [m["account_id"] for m in loner["members"]] == ["loner"]
    assert loner["typology"] == "funnel"
    assert loner["links"] == []
    assert loner["evidence"]["money_inside"] == 0.0


def test_alerted_account_outside_every_network_is_its_own_case():
    networks = _networks()
    networks = networks[networks["account_id"] != "loner"]
    cases = build_cases(networks, _links(), _scores(), _alerts(), as_of=AS_OF, model_version=MODEL)
    own = [c for c in cases if c["network_id"] is None]
    assert len(own) == 1
    assert [m["account_id"] for m in own[0]["members"]] == ["loner"]
    assert own[0]["members"][0]["role"] is None


def test_quiet_network_is_no_case_and_combined_evidence_is_one():
    cases = _by_network(_cases())
    assert "net-quiet" not in cases
    pair = cases["net-pair"]  # no alert, but two members at or above 0.5
    assert pair["trigger"] == "combined_evidence"
    assert pair["typology"] == "labour_trafficking"
    assert pair["evidence"]["top_alert_id"] is None and pair["evidence"]["top_reasons"] == []
    assert "net-pair" not in _by_network(_cases(min_score=0.65))


def test_cases_are_ordered_by_score_then_id_with_priorities():
    cases = _cases()
    keys = [(-c["score"], c["case_id"]) for c in cases]
    assert keys == sorted(keys)
    assert [c["priority"] for c in cases] == list(range(1, len(cases) + 1))
    assert [c["network_id"] for c in cases] == ["net-ring", "net-loner", "net-pair"]
    assert all(c["as_of"] == AS_OF and c["model_version"] == MODEL for c in cases)


def test_case_ids_are_deterministic_and_depend_on_run():
    cases = _cases()
    ids = [c["case_id"] for c in cases]
    assert ids == [c["case_id"] for c in _cases()]
    assert len(set(ids)) == len(ids)
    ring = _by_network(cases)["net-ring"]["case_id"]
    assert ring == case_id("net-ring", "c", AS_OF, MODEL)
    assert ring != case_id("net-ring", "c", "2025-07-31", MODEL)
    assert ring != case_id("net-ring", "c", AS_OF, "another-model")
    other = build_cases(
        _networks(), _links(), _scores(), _alerts(), as_of=pd.Timestamp(AS_OF), model_version=MODEL
    )
    assert [c["case_id"] for c in other] == ids  # a Timestamp is written in ISO format


def _shuffle(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_cases_do_not_depend_on_row_order(seed):
    expected = cases_jsonl(_cases())
    shuffled = build_cases(
        _shuffle(_networks(), seed),
        _shuffle(_links(), seed + 1),
        _shuffle(_scores(), seed + 2),
        _shuffle(_alerts(), seed + 3),
        as_of=AS_OF,
        model_version=MODEL,
    )
    assert cases_jsonl(shuffled) == expected


def test_no_raw_identifier_in_any_case():
    text = cases_jsonl(_cases())
    assert RAW_PHONE not in text and RAW_EMAIL not in text
    assert "5550142" not in text.replace("-", "").replace(" ", "")


def test_cases_jsonl_is_one_sorted_object_per_line():
    cases = _cases()
    lines = cases_jsonl(cases).splitlines()
    assert len(lines) == len(cases)
    for line in lines:
        record = json.loads(line)
        assert list(record) == sorted(record)
        assert set(record) == {
            "as_of",
            "case_id",
            "evidence",
            "links",
            "members",
            "model_version",
            "network_id",
            "priority",
            "score",
            "trigger",
            "typology",
        }
    assert cases_jsonl([]) == ""


# --- establishments -------------------------------------------------------------------------


def _payments(
    merchant: str, mcc: int | None, accounts: list[str], *, channel: str = "card", amount=40.0
) -> pd.DataFrame:
    n = len(accounts)
    return pd.DataFrame(
        {
            "account_id": accounts,
            "timestamp": pd.Timestamp("2025-03-01 12:00", tz="UTC"),
            "amount": amount,
            "direction": "debit",
            "channel": channel,
            "mcc": pd.array([mcc] * n, dtype="Int16"),
            "counterparty_id": pd.array([None] * n, dtype="string"),
            "counterparty_name": merchant,
        }
    )


def _bank() -> tuple[pd.DataFrame, pd.DataFrame]:
    alerted = [f"bad{i}" for i in range(8)]
    ordinary = [f"ok{i:03d}" for i in range(500)]
    txn = pd.concat(
        [
            _payments("MOTEL 9 #12 SPRINGFIELD IL", 7011, alerted[:5]),
            _payments("FRESH MART #4 SPRINGFIELD IL", 5411, ordinary + alerted[2:8]),
            # one suspicious account, many payments and much money: not listed
            _payments("LUXE NAILS SPRINGFIELD IL", 7230, ["bad7"] * 40, amount=900.0),
            _payments("LUXE NAILS SPRINGFIELD IL", 7230, ordinary[:3]),
            # payments to people and to the bank's own accounts: never establishments
            _payments("Jane Roe", None, alerted, channel="p2p"),
            _payments("ACME PROPERTY MGMT", None, alerted[:4], channel="check", amount=1200.0),
        ],
        ignore_index=True,
    )
    internal = _payments("OK000 OWN ACCOUNT", None, alerted, channel="ach")
    internal["counterparty_id"] = pd.array(["ok000"] * len(alerted), dtype="string")
    txn = pd.concat([txn, internal], ignore_index=True)
    scores = pd.DataFrame(
        {
            "account_id": alerted + ordinary,
            "score": [0.95] * len(alerted) + [0.05] * len(ordinary),
            "alert": [True] * len(alerted) + [False] * len(ordinary),
        }
    )
    return txn, scores


def test_motel_of_few_alerted_outranks_supermarket_of_many():
    txn, scores = _bank()
    table = rank_establishments(txn, scores)
    assert list(table.columns) == list(ESTABLISHMENT_COLUMNS)
    names = table["establishment"].tolist()
    assert names.index("MOTEL 9 #12 SPRINGFIELD IL") < names.index("FRESH MART #4 SPRINGFIELD IL")
    motel = table.set_index("establishment").loc["MOTEL 9 #12 SPRINGFIELD IL"]
    assert motel["category"] == "lodging"
    assert (motel["accounts"], motel["suspicious_accounts"]) == (5, 5)
    assert motel["suspicious_share"] == 1.0
    mart = table.set_index("establishment").loc["FRESH MART #4 SPRINGFIELD IL"]
    assert (mart["accounts"], mart["suspicious_accounts"], mart["category"]) == (506, 6, "other")
    assert table["exposure"].is_monotonic_decreasing


def test_one_suspicious_account_does_not_single_out_a_merchant():
    txn, scores = _bank()
    table = rank_establishments(txn, scores)
    assert "LUXE NAILS SPRINGFIELD IL" not in set(table["establishment"])
    listed = rank_establishments(txn, scores, min_accounts=1)
    nails = listed.set_index("establishment").loc["LUXE NAILS SPRINGFIELD IL"]
    assert nails["category"] == "personal_care" and nails["suspicious_amount"] == 36000.0


def test_people_and_own_accounts_are_never_establishments():
    txn, scores = _bank()
    names = set(rank_establishments(txn, scores, min_accounts=1)["establishment"])
    assert "Jane Roe" not in names and "OK000 OWN ACCOUNT" not in names
    rent = rank_establishments(txn, scores).set_index("establishment").loc["ACME PROPERTY MGMT"]
    assert rent["category"] == "rent"


def test_establishments_respect_as_of_and_min_score():
    txn, scores = _bank()
    assert rank_establishments(txn, scores, as_of="2025-02-28").empty
    assert list(rank_establishments(txn, scores, as_of="2025-02-28").columns) == list(
        ESTABLISHMENT_COLUMNS
    )
    relaxed = scores.assign(alert=False, score=np.where(scores["alert"], 0.3, 0.05))
    assert rank_establishments(txn, relaxed).empty
    assert not rank_establishments(txn, relaxed, min_score=0.25).empty


def test_establishments_do_not_depend_on_row_order():
    txn, scores = _bank()
    expected = rank_establishments(txn, scores)
    shuffled = rank_establishments(_shuffle(txn, 3), _shuffle(scores, 4))
    pd.testing.assert_frame_equal(shuffled, expected)


def test_exposure_favours_many_distinct_suspicious_accounts():
    bound = wilson_lower_bound(np.array([3, 5, 30, 6]), np.array([3, 5, 30, 506]))
    assert bound[0] < bound[1] < bound[2]
    assert bound[3] < 0.02


def test_categories_come_from_reference_files():
    rows = pd.DataFrame(
        {
            "channel": ["card", "card", "card", "card", "ach", "atm"],
            "mcc": pd.array([7011, 7298, 7297, 5999, None, 6011], dtype="Int16"),
            "counterparty_name": [
                "INN",
                "DAY SPA",
                "ORIENTAL MASSAGE",
                "SKIPTHEGAMES.COM",
                "SUNSET APARTMENTS RENT",
                "ATM #1",
            ],
        }
    )
    assert categorise(rows).tolist() == [
        "lodging",
        "personal_care",
        "adult_venue",
        "ad_site",
        "rent",
        None,
    ]


# --- end to end on a synthetic bank ----------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_run():
    from fintrak.network import build_network
    from fintrak.pipeline import score
    from fintrak.synth import SynthConfig, generate

    bank = generate(SynthConfig(n_accounts=1500, months=4, seed=23))
    result = score(bank.transactions, bank.accounts, bank.intel)
    suspicion = result.scores.set_index("account_id")["score"]
    network = build_network(bank.transactions, bank.accounts, suspicion=suspicion)
    cases = build_cases(
        network.networks,
        network.links,
        result.scores,
        result.alerts,
        as_of=result.manifest["as_of"],
        model_version=result.manifest["model_version"],
    )
    return bank, result, network, cases


def test_every_alert_lands_in_exactly_one_case(synthetic_run):
    _, result, network, cases = synthetic_run
    held = [m["account_id"] for c in cases for m in c["members"]]
    assert len(held) == len(set(held))
    alerted = set(result.scores.loc[result.scores["alert"], "account_id"].astype(str))
    assert alerted <= set(held)
    assert len({c["case_id"] for c in cases}) == len(cases)
    sizes = network.networks.drop_duplicates("network_id").set_index("network_id")
    for case in cases:
        if case["network_id"] is not None:
            assert len(case["members"]) == sizes.loc[case["network_id"], "network_size"]


def test_synthetic_cases_hold_rings_and_no_raw_identifiers(synthetic_run):
    bank, _, _, cases = synthetic_run
    labels = bank.labels
    ring = set(labels.loc[labels["is_trafficking"] == 1, "account_id"].astype(str))
    held = {m["account_id"] for c in cases for m in c["members"]}
    assert cases and ring & held
    assert any(len({m["account_id"] for m in c["members"]} & ring) >= 2 for c in cases)
    text = cases_jsonl(cases)
    accounts = bank.accounts
    raw = set(accounts["phone"].dropna().astype(str)) | set(accounts["email"].dropna().astype(str))
    assert raw and not [value for value in raw if value in text]


def test_synthetic_establishments(synthetic_run):
    bank, result, _, _ = synthetic_run
    table = rank_establishments(bank.transactions, result.scores, as_of=result.manifest["as_of"])
    assert (table["suspicious_accounts"] >= 3).all()
    customers = set(bank.accounts["name"].dropna().astype(str))
    assert not customers & set(table["establishment"])
