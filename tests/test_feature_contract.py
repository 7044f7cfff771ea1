"""Contract over every registered feature and calculator (house style, habit 8).

One parametrised test per registered feature checks its metadata (name, description, reason
template, typologies, catalogue references, unit, window, kind); one per calculator checks what it
declares it reads (``requires``) and what it returns on a small synthetic bank: a frame indexed by
``account_id`` with one row per account (including an account known only from ``accounts`` and one
known only from ``transactions``), exactly its registered columns, counts and flags never NaN,
flags 0/1 and shares within [0, 1].
"""

from __future__ import annotations

import math
import re
import string

import numpy as np
import pandas as pd
import pytest

from fintrak.features import CALCULATORS, FEATURES, FeatureContext
from fintrak.features._registry import TYPOLOGIES
from fintrak.features.builder import build_features, load_library
from fintrak.reference import load_catalogue
from fintrak.schema import ACCOUNTS, INTEL, OBSERVATIONS, TRANSACTIONS
from fintrak.synth import SynthConfig, generate
from fintrak.validation import validate

load_library()

FEATURE_NAMES = sorted(FEATURES)
CALCULATOR_NAMES = sorted(CALCULATORS)
KINDS = {"count", "share", "amount", "ratio", "flag", "hours", "days", "score"}
NEVER_NAN = {"count", "flag"}
COUNTS_AND_FLAGS = [n for n in FEATURE_NAMES if FEATURES[n].kind in NEVER_NAN]
SHARES = [n for n in FEATURE_NAMES if FEATURES[n].kind == "share"]
ACCOUNT_CALCULATORS = [n for n in CALCULATOR_NAMES if CALCULATORS[n].level == "account"]
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Accounts added to the synthetic bank to check that every account gets a row.
ONLY_IN_ACCOUNTS = "zz-accounts-only"
ONLY_IN_TRANSACTIONS = "zz-transactions-only"


def calculator_of(feature: str):
    (calc,) = [c for c in CALCULATORS.values() if feature in c.specs]
    return calc


def reason_fields(template: str) -> dict[str, str]:
    """Field name -> format spec of every replacement field in a reason template."""
    return {
        name: spec or ""
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    }


def test_registry_is_not_empty():
    assert len(FEATURE_NAMES) >= 50
    assert {c.level for c in CALCULATORS.values()} == {"account", "population"}
    every_spec = [name for calc in CALCULATORS.values() for name in calc.specs]
    assert sorted(every_spec) == FEATURE_NAMES  # each feature belongs to exactly one calculator


# -- metadata of every feature ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_name(name):
    assert NAME.match(name), name
    assert FEATURES[name].name == name


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_description_and_kind(name):
    spec = FEATURES[name]
    assert spec.description.strip(), "description is empty"
    assert spec.description.strip()[-1] in ".)", "description should be a sentence"
    assert spec.kind in KINDS
    assert spec.unit.strip(), "unit is empty"
    assert isinstance(spec.higher_is_riskier, bool)
    if spec.kind == "share":
        assert "share" in spec.unit
    if spec.kind == "amount":
        assert "currency" in spec.unit


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_reason_template_renders(name):
    spec = FEATURES[name]
    fields = reason_fields(spec.reason)
    assert "value" in fields, "the reason must show the value"
    assert set(fields) <= {"value", "peer"}, f"unknown fields {set(fields) - {'value', 'peer'}}"
    for value, peer in ((3.0, 1.0), (0.25, 0.0), (0.0, float("nan")), (1234.5, 12.0)):
        text = spec.explain(value, peer)
        assert "{" not in text and "}" not in text, text
        assert format(value, fields["value"]) in text
        if "peer" in fields:
            expected = "n/a" if math.isnan(peer) else format(peer, fields["peer"])
            assert expected in text
    assert spec.explain(2.0) == spec.explain(2.0, None)


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_typologies(name):
    spec = FEATURES[name]
    assert spec.typologies, "a feature must serve at least one typology"
    assert set(spec.typologies) <= set(TYPOLOGIES)
    assert len(set(spec.typologies)) == len(spec.typologies)


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_refs_resolve(name):
    catalogue = load_catalogue()
    refs = FEATURES[name].refs
    assert [r for r in refs if not catalogue.resolves(r)] == []
    assert any(r in catalogue.indicators for r in refs), "no catalogue row id (e.g. B1)"
    assert any(r in catalogue.sources for r in refs), "no source key (e.g. F20)"


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_window_parses(name):
    window = FEATURES[name].window
    if window is None:
        return
    length = pd.Timedelta(window)
    assert pd.Timedelta(0) < length <= pd.Timedelta(days=366)
    suffix = re.search(r"_(\d+)([dh])$", name)
    if suffix:  # a window in the name must agree with the metadata
        number, unit = int(suffix.group(1)), suffix.group(2)
        assert length == pd.Timedelta(days=number) or (
            unit == "h" and length >= pd.Timedelta(hours=number)
        )


# -- what every calculator declares it reads ------------------------------------------------------


@pytest.fixture(scope="module")
def bank():
    """A small synthetic bank plus one account only in ``accounts`` and one only in transactions."""
    raw = generate(SynthConfig(n_accounts=300, months=2, seed=11, prevalence=0.05))
    transactions = raw.transactions.copy()
    extra = transactions.iloc[:5].copy()
    extra["account_id"] = ONLY_IN_TRANSACTIONS
    extra["txn_id"] = [f"extra-{i}" for i in range(len(extra))]
    accounts = raw.accounts.copy()
    lonely = accounts.iloc[:1].copy()
    lonely["account_id"] = ONLY_IN_ACCOUNTS
    lonely["customer_id"] = "C-lonely"
    result = validate(
        pd.concat([transactions, extra], ignore_index=True),
        pd.concat([accounts, lonely], ignore_index=True),
        raw.intel,
        observations=raw.observations,
    )
    assert result.rejects.empty
    return result.tables


@pytest.fixture(scope="module")
def context(bank):
    return FeatureContext.build(
        bank["transactions"], bank["accounts"], bank["intel"], observations=bank["observations"]
    )


@pytest.fixture(scope="module")
def account_features(context):
    result = build_features(context, lookback_days=0)
    account_level = [n for n in result.features if calculator_of(n).level == "account"]
    return result.features[account_level]


@pytest.fixture(scope="module")
def outputs(context, account_features):
    """Each calculator's raw output (before the builder reindexes and fills anything)."""
    out = {}
    for name, calc in CALCULATORS.items():
        if calc.level == "account":
            out[name] = calc.func(context)
        else:
            out[name] = calc.func(context, account_features)
    return out


@pytest.fixture(scope="module")
def built(bank):
    return build_features(
        bank["transactions"], bank["accounts"], bank["intel"], observations=bank["observations"]
    )


def test_context_has_both_extra_accounts(context):
    assert ONLY_IN_ACCOUNTS in context.account_ids
    assert ONLY_IN_TRANSACTIONS in context.account_ids


@pytest.mark.parametrize("name", CALCULATOR_NAMES)
def test_requires_names_known_columns(name, context):
    derived = set(context.transactions.columns) - set(TRANSACTIONS.names)
    calc = CALCULATORS[name]
    assert calc.requires, "a calculator must declare what it reads"
    for requirement in calc.requires:
        table, _, column = requirement.rpartition(".")
        if table == "accounts":
            assert column in ACCOUNTS.names, requirement
        elif table == "intel":
            assert column in INTEL.names, requirement
        elif table == "observations":
            assert column in OBSERVATIONS.names, requirement
        else:
            assert table == "", f"unknown table in {requirement!r}"
            assert column in TRANSACTIONS.names or column in derived, requirement


@pytest.mark.parametrize("name", CALCULATOR_NAMES)
def test_calculator_level_and_module(name):
    calc = CALCULATORS[name]
    assert calc.level in ("account", "population")
    assert calc.module.startswith("fintrak.features.")
    assert calc.specs


# -- what every calculator returns ----------------------------------------------------------------


@pytest.mark.parametrize("name", CALCULATOR_NAMES)
def test_output_is_indexed_by_account_and_covers_every_account(name, outputs, context):
    out = outputs[name]
    assert isinstance(out, pd.DataFrame)
    assert out.index.name == "account_id"
    assert out.index.is_unique
    assert sorted(out.index) == sorted(context.account_ids)
    assert sorted(out.columns) == sorted(CALCULATORS[name].specs)
    for column in out:
        assert pd.api.types.is_numeric_dtype(out[column]), column


@pytest.mark.parametrize("name", COUNTS_AND_FLAGS)
def test_counts_and_flags_never_nan(name, outputs):
    spec = FEATURES[name]
    values = outputs[calculator_of(name).name][name]
    assert not values.isna().any(), values[values.isna()].index[:5].tolist()
    assert (values >= 0).all()
    if spec.kind == "flag":
        assert set(values.unique()) <= {0.0, 1.0}
    else:
        assert np.allclose(values, np.round(values)), "a count is a whole number"


@pytest.mark.parametrize("name", SHARES)
def test_shares_within_unit_interval(name, outputs):
    values = outputs[calculator_of(name).name][name].dropna()
    assert values.between(0.0, 1.0).all(), values[~values.between(0.0, 1.0)].head().to_dict()


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_built_feature_respects_its_kind(name, built):
    """The same rules hold after the builder's 180-day look-back (worst window kept)."""
    result = built
    values = result.features[name]
    spec = FEATURES[name]
    assert values.index.equals(result.features.index)
    if spec.kind in NEVER_NAN:
        assert not values.isna().any()
    if spec.kind == "share":
        assert values.dropna().between(0.0, 1.0).all()
    if spec.kind in ("amount", "hours", "days"):
        assert (values.dropna() >= 0).all()


@pytest.mark.parametrize("name", ACCOUNT_CALCULATORS)
def test_account_without_transactions_gets_neutral_values(name, outputs):
    """An account with no transactions has nothing to count: 0 for counts, NaN for shares."""
    calc = CALCULATORS[name]
    row = outputs[name].loc[ONLY_IN_ACCOUNTS]
    for feature, spec in calc.specs.items():
        if spec.kind in NEVER_NAN:
            assert row[feature] == 0.0, feature
        elif spec.kind in ("share", "ratio", "hours"):
            assert math.isnan(row[feature]), feature
