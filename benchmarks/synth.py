"""Benchmark of the synthetic bank: median wall time of ``generate`` for 10k accounts x 6 months.

Run: ``python benchmarks/synth.py [--runs 5] [--accounts 10000] [--months 6]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from fintrak.synth import SynthConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=6)
    args = parser.parse_args()
    cfg = SynthConfig(n_accounts=args.accounts, months=args.months, seed=7)
    times = []
    rows = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        bank = generate(cfg)
        times.append(time.perf_counter() - t0)
        rows = len(bank.transactions)
    med = statistics.median(times)
    print(f"accounts={args.accounts} months={args.months} runs={args.runs}")
    print(f"median wall time: {med:.2f} s (min {min(times):.2f}, max {max(times):.2f})")
    print(f"transactions: {rows:,}  ({rows / args.accounts / args.months:.1f} per account-month)")
    print(f"throughput: {rows / med:,.0f} rows/s")


if __name__ == "__main__":
    main()
