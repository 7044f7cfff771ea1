"""Benchmark of the network step, and a comparison with snapml's GraphFeaturePreprocessor.

Run: ``python benchmarks/network.py [--rows 1e6 1e7] [--repeats 3] [--cache /tmp/fintrak-bench]
[--snapml-python /tmp/snapvenv/bin/python] [--out results.json]``

What it does
------------
1. Reuses the cached synthetic banks of ``benchmarks/features.py`` (its ``prepare`` function,
   imported: the same Parquet transactions / accounts / intel under ``--cache``).
2. Measures, each run in a fresh child process: reading the three tables, then
   :func:`fintrak.network.build_network` with its defaults (identifiers from
   ``fintrak.identifiers`` when that module exists). Reports the median wall time of
   ``--repeats`` runs (min, max), the time of the network step alone (and again with a
   first-pass score flagging 2% of the accounts: the two-pass path), the peak resident memory
   of the child (``ru_maxrss``, interpreter included) and the distribution of network sizes
   and roles.
3. Counts fan-in, fan-out, 2- and 3-cycles and scatter-gather patterns on the directed graph of
   money between the bank's own accounts (one edge per payer/payee pair), and, when snapml can
   be imported by ``--snapml-python`` (a separate virtual environment: snapml pins its own
   numpy), runs ``snapml.GraphFeaturePreprocessor`` on the same edges with one time window
   covering the whole period and compares the counts. When snapml is not importable the
   script says so and carries on.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from features import prepare  # noqa: E402  (benchmarks/features.py)

_SNAPML_CHILD = r"""
import json, sys, time
import numpy as np
try:
    from snapml import GraphFeaturePreprocessor
except Exception as exc:  # noqa: BLE001
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    sys.exit(0)
edges = np.load(sys.argv[1])
span = int(edges[:, 3].max() - edges[:, 3].min() + 1)
bins = [1, 2, 3, 5, 10]
gfp = GraphFeaturePreprocessor()
gfp.set_params({
    "num_threads": 2, "time_window": span, "vertex_stats": False,
    "fan": True, "fan_tw": span, "fan_bins": bins,
    "degree": False, "scatter-gather": True, "scatter-gather_tw": span,
    "scatter-gather_bins": bins, "temp-cycle": False, "lc-cycle": True,
    "lc-cycle_tw": span, "lc-cycle_len": 3, "lc-cycle_bins": [2, 3],
})
started = time.perf_counter()
out = gfp.fit_transform(edges)
wall = time.perf_counter() - started
feats = out[:, edges.shape[1]:]
nb = len(bins)
fan_in, fan_out = feats[:, :nb], feats[:, nb:2 * nb]
sg = feats[:, 2 * nb:3 * nb]
cyc = feats[:, 3 * nb:]
src, dst = edges[:, 1].astype(np.int64), edges[:, 2].astype(np.int64)
# fan-in of an edge = histogram of the in-degree of its target (same for every edge into it)
def per_vertex(v, hist):
    first = np.unique(v, return_index=True)[1]
    return hist[first]
print(json.dumps({
    "wall_s": round(wall, 2),
    "edges": int(len(edges)),
    "fan_in_vertices_by_bin": per_vertex(dst, fan_in).astype(bool).sum(0).tolist(),
    "fan_out_vertices_by_bin": per_vertex(src, fan_out).astype(bool).sum(0).tolist(),
    "scatter_gather_edges": int((sg.sum(1) > 0).sum()),
    "cycle_edges": int((cyc.sum(1) > 0).sum()),
    "bins": bins,
}))
"""


def _patterns(flows: Any) -> tuple[dict[str, Any], Any]:
    """Static pattern counts on the payer -> payee graph, and the snapml edge array."""
    import numpy as np
    from scipy.sparse import coo_matrix

    n = len(flows.index)
    src, dst = flows.payer, flows.payee
    adj = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
    indeg = np.asarray(adj.sum(0)).ravel()
    outdeg = np.asarray(adj.sum(1)).ravel()
    bins = [1, 2, 3, 5, 10]

    def hist(deg: Any) -> list[int]:
        edges = [*bins, np.inf]
        return [
            int(((deg >= lo) & (deg < hi)).sum()) for lo, hi in zip(edges, edges[1:], strict=False)
        ]

    two = adj.multiply(adj.T)
    a2 = adj @ adj
    three = a2.multiply(adj.T)
    # scatter-gather: source s and sink t joined through >= 2 distinct intermediaries
    sg = a2.copy()
    sg.setdiag(0)
    sg.eliminate_zeros()
    counts = {
        "edges": int(len(src)),
        "fan_in_vertices_by_bin": hist(indeg),
        "fan_out_vertices_by_bin": hist(outdeg),
        "two_cycle_edges": int(two.nnz),
        "three_cycle_edges": int((three.sum()) if three.nnz else 0),
        "scatter_gather_pairs": int((sg.data >= 2).sum()),
        "bins": bins,
    }
    first_seen = np.zeros(len(src))
    edges = np.column_stack([np.arange(len(src)), src, dst, first_seen]).astype(np.float64)
    return counts, edges


def _child(folder: Path) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from fintrak.network import build_network
    from fintrak.network._accounts import AccountIndex
    from fintrak.network.links import money_flows

    started = time.perf_counter()
    txn = pd.read_parquet(folder / "transactions.parquet")
    accounts = pd.read_parquet(folder / "accounts.parquet")
    read = time.perf_counter() - started
    result = build_network(txn, accounts)
    wall = time.perf_counter() - started
    # the second pass: a first-pass score flagging 2% of the accounts (seeded; the real scores
    # of fintrak.pipeline.score take longer than the network step itself at this size)
    ids = np.sort(result.networks["account_id"].to_numpy(dtype=object))
    rng = np.random.default_rng(0)
    suspicion = pd.Series(np.where(rng.random(len(ids)) < 0.02, 0.9, 0.1), index=ids)
    two_pass = build_network(txn, accounts, suspicion=suspicion)
    per = result.networks.drop_duplicates("network_id")["network_size"]
    edges = [1, 2, 3, 5, 7, 11, 21, 41, np.inf]
    sizes = {
        (f"{lo}" if hi == lo + 1 else f"{lo}-{hi - 1}" if np.isfinite(hi) else f"{lo}+"): int(
            ((per >= lo) & (per < hi)).sum()
        )
        for lo, hi in zip(edges, edges[1:], strict=False)
    }
    index = AccountIndex(txn["account_id"], accounts["account_id"])
    counts, edge_array = _patterns(money_flows(txn, index))
    np.save(folder.parent / f"{folder.name}_edges.npy", edge_array)
    return {
        "wall": wall,
        "read": read,
        "network_step": result.notes["seconds"],
        "network_step_two_pass": two_pass.notes["seconds"],
        "largest_network_two_pass": two_pass.notes["largest_network"],
        "rows": len(txn),
        "accounts": result.notes["accounts"],
        "links": result.notes["links"],
        "identifiers": result.notes["identifiers"],
        "network_sizes": sizes,
        "largest_network": result.notes["largest_network"],
        "roles": result.notes["roles"],
        "patterns": counts,
    }


def _measure(folder: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"network measurement failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _snapml(python: str, edges: Path) -> dict[str, Any]:
    """Run snapml in its own interpreter; report plainly when it is not available."""
    if not Path(python).exists():
        return {"error": f"snapml interpreter {python} not found (pip install snapml there)"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(_SNAPML_CHILD)
    done = subprocess.run(
        [python, handle.name, str(edges)], capture_output=True, text=True, check=False
    )
    Path(handle.name).unlink()
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": f"snapml run failed: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse the options, run the measurements and print the figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        out = _child(Path(sys.argv[2]))
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fintrak-bench"))
    parser.add_argument("--slice-accounts", type=int, default=8000)
    parser.add_argument("--snapml-python", default="/tmp/snapvenv/bin/python")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report: dict[str, Any] = {"sizes": []}
    for rows in (int(r) for r in args.rows):
        folder = prepare(rows, args.cache, args.slice_accounts)
        runs = [_measure(folder) for _ in range(args.repeats)]
        walls = [r["wall"] for r in runs]
        size = {k: v for k, v in runs[0].items() if k not in ("wall", "read", "peak_rss_mb")}
        size.update(
            target_rows=rows,
            wall_median_s=round(statistics.median(walls), 2),
            wall_min_s=round(min(walls), 2),
            wall_max_s=round(max(walls), 2),
            read_median_s=round(statistics.median(r["read"] for r in runs), 2),
            network_step_median_s=round(statistics.median(r["network_step"] for r in runs), 2),
            network_step_two_pass_median_s=round(
                statistics.median(r["network_step_two_pass"] for r in runs), 2
            ),
            peak_rss_mb_max=round(max(r["peak_rss_mb"] for r in runs)),
        )
        size["snapml"] = _snapml(args.snapml_python, folder.parent / f"{folder.name}_edges.npy")
        if "error" in size["snapml"]:
            print(f"  snapml comparison skipped: {size['snapml']['error']}", flush=True)
        print(json.dumps(size), flush=True)
        report["sizes"].append(size)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
