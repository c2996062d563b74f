"""pack / unpack against numpy.packbits, and their errors."""

import numpy as np
import pytest

import hashengine


@pytest.mark.parametrize("bits", [8, 30, 64, 100])
def test_pack_is_packbits_of_signs(bits):
    rng = np.random.default_rng(bits)
    h = rng.standard_normal((50, bits)).astype(np.float32)
    h[0, :5] = 0.0  # sign(0) = +1
    want = np.packbits(h >= 0, axis=1)
    for x in (h, h.astype(np.float64), np.where(h >= 0, 1, -1).astype(np.int8), h >= 0):
        np.testing.assert_array_equal(hashengine.pack(x), want)
    u = hashengine.unpack(want, bits)
    assert u.dtype == np.float32 and u.shape == (50, bits)
    np.testing.assert_array_equal(u, np.where(h >= 0, 1.0, -1.0))


def test_pack_takes_any_strides():
    h = np.random.default_rng(0).standard_normal((64, 20))
    np.testing.assert_array_equal(hashengine.pack(h.T), np.packbits(h.T >= 0, axis=1))


def test_errors():
    with pytest.raises(ValueError, match=r"signs must be float32, float64, int8 or bool, got int64"):
        hashengine.pack(np.ones((2, 8), dtype=np.int64))
    with pytest.raises(ValueError, match=r"expected signs \(n, bits\), got float32 \(8,\)"):
        hashengine.pack(np.ones(8, dtype=np.float32))
    with pytest.raises(ValueError, match="unpack: codes: 12-bit codes take 2 bytes a row"):
        hashengine.unpack(np.zeros((2, 3), dtype=np.uint8), 12)
    with pytest.raises(ValueError, match="beyond bit length 12"):
        hashengine.unpack(np.full((2, 2), 0xFF, dtype=np.uint8), 12)
