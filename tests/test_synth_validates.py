"""The synthetic bank is valid canonical input: the validator rejects and nulls nothing."""

from __future__ import annotations

import pytest

from fintrak.synth import SynthConfig, generate, write_bank
from fintrak.validation import validate


@pytest.mark.parametrize("region", ["us", "ca", "au", "gb"])
def test_validator_accepts_every_synthetic_row(region):
    bank = generate(SynthConfig(n_accounts=400, months=2, seed=11, region=region))
    result = validate(
        bank.transactions, bank.accounts, bank.intel, bank.labels, observations=bank.observations
    )
    manifest = result.manifest
    assert manifest["rows_rejected"] == 0, manifest["rejects_by_reason"]
    assert manifest["fields_nulled"] == 0, manifest["warnings_by_reason"]
    assert manifest["cross_checks"]["accounts_in_transactions_without_kyc_row"] == 0
    assert len(result.tables["transactions"]) == len(bank.transactions)
    # every canonical column of the synthetic bank is populated somewhere
    for name in result.tables:
        assert manifest["tables"][name]["columns_absent"] == []
        assert manifest["tables"][name]["columns_all_null"] == [], name


def test_written_bank_validates_from_files(tmp_path):
    bank = generate(SynthConfig(n_accounts=300, months=1, seed=5))
    paths = write_bank(bank, tmp_path / "bank")
    result = validate(
        paths["transactions"],
        paths["accounts"],
        paths["intel"],
        paths["labels"],
        observations=paths["observations"],
    )
    assert result.manifest["rows_rejected"] == 0
    assert result.manifest["rows_read"] == sum(
        len(t)
        for t in (bank.transactions, bank.accounts, bank.intel, bank.labels, bank.observations)
    )
    # labels carry extra evaluation columns (segment) that validation ignores
    assert "segment" in result.manifest["tables"]["labels"]["columns_ignored"]
