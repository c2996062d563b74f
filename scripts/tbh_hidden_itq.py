#!/usr/bin/env python3
"""Is a tbh run's hidden layer a better input for hashing than the pixels?

Reads a tbh run's checkpoint.safetensors (pixel input) and Fashion-MNIST's IDX files, and
prints mAP@1000 (protocol FM: 10,000 test queries against the 60,000 training images,
Hamming ranking, ties by database index) of:
  - the run's own codes, sign(fc(bits)(h)) with h = relu(fc1(x)): recomputed here from the
    weights, so this line must equal the run's metrics.json (a check of both sides);
  - ITQ (PCA to `bits` dims, 50 rotation updates) on h and on the pixels, per seed;
  - a random projection (LSH) of the centred h and of the centred pixels.
If TBH's hash layer matches ITQ on h, its codes are as good as a linear code of h gets,
and whether TBH beats ITQ on the pixels rests on h alone (docs/notes/tbh.md).

A side-by-side check, not part of the build or tests. Needs numpy (pip install numpy).
Usage: scripts/tbh_hidden_itq.py runs/tbh-32/checkpoint.safetensors [--seeds 3]
"""
import argparse
import gzip
import json
import struct

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist/"
MEAN, STD = 0.2860, 0.3530  # engine/data/datasets.h


def read_idx(name):
    with gzip.open(DATA + name) as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def pixels(name):
    x = read_idx(name).reshape(-1, 28 * 28) / 255.0
    return ((x - MEAN) / STD).astype(np.float32)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    tensors = {}
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        if spec["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {key} is {spec['dtype']}, expected F32")
        begin, end = spec["data_offsets"]
        tensors[key] = np.frombuffer(raw[8 + size + begin:8 + size + end],
                                     np.float32).reshape(spec["shape"])
    return tensors


def map_at_k(query_bits, db_bits, query_labels, db_labels, k=1000):
    q = query_bits.astype(np.float32) * 2 - 1
    d = db_bits.astype(np.float32) * 2 - 1
    nbits = q.shape[1]
    aps = []
    for i in range(0, len(q), 500):
        dist = (nbits - q[i:i + 500] @ d.T) / 2
        top = np.argsort(dist, axis=1, kind="stable")[:, :k]  # ties: database index
        rel = (db_labels[top] == query_labels[i:i + 500, None]).astype(np.float64)
        hits = rel.sum(1)
        prec = np.cumsum(rel, 1) / np.arange(1, k + 1)
        aps.append(np.where(hits > 0, (prec * rel).sum(1) / np.maximum(hits, 1), 0.0))
    return float(np.concatenate(aps).mean())


def itq(train, test, nbits, seed, iterations=50):
    """Fits ITQ on `train`; returns (test codes, train codes), map_at_k's order."""
    mu = train.mean(0)
    _, vecs = np.linalg.eigh(np.cov((train - mu).T))
    pca = vecs[:, ::-1][:, :nbits]
    v = (train - mu) @ pca
    rot, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((nbits, nbits)))
    for _ in range(iterations):
        u, _, wt = np.linalg.svd(np.sign(v @ rot).T @ v)
        rot = (u @ wt).T
    return ((test - mu) @ pca) @ rot > 0, v @ rot > 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    ck = read_safetensors(args.checkpoint)
    w1, b1 = ck["encoder.fc1.weight"], ck["encoder.fc1.bias"]
    wb, bb = ck["encoder.binary.weight"], ck["encoder.binary.bias"]
    if w1.shape[1] != 28 * 28:
        raise SystemExit(f"{args.checkpoint}: encoder.fc1.weight is {w1.shape}, expected "
                         "(1024, 784): a tbh run on the pixels")
    nbits = wb.shape[0]
    x_db, x_q = pixels("train-images-idx3-ubyte.gz"), pixels("t10k-images-idx3-ubyte.gz")
    y_db = read_idx("train-labels-idx1-ubyte.gz")
    y_q = read_idx("t10k-labels-idx1-ubyte.gz")
    h_db, h_q = np.maximum(x_db @ w1.T + b1, 0), np.maximum(x_q @ w1.T + b1, 0)

    def score(q, db):
        return map_at_k(q, db, y_q, y_db)

    print(f"{nbits} bits, mAP@1000")
    print(f"tbh codes (the run's hash layer)  {score(h_q @ wb.T + bb > 0, h_db @ wb.T + bb > 0):.4f}")
    for seed in range(args.seeds):
        on_h = score(*itq(h_db, h_q, nbits, seed))
        on_x = score(*itq(x_db, x_q, nbits, seed))
        print(f"seed {seed}: itq on h {on_h:.4f}  itq on pixels {on_x:.4f}")
    proj_h = np.random.default_rng(0).standard_normal((h_db.shape[1], nbits)).astype(np.float32)
    proj_x = np.random.default_rng(0).standard_normal((x_db.shape[1], nbits)).astype(np.float32)
    mh, mx = h_db.mean(0), x_db.mean(0)
    print(f"lsh on h {score((h_q - mh) @ proj_h > 0, (h_db - mh) @ proj_h > 0):.4f}  "
          f"lsh on pixels {score((x_q - mx) @ proj_x > 0, (x_db - mx) @ proj_x > 0):.4f}")


if __name__ == "__main__":
    main()
