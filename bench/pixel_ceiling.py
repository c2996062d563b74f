#!/usr/bin/env python3
"""How far can a code that follows pixel-space similarity go on protocol FM?

mAP@1000 (shared/protocol.md: same-class relevance, ties by database index) of rankings that
use no labels and no learned features, over the first Q test queries against the 60,000
training images: exact Euclidean distance on the normalised pixels, the same after PCA to 32
and 64 dims (real-valued, ITQ's subspace before quantisation), and a k-NN graph diffusion
(k = 10, scores spread 1..3 hops from the query's 10 nearest images, ties by distance), a
manifold-aware ranking. Reconstruction and pixel-neighbourhood objectives (binae, TBH and DVB
on pixels, BGAN's k-NN graph, GreedyHash-U's cosines) have these rankings as their targets.
numpy only; ~5 minutes on 2 cores. Usage: python3 bench/pixel_ceiling.py [queries (1000)]
"""
import gzip
import sys

import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist/"


def idx_file(name):
    with gzip.open(ROOT + name) as f:
        raw = f.read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3]).reshape(dims)


def pixels(name):
    x = idx_file(name).reshape(-1, 784).astype(np.float32) / 255.0
    return (x - 0.2860) / 0.3530


def ap_at(order, rel_labels, label, k=1000):
    rel = rel_labels[order[:k]] == label
    hits = np.cumsum(rel)
    return float((hits / np.arange(1, k + 1) * rel).sum() / max(rel.sum(), 1))


def main():
    nq = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    db, db_y = pixels("train-images-idx3-ubyte.gz"), idx_file("train-labels-idx1-ubyte.gz")
    q, q_y = pixels("t10k-images-idx3-ubyte.gz")[:nq], idx_file("t10k-labels-idx1-ubyte.gz")[:nq]
    db_sq = (db ** 2).sum(1)

    def sq_dist(rows, base, base_sq):
        return base_sq[None, :] - 2 * rows @ base.T

    results = {}
    d_q = sq_dist(q, db, db_sq)
    results["pixels, Euclidean"] = np.mean(
        [ap_at(np.argsort(d_q[i], kind="stable"), db_y, q_y[i]) for i in range(nq)])
    mu = db.mean(0)
    _, _, vt = np.linalg.svd(db[::3] - mu, full_matrices=False)
    for dims in (32, 64):
        p = vt[:dims].T
        pd, pq = (db - mu) @ p, (q - mu) @ p
        d = sq_dist(pq, pd, (pd ** 2).sum(1))
        results[f"PCA {dims}, Euclidean"] = np.mean(
            [ap_at(np.argsort(d[i], kind="stable"), db_y, q_y[i]) for i in range(nq)])
    k = 10
    nbr = np.empty((len(db), k), dtype=np.int64)
    for s in range(0, len(db), 2000):
        d = sq_dist(db[s:s + 2000], db, db_sq)
        d[np.arange(len(d)), np.arange(s, s + len(d))] = np.inf
        nbr[s:s + 2000] = np.argpartition(d, k, axis=1)[:, :k]
    hop_aps = {1: [], 2: [], 3: []}
    for i in range(nq):
        score = np.zeros(len(db))
        score[np.argpartition(d_q[i], k)[:k]] = 1.0
        total, spread = score.copy(), score
        for hop in (1, 2, 3):
            spread = np.bincount(nbr.ravel(), weights=np.repeat(spread, k), minlength=len(db))
            total = total + spread * 0.5 ** hop
            hop_aps[hop].append(ap_at(np.lexsort((d_q[i], -total)), db_y, q_y[i]))
    for hop, aps in hop_aps.items():
        results[f"10-NN graph, {hop} hop(s)"] = np.mean(aps)
    print(f"mAP@1000 over the first {nq} queries, database the 60,000 training images")
    for name, v in results.items():
        print(f"{name:>24}  {v:.4f}")


if __name__ == "__main__":
    main()
