"""The network step: links, networks and roles, checked against the synthetic bank's rings.

Recovery is measured on fresh synthetic banks, one per region claimed (us, ca, au, gb; seeds
41-45 were never used to choose a weight or threshold of the network step), each scored first by
the shipped model (``fintrak.pipeline.score``: the real first pass, no ground truth), then built
into networks twice: without a first pass and with its scores as ``suspicion``.

Bounds used below, and why:

* A ring is "recovered" when one network holds at least 80% of its *evidence-bearing* members:
  members with a trace to another member in the raw data a bank holds (a transfer between them,
  a shared normalised phone, e-mail, address or device, the same customer). A victim who never
  pays the controller and shares nothing with the ring cannot be placed by any network step.
* With the first pass, pooled over the four banks (measured: sex 97% = 31 of 32 rings, 94%
  before suspicious accounts clustering on one identifier were tied; labour 100%, funnel 92%,
  smuggling 83% = 10 of 12 rings; 75% before one-off senders joined their beneficiary's network,
  67% before beneficiary links; see docs/networks.md): at least 90% of sex-trafficking, 90% of
  labour-trafficking, 85% of funnel and 80% of smuggling rings.
* Without a first pass only money, identifiers, shared beneficiaries and the funnel pattern
  speak: at least 70% of sex rings (measured 78% = 25 of 32; 66% before split feeders, victims
  sweeping to two collectors, counted as feeders), 50% of labour rings (measured 60%) and 70%
  of funnel rings (measured 85%, 11 of 13; 8% before funnel accounts counted as suspicious);
  smuggling rings are not bounded (senders tie to a coordinator by one or two transfers, and
  without a first pass nobody is suspicious enough to gather them: measured 25%).
* Household-sized: 99% of the networks made only of ordinary customers have at most 5 accounts
  (the synthetic bank's families have 1-5 members) and none has more than 10 (two families
  joined by one direct tie). Networks without a ring member stay under 20 accounts; a ring's
  network may pass ``max_network_size`` by the few accounts that join it after splitting.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintrak.identifiers import account_identifiers
from fintrak.network import (
    LINK_COLUMNS,
    SYNTHETIC_ROLES,
    LinkSettings,
    NetworkSettings,
    build_network,
    build_networks,
)
from fintrak.network._accounts import AccountIndex
from fintrak.network.links import beneficiary_links, identifier_links, money_flows
from fintrak.pipeline import score
from fintrak.synth import SynthConfig, generate

#: Fresh configurations, one per region (not used to tune the network step).
CONFIGS = {
    "us-4000-5m-seed41": SynthConfig(n_accounts=4000, months=5, seed=41, prevalence=0.03),
    "ca-2000-4m-seed45": SynthConfig(
        n_accounts=2000, months=4, seed=45, prevalence=0.05, region="ca"
    ),
    "au-2500-4m-seed43": SynthConfig(
        n_accounts=2500, months=4, seed=43, prevalence=0.05, region="au"
    ),
    "gb-5000-6m-seed44": SynthConfig(
        n_accounts=5000, months=6, seed=44, prevalence=0.02, region="gb"
    ),
}
#: Minimum share of rings recovered, pooled over the banks, with the real first pass.
TWO_PASS_BOUNDS = {
    "sex_trafficking": 0.9,  # measured 0.97 (31/32)
    "labour_trafficking": 0.9,  # measured 1.00 (10/10)
    "funnel": 0.85,  # measured 0.92 (12/13)
    "human_smuggling": 0.8,  # measured 0.83 (10/12)
}
#: The same without a first pass (smuggling rings are not bounded: measured 0.25, 3/12).
PLAIN_BOUNDS = {
    "sex_trafficking": 0.7,  # measured 0.78 (25/32)
    "labour_trafficking": 0.5,  # measured 0.60 (6/10)
    "funnel": 0.7,  # measured 0.85 (11/13)
}
HOUSEHOLD = 5
TWO_HOUSEHOLDS = 10
RING_ROLES = ("employer", "controller", "worker", "recruiter", "victim", "funnel")


def evidence_bearing(labels: pd.DataFrame, bank) -> set[str]:  # noqa: ANN001
    """Ring members with a trace to another member of their ring in the raw data."""
    case = labels.dropna(subset=["case_id"]).set_index("account_id")["case_id"].astype(str)
    found: set[str] = set()
    txn = bank.transactions.loc[bank.transactions["counterparty_id"].notna()]
    pairs = txn[["account_id", "counterparty_id"]].astype(str).drop_duplicates()
    ca = case.reindex(pairs["account_id"]).to_numpy(dtype=object)
    cb = case.reindex(pairs["counterparty_id"]).to_numpy(dtype=object)
    same = pd.notna(ca) & (ca == cb) & (pairs["account_id"] != pairs["counterparty_id"]).to_numpy()
    found |= set(pairs["account_id"][same]) | set(pairs["counterparty_id"][same])
    ids = account_identifiers(bank.accounts, bank.transactions)
    ids = ids[ids["account_id"].isin(case.index)].astype(str)
    ids["case"] = case.reindex(ids["account_id"]).to_numpy()
    held = ids.groupby(["case", "kind", "value"])["account_id"].transform("nunique")
    found |= set(ids.loc[held >= 2, "account_id"])
    acc = bank.accounts.dropna(subset=["customer_id"])
    acc = acc[acc["account_id"].isin(case.index)].astype({"account_id": str, "customer_id": str})
    acc = acc.assign(case=case.reindex(acc["account_id"]).to_numpy())
    held = acc.groupby(["case", "customer_id"])["account_id"].transform("nunique")
    found |= set(acc.loc[held >= 2, "account_id"])
    return found


@pytest.fixture(scope="module")
def banks() -> dict[str, dict]:
    """Every configuration: the bank, its first-pass scores, and the two network builds."""
    out = {}
    for name, config in sorted(CONFIGS.items()):
        b = generate(config)
        first = score(b.transactions, b.accounts, b.intel).scores
        suspicion = first.set_index("account_id")["score"]
        ids = account_identifiers(b.accounts, b.transactions)
        out[name] = {
            "bank": b,
            "ids": ids,
            "evidence": evidence_bearing(b.labels, b),
            "plain": build_network(b.transactions, b.accounts, ids),
            "two_pass": build_network(b.transactions, b.accounts, ids, suspicion=suspicion),
        }
    return out


def _recovery(result, labels: pd.DataFrame, evidence: set[str]) -> pd.DataFrame:  # noqa: ANN001
    """Per ring: evidence-bearing members and the share of them in the best network."""
    net = result.networks.set_index("account_id")["network_id"]
    ring = labels.dropna(subset=["case_id"]).set_index("account_id")
    rows = []
    for case, members in ring.groupby("case_id"):
        ev = [m for m in members.index.astype(str) if m in evidence]
        share = net.reindex(ev).value_counts().iloc[0] / len(ev) if len(ev) >= 2 else np.nan
        rows.append((case, members["typology"].iloc[0], len(members), len(ev), share))
    return pd.DataFrame(rows, columns=["case_id", "typology", "members", "evidence", "share"])


def _pooled(banks: dict[str, dict], key: str) -> pd.DataFrame:
    parts = [
        _recovery(d[key], d["bank"].labels, d["evidence"]).assign(bank=name)
        for name, d in banks.items()
    ]
    return pd.concat(parts, ignore_index=True).dropna(subset=["share"])


@pytest.mark.parametrize(
    ("key", "bounds"), [("two_pass", TWO_PASS_BOUNDS), ("plain", PLAIN_BOUNDS)], ids=str
)
def test_rings_are_recovered_on_fresh_banks(banks: dict, key: str, bounds: dict) -> None:
    rec = _pooled(banks, key)
    for typology, bound in bounds.items():
        rings = rec[rec["typology"] == typology]
        assert len(rings) >= 5, typology
        recovered = (rings["share"] >= 0.8).mean()
        assert recovered >= bound, (typology, recovered, rings[rings["share"] < 0.8].to_string())


def test_the_first_pass_helps(banks: dict) -> None:
    plain = _pooled(banks, "plain")
    two = _pooled(banks, "two_pass")
    assert (two["share"] >= 0.8).mean() >= (plain["share"] >= 0.8).mean() + 0.2


def test_ordinary_customers_stay_in_household_sized_networks(banks: dict) -> None:
    for name, d in banks.items():
        labels = d["bank"].labels[["account_id", "segment", "is_trafficking"]]
        for key in ("plain", "two_pass"):
            net = d[key].networks.merge(labels, on="account_id")
            per = net.groupby("network_id").agg(
                size=("account_id", "size"),
                ordinary=("segment", lambda s: bool((s == "ordinary").all())),
                rings=("is_trafficking", "sum"),
            )
            ordinary = per.loc[per["ordinary"], "size"]
            assert ordinary.quantile(0.99) <= HOUSEHOLD, (name, key)
            assert ordinary.max() <= TWO_HOUSEHOLDS, (name, key)
            # look-alikes (farms and their seasonal workers, landlords) stay small too
            assert per.loc[per["rings"] == 0, "size"].max() <= 2 * TWO_HOUSEHOLDS, (name, key)
            assert per["size"].max() <= 1.25 * NetworkSettings().max_network_size, (name, key)


def test_clear_roles_match_the_ground_truth(banks: dict) -> None:
    parts = []
    for d in banks.values():
        net = d["two_pass"].networks.merge(
            d["bank"].labels, on="account_id", suffixes=("", "_true")
        )
        net["truth"] = [
            SYNTHETIC_ROLES.get((t, r)) if isinstance(r, str) else None
            for t, r in zip(net["typology"], net["role_true"], strict=True)
        ]
        parts.append(net)
    net = pd.concat(parts, ignore_index=True)

    def hit(truth: str, typology: str | None = None) -> float:
        rows = net[net["truth"] == truth]
        if typology is not None:
            rows = rows[rows["typology"] == typology]
        return float((rows["role"] == truth).mean())

    # measured on these banks: controllers 65%, victims 50%, workers 95%, employers 100%,
    # funnels 90%
    assert hit("controller", "sex_trafficking") >= 0.55
    assert hit("victim", "sex_trafficking") >= 0.35  # many victims leave no money trail
    assert hit("worker") >= 0.8  # some workers' wages are paid straight to the controller
    assert hit("employer") >= 0.8
    assert hit("funnel") >= 0.8
    # precision: accounts given a ring role are ring members
    called = net[net["role"].isin(RING_ROLES)]
    # measured 0.92 (311 of 338) with fintrak-lgbm-13910261773b as the first pass; 0.84 before
    # cash businesses paying staff by ACH stopped counting as funnels and accounts paying four
    # or more people regularly stopped counting as split feeders
    assert called["is_trafficking"].astype(bool).mean() >= 0.85


@pytest.mark.parametrize("key", ["plain", "two_pass"])
def test_output_columns_and_no_raw_identifiers(banks: dict, key: str) -> None:
    bank = banks[sorted(banks)[0]]
    result = bank[key]
    assert list(result.networks.columns) == ["account_id", "network_id", "network_size", "role"]
    assert tuple(result.links.columns) == LINK_COLUMNS
    assert set(result.links["kind"]) <= {
        "customer",
        "phone",
        "email",
        "address",
        "device",
        "money",
        "beneficiary",
    }
    raw = set(bank["ids"]["value"].astype(str))
    for column in result.links.columns:
        if result.links[column].dtype == "string":
            assert not raw & set(result.links[column].dropna())
    assert result.networks["account_id"].is_unique
    sizes = result.networks.groupby("network_id")["account_id"].transform("size")
    assert (sizes == result.networks["network_size"]).all()


# --- hubs --------------------------------------------------------------------------------------


def _payroll_bank(n_staff: int, suspicious_boss: bool) -> tuple[pd.DataFrame, pd.Series | None]:
    """A big employer paying unrelated staff, each of whom pays an unrelated landlord's rent."""
    rows = []
    days = pd.date_range("2025-01-03", periods=13, freq="14D", tz="UTC")
    for i in range(n_staff):
        staff = f"s{i:03d}"
        for day in days:
            rows.append(("boss", day, 2000.0, "debit", "ach", staff))
            rows.append((staff, day, 2000.0, "credit", "ach", "boss"))
            rows.append((staff, day, 300.0, "debit", "card", None))
        for day in days[::2]:
            rows.append((staff, day, 1500.0, "debit", "ach", f"landlord{i % 3}"))
    txn = pd.DataFrame(
        rows,
        columns=["account_id", "timestamp", "amount", "direction", "channel", "counterparty_id"],
    )
    suspicion = pd.Series({"boss": 0.9}) if suspicious_boss else None
    return txn, suspicion


def test_hub_employer_and_landlords_do_not_merge_unrelated_staff() -> None:
    txn, _ = _payroll_bank(30, suspicious_boss=False)
    result = build_network(txn, identifiers=pd.DataFrame(columns=["account_id", "kind", "value"]))
    assert result.networks["network_size"].max() <= 2


def test_suspicious_hub_keeps_its_links() -> None:
    txn, suspicion = _payroll_bank(30, suspicious_boss=True)
    empty = pd.DataFrame(columns=["account_id", "kind", "value"])
    result = build_network(txn, identifiers=empty, suspicion=suspicion)
    net = result.networks.set_index("account_id")
    assert net.loc["boss", "network_size"] >= 30
    assert net.loc["boss", "role"] == "employer"


def test_identifier_hubs_are_dropped_and_rare_ones_weigh_most() -> None:
    shared = [f"a{i:02d}" for i in range(25)]
    ids = pd.DataFrame(
        {
            "account_id": shared + ["x", "y", "p", "q", "r"],
            "kind": ["phone"] * 25 + ["email", "email", "address", "address", "address"],
            "value": ["+18005550100"] * 25
            + ["e@x.org", "e@x.org", "1 main st", "1 main st", "1 main st"],
        }
    )
    links = identifier_links(
        ids, AccountIndex(ids["account_id"]), settings=LinkSettings(max_identifier_accounts=20)
    )
    assert set(links["kind"]) == {"email", "address"}
    assert links.loc[links["kind"] == "email", "weight"].tolist() == [1.0]
    assert links.loc[links["kind"] == "address", "weight"].eq(0.5).all()


def _payments(rows: list[tuple[str, float, str, str]]) -> pd.DataFrame:
    """Debits ``(account, amount, channel, payee name)`` on one day, no own counterparty."""
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "amount": [r[1] for r in rows],
            "direction": ["debit"] * len(rows),
            "channel": [r[2] for r in rows],
            "counterparty_id": pd.array([None] * len(rows), dtype="string"),
            "counterparty_name": [r[3] for r in rows],
            "timestamp": pd.to_datetime(["2025-01-01"] * len(rows), utc=True),
        }
    )


def test_shared_rare_beneficiary_links_payers_by_rarity() -> None:
    # s1-s4 wire most of their money to one outside person; a1-a3 pay a cleaner a little
    rows = [(f"s{i}", 1800.0, "wire", "Ana Diaz" if i % 2 else "ANA  DIAZ.") for i in range(1, 5)]
    rows += [(f"s{i}", 2000.0, "card", "Grocer") for i in range(1, 5)]
    rows += [(f"a{i}", 20.0, "p2p", "Cleaner") for i in range(1, 4)]
    rows += [(f"a{i}", 3000.0, "card", "Grocer") for i in range(1, 4)]
    t = _payments(rows)
    links = beneficiary_links(t, money_flows(t, AccountIndex(t["account_id"])))
    assert set(links["kind"]) == {"beneficiary"}
    assert set(links["account_a"]) | set(links["account_b"]) == {"s1", "s2", "s3", "s4"}
    assert len(links) == 6  # every pair of the four senders; names normalised
    assert np.allclose(links["weight"], 1 / 3)  # 1 / (n - 1), like a shared identifier
    assert "Ana" not in links.to_string() and "DIAZ" not in links.to_string()
    # card purchases never count, however few the payers
    cards = _payments([(f"c{i}", 900.0, "card", "Rare Shop") for i in range(3)])
    assert beneficiary_links(cards, money_flows(cards, AccountIndex(cards["account_id"]))).empty
    # two payers are not enough (a family, or two John Smiths)
    two = t[t["account_id"].isin(["s1", "s2"])]
    assert beneficiary_links(two, money_flows(two, AccountIndex(two["account_id"]))).empty


def test_popular_beneficiary_is_a_hub() -> None:
    rows = [(f"p{i:02d}", 500.0, "ach", "City Water") for i in range(25)]
    t = _payments(rows)
    flows = money_flows(t, AccountIndex(t["account_id"]))
    assert beneficiary_links(t, flows).empty  # 25 payers > max_beneficiary_payers
    loose = LinkSettings(max_beneficiary_payers=30)
    assert len(beneficiary_links(t, flows, settings=loose)) == 25 * 24 // 2


def _sweeps(payer: str, payees: dict[str, float], days: int = 60) -> list[tuple]:
    """Takings of 1,000 a day credited to ``payer``, passed on every day in the given shares."""
    rows = []
    for day in pd.date_range("2025-01-01", periods=days, freq="D", tz="UTC"):
        rows.append((payer, day, 1000.0, "credit", "p2p", None))
        for payee, share in payees.items():
            rows.append((payer, day, 1000.0 * share, "debit", "p2p", payee))
            rows.append((payee, day, 1000.0 * share, "credit", "p2p", payer))
        rows.append((payer, day, 1000.0 * (1 - sum(payees.values())), "debit", "card", None))
    return rows


def test_victims_splitting_sweeps_between_two_collectors_are_feeders() -> None:
    # each victim passes 35% of its takings to the controller and 35% to a second collector:
    # neither flow alone is a feeder flow (40%), together they are
    rows = []
    for v in ("v1", "v2", "v3"):
        rows += _sweeps(v, {"ctrl": 0.35, "bottom": 0.35})
    rows += _sweeps("friend", {"ctrl": 0.25})  # one regular flow is not a split feeder
    txn = pd.DataFrame(
        rows,
        columns=["account_id", "timestamp", "amount", "direction", "channel", "counterparty_id"],
    )
    empty = pd.DataFrame(columns=["account_id", "kind", "value"])
    net = build_network(txn, identifiers=empty).networks.set_index("account_id")
    ring = ["bottom", "ctrl", "v1", "v2", "v3"]
    assert net.loc[ring, "network_id"].nunique() == 1
    assert net.loc["friend", "network_id"] != net.loc["ctrl", "network_id"]
    assert set(net.loc[["v1", "v2", "v3"], "role"]) == {"victim"}


def test_suspicious_accounts_clustering_on_a_common_address_are_tied() -> None:
    # 20 accounts at one address (weight 1/19 per pair: too common to link anyone)
    holders = [f"h{i:02d}" for i in range(20)]
    ids = pd.DataFrame({"account_id": holders, "kind": "address", "value": "9 tower rd"})
    txn = pd.DataFrame(
        {
            "account_id": holders,
            "amount": 10.0,
            "direction": "debit",
            "channel": "card",
            "counterparty_id": pd.array([None] * 20, dtype="string"),
            "timestamp": pd.to_datetime(["2025-01-01"] * 20, utc=True),
        }
    )

    def sizes(flagged: list[str]) -> pd.Series:
        suspicion = pd.Series(0.9, index=flagged) if flagged else None
        result = build_network(txn, identifiers=ids, suspicion=suspicion)
        assert set(result.links["kind"]) == {"address"}  # the tie is not an output link
        return result.networks.set_index("account_id")["network_size"]

    assert sizes([]).max() == 1
    assert sizes(holders[:2]).max() == 1  # two flagged residents of a big building: chance
    six = sizes(holders[:6])
    assert six.loc[holders[:6]].eq(6).all() and six.loc[holders[6:]].eq(1).all()
    assert sizes(holders[:12]).max() == 1  # a dozen flagged residents: a hub (a shelter)


def test_build_networks_splits_a_chain_instead_of_a_giant() -> None:
    ids = [f"c{i:03d}" for i in range(200)]
    weights = np.where(np.arange(199) % 4 == 0, 0.9, 0.6)
    links = pd.DataFrame({"account_a": ids[:-1], "account_b": ids[1:], "weight": weights})
    net = build_networks(links, pd.Series(ids), threshold=0.5, max_network_size=10)
    assert net["network_size"].max() <= 10


# --- determinism -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_bank() -> dict:
    b = generate(SynthConfig(n_accounts=400, months=2, seed=5, prevalence=0.05))
    ids = account_identifiers(b.accounts, b.transactions)
    return {"bank": b, "ids": ids, "result": build_network(b.transactions, b.accounts, ids)}


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_output_does_not_depend_on_row_order(small_bank: dict, seed: int) -> None:
    b = small_bank["bank"]
    rng = np.random.default_rng(seed)

    def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    again = build_network(
        shuffled(b.transactions), shuffled(b.accounts), shuffled(small_bank["ids"])
    )
    pd.testing.assert_frame_equal(again.networks, small_bank["result"].networks)
    pd.testing.assert_frame_equal(again.links, small_bank["result"].links)


def test_same_input_gives_byte_identical_parquet(small_bank: dict, tmp_path) -> None:  # noqa: ANN001
    b = small_bank["bank"]
    again = build_network(b.transactions, b.accounts, small_bank["ids"])
    for name in ("networks", "links"):
        getattr(small_bank["result"], name).to_parquet(tmp_path / f"a_{name}.parquet")
        getattr(again, name).to_parquet(tmp_path / f"b_{name}.parquet")
        first = (tmp_path / f"a_{name}.parquet").read_bytes()
        assert first == (tmp_path / f"b_{name}.parquet").read_bytes()


@pytest.mark.skipif(
    importlib.util.find_spec("fintrak.identifiers") is None,
    reason="fintrak.identifiers not written yet",
)
def test_default_identifiers_come_from_the_normaliser(small_bank: dict) -> None:
    b = small_bank["bank"]
    result = build_network(b.transactions, b.accounts)
    assert result.notes["identifiers"] == "fintrak.identifiers"
    assert result.networks["account_id"].is_unique
