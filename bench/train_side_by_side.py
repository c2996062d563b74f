#!/usr/bin/env python3
"""Training throughput of the protocol's small CNN, hashengine vs PyTorch, in one run.

Both do forward + loss + backward + optimiser step on batch 128 of 28x28x1 inputs (data
loading excluded, 10 warm-up steps), at 1 and 2 threads, alternating systems so that both
see the same machine. hashengine's figure comes from build/bin/bench_train (Google Benchmark,
a plain SGD step), PyTorch's from the same network with SGD. PyTorch (pip) is needed only
for this script. Usage: python3 bench/train_side_by_side.py [build_dir]
"""
import json
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
    out = subprocess.run([f"{build}/bin/bench_train", f"--benchmark_filter=BM_SmallCnnStep/{threads}/",
                          "--benchmark_format=json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["benchmarks"][0]["images/s"]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    print(f"{'threads':>7} {'hashengine img/s':>17} {'PyTorch img/s':>14} {'ratio':>6}")
    for threads in (1, 2):
        ours = engine_images_per_s(build, threads)
        theirs = torch_images_per_s(threads)
        print(f"{threads:>7} {ours:>17.0f} {theirs:>14.0f} {ours / theirs:>6.2f}")


if __name__ == "__main__":
    main()
