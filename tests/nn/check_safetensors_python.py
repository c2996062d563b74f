#!/usr/bin/env python3
"""Checks that a file written by the engine's C++ writer loads in the official safetensors.

Usage: check_safetensors_python.py FILE   (FILE from test_nn's Safetensors.WritesInteropFile,
written to $HE_SAFETENSORS_INTEROP_OUT when that is set). Needs `pip install safetensors numpy`.
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

from safetensors_fixture import METADATA, expected


def main(path):
    got = load_file(path)
    want = expected()
    assert set(got) == set(want), (sorted(got), sorted(want))
    for name, arr in want.items():
        assert got[name].dtype == arr.dtype, (name, got[name].dtype, arr.dtype)
        assert got[name].shape == arr.shape, (name, got[name].shape, arr.shape)
        assert np.array_equal(got[name], arr), name
    with safe_open(path, framework="np") as f:
        assert f.metadata() == METADATA, f.metadata()
    print(f"OK: {path} loads in safetensors with {len(got)} tensors and matching metadata")


if __name__ == "__main__":
    main(sys.argv[1])
