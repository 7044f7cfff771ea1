"""Benchmark: validating a transactions table, against the floor of just reading it.

Usage: python benchmarks/validation.py [--rows 1000000] [--repeats 3]

Prints, for Parquet and CSV inputs, the median wall time of ``fintrak.validation.validate``
over several runs, rows per second, and the ratio to the floor (reading the same file with
pandas) measured in the same process. About 1% of the rows carry an error, so the
rejects path is exercised.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fintrak.validation import validate


def make_transactions(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00:00", "s").astype("int64")
    seconds = rng.integers(0, 180 * 86400, n_rows) + start
    frame = pd.DataFrame(
        {
            "txn_id": pd.Series(np.char.add("T", np.arange(n_rows).astype(str)), dtype="string"),
            "account_id": pd.Series(
                rng.integers(0, n_rows // 60 + 1, n_rows).astype(str), dtype="string"
            ),
            "timestamp": pd.to_datetime(seconds, unit="s", utc=True),
            "amount": np.round(rng.lognormal(3.5, 1.2, n_rows), 2),
            "currency": "USD",
            "direction": rng.choice(["credit", "debit"], n_rows, p=[0.3, 0.7]),
            "channel": rng.choice(["card", "atm", "ach", "p2p", "wire"], n_rows),
            "mcc": pd.array(rng.choice([5411, 5812, 7011, 4121, 5541], n_rows), dtype="Int64"),
            "city": rng.choice(["Chicago", "Dallas", "Houston"], n_rows),
            "country": "US",
        }
    )
    bad = rng.random(n_rows) < 0.01
    frame.loc[bad, "amount"] = -1.0
    return frame


def timed(func, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame = make_transactions(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "transactions.parquet"
        csv = Path(tmp) / "transactions.csv"
        frame.to_parquet(parquet, index=False)
        frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")).to_csv(
            csv, index=False
        )
        print(f"rows: {args.rows:,}; median of {args.repeats} runs")
        for label, path, floor in (
            ("parquet", parquet, lambda: pd.read_parquet(parquet)),
            ("csv", csv, lambda: pd.read_csv(csv, dtype=str)),
        ):
            floor_s = timed(floor, args.repeats)
            run_s = timed(lambda p=path: validate(p), args.repeats)
            print(
                f"{label:8s} validate {run_s:7.2f} s  {args.rows / run_s:12,.0f} rows/s  "
                f"floor (read only) {floor_s:6.2f} s  ratio {run_s / floor_s:5.1f}x"
            )


if __name__ == "__main__":
    main()
