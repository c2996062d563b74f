#!/usr/bin/env python3
"""End-to-end check of build/bin/hashsearch against numpy (run by hand, not a build step).

knn (flat and MIH, +-1 int8 db and float queries), build + knn from an index file with
external ids, radius (lims/ids/dist), and eval mAP@k against a numpy reference; plus the
error exit for a missing and a truncated .npy. Needs numpy.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

B = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin/hashsearch")


def run(*a):
    p = subprocess.run([B, *a], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def main():
    os.chdir(tempfile.mkdtemp())
    rng = np.random.default_rng(3)
    bits = 48
    db = rng.integers(0, 2, size=(5003, bits)).astype(np.int8) * 2 - 1
    q = rng.integers(0, 2, size=(77, bits)).astype(np.int8) * 2 - 1
    np.save("db_pm1.npy", db)
    np.save("db.npy", np.packbits(db > 0, axis=1))
    np.save("q.npy", np.packbits(q > 0, axis=1))
    np.save("q_f.npy", q.astype(np.float32))
    D = (db[None, :, :] != q[:, None, :]).sum(-1).astype(np.int32)
    order = np.argsort(D, axis=1, kind="stable")
    for idx in ["flat", "mih"]:
        run("knn", "--db", "db_pm1.npy", "--queries", "q_f.npy", "--k", "25", "--index", idx,
            "--out", "r")
        I, Dd = np.load("r_ids.npy"), np.load("r_dist.npy")
        assert I.dtype == np.int64 and Dd.dtype == np.int32
        assert (I == order[:, :25]).all(), idx
        assert (Dd == np.take_along_axis(D, order[:, :25], 1)).all(), idx
    ids = np.arange(5003, dtype=np.int64) * 10 + 7
    np.save("ids.npy", ids)
    run("build", "--db", "db.npy", "--ids", "ids.npy", "--index", "mih", "--out", "idx.bin")
    run("knn", "--index", "idx.bin", "--queries", "q.npy", "--k", "25", "--out", "r2")
    assert (np.load("r2_ids.npy") == ids[order[:, :25]]).all()
    run("radius", "--db", "db.npy", "--queries", "q.npy", "--r", "14", "--out", "rr")
    lims, ri = np.load("rr_lims.npy"), np.load("rr_ids.npy")
    for i in range(len(q)):
        assert (ri[lims[i]:lims[i + 1]] == order[i][D[i][order[i]] <= 14]).all()
    dl, ql = rng.integers(0, 10, 5003), rng.integers(0, 10, 77)
    np.save("dl.npy", dl)
    np.save("ql.npy", ql)
    res = json.loads(run("eval", "--db", "db.npy", "--db-labels", "dl.npy", "--queries", "q.npy",
                         "--query-labels", "ql.npy", "--k", "100", "--pr-json", "pr.json",
                         "--pr-svg", "pr.svg"))
    aps = []
    for i in range(len(q)):
        rel = (dl[order[i][:100]] == ql[i]).astype(float)
        h = np.cumsum(rel)
        aps.append((h / np.arange(1, 101) * rel).sum() / rel.sum() if rel.sum() else 0.0)
    assert abs(res["map@k"] - np.mean(aps)) < 1e-9, (res, np.mean(aps))
    with open("bad.npy", "wb") as f:
        f.write(open("db.npy", "rb").read()[:100])
    for bad in ["missing.npy", "bad.npy"]:
        p = subprocess.run([B, "knn", "--db", bad, "--queries", "q.npy", "--k", "3", "--out", "x"],
                           capture_output=True, text=True)
        assert p.returncode == 1 and bad in p.stderr, p.stderr
    print("hashsearch agrees with numpy: knn flat/mih, index file + ids, radius, eval", res)


if __name__ == "__main__":
    main()
