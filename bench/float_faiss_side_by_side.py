#!/usr/bin/env python3
"""Side by side: hashsearch's exact float k-NN vs FAISS IndexFlatIP / IndexFlatL2, in one run.

Data: a seeded Gaussian mixture (default 1,000,000 x 128-d float32, 256 centres, and 1,000
queries from the same mixture). For each metric (inner product, L2) and thread count, runs
`hashsearch knn --db X.npy --metric ip|l2 --k K --threads T` (its printed search-only
queries/s and the search's CPU seconds, file loading excluded) and FAISS's index.search
(wall and CPU seconds of the call, faiss.omp_set_num_threads(T)), alternating the two
--repeats times so both see the same machine load; prints medians and the ratios.
Results check: each list's scores are recomputed in float64; both lists must hold the same
scores rank by rank (within a float32 rounding tolerance) and the same ids apart from ties
(ids whose scores lie within that tolerance of each other or of the k-th score).
Needs: pip install faiss-cpu numpy (a side-by-side script only, not a build dependency).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def mixture(rng, n, d, centres, scale):
    c = rng.normal(size=(centres, d)).astype(np.float32) * scale
    lab = rng.integers(0, centres, size=n)
    return (c[lab] + rng.normal(size=(n, d)).astype(np.float32)).astype(np.float32)


def run_hashsearch(binary, dbp, qp, k, metric, threads, out):
    """One search: (queries/s, search CPU seconds, ids)."""
    p = subprocess.run([binary, "knn", "--db", dbp, "--queries", qp, "--k", str(k), "--metric",
                        metric, "--threads", str(threads), "--out", out],
                       check=True, capture_output=True, text=True)
    m = re.search(r"search: .*: ([0-9.]+) s, ([0-9.]+) queries/s, cpu ([0-9.]+) s", p.stdout)
    if not m:
        sys.exit("hashsearch printed no search timing:\n" + p.stdout)
    return float(m.group(2)), float(m.group(3)), np.load(out + "_ids.npy")


def run_faiss(index, q, k):
    """One search: (queries/s, CPU seconds, ids)."""
    t, c = time.perf_counter(), time.process_time()
    _, ids = index.search(q, k)
    return len(q) / (time.perf_counter() - t), time.process_time() - c, ids


def true_scores(db, q, ids, metric):
    """float64 similarity (ip) or negated squared distance (l2): larger is better."""
    x = db[ids].astype(np.float64)
    qq = q.astype(np.float64)[:, None, :]
    if metric == "ip":
        return (x * qq).sum(-1)
    return -((x - qq) ** 2).sum(-1)


def agree(db, q, ids_a, ids_b, metric):
    """(ok, message): same scores rank by rank, same ids up to ties."""
    sa, sb = true_scores(db, q, ids_a, metric), true_scores(db, q, ids_b, metric)
    # float32 scores carry about 2^-24 relative error of the magnitudes summed.
    tol = 1e-5 * max(1.0, float(np.abs(sa).max()))
    worst = float(np.abs(sa - sb).max())
    if worst > tol:
        return False, f"scores differ by {worst:.3g} (tolerance {tol:.3g})"
    same = int((ids_a == ids_b).sum())
    for i in range(len(q)):
        cut = min(sa[i, -1], sb[i, -1]) + tol
        inner_a = set(ids_a[i][sa[i] > cut])
        inner_b = set(ids_b[i][sb[i] > cut])
        if inner_a != inner_b:
            return False, f"query {i}: ids differ above the cut score"
    return True, (f"ids identical in {same:,} of {ids_a.size:,} places, the rest ties "
                  f"(scores within {tol:.2g})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/bin/hashsearch")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--metrics", default="ip,l2")
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(2025)
    data = mixture(rng, args.n + args.nq, args.d, 256, 2.0)
    db, q = data[: args.n], data[args.n:]
    print(f"# {args.n:,} x {args.d}-d Gaussian mixture (256 centres), {args.nq:,} queries, "
          f"k={args.k}; faiss {faiss.__version__}; median of {args.repeats} alternating runs; "
          f"CPU s: the search call's, all threads")
    print(f"# load average before: {os.getloadavg()}")
    print(f"{'metric / faiss index':24s} {'thr':>3s} {'hashsearch q/s':>15s} {'faiss q/s':>10s}"
          f" {'ratio':>6s} {'hs CPU s':>9s} {'faiss CPU s':>11s} {'q/CPU-s ratio':>13s}  results")
    ok_all = True
    with tempfile.TemporaryDirectory() as tmp:
        dbp, qp, out = (os.path.join(tmp, x) for x in ("db.npy", "q.npy", "res"))
        np.save(dbp, db)
        np.save(qp, q)
        for metric in args.metrics.split(","):
            index = faiss.IndexFlatIP(args.d) if metric == "ip" else faiss.IndexFlatL2(args.d)
            index.add(db)
            label = f"{metric} / {type(index).__name__}"
            for t in (int(x) for x in args.threads.split(",")):
                faiss.omp_set_num_threads(t)
                index.search(q[:10], args.k)  # warm-up
                hs, fa = [], []
                for _ in range(args.repeats):
                    hs.append(run_hashsearch(args.binary, dbp, qp, args.k, metric, t, out))
                    fa.append(run_faiss(index, q, args.k))
                hq, hc = (statistics.median(x[i] for x in hs) for i in (0, 1))
                fq, fc = (statistics.median(x[i] for x in fa) for i in (0, 1))
                ok, why = agree(db, q, hs[-1][2], fa[-1][2], metric)
                ok_all &= ok
                print(f"{label:24s} {t:3d} {hq:15,.0f} {fq:10,.0f} {hq / fq:5.2f}x {hc:9.2f}"
                      f" {fc:11.2f} {fc / hc:12.2f}x  {why}", flush=True)
            del index
    print(f"# load average after: {os.getloadavg()}")
    if not ok_all:
        sys.exit(1)


if __name__ == "__main__":
    main()
