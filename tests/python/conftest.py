"""Shared fixtures: the C++ command-line tools to compare with and the Fashion-MNIST files.

The CLI binaries come from $HASHENGINE_BIN (default: build/bin of the repository); tests that
need one skip, saying which, when it is not built.
"""

import gzip
import os
import pathlib
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    """cli(name, *args) runs build/bin/<name> with args and returns its stdout."""
    bin_dir = pathlib.Path(os.environ.get("HASHENGINE_BIN", REPO / "build" / "bin"))

    def run(name, *args):
        exe = bin_dir / name
        if not exe.is_file():
            pytest.skip(f"{exe} is not built")
        done = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True)
        assert done.returncode == 0, f"{name} {' '.join(map(str, args))}: {done.stderr}"
        return done.stdout

    return run


def read_idx(path):
    """An IDX file (gzipped) of Fashion-MNIST as a uint8 array: images (n, 28, 28), labels (n)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@pytest.fixture(scope="session")
def fashion_mnist():
    """dict of 'train_images', 'train_labels', 'test_images', 'test_labels' (uint8)."""
    root = pathlib.Path(os.environ.get("HE_DATA_DIR", "/usr/share/datasets")) / "fashion-mnist"
    files = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    }
    if not all((root / f).is_file() for f in files.values()):
        pytest.skip(f"Fashion-MNIST is not in {root}")
    return {k: read_idx(root / f) for k, f in files.items()}


def random_codes(rng, n, nq, bits, centres=16, flips=0.15):
    """(database (n), queries (nq)): packed codes around the same few random centres (near
    neighbours, many ties, MIH-friendly); the padding bits past `bits` are zero."""
    c = rng.integers(0, 2, size=(centres, bits), dtype=np.uint8)
    signs = c[rng.integers(0, centres, size=n + nq)] ^ (rng.random((n + nq, bits)) < flips)
    codes = np.packbits(signs.astype(np.uint8), axis=1)
    return codes[:n], codes[n:]


@pytest.fixture
def make_codes():
    return random_codes
