#!/usr/bin/env bash
# Installs every build, test and data dependency from Debian's packages. Safe to run twice:
# apt-get skips what is already installed, and the package list is refreshed only when stale.
set -euo pipefail
pkgs=(cmake g++ make pkg-config git
      googletest libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev libstb-dev
      libopenblas-openmp-dev zlib1g-dev nlohmann-json3-dev libcli11-dev dataset-fashion-mnist
      openmpi-bin libopenmpi-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
