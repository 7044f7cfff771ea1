"""Properties every per-account feature must have, on small generated canonical tables.

(a) The order of the input rows does not matter.
(b) Adding another account's rows does not change an account's features (population features,
    ``level == "population"``, compare accounts with each other and are excluded).
(c) Rows after ``as_of`` change nothing (house style, habit 2) - nor do intelligence records first
    seen after it.
(d) A currency rescale (every amount x 100, same currency) leaves amount-free features unchanged
    and multiplies amount sums by 100; see :func:`rescale_class` for the classification.

Each property runs with ``lookback_days=0`` (the current window only) and with the default
180-day look-back (the worst 30-day window is kept). Tables are built directly in canonical dtypes
(as :func:`fintrak.validation.validate` would produce them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from fintrak.features import CALCULATORS, FEATURES
from fintrak.features.builder import build_features, load_library
from fintrak.schema import ACCOUNTS, INTEL, TRANSACTIONS
from fintrak.validation.table import canonical_dtype

load_library()

AS_OF = pd.Timestamp("2025-06-30T12:00:00Z")
LOOKBACKS = pytest.mark.parametrize("lookback", [0, 180], ids=["current", "lookback180"])
#: Every example costs a few feature builds, so few examples and no shrinking (which can take
#: minutes here); hypothesis still prints the failing example.
PROPERTY = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _level(feature: str) -> str:
    return next(c.level for c in CALCULATORS.values() if feature in c.specs)


def _calculator(feature: str):
    return next(c for c in CALCULATORS.values() if feature in c.specs)


ACCOUNT_FEATURES = [name for name in FEATURES if _level(name) == "account"]

# -- (d) classification ----------------------------------------------------------------------------

#: Features of amount-reading calculators whose value compares an amount with a fixed threshold in
#: the row's currency (small ad fee, P2P service band, cash band and reporting threshold, small
#: wire limit) or with another amount within a tolerance (deposit ~ next 3 days' debits). A
#: currency rescale legitimately changes them, so (d) leaves them out.
AMOUNT_THRESHOLDS = frozenset(
    {
        "ad_small_multiple_share_30d",
        "p2p_service_band_share_30d",
        "cash_deposit_band_share_30d",
        "below_reporting_cash_share_90d",
        "small_wires_out_30d",
        "deposits_cover_debits_days_90d",
    }
)


def rescale_class(feature: str) -> str:
    """How a per-account feature responds when every amount is multiplied by 100.

    - ``"scales"``: ``kind == "amount"`` - sums of amounts over rows chosen by MCC, channel or
      name (ad spend, lodging spend, cash deposited) are multiplied by 100.
    - ``"excluded"``: :data:`AMOUNT_THRESHOLDS` - they compare amounts with thresholds.
    - ``"invariant"``: everything else. A calculator that does not declare ``amount`` in
      ``requires`` cannot read amounts, so all its features (counts, flags, shares of counts) are
      unchanged; the remaining features of amount-reading calculators are counts of rows chosen
      without looking at amounts (ad payments, lodging charges, cash deposits, payroll credits),
      hours between events, or ratios of two amount sums, which a common factor cancels out.
    """
    spec = FEATURES[feature]
    if spec.kind == "amount":
        return "scales"
    if feature in AMOUNT_THRESHOLDS:
        return "excluded"
    return "invariant"


def test_rescale_classification_is_consistent():
    classes = {name: rescale_class(name) for name in ACCOUNT_FEATURES}
    for name in AMOUNT_THRESHOLDS:
        assert name in ACCOUNT_FEATURES
        # only a calculator that reads amounts can depend on an amount threshold
        assert "amount" in _calculator(name).requires, name
    for name, kind in classes.items():
        if kind == "scales":
            assert "amount" in _calculator(name).requires, name
            assert FEATURES[name].unit == "currency units"
    assert sum(k == "invariant" for k in classes.values()) >= 30
    assert sum(k == "scales" for k in classes.values()) >= 2


# -- generated tables -----------------------------------------------------------------------------

ACCOUNT_ROWS = [
    {
        "account_id": "A",
        "customer_id": "c1",
        "account_type": "personal",
        "phone": "+1 312 555 0101",
        "address": "1 Main St",
        "city": "Chicago",
        "country": "US",
        "timezone": "America/Chicago",
        "occupation": "cook",
    },
    {
        "account_id": "B",
        "customer_id": "c2",
        "account_type": "business",
        "phone": "+1 312 555 0102",
        "address": "2 Side St",
        "city": "El Paso",
        "country": "US",
        "timezone": "America/Denver",
        "occupation": "restaurant",
    },
    {
        "account_id": "C",
        "customer_id": "c3",
        "account_type": "personal",
        "phone": "+44 20 7946 0000",
        "address": "3 High St",
        "city": "London",
        "country": "GB",
        "timezone": None,
        "occupation": None,
    },
]
MCCS = [None, 7011, 3600, 4121, 4511, 5814, 5411, 5912, 4814, 6540, 7995, 7297, 7311, 7361, 6011]
CHANNELS = ["card", "card", "atm", "cash", "ach", "wire", "p2p", "p2p", "check", "other"]
COUNTERPARTIES = [
    (None, None),
    ("cp1", "ACME PAYROLL"),
    ("cp2", "BACKPAGE.COM"),
    (None, "Skip The Games"),
    ("cp3", "Joe"),
    (None, "joe "),
    ("cp4", "Manpower Staffing"),
    ("cp5", "MOTEL 6"),
    ("A", "transfer"),
    ("B", "transfer"),
]
CITIES = [None, "Chicago", "El Paso", "Tijuana", "London", "Houston"]
COUNTRIES = [None, "US", "MX", "GT", "GB"]
MEMOS = [None, "rent", "services", "donation", "thanks"]
AMOUNTS = [3.0, 12.0, 24.0, 45.5, 150.0, 480.0, 999.99, 2900.0, 8500.0, 9400.0]

row = st.fixed_dictionaries(
    {
        "account": st.sampled_from("AAAABBC"),
        "minutes": st.integers(0, 230 * 24 * 60),
        "amount": st.one_of(
            st.sampled_from(AMOUNTS), st.integers(1, 500_000).map(lambda c: c / 100)
        ),
        "currency": st.sampled_from(["USD", "USD", "USD", "CAD"]),
        "credit": st.booleans(),
        "channel": st.sampled_from(CHANNELS),
        "mcc": st.sampled_from(MCCS),
        "cp": st.sampled_from(COUNTERPARTIES),
        "city": st.sampled_from(CITIES),
        "country": st.sampled_from(COUNTRIES),
        "memo": st.sampled_from(MEMOS),
    }
)
rows_strategy = st.lists(row, min_size=1, max_size=40)
#: A row of A with every optional column filled (an ordinary grocery purchase at ``as_of``).
ANCHOR = {
    "account": "A",
    "minutes": 0,
    "amount": 23.4,
    "currency": "USD",
    "credit": False,
    "channel": "card",
    "mcc": 5411,
    "cp": ("grocer", "CORNER GROCER"),
    "city": "Chicago",
    "country": "US",
    "memo": "milk",
}


def canonical(frame: pd.DataFrame, table) -> pd.DataFrame:
    """Every canonical column of ``table`` in its canonical dtype (absent ones all null)."""
    out = {}
    for spec in table.columns:
        values = frame[spec.name] if spec.name in frame else pd.Series([None] * len(frame))
        dtype = canonical_dtype(spec)
        if spec.kind == "timestamp":
            out[spec.name] = pd.to_datetime(values, utc=True).astype(dtype)
        else:
            out[spec.name] = pd.Series(list(values), dtype=object).astype(dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def transactions(rows: list[dict], *, prefix: str = "t", after: pd.Timestamp = AS_OF):
    """Canonical transactions: row ``i`` happens ``minutes`` before ``after``."""
    frame = pd.DataFrame(
        {
            "txn_id": [f"{prefix}{i:04d}" for i in range(len(rows))],
            "account_id": [r["account"] for r in rows],
            "timestamp": [after - pd.Timedelta(minutes=r["minutes"]) for r in rows],
            "amount": [float(r["amount"]) for r in rows],
            "currency": [r["currency"] for r in rows],
            "direction": ["credit" if r["credit"] else "debit" for r in rows],
            "channel": [r["channel"] for r in rows],
            "mcc": [r["mcc"] for r in rows],
            "counterparty_id": [r["cp"][0] for r in rows],
            "counterparty_name": [r["cp"][1] for r in rows],
            "city": [r["city"] for r in rows],
            "country": [r["country"] for r in rows],
            "memo": [r["memo"] for r in rows],
        }
    )
    return canonical(frame, TRANSACTIONS)


def accounts() -> pd.DataFrame:
    return canonical(pd.DataFrame(ACCOUNT_ROWS), ACCOUNTS)


def intel(first_seen: pd.Timestamp) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "kind": ["phone", "merchant"],
            "value": ["(312) 555-0101", "backpage.com"],
            "source": ["ngo", "ngo"],
            "first_seen": [first_seen, first_seen],
        }
    )
    return canonical(frame, INTEL)


def features(txn, accts=None, intel_table=None, *, lookback, as_of=AS_OF) -> pd.DataFrame:
    return build_features(txn, accts, intel_table, as_of=as_of, lookback_days=lookback).features


def assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=1e-12)


def test_generated_tables_are_canonical():
    """The helper builds what validation builds: same columns, same dtypes."""
    from fintrak.validation import validate

    rows = [
        {
            "account": "A",
            "minutes": 60,
            "amount": 12.0,
            "currency": "USD",
            "credit": False,
            "channel": "card",
            "mcc": 7011,
            "cp": ("cp5", "MOTEL 6"),
            "city": "Chicago",
            "country": "US",
            "memo": None,
        }
    ]
    mine = transactions(rows)
    theirs = validate(mine.astype({"timestamp": str}), accounts()).tables
    assert list(mine.columns) == list(theirs["transactions"].columns)
    assert mine.dtypes.equals(theirs["transactions"].dtypes)
    assert accounts().dtypes.equals(theirs["accounts"].dtypes)


# -- (a) row order ---------------------------------------------------------------------------------


@LOOKBACKS
@PROPERTY
@given(rows=rows_strategy, seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(lookback, rows, seed):
    rng = np.random.default_rng(seed)
    txn, accts = transactions(rows), accounts()
    shuffled_txn = txn.iloc[rng.permutation(len(txn))].reset_index(drop=True)
    shuffled_accts = accts.iloc[rng.permutation(len(accts))].reset_index(drop=True)
    expected = features(txn, accts, lookback=lookback, as_of=None)  # as of the last row
    actual = features(shuffled_txn, shuffled_accts, lookback=lookback, as_of=None)
    assert_same(actual, expected)


# -- (b) other accounts ----------------------------------------------------------------------------

_CARD = {**ANCHOR, "amount": 3.0, "mcc": None, "cp": (None, None), "city": None}
_CARD = {**_CARD, "country": None, "memo": None}


@pytest.mark.parametrize(
    ("lookback", "anchor_days"),
    [
        (0, 0),
        (180, 0),
        # an anchor older than every generated row sits in every look-back window
        (180, 231),
    ],
    ids=["current", "lookback180", "lookback180-anchored"],
)
@PROPERTY
@example(  # A's only row 30 days back has no MCC; B's row in that window has one
    mine=[{**_CARD, "minutes": 30 * 1440 + 10}],
    others=[{**_CARD, "account": "B", "minutes": 30 * 1440, "mcc": 7011}],
)
@given(mine=rows_strategy, others=rows_strategy)
def test_other_accounts_rows_do_not_change_an_account(lookback, anchor_days, mine, others):
    # A calculator is skipped when a column it requires is null in the *whole* extract (by
    # design), so A's rows fill every optional column once: the skips are the same either way.
    anchor = {**ANCHOR, "minutes": anchor_days * 1440}
    mine = [anchor] + [{**r, "account": "A"} for r in mine]
    others = [{**r, "account": r["account"] if r["account"] != "A" else "B"} for r in others]
    alone = transactions(mine)
    together = pd.concat([alone, transactions(others, prefix="o")], ignore_index=True)
    accts = accounts()
    expected = features(alone, accts, lookback=lookback)[ACCOUNT_FEATURES].loc[["A"]]
    actual = features(together, accts, lookback=lookback)[ACCOUNT_FEATURES].loc[["A"]]
    assert_same(actual, expected)


def test_skips_are_decided_on_the_whole_extract():
    """MCCs present in the last 30 days: no MCC calculator is skipped, whatever older rows lack."""
    recent = {**_CARD, "minutes": 60, "mcc": 7011, "amount": 80.0}
    older = {**_CARD, "minutes": 40 * 1440}
    txn = transactions([recent, older])
    current = build_features(txn, accounts(), as_of=AS_OF, lookback_days=0)
    assert "lodging_charges" not in current.skipped
    assert current.features.loc["A", "lodging_charges_30d"] == 1.0
    result = build_features(txn, accounts(), as_of=AS_OF)
    assert "lodging_charges" not in result.skipped, result.skipped.get("lodging_charges")
    assert result.skipped == current.skipped


# -- (c) the future --------------------------------------------------------------------------------


@LOOKBACKS
@PROPERTY
@given(past=rows_strategy, future=rows_strategy)
def test_rows_after_as_of_change_nothing(lookback, past, future):
    txn = transactions(past)
    # the future rows happen between one minute and 230 days after as_of
    later = transactions(
        [{**r, "minutes": r["minutes"] + 1} for r in future],
        prefix="f",
        after=AS_OF + pd.Timedelta(days=231),
    )
    assert (later["timestamp"] > AS_OF).all()
    accts = accounts()
    known = intel(AS_OF - pd.Timedelta(days=400))
    unseen = intel(AS_OF + pd.Timedelta(days=1))
    expected = features(txn, accts, known, lookback=lookback)
    with_future = pd.concat([txn, later], ignore_index=True)
    actual = features(with_future, accts, pd.concat([known, unseen]), lookback=lookback)
    assert_same(actual, expected)
    # an as_of given as a date means the end of that day: nothing after it is read either
    day = AS_OF.strftime("%Y-%m-%d")
    end_of_day = AS_OF.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    expected = features(txn, accts, lookback=lookback, as_of=end_of_day)
    actual = features(with_future, accts, lookback=lookback, as_of=day)
    assert_same(actual, expected)


# -- (d) currency rescale --------------------------------------------------------------------------


@LOOKBACKS
@PROPERTY
@given(rows=rows_strategy)
def test_currency_rescale(lookback, rows):
    txn, accts = transactions(rows), accounts()
    rescaled = txn.assign(amount=txn["amount"] * 100)
    before = features(txn, accts, lookback=lookback)
    after = features(rescaled, accts, lookback=lookback)
    invariant = [n for n in ACCOUNT_FEATURES if rescale_class(n) == "invariant"]
    scales = [n for n in ACCOUNT_FEATURES if rescale_class(n) == "scales"]
    assert_same(after[invariant], before[invariant])
    assert_same(after[scales], before[scales] * 100)
