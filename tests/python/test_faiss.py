"""BinaryIndex against FAISS's IndexBinaryFlat on the same packed codes (skipped without faiss).
FAISS breaks ties among equal distances in its own order, so ids are compared as sets within
each distance; its range search keeps distances < radius, ours <= r."""

import numpy as np
import pytest

import hashengine

faiss = pytest.importorskip("faiss")


@pytest.mark.parametrize("bits", [64, 128, 256])
@pytest.mark.parametrize("kind", ["flat", "mih"])
def test_knn_equals_index_binary_flat(make_codes, bits, kind):
    rng = np.random.default_rng(bits)
    db, q = make_codes(rng, 5000, 100, bits)
    ours = hashengine.BinaryIndex(bits, kind=kind)
    ours.add(db)
    ref = faiss.IndexBinaryFlat(bits)
    ref.add(db)
    k = 30
    dist, ids = ours.search(q, k)
    want_dist, want_ids = ref.search(q, k)
    np.testing.assert_array_equal(dist, want_dist)
    for i in range(len(q)):
        last = dist[i, -1]  # the k-th distance: ties there may be cut differently
        inside = dist[i] < last
        assert set(ids[i][inside]) == set(want_ids[i][inside])
        assert set(ids[i][~inside]) <= set(np.flatnonzero(
            np.unpackbits(np.bitwise_xor(db, q[i]), axis=1).sum(1) == last))


def test_range_equals_index_binary_flat(make_codes):
    rng = np.random.default_rng(7)
    db, q = make_codes(rng, 5000, 50, 64)
    ours = hashengine.BinaryIndex(64)
    ours.add(db)
    ref = faiss.IndexBinaryFlat(64)
    ref.add(db)
    lims, dist, ids = ours.range_search(q, 12)
    want_lims, want_dist, want_ids = ref.range_search(q, 13)
    np.testing.assert_array_equal(lims, want_lims)
    for i in range(len(q)):
        a, b = slice(lims[i], lims[i + 1]), slice(want_lims[i], want_lims[i + 1])
        assert sorted(zip(ids[a], dist[a])) == sorted(zip(want_ids[b], want_dist[b]))
