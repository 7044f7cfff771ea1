"""Benchmark of the feature library against a floor: read the Parquet and sum amounts per account.

Run: ``python benchmarks/features.py [--rows 1e6 1e7] [--repeats 3] [--lookback-days 0 180]
[--text dictionary|string] [--cache /tmp/fintrak-bench] [--prepare-only] [--out results.json]``

What it does
------------
1. Draws synthetic banks with :func:`fintrak.synth.generate` (6 months; about
   :data:`ROWS_PER_ACCOUNT_MONTH` transactions per account and month, so 10M rows is about 31,000
   accounts) in slices of at most ``--slice-accounts`` accounts, each slice with its own seed and
   its ids prefixed (``s3-``) so accounts stay distinct, and writes the concatenated
   transactions, accounts and intel as Parquet under ``--cache`` once (later runs reuse them).
2. Measures, each run in a fresh child process (so the peak memory of one measurement is not
   inflated by another, and imports are not shared):

   * **floor**: ``pyarrow.parquet.read_table`` of the transactions plus one
     ``group_by("account_id").aggregate([("amount", "sum")])``;
   * **features**: reading the three canonical tables (with ``--text dictionary``, the default,
     the transactions' text columns of :data:`DICTIONARY_COLUMNS` are read as pyarrow
     dictionaries, i.e. pandas categoricals; ``--text string`` reads them as pandas strings) plus
     :func:`fintrak.features.builder.build_features` with the default settings, for each
     ``--lookback-days`` (0 = the current window only; 180 = the default look-back, six windows).
     The synthetic tables are already canonical, so validation is not part of the measurement.

   Every module of ``LIBRARY_MODULES`` is imported.
3. Reports, per size: the median wall time of ``--repeats`` runs (with min and max), rows per
   second, the peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read by the
   child at its end: the whole process, interpreter and imports included) and the ratio of the
   feature wall time to the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Transactions per account and month in the default synthetic bank (measured: 53.8).
ROWS_PER_ACCOUNT_MONTH = 54
MONTHS = 6
#: Text columns read as dictionaries (pandas categoricals) with ``--text dictionary``.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "account_id",
    "currency",
    "direction",
    "channel",
    "counterparty_id",
    "counterparty_name",
    "city",
    "country",
    "memo",
)
_ID_COLUMNS = {
    "transactions": ("txn_id", "account_id", "counterparty_id"),
    "accounts": ("account_id", "customer_id"),
    "intel": (),
}


def _prefix(frame: Any, columns: tuple[str, ...], tag: str) -> Any:
    for column in columns:
        if column in frame.columns:
            values = frame[column]
            frame[column] = values.where(values.isna(), tag + values.astype("string"))
    return frame


def prepare(rows: int, cache: Path, slice_accounts: int) -> Path:
    """Write (once) a synthetic bank of about ``rows`` transactions and return its folder."""
    import pandas as pd

    from fintrak.synth import SynthConfig, generate

    folder = cache / f"rows_{rows}"
    if (folder / "transactions.parquet").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    accounts_total = max(100, round(rows / (ROWS_PER_ACCOUNT_MONTH * MONTHS)))
    parts: dict[str, list[Any]] = {"transactions": [], "accounts": [], "intel": []}
    done, seed = 0, 1000
    while done < accounts_total:
        n = min(slice_accounts, accounts_total - done)
        started = time.perf_counter()
        bank = generate(SynthConfig(n_accounts=n, months=MONTHS, seed=seed))
        tag = f"s{seed - 1000}-"
        for name in parts:
            frame = getattr(bank, name).copy()
            parts[name].append(_prefix(frame, _ID_COLUMNS[name], tag))
        print(
            f"  slice seed={seed}: {n} accounts, {len(bank.transactions):,} rows "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        done += n
        seed += 1
        del bank
    for name, frames in parts.items():
        table = pd.concat(frames, ignore_index=True)
        table.to_parquet(folder / f"{name}.parquet.tmp", index=False)
        os.replace(folder / f"{name}.parquet.tmp", folder / f"{name}.parquet")
    return folder


def _child_floor(folder: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    started = time.perf_counter()
    table = pq.read_table(folder / "transactions.parquet", columns=["account_id", "amount"])
    sums = table.group_by("account_id").aggregate([("amount", "sum")])
    wall = time.perf_counter() - started
    return {"wall": wall, "rows": table.num_rows, "accounts": sums.num_rows}


def _child_features(folder: Path, lookback_days: int, text: str) -> dict[str, Any]:
    import pandas as pd

    from fintrak.features.builder import build_features, load_library

    load_library()
    started = time.perf_counter()
    if text == "dictionary":
        import pyarrow.parquet as pq

        txn = pq.read_table(
            folder / "transactions.parquet", read_dictionary=list(DICTIONARY_COLUMNS)
        ).to_pandas()
    else:
        txn = pd.read_parquet(folder / "transactions.parquet")
    accounts = pd.read_parquet(folder / "accounts.parquet")
    intel = pd.read_parquet(folder / "intel.parquet")
    read = time.perf_counter() - started
    result = build_features(txn, accounts, intel, lookback_days=lookback_days)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "read": read,
        "build": wall - read,
        "rows": len(txn),
        "accounts": len(result.features),
        "features": result.features.shape[1],
        "skipped": sorted(result.skipped),
    }


def _measure(
    kind: str, folder: Path, lookback_days: int, text: str = "dictionary"
) -> dict[str, Any]:
    """Run one measurement in a child process and return what it reports."""
    command = [sys.executable, __file__, "--child", kind, str(folder), str(lookback_days), text]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} measurement failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [r["wall"] for r in runs]
    peaks = [r["peak_rss_mb"] for r in runs]
    out = {k: v for k, v in runs[0].items() if k not in ("wall", "peak_rss_mb", "read", "build")}
    median = statistics.median(walls)
    out.update(
        wall_median_s=round(median, 2),
        wall_min_s=round(min(walls), 2),
        wall_max_s=round(max(walls), 2),
        rows_per_s=round(runs[0]["rows"] / median),
        peak_rss_mb_max=round(max(peaks)),
    )
    if "read" in runs[0]:
        out["read_median_s"] = round(statistics.median(r["read"] for r in runs), 2)
        out["build_median_s"] = round(statistics.median(r["build"] for r in runs), 2)
    return out


def _machine() -> dict[str, Any]:
    import numpy
    import pandas
    import pyarrow

    memory_kb = 0
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
    }


def main() -> None:
    """Parse the options, prepare the data and print (and optionally save) the figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, folder, lookback, text = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        out = _child_floor(folder) if kind == "floor" else _child_features(folder, lookback, text)
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lookback-days", type=int, nargs="+", default=[0, 180])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fintrak-bench"))
    parser.add_argument("--slice-accounts", type=int, default=8000)
    parser.add_argument(
        "--text",
        choices=("dictionary", "string"),
        default="dictionary",
        help="read text columns as dictionaries (categoricals) or as pandas strings",
    )
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": _machine(), "text": args.text, "sizes": []}
    print(json.dumps(report["machine"]))
    for rows in (int(r) for r in args.rows):
        print(f"preparing ~{rows:,} rows under {args.cache}", flush=True)
        folder = prepare(rows, args.cache, args.slice_accounts)
        if args.prepare_only:
            continue
        size: dict[str, Any] = {"target_rows": rows}
        floor = [_measure("floor", folder, 0) for _ in range(args.repeats)]
        size["floor"] = _summary(floor)
        print(f"  floor: {json.dumps(size['floor'])}", flush=True)
        for lookback in args.lookback_days:
            runs = [_measure("features", folder, lookback, args.text) for _ in range(args.repeats)]
            summary = _summary(runs)
            summary["ratio_to_floor"] = round(
                summary["wall_median_s"] / size["floor"]["wall_median_s"], 1
            )
            size[f"features_lookback_{lookback}"] = summary
            print(f"  features lookback={lookback}: {json.dumps(summary)}", flush=True)
        report["sizes"].append(size)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
