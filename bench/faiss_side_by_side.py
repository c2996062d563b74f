#!/usr/bin/env python3
"""Side by side: hashsearch knn vs FAISS IndexBinaryFlat on the same files, in one run.

Generates (seeded) --n random 64-bit codes (default 1,000,000) and 1,000 queries as packed
uint8 .npy (numpy.packbits layout); with --index-file the database goes through
`hashsearch build --index flat` once and each search memory-maps that file. Runs
`build/bin/hashsearch knn --k 100 --threads T` (its printed search-only queries/s, file
loading excluded) and faiss.IndexBinaryFlat (median of several runs,
faiss.omp_set_num_threads(T)) for each T, alternating the two, checks the results agree
(distances equal; ids equal up to ties), prints both figures and the ratio. CPU seconds are
printed too (FAISS: its search; hashsearch: the whole process, loading included), as the
machine may be shared.
Needs: pip install faiss-cpu numpy (a side-by-side script only, not a build dependency).
Example (10M codes, 2 threads): bench/faiss_side_by_side.py --n 10000000 --threads 2
    --repeats 3 --index-file
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_hashsearch(binary, db_args, q, k, threads, out):
    """One run: (queries/s of the search, CPU seconds of the process, ids, distances)."""
    c0 = child_cpu()
    p = subprocess.run([binary, "knn", *db_args, "--queries", q, "--k", str(k),
                        "--threads", str(threads), "--out", out],
                       check=True, capture_output=True, text=True)
    cpu = child_cpu() - c0
    m = re.search(r"search: .*: ([0-9.]+) s, ([0-9.]+) queries/s", p.stdout)
    if not m:
        sys.exit("hashsearch printed no search timing:\n" + p.stdout)
    return float(m.group(2)), cpu, np.load(out + "_ids.npy"), np.load(out + "_dist.npy")


def run_faiss(index, q, k):
    """One search: (queries/s, CPU seconds, ids, distances)."""
    t, c = time.perf_counter(), time.process_time()
    D, I = index.search(q, k)
    return len(q) / (time.perf_counter() - t), time.process_time() - c, I, D


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
    ap.add_argument("--index-file", action="store_true",
                    help="search a flat index file (memory-mapped) instead of the .npy")
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(12345)
    nb = args.bits // 8
    db = rng.integers(0, 256, size=(args.n, nb), dtype=np.uint8)
    q = rng.integers(0, 256, size=(args.nq, nb), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        dbp, qp, idx, out = (os.path.join(tmp, x) for x in ("db.npy", "q.npy", "db.idx", "res"))
        np.save(dbp, db)
        np.save(qp, q)
        db_args = ["--db", dbp]
        if args.index_file:
            subprocess.run([args.binary, "build", "--db", dbp, "--index", "flat", "--out", idx],
                           check=True, capture_output=True)
            db_args = ["--index", idx]
        index = faiss.IndexBinaryFlat(args.bits)
        index.add(db)
        print(f"# {args.n} x {args.bits}-bit random codes, {args.nq} queries, k={args.k}, "
              f"faiss {faiss.__version__}, median of {args.repeats} alternating runs, "
              f"hashsearch database from {'an index file (mmap)' if args.index_file else '.npy'}")
        print(f"# load average before: {os.getloadavg()}")
        for t in (int(x) for x in args.threads.split(",")):
            faiss.omp_set_num_threads(t)
            index.search(q[:10], args.k)  # warm-up
            hs, fa = [], []
            for _ in range(args.repeats):  # alternate, so both see the same machine load
                hs.append(run_hashsearch(args.binary, db_args, qp, args.k, t, out))
                fa.append(run_faiss(index, q, args.k))
            hs_qps, hs_cpu = (statistics.median(x[i] for x in hs) for i in (0, 1))
            fa_qps, fa_cpu = (statistics.median(x[i] for x in fa) for i in (0, 1))
            ok, why = agree(hs[-1][2], hs[-1][3], fa[-1][2], fa[-1][3].astype(np.int32))
            print(f"threads={t}: hashsearch {hs_qps:,.0f} queries/s ({hs_cpu:.2f} CPU s, whole "
                  f"process), faiss IndexBinaryFlat {fa_qps:,.0f} queries/s ({fa_cpu:.2f} CPU s), "
                  f"ratio {hs_qps / fa_qps:.2f}x (CPU {fa_cpu / hs_cpu:.2f}x); results: {why}")
            if not ok:
                sys.exit(1)
        print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
