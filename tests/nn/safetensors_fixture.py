#!/usr/bin/env python3
"""Writes tests/nn/fixtures/reference.safetensors with the official safetensors package.

The C++ test (test_safetensors.cpp, ReadsReferenceImplementationFile) checks these exact
names, shapes and values, so the engine's reader is tested against a file it did not write.
Needs `pip install safetensors numpy`; run by hand, never by the build.
"""
import pathlib

import numpy as np


def expected():
    """The tensors both the fixture and the C++ interop file hold."""
    return {
        "features.0.weight": (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0),
        "features.0.bias": np.array([0.1, -0.2, 1e-30], dtype=np.float64),
        "labels": np.array([[1, -2], [3, 2147483647]], dtype=np.int32),
        "index": np.array([-(2**40), 7], dtype=np.int64),
        "image": np.arange(250, 256, dtype=np.uint8).reshape(1, 2, 3),
        "codes": np.array([0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF], dtype=np.uint64),
        "scalar": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


METADATA = {"format": "pt", "model": "hashnet", "bits": "64"}


def main():
    from safetensors.numpy import save_file

    out = pathlib.Path(__file__).parent / "fixtures" / "reference.safetensors"
    out.parent.mkdir(exist_ok=True)
    save_file(expected(), str(out), metadata=METADATA)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
