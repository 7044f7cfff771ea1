"""Measure how the typology rules rank on synthetic banks (the measurement behind their bands).

Usage::

    python tools/calibrate_rules.py                       # the tuning banks (seeds 11 and 12)
    python tools/calibrate_rules.py --set report          # the report-only banks (seeds 13, 14)
    python tools/calibrate_rules.py --typologies path/to/typologies --cache /tmp/fintrak_calib

For every bank it prints:

- average precision (AP) of ``rule_score`` overall, and of each typology's own score against the
  accounts of that typology (negatives: every account outside any trafficking typology);
- recall at review and at alert per typology;
- the firing rate of every indicator band among ``ordinary`` accounts and in each hard-negative
  group (and among the typology's own accounts), worst first;
- per hard-negative group: mean ``rule_score``, review rate and alert rate (false positives).

Feature frames are cached as Parquet (``--cache``), keyed by the bank's configuration, so changing
a typology YAML and re-running takes seconds. Tune on the ``tune`` set; only *report* the
``report`` set, so that the numbers quoted for the report set were never used to choose a band.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from fintrak.features.builder import build_features
from fintrak.scoring.rules import RuleScorer
from fintrak.synth import SynthConfig, generate

BANKS: dict[str, list[SynthConfig]] = {
    "tune": [
        SynthConfig(n_accounts=6000, months=6, seed=11, region="us", prevalence=0.03),
        SynthConfig(n_accounts=6000, months=6, seed=12, region="gb", prevalence=0.03),
    ],
    "report": [
        SynthConfig(n_accounts=6000, months=6, seed=13, region="au", prevalence=0.01),
        SynthConfig(n_accounts=6000, months=6, seed=14, region="ca", hard_negative_share=0.3),
    ],
}


def bank_name(cfg: SynthConfig) -> str:
    """A short readable name plus a hash of the whole configuration."""
    digest = hashlib.sha1(cfg.model_dump_json().encode()).hexdigest()[:8]
    return f"{cfg.region}-s{cfg.seed}-n{cfg.n_accounts}-{digest}"


def load_bank(cfg: SynthConfig, cache: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(features, labels)`` for one synthetic bank, from the cache when present."""
    cache.mkdir(parents=True, exist_ok=True)
    name = bank_name(cfg)
    f_path, l_path = cache / f"{name}.features.parquet", cache / f"{name}.labels.parquet"
    if f_path.exists() and l_path.exists():
        return pd.read_parquet(f_path), _plain(pd.read_parquet(l_path))
    bank = generate(cfg)
    features = build_features(bank.transactions, bank.accounts, bank.intel).features
    labels = bank.labels.set_index("account_id")[["typology", "role", "segment"]]
    labels = labels.reindex(features.index)
    features.to_parquet(f_path)
    labels.to_parquet(l_path)
    return features, _plain(labels)


def _plain(labels: pd.DataFrame) -> pd.DataFrame:
    """Object columns with ``None`` for missing (Parquet gives nullable string columns)."""
    labels = labels.astype(object)
    return labels.where(labels.notna(), None)


def group_of(labels: pd.DataFrame) -> pd.Series:
    """``ordinary``, a hard-negative group name, or ``TP:<typology>`` for trafficking accounts."""
    group = labels["segment"].astype(object).fillna("ordinary")
    is_tp = labels["typology"].notna()
    return group.where(~is_tp, "TP:" + labels["typology"].astype(str))


def evaluate(features: pd.DataFrame, labels: pd.DataFrame, scorer: RuleScorer) -> dict:
    """Score one bank and return the tables printed by :func:`report`."""
    result = scorer.score(features)
    acc = result.accounts
    group = group_of(labels).reindex(acc.index)
    is_tp = labels["typology"].reindex(acc.index).notna()
    benign = ~is_tp
    ids = [t.id for t in scorer.typologies_]

    rows = [{"typology": "(any)", "n_pos": int(is_tp.sum()), "ap": _ap(is_tp, acc["rule_score"])}]
    for t in scorer.typologies_:
        pos = labels["typology"].reindex(acc.index) == t.id
        keep = pos | benign
        pts = result.points[t.id]
        rows.append(
            {
                "typology": t.id,
                "n_pos": int(pos.sum()),
                "ap": _ap(pos[keep], pts[keep]),
                "recall_review": float((pts[pos] >= t.thresholds.review).mean()),
                "recall_alert": float((pts[pos] >= t.thresholds.alert).mean()),
                "benign_review": float((pts[benign] >= t.thresholds.review).mean()),
                "benign_alert": float((pts[benign] >= t.thresholds.alert).mean()),
            }
        )
    ap = pd.DataFrame(rows).set_index("typology")

    level = acc["rule_level"].astype(str)
    groups = (
        pd.DataFrame(
            {
                "group": group,
                "score": acc["rule_score"],
                "review+": level.isin(["review", "alert"]),
                "alert": level.eq("alert"),
            }
        )
        .groupby("group")
        .agg(
            n=("score", "size"),
            mean_score=("score", "mean"),
            review_rate=("review+", "mean"),
            alert_rate=("alert", "mean"),
        )
    )

    hits = result.hits
    hit_groups = group.reindex(hits["account_id"]).to_numpy()
    firing = (
        pd.DataFrame(
            {
                "account": hits["account_id"].to_numpy(),
                "indicator": hits["indicator"].to_numpy(),
                "group": hit_groups,
            }
        )
        .drop_duplicates()
        .assign(one=1)
        .groupby(["indicator", "group"])["one"]
        .count()
        .unstack(fill_value=0)
    )
    sizes = group.value_counts()
    firing = firing.div(sizes.reindex(firing.columns), axis=1)
    max_points = {i.id: i.max_points for t in scorer.typologies_ for i in t.indicators}
    firing.insert(0, "max_pts", pd.Series(max_points))
    # firing of the bands worth 10 points or more, among ordinary accounts (target: <= 5%)
    strong = hits[(hits["points"] >= 10).to_numpy() & (hit_groups == "ordinary")]
    n_ordinary = max(int(sizes.get("ordinary", 0)), 1)
    strong_rate = strong.drop_duplicates(["account_id", "indicator"])["indicator"].value_counts()
    firing.insert(1, "ordinary_10pt", strong_rate.reindex(firing.index) / n_ordinary)
    firing = firing.reindex(sorted(max_points)).fillna(0.0)
    return {"ap": ap, "groups": groups, "firing": firing, "typologies": ids}


def _ap(y: pd.Series, s: pd.Series) -> float:
    y = np.asarray(y, bool)
    return float(average_precision_score(y, np.asarray(s, float))) if y.any() else float("nan")


def report(name: str, out: dict, *, top: int) -> None:
    """Print one bank's tables."""
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 40)
    print(f"\n=== {name} ===")
    print(out["ap"].round(3).to_string())
    groups = out["groups"]
    print("\nper group (mean rule_score, share at review or above, share at alert):")
    print(groups.round(3).sort_values("mean_score", ascending=False).to_string())
    firing = out["firing"]
    negatives = [c for c in firing.columns if c != "max_pts" and not str(c).startswith("TP:")]
    worst = firing[negatives].max(axis=1)
    show = firing.assign(worst_negative=worst).sort_values("worst_negative", ascending=False)
    cols = ["max_pts", "ordinary", "ordinary_10pt", "worst_negative"] + [
        c for c in firing.columns if str(c).startswith("TP:")
    ]
    print(f"\nindicator firing rates (top {top} by worst negative group):")
    print(show[[c for c in cols if c in show.columns]].head(top).round(3).to_string())
    over = firing.index[firing["ordinary_10pt"] > 0.05].tolist()
    print(f"\nbands worth >= 10 points firing for > 5% of ordinary accounts: {over or 'none'}")
    hn = [c for c in negatives if c != "ordinary"]
    print("\nindicator firing rates by hard-negative group (rates >= 10% only):")
    wide = firing[hn].where(firing[hn] >= 0.1).dropna(how="all").round(2)
    print(wide.astype(object).where(wide.notna(), "").to_string())


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(BANKS), default="tune")
    parser.add_argument("--typologies", default=None, help="typologies folder (default: shipped)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fintrak_calib"))
    parser.add_argument("--top", type=int, default=25, help="indicator rows to print")
    args = parser.parse_args(argv)
    scorer = RuleScorer(args.typologies).fit()
    for cfg in BANKS[args.set]:
        features, labels = load_bank(cfg, args.cache)
        report(bank_name(cfg), evaluate(features, labels, scorer), top=args.top)


if __name__ == "__main__":
    main()
