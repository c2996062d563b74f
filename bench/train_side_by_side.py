#!/usr/bin/env python3
"""Training throughput of the protocol's small CNN, hashengine vs PyTorch, in one run.

Both do forward + loss + backward + optimiser step on batch 128 of 28x28x1 inputs (data
loading excluded), at 1 and 2 threads, alternating systems so that both see the same machine.
hashengine's figure comes from build/bin/bench_train (Google Benchmark, a plain SGD step, 3
warm-up steps, the median of 9 repetitions of at least 0.5 s), PyTorch's from the same network
with SGD (10 warm-up steps, the median of 30 steps). PyTorch (pip) is needed only
for this script. Usage: python3 bench/train_side_by_side.py [build_dir] [rounds (3)]
"""
import json
import statistics
import subprocess
import sys
import time


def torch_images_per_s(threads, steps=30, batch=128):
    import torch
    import torch.nn as nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.arange(batch) % 10

    def step():
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    return batch / times[len(times) // 2]


def engine_images_per_s(build, threads):
    # The median of 9 repetitions of at least 0.5 s (5-15 steps each), as PyTorch's figure is
    # the median of 30 steps: a mean over one 3 s run let one slow second of a busy machine
    # weigh on the engine's figure only.
    out = subprocess.run([f"{build}/bin/bench_train", f"--benchmark_filter=BM_SmallCnnStep/{threads}/",
                          "--benchmark_repetitions=9", "--benchmark_report_aggregates_only=true",
                          "--benchmark_format=json"], capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)["benchmarks"]
    return next(r for r in rows if r.get("aggregate_name") == "median")["images/s"]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    # Several rounds, the two systems in turn within each, and the median of each column:
    # on a 2-core machine one measurement of either swings by 10% from run to run.
    print(f"{'threads':>7} {'round':>5} {'hashengine img/s':>17} {'PyTorch img/s':>14} {'ratio':>6}")
    for threads in (1, 2):
        ours, theirs = [], []
        for r in range(rounds):
            ours.append(engine_images_per_s(build, threads))
            theirs.append(torch_images_per_s(threads))
            print(f"{threads:>7} {r + 1:>5} {ours[-1]:>17.0f} {theirs[-1]:>14.0f} {ours[-1] / theirs[-1]:>6.2f}")
        mo, mt = statistics.median(ours), statistics.median(theirs)
        print(f"{threads:>7} {'med':>5} {mo:>17.0f} {mt:>14.0f} {mo / mt:>6.2f}")


if __name__ == "__main__":
    main()
