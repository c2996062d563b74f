#!/usr/bin/env python3
"""Encoding throughput: `hashnet encode` against PyTorch inference of the same network.

The database is Fashion-MNIST's 60,000 training images replicated to --n images (1,000,000 by
default), written once as an IDX data set (idx:DIR) in --work. hashengine encodes its
training split with a HashNet checkpoint (--ckpt, or one made by `hashnet train --stop-after
20` on protocol FM); the figure is the one `encode` prints, the network's time with the images in
memory (uint8 -> normalised float, forward, sign and pack; loading excluded). PyTorch runs the
same network (the protocol's small CNN, fc 3136-512, hash layer and tanh) in eval mode under
no_grad, on batches from the same uint8 array, normalised per batch, and takes the sign; its
weights are random (speed does not depend on them). PyTorch runs faster on small batches
(128: 2,256 img/s, 1,000: 1,450 at 1 thread, 20,000 images, a loaded machine), so it runs at each of
--torch-batches and its best figure counts; hashengine encodes in batches of 1,000. Both run at each thread count
in turn, --rounds times, and the median of each column is printed.

Usage: python3 bench/encode_side_by_side.py [--build build] [--n 1000000] [--threads 1,2]
       [--rounds 1] [--work /tmp/he-encode-bench] [--ckpt CKPT] [--bits 64]
       [--torch-batches 128,1000]
Needs PyTorch and numpy (pip); the Fashion-MNIST IDX files (dataset-fashion-mnist).
"""
import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

FM_DIR = os.environ.get("HE_DATA_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_idx(name):
    for suffix in ("", ".gz"):
        p = os.path.join(FM_DIR, name + suffix)
        if os.path.exists(p):
            return p
    sys.exit(f"no {name} under {FM_DIR} (apt-get install dataset-fashion-mnist)")


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())
    os.replace(tmp, path)


def make_data(work, n):
    """idx:DIR with n training images (Fashion-MNIST's replicated) and its 10,000 test images."""
    d = os.path.join(work, f"fm-{n}")
    done = os.path.join(d, "complete")
    if os.path.exists(done):
        return d
    os.makedirs(d, exist_ok=True)
    images = read_idx(find_idx("train-images-idx3-ubyte"))
    labels = read_idx(find_idx("train-labels-idx1-ubyte"))
    reps = -(-n // len(images))
    write_idx(os.path.join(d, "train-images-idx3-ubyte"), np.concatenate([images] * reps)[:n])
    write_idx(os.path.join(d, "train-labels-idx1-ubyte"), np.concatenate([labels] * reps)[:n])
    write_idx(os.path.join(d, "t10k-images-idx3-ubyte"), read_idx(find_idx("t10k-images-idx3-ubyte")))
    write_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), read_idx(find_idx("t10k-labels-idx1-ubyte")))
    open(done, "w").close()
    return d


def engine_images_per_s(build, ckpt, data_dir, threads, out, n):
    cmd = [f"{build}/bin/hashnet", "encode", "--ckpt", ckpt, "--data", f"idx:{data_dir}",
           "--split", "train", "--out", out, "--threads", str(threads)]
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"^([0-9]+) codes .*encoded in ([0-9.]+) s, ([0-9]+) img/s", text, re.M)
    if not m:
        sys.exit(f"no throughput in the output of {' '.join(cmd)}:\n{text}")
    if int(m.group(1)) != n:
        sys.exit(f"{' '.join(cmd)} encoded {m.group(1)} images, not {n}:\n{text}")
    return float(m.group(3))


def torch_images_per_s(images, threads, bits, batch=1000):
    import torch
    import torch.nn as nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, bits),
        nn.Tanh()).eval()
    src = torch.from_numpy(np.array(images))  # (n, 28, 28) uint8, a writable copy
    codes = []
    start = time.perf_counter()
    with torch.no_grad():
        for at in range(0, len(images), batch):
            x = src[at:at + batch].unsqueeze(1).float().div_(255).sub_(0.2860).div_(0.3530)
            codes.append(net(x) > 0)
    seconds = time.perf_counter() - start
    assert sum(len(c) for c in codes) == len(images)
    return len(images) / seconds


def make_checkpoint(build, work, bits):
    """A HashNet checkpoint after 20 steps on protocol FM: speed does not depend on the weights.
    Not an FM-quick run: `encode --data` keeps a checkpoint's quick flag, which caps a split at
    6,000 images."""
    out = os.path.join(work, f"hashnet-{bits}-20-steps")
    ckpt = os.path.join(out, "checkpoint.safetensors")
    if not os.path.exists(ckpt):
        subprocess.run([f"{build}/bin/hashnet", "train", "--bits", str(bits), "--stop-after", "20",
                        "--overwrite", "--out", out], check=True, stdout=subprocess.DEVNULL)
    return ckpt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--work", default="/tmp/he-encode-bench")
    ap.add_argument("--ckpt", default="")
    ap.add_argument("--bits", type=int, default=64)
    ap.add_argument("--torch-batches", default="128,1000")
    a = ap.parse_args()
    batches = [int(b) for b in a.torch_batches.split(",")]
    os.makedirs(a.work, exist_ok=True)
    data_dir = make_data(a.work, a.n)
    ckpt = a.ckpt or make_checkpoint(a.build, a.work, a.bits)
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    out = os.path.join(a.work, "codes.npy")
    print(f"{a.n} images, {a.bits}-bit HashNet codes; img/s per round, then the medians")
    print(f"{'threads':>7} {'hashengine img/s':>24} {'PyTorch img/s':>24} {'ratio':>6}")
    for threads in [int(t) for t in a.threads.split(",")]:
        ours, theirs = [], []
        for _ in range(a.rounds):  # the two systems in turn, so both see the same machine
            ours.append(engine_images_per_s(a.build, ckpt, data_dir, threads, out, a.n))
            theirs.append(max(torch_images_per_s(images, threads, a.bits, b) for b in batches))
        mo, mt = statistics.median(ours), statistics.median(theirs)
        print(f"{threads:>7} {' / '.join(f'{v:,.0f}' for v in ours):>24} "
              f"{' / '.join(f'{v:,.0f}' for v in theirs):>24} {mo / mt:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
