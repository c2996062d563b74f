#!/usr/bin/env bash
# The Python package: a fresh virtual environment in $BUILD_DIR/python-venv (default build/),
# pytest and faiss-cpu from PyPI, `pip install .` (scikit-build-core builds the extension in
# build-wheel/, kept between runs), then pytest on tests/python. The tests compare with the
# command-line tools in $BUILD_DIR/bin (hashsearch, hashnet, adsh, lsh) and skip, saying so,
# where one is not built; scripts/test.sh builds them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
VENV="$BUILD/python-venv"
# Debian's python3 needs python3-venv for venvs and python3-dev for the headers.
if ! python3 -c 'import ensurepip, os, sysconfig
assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    python3-venv python3-dev
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
# Built as scripts/test.sh builds: Makefiles, one job per core, the compilers CMake picks by
# default (scikit-build-core would pass g++), a tree as deep as build/; so ccache (when
# CMAKE_CXX_COMPILER_LAUNCHER names it) finds the engine's objects already made.
export CMAKE_GENERATOR="Unix Makefiles" CC=${CC:-cc} CXX=${CXX:-c++}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
"$VENV/bin/pip" install --quiet pytest
# FAISS is optional (its tests skip without it); a platform without a wheel goes on.
"$VENV/bin/pip" install --quiet faiss-cpu || echo "test-python: faiss-cpu not installed"
"$VENV/bin/pip" install --config-settings=build-dir=build-wheel .
export HASHENGINE_BIN="$PWD/$BUILD/bin"
status=0
"$VENV/bin/python" -m pytest -q -rs tests/python || status=$?
# pytest exits 5 when it collected no test: the suite went missing, which is a failure here.
if [ "$status" -eq 5 ]; then
  echo "test-python: pytest collected no tests in tests/python" >&2
fi
exit "$status"
