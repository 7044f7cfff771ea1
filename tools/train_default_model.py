"""Train the model shipped in ``models/default`` from synthetic banks (reproducible).

Usage: python tools/train_default_model.py [--out models/default]

Training data: several synthetic banks drawn with different regions, currencies, prevalences, ring
sizes and look-alike mixes, so that the model does not learn one configuration's quirks, and with
different optional data (observations, device logs, intelligence) present. The
class-balance strategy and the alert threshold are chosen on a held-out bank drawn with another
configuration (region, seed and mix the training banks never used).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from fintrak.scoring.model import save_model
from fintrak.synth import SynthConfig, generate
from fintrak.training import LabelledData, train_model

TRAIN_CONFIGS = [
    SynthConfig(n_accounts=8000, months=6, seed=101, region="us", prevalence=0.02),
    SynthConfig(
        n_accounts=6000,
        months=6,
        seed=102,
        region="au",
        prevalence=0.015,
        sex_ring_victims=(1, 5),
        hard_negative_share=0.2,
    ),
    SynthConfig(
        n_accounts=6000,
        months=5,
        seed=103,
        region="gb",
        prevalence=0.03,
        labour_ring_workers=(3, 12),
        smuggling_ring_senders=(2, 8),
    ),
]
VALIDATION_CONFIG = SynthConfig(
    n_accounts=8000, months=6, seed=202, region="ca", prevalence=0.015, hard_negative_share=0.25
)


#: Optional data each bank keeps. Banks differ in what their extracts hold (few have staff
#: observations or device logs; some have no intelligence feed), so the training banks do too: the
#: model learns to rank without them instead of relying on inputs a bank may not send.
OPTIONAL_DATA = [
    {"observations", "devices", "intel"},
    {"intel"},
    set(),
]
VALIDATION_DATA = {"intel"}


def _data(config: SynthConfig, prefix: str, keep: set[str]) -> LabelledData:
    bank = generate(config)
    transactions = bank.transactions
    if "devices" not in keep:
        transactions = transactions.drop(columns=["device_id", "ip"])
    tables = {
        "transactions": transactions,
        "accounts": bank.accounts,
        "intel": bank.intel if "intel" in keep else None,
        "observations": bank.observations if "observations" in keep else None,
    }
    data = LabelledData.from_tables(tables, bank.labels)
    # accounts of different banks must not collide when stacked
    data.features.index = prefix + data.features.index.astype(str)
    data.labels.index = prefix + data.labels.index.astype(str)
    data.groups = [f"{prefix}{g}" for g in data.groups]
    if data.segments is not None:
        data.segments.index = prefix + data.segments.index.astype(str)
    return data


def _stack(parts: list[LabelledData]) -> LabelledData:
    import numpy as np

    return LabelledData(
        features=pd.concat([p.features for p in parts]),
        y=np.concatenate([p.y for p in parts]),
        groups=np.concatenate([np.asarray(p.groups) for p in parts]),
        labels=pd.concat([p.labels for p in parts]),
        feature_result=parts[0].feature_result,
        segments=pd.concat([p.segments for p in parts if p.segments is not None]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/default")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train = _stack(
        [
            _data(c, f"b{i}-", keep)
            for i, (c, keep) in enumerate(zip(TRAIN_CONFIGS, OPTIONAL_DATA, strict=True))
        ]
    )
    validation = _data(VALIDATION_CONFIG, "v-", VALIDATION_DATA)
    description = {
        "source": "fintrak synthetic banks (tools/train_default_model.py)",
        "train_configs": [c.model_dump(mode="json") for c in TRAIN_CONFIGS],
        "validation_config": VALIDATION_CONFIG.model_dump(mode="json"),
        "optional_data_kept": [sorted(k) for k in OPTIONAL_DATA],
        "validation_optional_data_kept": sorted(VALIDATION_DATA),
    }
    bundle = train_model(train, seed=args.seed, validation=validation, description=description)
    save_model(bundle, Path(args.out))
    card = bundle.card
    print(f"model {bundle.version} -> {args.out}")
    print("class balance:", card["class_balance"])
    print("held-out metrics:", card["metrics_held_out"])


if __name__ == "__main__":
    main()
