#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, builds the consumer project against it
# with find_package(hashengine), makes a checkpoint with the itq binary (FM-quick, seconds)
# and runs the consumer on it. Args: BUILD_DIR ITQ_BINARY
set -euo pipefail
build=$1 itq=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$(dirname "$0")/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/consumer" -j 2 > "$work/build.log"
"$itq" train --quick --bits 32 --out "$work/run" > /dev/null
"$work/consumer/search_service" "$work/run/checkpoint.safetensors" 50
