"""Scaling bench: seconds and peak RSS of PCA, faiss K-Means and faiss kNN mining from 10k to 1M rows.

    python scripts/bench_scale.py                 # all sizes -> bench/scale.md
    python scripts/bench_scale.py --sizes 10000   # a quick run

Every (N, step) runs in a fresh subprocess that generates the data, runs the step and reports its own
``resource.getrusage(RUSAGE_SELF).ru_maxrss``: tracemalloc misses faiss's C++ allocations, and one long-lived
process would carry the largest peak into every later row. The peak includes the input array (N x 128 float32).
A step that passes the time limit is killed and reported as such; sizes above one that timed out are not run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIM, CLUSTERS, SEED = 128, 10, 0
SIZES = (10_000, 70_000, 300_000, 1_000_000)
STEPS = {
    "pca": "PCA 128 -> 50 (kit.reduce, sklearn)",
    "kmeans": "K-Means k=10 (kit.cluster, backend faiss, n_init 1, max_iter 25)",
    "knn": "kNN mining k=20 (kit.features.neighbors.knn, exact faiss, cosine)",
}


def make_data(n: int):
    """float32 (n, 128): 10 gaussian clusters (unit noise around centres of spread 4), generated in float32."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    centres = rng.normal(scale=4.0, size=(CLUSTERS, DIM)).astype(np.float32)
    X = rng.standard_normal((n, DIM), dtype=np.float32)
    X += centres[rng.integers(0, CLUSTERS, size=n)]
    return X


def run_step(step: str, n: int) -> dict:
    """Child process body: generate, measure one step, return the numbers."""
    from kit.cluster import create_clusterer
    from kit.features.neighbors import knn
    from kit.reduce import reduce

    import faiss  # noqa: F401  (imported before timing: seconds measure the step, not library imports)

    X = make_data(n)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if step == "pca":
        out = reduce(X, [{"method": "pca", "n_components": 50}], seed=SEED)
        assert out.shape == (n, 50)
    elif step == "kmeans":
        est = create_clusterer({"method": "kmeans", "n_clusters": CLUSTERS, "backend": "faiss", "n_init": 1,
                                "max_iter": 25}, seed=SEED).fit(X)
        assert len(est.labels_) == n
    elif step == "knn":
        idx, _ = knn(X, 20)
        assert idx.shape == (n, 20)
    else:
        raise SystemExit(f"unknown step {step!r}")
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "peak_mib": peak / 1024, "data_mib": rss_data / 1024}


def measure(step: str, n: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--child", step, str(n)]
    env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"}
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s (killed; not measured)"}
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        killed = p.returncode < 0 and -p.returncode == 9
        return {"error": "killed (out of memory?)" if killed else f"failed (exit {p.returncode}): {tail[:120]}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def device_line() -> str:
    from kit.determinism import cpu_info

    info = cpu_info()
    mem = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    model = info["cpu"] or platform.processor() or platform.machine()
    isa = f" ({info['cpu_capability']})" if info["cpu_capability"] else ""
    return f"CPU: {model}{isa}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, no GPU used"


def order(row: tuple[int, str, dict]) -> tuple[int, int]:
    return row[0], list(STEPS).index(row[1])


def write_table(rows: list[tuple[int, str, dict]], path: Path, header: list[str]) -> None:
    lines = header + ["", "| N | step | seconds | peak RSS MiB |", "|---:|---|---:|---:|"]
    for n, step, r in rows:
        if "error" in r:
            lines.append(f"| {n:,} | {STEPS[step]} | {r['error']} | - |")
        else:
            lines.append(f"| {n:,} | {STEPS[step]} | {r['seconds']:.2f} | {r['peak_mib']:.0f} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS))
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per measurement before it is killed")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "scale.md")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_step(args.child[0], int(args.child[1]))))
        return

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = [
        "# Scaling: PCA, faiss K-Means, faiss kNN",
        "",
        f"Generated by `python scripts/bench_scale.py` on {time.strftime('%Y-%m-%d')}.",
        f"{device_line()}; load average {load:.1f} at start (the cores were shared with other jobs, so "
        "seconds are upper bounds).",
        f"Data: synthetic float32, {DIM}-D, {CLUSTERS} gaussian clusters (N x {DIM} x 4 bytes: 1M rows = 488 MiB).",
        "Each row is a fresh process; peak RSS (ru_maxrss) includes the Python interpreter, the libraries and the "
        "input array, and is at least the data generation's own peak (about 2 x the array: the centres are added "
        "through a temporary), so a step whose peak equals that floor used less memory than the generation did. "
        "Seconds time the step only, not the data generation or library imports.",
        f"A measurement over {args.timeout:.0f} s is killed; larger N for that step is then not run.",
    ]
    rows: list[tuple[int, str, dict]] = []
    for step in args.steps:
        gave_up = None
        for n in sorted(args.sizes):
            if gave_up is not None:
                r = {"error": f"not run: N={gave_up:,} already exceeded {args.timeout:.0f} s"}
            else:
                r = measure(step, n, args.timeout)
                if "did not finish" in r.get("error", ""):
                    gave_up = n
            rows.append((n, step, r))
            print(f"{n:>9,} {step:<7} {r}", flush=True)
            write_table(sorted(rows, key=order), args.out, header)  # partial results survive an interrupted run
    write_table(sorted(rows, key=order), args.out, header)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
