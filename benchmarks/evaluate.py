"""Evaluate the shipped model on a synthetic bank drawn with a configuration it never saw.

Run: ``python benchmarks/evaluate.py [--seed 9001] [--region au] [--accounts 8000] [--months 6]
[--prevalence 0.01] [--hard-negative-share 0.2] [--model DIR] [--repeat N] [--out results.json]``

What it does
------------
1. Draws a synthetic bank (``fintrak.synth``) whose configuration differs from every bank the
   shipped model was trained on (seeds 101-103, regions us/au/gb) or validated on (seed 202, ca):
   another seed, other ring sizes and an uneven hard-negative mix (``--training-mix`` switches the
   last two back to the generator's defaults). All four regions were used by the shipped model
   (ca only to pick the class balance and the alert threshold), so the region alone cannot be new;
   the report lists which settings the model has and has not seen.
2. Writes it as Parquet to a temporary folder and scores it **through the command line**
   (``fintrak score --transactions ... --accounts ... --intel ... --out ...``) in a child process,
   so the numbers -- and the wall time, start-up and imports included -- are those of exactly what
   a bank would run.
3. Joins the scores with the labels and reports, for ``rule_score``, ``model_score`` and ``score``
   (the combined ranking):

   * average precision (scikit-learn), overall and per typology (that typology's accounts as
     positives, non-trafficking accounts as negatives, the other typologies left out);
   * precision and recall among the top *budget* accounts, overall, per typology and per role.
     The budget is **2 x the number of trafficking accounts**: a review team can look at a fixed
     number of accounts, and twice the true count is a generous but realistic list -- a ranking
     that puts every trafficking account in it has recall 1 and precision 0.5;
   * the false-positive rate of each **hard-negative group** -- legitimate look-alikes such as
     night-shift workers, travelling staff, adult creators or remitters, each resembling
     trafficking on one or two indicators -- and of ordinary customers: the share of the group's
     accounts in the top budget, and the share with ``alert == True`` (the model's threshold on
     the combined score). These say which legitimate customers the bank's investigators would be
     sent to, and why a low false-positive rate on ordinary customers alone is not enough.

``--repeat N`` evaluates seeds ``seed, seed+1, ..., seed+N-1`` and prints the median and range of
each headline number: one synthetic bank is a small sample (80 positive accounts at the defaults)
and the machine's timings are noisy. Everything but the timings is deterministic for a given seed
and a given state of the code, model and rule files; the JSON records the fintrak and model
versions, the git commit (and uncommitted files) and a fingerprint of the typology rule files, and
the report warns when the rule files changed while a run was scoring.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

import fintrak
from fintrak.synth import HARD_NEGATIVE_GROUPS, TYPOLOGIES, SynthConfig, generate, write_bank
from fintrak.training import metrics_at_budget

SCORE_COLUMNS = ("rule_score", "model_score", "score")
SCORE_NAMES = {"rule_score": "rules", "model_score": "model", "score": "combined"}

#: Ring sizes none of the shipped model's training banks used (they used sex (2,8)/(1,5),
#: labour (5,25)/(3,12), funnel (1,4), smuggling (3,12)/(2,8)).
EVAL_RING_SIZES: dict[str, tuple[int, int]] = {
    "sex_ring_victims": (2, 10),
    "labour_ring_workers": (6, 30),
    "funnel_ring_size": (2, 6),
    "smuggling_ring_senders": (2, 15),
}
#: Uneven look-alike mix (training used equal weights): more of the groups that resemble
#: trafficking on the strongest indicators (night activity, travel, adult services, cash, wires).
EVAL_HARD_NEGATIVE_MIX: dict[str, float] = {
    "night_shift": 2.0,
    "travelling_staff": 2.0,
    "long_haul_driver": 1.0,
    "gig_worker": 1.0,
    "hairdresser": 1.0,
    "adult_creator": 2.0,
    "landlord": 1.0,
    "remitter": 2.0,
    "cash_business": 2.0,
    "seasonal_worker": 1.0,
    "salon_spa": 2.0,
    "event_traveller": 1.5,
}
CLI = "from fintrak.cli import main; main()"


# --------------------------------------------------------------------------- configuration


def make_config(args: argparse.Namespace, seed: int) -> SynthConfig:
    """The evaluation bank's configuration for one seed."""
    options: dict[str, Any] = {
        "n_accounts": args.accounts,
        "months": args.months,
        "seed": seed,
        "region": args.region,
        "prevalence": args.prevalence,
        "hard_negative_share": args.hard_negative_share,
    }
    if not args.training_mix:
        options |= EVAL_RING_SIZES | {"hard_negative_mix": EVAL_HARD_NEGATIVE_MIX}
    return SynthConfig(**options)


def model_folder(model: str | None) -> Path:
    """The folder of the model that ``fintrak score`` will load."""
    if model is not None:
        return Path(model)
    from fintrak.resources import models_dir

    return models_dir() / "default"


def seen_settings(config: SynthConfig, folder: Path) -> dict[str, Any]:
    """For each setting of ``config``: was that exact value used to train/validate the model?"""
    card_file = folder / "model_card.json"
    if not card_file.is_file():
        return {}
    data = json.loads(card_file.read_text(encoding="utf-8")).get("training", {}).get("data", {})
    train = data.get("train_configs", [])
    valid = [data["validation_config"]] if "validation_config" in data else []
    ours = config.model_dump(mode="json")
    keys = (
        "seed",
        "region",
        "prevalence",
        "hard_negative_share",
        "hard_negative_mix",
        "typology_mix",
        *EVAL_RING_SIZES,
    )
    return {
        k: {
            "value": ours[k],
            "in_training": any(c.get(k) == ours[k] for c in train),
            "in_validation": any(c.get(k) == ours[k] for c in valid),
        }
        for k in keys
    }


# --------------------------------------------------------------------------- provenance


def rules_fingerprint() -> str:
    """SHA-256 of the typology rule files the scorer reads (they may change between runs)."""
    from fintrak.resources import typologies_dir

    digest = hashlib.sha256()
    for path in sorted(typologies_dir().rglob("*.yaml")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def source_state() -> dict[str, Any]:
    """Git commit and uncommitted files of the fintrak checkout, when it is one."""
    root = Path(fintrak.__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return {}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.rstrip("\n")

    dirty = git("status", "--porcelain", "--", "src", "typologies", "models").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "uncommitted": [line[3:] for line in dirty if line]}


# --------------------------------------------------------------------------- scoring


def score_with_cli(
    paths: dict[str, Path], out_dir: Path, model: str | None
) -> tuple[pd.DataFrame, dict, float]:
    """Run ``fintrak score`` in a child process; return scores, manifest and wall seconds."""
    command = [sys.executable, "-c", CLI, "score"]
    for name in ("transactions", "accounts", "intel"):
        command += [f"--{name}", str(paths[name])]
    command += ["--out", str(out_dir), "--quiet"]
    if model is not None:
        command += ["--model", str(model)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"fintrak score failed (exit {done.returncode}): {' '.join(command)}")
    scores = pd.read_parquet(out_dir / "scores.parquet")
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    return scores, manifest, wall


# --------------------------------------------------------------------------- metrics


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> None, numpy scalars -> Python, floats rounded to 4 places."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 4)
    return value


def _ap(y: np.ndarray, s: np.ndarray) -> float:
    if y.sum() == 0 or y.sum() == len(y):
        return float("nan")
    return float(average_precision_score(y, s))


def top_mask(score: np.ndarray, budget: int) -> np.ndarray:
    """Boolean mask of the ``budget`` highest scores (ties: the earlier row, as fintrak does)."""
    order = np.lexsort((np.arange(len(score)), -score))[:budget]
    mask = np.zeros(len(score), dtype=bool)
    mask[order] = True
    return mask


def join_labels(scores: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per labelled account, sorted by account id; unscored accounts score 0."""
    scored = scores.astype({"account_id": "string"}).rename(
        columns={"typology": "predicted_typology"}
    )
    frame = labels.astype({"account_id": "string"}).merge(
        scored, on="account_id", how="left", validate="1:1"
    )
    unscored = int(frame["score"].isna().sum())
    for column in SCORE_COLUMNS:
        frame[column] = frame[column].astype("float64").fillna(0.0)
    frame["alert"] = frame["alert"].astype("boolean").fillna(False).astype(bool)
    frame["is_trafficking"] = frame["is_trafficking"].astype(int)
    for column in ("typology", "role", "segment", "predicted_typology"):
        frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    frame = frame.sort_values("account_id", kind="stable").reset_index(drop=True)
    return frame, unscored


def evaluate(frame: pd.DataFrame) -> dict[str, Any]:
    """Every metric of one scored, labelled bank."""
    y = frame["is_trafficking"].to_numpy()
    positives = int(y.sum())
    budget = 2 * positives
    negative = y == 0
    typologies = [t for t in TYPOLOGIES if (frame["typology"] == t).any()]
    pairs = (
        frame.loc[y == 1, ["typology", "role"]]
        .drop_duplicates()
        .sort_values(["typology", "role"])
        .itertuples(index=False)
    )
    roles = [(t, r) for t, r in pairs]
    groups = [g for g in HARD_NEGATIVE_GROUPS if ((frame["segment"] == g) & negative).any()]
    hard = frame["segment"].isin(HARD_NEGATIVE_GROUPS).to_numpy() & negative
    ordinary = (frame["segment"] == "ordinary").to_numpy() & negative

    result: dict[str, Any] = {
        "accounts": len(frame),
        "positives": positives,
        "budget": budget,
        "counts": {
            "typology": {t: int((frame["typology"] == t).sum()) for t in typologies},
            "role": {
                f"{t}/{r}": int(((frame["typology"] == t) & (frame["role"] == r)).sum())
                for t, r in roles
            },
            "segment": {g: int(((frame["segment"] == g) & negative).sum()) for g in groups}
            | {"ordinary": int(ordinary.sum()), "all_hard_negatives": int(hard.sum())},
        },
        "scores": {},
    }
    for column in SCORE_COLUMNS:
        s = frame[column].to_numpy()
        top = top_mask(s, budget)
        at_budget = metrics_at_budget(y, s, budget)
        per_typology = {}
        for t in typologies:
            is_t = (frame["typology"] == t).to_numpy()
            keep = is_t | negative
            per_typology[t] = {
                "average_precision": _ap(is_t[keep].astype(int), s[keep]),
                "recall_at_budget": float(top[is_t].mean()),
                "in_top_budget": int(top[is_t].sum()),
            }
        per_role = {}
        for t, r in roles:
            is_r = ((frame["typology"] == t) & (frame["role"] == r)).to_numpy()
            per_role[f"{t}/{r}"] = float(top[is_r].mean())
        fpr = {g: float(top[(frame["segment"] == g).to_numpy() & negative].mean()) for g in groups}
        fpr["ordinary"] = float(top[ordinary].mean())
        fpr["all_hard_negatives"] = float(top[hard].mean()) if hard.any() else float("nan")
        result["scores"][SCORE_NAMES[column]] = {
            "average_precision": _ap(y, s),
            "precision_at_budget": at_budget["precision"],
            "recall_at_budget": at_budget["recall"],
            "by_typology": per_typology,
            "recall_at_budget_by_role": per_role,
            "top_budget_share_by_segment": fpr,
        }

    alert = frame["alert"].to_numpy()
    alert_fpr = {
        g: float(alert[(frame["segment"] == g).to_numpy() & negative].mean()) for g in groups
    }
    alert_fpr["ordinary"] = float(alert[ordinary].mean())
    alert_fpr["all_hard_negatives"] = float(alert[hard].mean()) if hard.any() else float("nan")
    hits = int((alert & (y == 1)).sum())
    caught = alert & (y == 1)
    named = (frame["predicted_typology"] == frame["typology"]).to_numpy()
    result["alerts"] = {
        "count": int(alert.sum()),
        "precision": hits / alert.sum() if alert.any() else float("nan"),
        "recall": hits / positives if positives else float("nan"),
        "recall_by_typology": {
            t: float(alert[(frame["typology"] == t).to_numpy()].mean()) for t in typologies
        },
        "share_by_segment": alert_fpr,
        "typology_named_correctly": float(named[caught].mean()) if caught.any() else float("nan"),
    }
    return result


def headline(run: dict[str, Any]) -> dict[str, float]:
    """The numbers summarised over repeats (flat name -> value)."""
    m = run["metrics"]
    out: dict[str, float] = {"positives": m["positives"]}
    for name, s in m["scores"].items():
        out[f"{name} AP"] = s["average_precision"]
        out[f"{name} P@budget"] = s["precision_at_budget"]
        out[f"{name} R@budget"] = s["recall_at_budget"]
    for t, v in m["scores"]["combined"]["by_typology"].items():
        out[f"combined R@budget {t}"] = v["recall_at_budget"]
    seg = m["scores"]["combined"]["top_budget_share_by_segment"]
    out["top-budget share, ordinary"] = seg["ordinary"]
    out["top-budget share, hard negatives"] = seg["all_hard_negatives"]
    out["alerts"] = m["alerts"]["count"]
    out["alert precision"] = m["alerts"]["precision"]
    out["alert recall"] = m["alerts"]["recall"]
    out["alert share, ordinary"] = m["alerts"]["share_by_segment"]["ordinary"]
    out["alert share, hard negatives"] = m["alerts"]["share_by_segment"]["all_hard_negatives"]
    out["scoring wall time (s)"] = run["timing_seconds"]["score_cli"]
    return out


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median, min and max of each headline number over runs (NaNs left out)."""
    rows = [headline(r) for r in runs]
    summary = {}
    for key in rows[0]:
        values = [v for v in (r.get(key, float("nan")) for r in rows) if not math.isnan(v)]
        summary[key] = (
            {"median": statistics.median(values), "min": min(values), "max": max(values)}
            if values
            else {"median": float("nan"), "min": float("nan"), "max": float("nan")}
        )
    return summary


# --------------------------------------------------------------------------- report


def _f(value: float, digits: int = 3) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join("  " + line for line in lines)


def _dirty(files: list[str]) -> str:
    if not files:
        return ""
    folders = sorted({f.split("/")[0] + "/" for f in files})
    return f" + {len(files)} uncommitted file(s) in {', '.join(folders)}"


def report(run: dict[str, Any]) -> str:
    """A compact, readable report of one run."""
    m = run["metrics"]
    cfg = run["config"]
    names = list(m["scores"])
    unseen = [
        k + (" (validation only)" if v["in_validation"] else "")
        for k, v in run["seen_settings"].items()
        if not v["in_training"]
    ]
    lines = [
        f"fintrak {run['versions']['fintrak']}  model {run['versions']['model']}  "
        f"(alert threshold {_f(run['alert_threshold'], 4)})  "
        f"rule files {run['versions']['rules_sha256']}"
        + (
            "  WARNING: the rule files changed during this run"
            if run["rules_changed_during_run"]
            else ""
        ),
        f"source: {run['versions']['source'].get('commit', '?')[:10]}"
        + _dirty(run["versions"]["source"].get("uncommitted", [])),
        f"bank: seed {cfg['seed']}, region {cfg['region']}, {cfg['n_accounts']:,} accounts x "
        f"{cfg['months']} months, prevalence {cfg['prevalence']}, hard-negative share "
        f"{cfg['hard_negative_share']}; {run['transactions']:,} transactions",
        f"settings never used in training: {', '.join(unseen) or 'none'}",
        f"positives {m['positives']}, budget {m['budget']} (2 x positives); "
        f"unscored accounts {run['unscored_accounts']}",
        f"wall time: generate {run['timing_seconds']['generate']:.1f} s, write "
        f"{run['timing_seconds']['write']:.1f} s, fintrak score (CLI) "
        f"{run['timing_seconds']['score_cli']:.1f} s",
        "",
        "Overall",
        _table(
            ["score", "AP", "P@budget", "R@budget"],
            [
                [
                    n,
                    _f(m["scores"][n]["average_precision"]),
                    _f(m["scores"][n]["precision_at_budget"]),
                    _f(m["scores"][n]["recall_at_budget"]),
                ]
                for n in names
            ],
        ),
        f"  alerts (combined >= threshold): {m['alerts']['count']}, precision "
        f"{_f(m['alerts']['precision'])}, recall {_f(m['alerts']['recall'])}; typology named "
        f"correctly on {_f(m['alerts']['typology_named_correctly'])} of the true alerts",
        "",
        "Per typology: AP (typology vs non-trafficking) | recall in top budget | alert recall",
    ]
    typologies = list(m["counts"]["typology"])
    lines.append(
        _table(
            ["typology", "n", *[f"AP {n}" for n in names], *[f"R {n}" for n in names], "alerted"],
            [
                [
                    t,
                    str(m["counts"]["typology"][t]),
                    *[_f(m["scores"][n]["by_typology"][t]["average_precision"]) for n in names],
                    *[_f(m["scores"][n]["by_typology"][t]["recall_at_budget"]) for n in names],
                    _f(m["alerts"]["recall_by_typology"][t]),
                ]
                for t in typologies
            ],
        )
    )
    lines += ["", "Per role: recall in top budget"]
    lines.append(
        _table(
            ["typology/role", "n", *names],
            [
                [
                    key,
                    str(count),
                    *[_f(m["scores"][n]["recall_at_budget_by_role"][key]) for n in names],
                ]
                for key, count in m["counts"]["role"].items()
            ],
        )
    )
    lines += ["", "False positives: share of each legitimate group in the top budget | alerted"]
    lines.append(
        _table(
            ["segment", "n", *names, "alerted"],
            [
                [
                    g,
                    str(count),
                    *[_f(m["scores"][n]["top_budget_share_by_segment"][g]) for n in names],
                    _f(m["alerts"]["share_by_segment"][g]),
                ]
                for g, count in m["counts"]["segment"].items()
            ],
        )
    )
    return "\n".join(lines)


def summary_report(runs: list[dict[str, Any]], summary: dict[str, dict[str, float]]) -> str:
    """Median and range of the headline numbers over repeats."""
    seeds = ", ".join(str(r["config"]["seed"]) for r in runs)
    rules = sorted({r["versions"]["rules_sha256"] for r in runs})
    if len(rules) > 1 or any(r["rules_changed_during_run"] for r in runs):
        seeds += f"; WARNING: rule files changed between runs ({', '.join(rules)})"
    rows = []
    for key, v in summary.items():
        digits = 1 if "time" in key else (0 if key in ("positives", "alerts") else 3)
        rows.append(
            [key, _f(v["median"], digits), f"{_f(v['min'], digits)} - {_f(v['max'], digits)}"]
        )
    return f"Over {len(runs)} banks (seeds {seeds})\n" + _table(["metric", "median", "range"], rows)


# --------------------------------------------------------------------------- main


def run_once(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Generate, write, score through the CLI and evaluate one bank."""
    config = make_config(args, seed)
    timing = {}
    rules_before = rules_fingerprint()
    with tempfile.TemporaryDirectory(prefix="fintrak-eval-") as tmp:
        started = time.perf_counter()
        bank = generate(config)
        timing["generate"] = time.perf_counter() - started
        started = time.perf_counter()
        paths = write_bank(bank, Path(tmp) / "bank")
        timing["write"] = time.perf_counter() - started
        scores, manifest, timing["score_cli"] = score_with_cli(paths, Path(tmp) / "run", args.model)
    rules_after = rules_fingerprint()
    frame, unscored = join_labels(scores, bank.labels)
    scoring = manifest.get("scoring", {})
    return {
        "config": config.model_dump(mode="json"),
        "seen_settings": seen_settings(config, model_folder(args.model)),
        "transactions": len(bank.transactions),
        "unscored_accounts": unscored,
        "versions": {
            "fintrak": fintrak.__version__,
            "model": scoring.get("model_version"),
            "rules_sha256": rules_after,
            "source": source_state(),
        },
        "rules_changed_during_run": rules_before != rules_after,
        "alert_threshold": scoring.get("alert_threshold"),
        "timing_seconds": timing,
        "feature_timings_seconds": scoring.get("feature_timings_seconds", {}),
        "metrics": evaluate(frame),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--region", choices=("us", "ca", "au", "gb"), default="au")
    parser.add_argument("--accounts", type=int, default=8000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--prevalence", type=float, default=0.01)
    parser.add_argument("--hard-negative-share", type=float, default=0.2)
    parser.add_argument(
        "--training-mix",
        action="store_true",
        help="use the generator's default ring sizes and equal hard-negative mix (as in training)",
    )
    parser.add_argument("--model", default=None, help="model folder (default: the shipped model)")
    parser.add_argument("--repeat", type=int, default=1, help="evaluate seeds seed..seed+N-1")
    parser.add_argument("--out", default=None, help="write every number as JSON here")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    runs = []
    for i in range(args.repeat):
        run = run_once(args, args.seed + i)
        runs.append(run)
        print(report(run), end="\n\n", flush=True)
    summary = summarise(runs)
    if args.repeat > 1:
        print(summary_report(runs, summary))
    if args.out:
        payload = {
            "benchmark": "fintrak evaluate (benchmarks/evaluate.py)",
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
            "host": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "runs": runs,
            "summary": summary,
        }
        Path(args.out).write_text(json.dumps(_clean(payload), indent=2) + "\n", encoding="utf-8")
        print(f"results -> {args.out}")


if __name__ == "__main__":
    main()
