#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, train HashNet (64 bits) on Fashion-MNIST
# under protocol FM on the CPU, evaluate (mAP@1000, mAP@all, P@1000, P@r2), then search the
# database for a test image and draw the top 10 hits as a PNG grid.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DENGINE_CUDA=${ENGINE_CUDA:-AUTO}
cmake --build "$BUILD" -j "$(nproc)" --target hashnet
OUT=${OUT:-runs/hashnet-64}
"$BUILD"/bin/hashnet train --bits 64 --epochs 5 --threads "$(nproc)" --out "$OUT"
cat "$OUT/metrics.json"
"$BUILD"/bin/hashnet search --ckpt "$OUT/checkpoint.safetensors" --query 0 --k 10 --out "$OUT/search.png"
