#!/usr/bin/env python3
"""Side by side: hashsearch knn vs FAISS IndexBinaryFlat on the same files, in one run.

Generates (seeded) 1,000,000 random 64-bit codes and 1,000 queries as packed uint8 .npy
(numpy.packbits layout), runs `build/bin/hashsearch knn --k 100 --threads T` (its printed
search-only queries/s, file loading excluded) and faiss.IndexBinaryFlat (median of
several runs, faiss.omp_set_num_threads(T)) for T = 1 and 2, checks the results agree
(distances equal; ids equal up to ties), prints both figures and the ratio.
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


def run_hashsearch(binary, db, q, k, threads, out, repeats):
    qps = []
    for _ in range(repeats):
        p = subprocess.run([binary, "knn", "--db", db, "--queries", q, "--k", str(k),
                            "--threads", str(threads), "--out", out],
                           check=True, capture_output=True, text=True)
        m = re.search(r"search: .*: ([0-9.]+) s, ([0-9.]+) queries/s", p.stdout)
        if not m:
            sys.exit("hashsearch printed no search timing:\n" + p.stdout)
        qps.append(float(m.group(2)))
    return statistics.median(qps), np.load(out + "_ids.npy"), np.load(out + "_dist.npy")


def run_faiss(faiss, db, q, k, threads, repeats):
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexBinaryFlat(db.shape[1] * 8)
    index.add(db)
    index.search(q[:10], k)  # warm-up
    times, D, I = [], None, None
    for _ in range(repeats):
        t = time.perf_counter()
        D, I = index.search(q, k)
        times.append(time.perf_counter() - t)
    return len(q) / statistics.median(times), I, D


def agree(ids_a, d_a, ids_b, d_b):
    if not np.array_equal(d_a, d_b):
        return False, "distances differ"
    # ids equal up to ties: within each query, the id sets per distance value match,
    # except at the last (cut) distance where either choice of tied ids is valid.
    for i in range(len(d_a)):
        last = d_a[i][-1]
        inner = d_a[i] < last
        if set(ids_a[i][inner]) != set(ids_b[i][inner]):
            return False, f"query {i}: ids differ below the cut distance"
    return True, "distances equal, ids equal up to ties"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/bin/hashsearch")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--bits", type=int, default=64)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(12345)
    nb = args.bits // 8
    db = rng.integers(0, 256, size=(args.n, nb), dtype=np.uint8)
    q = rng.integers(0, 256, size=(args.nq, nb), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        dbp, qp, out = (os.path.join(tmp, x) for x in ("db.npy", "q.npy", "res"))
        np.save(dbp, db)
        np.save(qp, q)
        print(f"# {args.n} x {args.bits}-bit random codes, {args.nq} queries, k={args.k}, "
              f"faiss {faiss.__version__}, median of {args.repeats} runs")
        for t in (int(x) for x in args.threads.split(",")):
            hs_qps, hs_ids, hs_d = run_hashsearch(args.binary, dbp, qp, args.k, t, out, args.repeats)
            fa_qps, fa_ids, fa_d = run_faiss(faiss, db, q, args.k, t, args.repeats)
            ok, why = agree(hs_ids, hs_d, fa_ids, fa_d.astype(np.int32))
            print(f"threads={t}: hashsearch {hs_qps:,.0f} queries/s, faiss IndexBinaryFlat "
                  f"{fa_qps:,.0f} queries/s, ratio {hs_qps / fa_qps:.2f}x; results: {why}")
            if not ok:
                sys.exit(1)


if __name__ == "__main__":
    main()
