#!/usr/bin/env python3
"""Side by side: hashsearch's PQ / fast-scan PQ / IVF-PQ indexes vs FAISS's, in one run.

Data: a seeded Gaussian mixture (default 1,000,000 x 128-d float32, 1,000 queries from the
same mixture). Ground truth: exact L2 k-NN (faiss.IndexFlatL2). For each index both
libraries train on the same database rows with the same M / nbits / nlist; then, for
T = 1 and 2 threads, the search-only queries/s (hashsearch: its printed figure, file loading
excluded; FAISS: index.search timed here) as the median of several runs, the same per second
of CPU time (all threads; steadier than wall clock on a busy machine), and recall@k against
the exact neighbours. Prints one table.
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


def recall(ids, gt, k):
    hits = sum(len(set(a[:k]) & set(b[:k])) for a, b in zip(ids, gt))
    return hits / (len(gt) * k)


def hs(binary, *args):
    p = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return p.stdout


def hs_search(binary, index, qp, k, threads, nprobe, out, repeats):
    qps, cpu = [], []
    for _ in range(repeats):
        txt = hs(binary, "knn", "--index", index, "--queries", qp, "--k", str(k), "--threads",
                 str(threads), "--nprobe", str(nprobe), "--out", out)
        m = re.search(r"search: .*: ([0-9.]+) s, ([0-9.]+) queries/s, cpu ([0-9.]+) s", txt)
        if not m:
            sys.exit("hashsearch printed no search timing:\n" + txt)
        qps.append(float(m.group(2)))
        cpu.append(float(m.group(3)))
    ids = np.load(out + "_ids.npy")
    return statistics.median(qps), len(ids) / statistics.median(cpu), ids


def faiss_search(faiss, index, q, k, threads, repeats):
    faiss.omp_set_num_threads(threads)
    index.search(q[:10], k)  # warm-up
    times, cpu, ids = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        _, ids = index.search(q, k)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return len(q) / statistics.median(times), len(q) / statistics.median(cpu), ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/bin/hashsearch")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--nlist", type=int, default=1024)
    ap.add_argument("--nprobe", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--indexes", default="pq8,pq4,ivfpq")
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(2024)
    data = mixture(rng, args.n + args.nq, args.d, 256, 2.0)
    db, q = data[: args.n], data[args.n :]
    faiss.omp_set_num_threads(os.cpu_count())
    flat = faiss.IndexFlatL2(args.d)
    flat.add(db)
    _, gt = flat.search(q, args.k)
    del flat
    threads = [int(x) for x in args.threads.split(",")]
    print(f"# {args.n} x {args.d}-d Gaussian mixture (256 centres), {args.nq} queries, "
          f"k={args.k}, M={args.m}; faiss {faiss.__version__}; median of {args.repeats} runs")
    print(f"{'index':28s} {'thr':>3s} {'hashsearch q/s':>15s} {'faiss q/s':>10s} {'ratio':>6s}"
          f" {'hs q/cpu-s':>10s} {'faiss q/cpu-s':>13s} {'ratio':>6s} {'hs R@k':>7s}"
          f" {'faiss R@k':>9s}")
    with tempfile.TemporaryDirectory() as tmp:
        dbp, qp, out = (os.path.join(tmp, x) for x in ("db.npy", "q.npy", "res"))
        np.save(dbp, db)
        np.save(qp, q)
        for name in args.indexes.split(","):
            ixp = os.path.join(tmp, name + ".heq")
            if name == "pq8":
                build = ["--index", "pq", "--m", str(args.m), "--nbits", "8"]
                fx = faiss.IndexPQ(args.d, args.m, 8)
                label, nprobe = f"PQ{args.m}x8 / IndexPQ", 1
            elif name == "pq4":
                build = ["--index", "pq", "--m", str(args.m), "--nbits", "4"]
                fx = faiss.IndexPQFastScan(args.d, args.m, 4)
                label, nprobe = f"PQ{args.m}x4 fs / PQFastScan", 1
            else:
                build = ["--index", "ivfpq", "--m", str(args.m), "--nlist", str(args.nlist)]
                fx = faiss.IndexIVFPQ(faiss.IndexFlatL2(args.d), args.d, args.nlist, args.m, 8)
                label, nprobe = f"IVF{args.nlist},PQ{args.m} np={args.nprobe}", args.nprobe
            t0 = time.perf_counter()
            hs(args.binary, "build", "--db", dbp, "--out", ixp, *build)
            t1 = time.perf_counter()
            faiss.omp_set_num_threads(max(threads))
            fx.train(db)
            fx.add(db)
            if name == "ivfpq":
                fx.nprobe = args.nprobe
            t2 = time.perf_counter()
            print(f"# {name}: build (train + add) hashsearch {t1 - t0:.1f} s, faiss {t2 - t1:.1f} s")
            for t in threads:
                hq, hc, hids = hs_search(args.binary, ixp, qp, args.k, t, nprobe, out,
                                         args.repeats)
                fq, fc, fids = faiss_search(faiss, fx, q, args.k, t, args.repeats)
                print(f"{label:28s} {t:3d} {hq:15,.0f} {fq:10,.0f} {hq / fq:5.2f}x"
                      f" {hc:10,.0f} {fc:13,.0f} {hc / fc:5.2f}x"
                      f" {recall(hids, gt, args.k):7.4f} {recall(fids, gt, args.k):9.4f}",
                      flush=True)
            del fx


if __name__ == "__main__":
    main()
