"""BinaryIndex and read_index against the C++ command line (hashsearch) on the same .npy files."""

import concurrent.futures
import threading
import time

import numpy as np
import pytest

import hashengine


@pytest.fixture(params=[64, 30, 128], ids=lambda b: f"{b}bits")
def data(request, tmp_path, make_codes):
    bits = request.param
    rng = np.random.default_rng(bits)
    db, q = make_codes(rng, 3000, 40, bits)
    np.save(tmp_path / "db.npy", db)
    np.save(tmp_path / "q.npy", q)
    return bits, db, q, tmp_path


def cli_knn(cli, tmp, bits, k, *source):
    cli("hashsearch", "knn", *source, "--queries", tmp / "q.npy", "--k", k, "--bits", bits,
        "--out", tmp / "cli")
    return np.load(tmp / "cli_dist.npy"), np.load(tmp / "cli_ids.npy")


@pytest.mark.parametrize("kind", ["flat", "mih"])
def test_search_equals_cli(cli, data, kind):
    bits, db, q, tmp = data
    index = hashengine.BinaryIndex(bits, kind=kind)
    index.add(db)
    assert (index.ntotal, len(index), index.bits, index.kind) == (3000, 3000, bits, kind)
    dist, ids = index.search(q, 25)
    assert dist.dtype == np.int32 and ids.dtype == np.int64 and dist.shape == (40, 25)
    want_dist, want_ids = cli_knn(cli, tmp, bits, 25, "--db", tmp / "db.npy", "--index", kind)
    np.testing.assert_array_equal(dist, want_dist)
    np.testing.assert_array_equal(ids, want_ids)


def test_mih_equals_flat_after_several_adds(data):
    bits, db, q, _ = data
    flat, mih = hashengine.BinaryIndex(bits), hashengine.BinaryIndex(bits, kind="mih")
    for part in np.array_split(db, 3):
        flat.add(part)
        mih.add(part)
    assert mih.m > 0
    for a, b in zip(flat.search(q, 50, threads=1), mih.search(q, 50, threads=2)):
        np.testing.assert_array_equal(a, b)


def test_range_search_equals_cli(cli, data):
    bits, db, q, tmp = data
    index = hashengine.BinaryIndex(bits, kind="mih")
    index.add(db)
    r = bits // 4
    lims, dist, ids = index.range_search(q, r)
    assert lims.shape == (41,) and lims[-1] == len(ids) == len(dist) > 0
    assert dist.max() <= r
    cli("hashsearch", "radius", "--db", tmp / "db.npy", "--queries", tmp / "q.npy", "--r", r,
        "--bits", bits, "--out", tmp / "cli")
    for got, name in [(lims, "lims"), (dist, "dist"), (ids, "ids")]:
        np.testing.assert_array_equal(got, np.load(tmp / f"cli_{name}.npy"))


@pytest.mark.parametrize("kind", ["flat", "mih"])
def test_cli_index_file_with_ids(cli, data, kind):
    """An index file built by `hashsearch build --ids` answers as the CLI does from it."""
    bits, db, q, tmp = data
    ext = np.arange(len(db), dtype=np.int64) * 7 + 1000
    np.save(tmp / "ids.npy", ext)
    cli("hashsearch", "build", "--db", tmp / "db.npy", "--bits", bits, "--ids", tmp / "ids.npy",
        "--index", kind, "--out", tmp / "cli.idx")
    index = hashengine.read_index(str(tmp / "cli.idx"))
    assert (index.kind, index.ntotal, index.bits) == (kind, len(db), bits)
    dist, ids = index.search(q, 10)
    want_dist, want_ids = cli_knn(cli, tmp, bits, 10, "--index", tmp / "cli.idx")
    np.testing.assert_array_equal(dist, want_dist)
    np.testing.assert_array_equal(ids, want_ids)
    assert set(ids.ravel()) <= set(ext)


@pytest.mark.parametrize("kind", ["flat", "mih"])
def test_save_then_read_and_cli(cli, data, kind):
    bits, db, q, tmp = data
    index = hashengine.BinaryIndex(bits, kind=kind)
    index.add(db[:1000], ids=np.arange(1000) + 5)
    index.add(db[1000:], ids=np.arange(1000, len(db)) + 5)
    index.save(str(tmp / "py.idx"))
    for mmap in (True, False):
        loaded = hashengine.read_index(str(tmp / "py.idx"), mmap=mmap)
        assert (loaded.kind, loaded.ntotal, loaded.m) == (kind, len(db), index.m)
        for a, b in zip(loaded.search(q, 20), index.search(q, 20)):
            np.testing.assert_array_equal(a, b)
    want_dist, want_ids = cli_knn(cli, tmp, bits, 20, "--index", tmp / "py.idx")
    dist, ids = index.search(q, 20)
    np.testing.assert_array_equal(dist, want_dist)
    np.testing.assert_array_equal(ids, want_ids)


def test_search_from_threads_matches_one_thread(make_codes):
    rng = np.random.default_rng(1)
    db, q = make_codes(rng, 20000, 200, 64)
    index = hashengine.BinaryIndex(64, kind="mih")
    index.add(db)
    want = index.search(q, 10, threads=1)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: index.search(q[i::4], 10, threads=1), range(4)))
    for i, (dist, ids) in enumerate(results):
        np.testing.assert_array_equal(dist, want[0][i::4])
        np.testing.assert_array_equal(ids, want[1][i::4])


def test_search_releases_the_gil():
    """While one thread searches, this one keeps running: no pause as long as the search."""
    db = np.random.default_rng(2).integers(0, 256, size=(1_000_000, 8), dtype=np.uint8)
    index = hashengine.BinaryIndex(64)
    index.add(db)
    done, span, stamps = threading.Event(), [], []

    def work():
        start = time.perf_counter()
        index.search(db[:500], 10, threads=1)
        span.append(time.perf_counter() - start)
        done.set()

    worker = threading.Thread(target=work)
    stamps.append(time.perf_counter())
    worker.start()
    while not done.is_set():
        stamps.append(time.perf_counter())
    stamps.append(time.perf_counter())  # a pause up to the search's end counts too
    worker.join()
    assert len(stamps) > 1 and np.diff(stamps).max() < span[0] / 2


def test_search_by_hand():
    """Distances by hand: codes 0xff, 0x03, 0x01, 0x00, 0x01; queries 0x00 and 0xff."""
    index = hashengine.BinaryIndex(8)
    index.add(np.array([[0xFF], [0x03], [0x01], [0x00], [0x01]], dtype=np.uint8))
    dist, ids = index.search(np.array([[0x00]], dtype=np.uint8), 4)
    assert dist.tolist() == [[0, 1, 1, 2]] and ids.tolist() == [[3, 2, 4, 1]]
    lims, dist, ids = index.range_search(np.array([[0x00], [0xFF]], dtype=np.uint8), 1)
    assert lims.tolist() == [0, 3, 4] and ids.tolist() == [3, 2, 4, 0]
    assert dist.tolist() == [0, 1, 1, 0]


def test_errors_carry_the_engine_messages(tmp_path, make_codes):
    index = hashengine.BinaryIndex(64)
    with pytest.raises(ValueError, match="kind must be 'flat' or 'mih'"):
        hashengine.BinaryIndex(64, kind="ivf")
    with pytest.raises(ValueError, match=r"expected packed codes, uint8 \(n, bytes\), got float32"):
        index.add(np.zeros((3, 8), dtype=np.float32))
    with pytest.raises(ValueError, match=r"64-bit codes take 8 bytes a row, got uint8 \(3, 4\)"):
        index.add(np.zeros((3, 4), dtype=np.uint8))
    index.add(make_codes(np.random.default_rng(0), 5, 0, 64)[0])
    with pytest.raises(ValueError, match=r"hamming_knn: k=6 must be in \[1, n=5\]"):
        index.search(np.zeros((1, 8), dtype=np.uint8), 6)
    with pytest.raises(ValueError, match="ids cannot be given now"):
        index.add(np.zeros((1, 8), dtype=np.uint8), ids=np.array([9]))
    with pytest.raises(ValueError, match="bits set beyond bit length 30"):
        hashengine.BinaryIndex(30).add(np.full((1, 4), 0xFF, dtype=np.uint8))
    with pytest.raises(ValueError, match="MihIndex: m=65 substrings for 64-bit codes"):
        hashengine.BinaryIndex(64, kind="mih", m=65).add(np.zeros((4, 8), dtype=np.uint8))
    index.save(str(tmp_path / "a.idx"))
    raw = bytearray((tmp_path / "a.idx").read_bytes())
    raw[70] ^= 0x10  # a flipped bit in the codes: the payload checksum fails
    (tmp_path / "bad.idx").write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="bad.idx"):
        hashengine.read_index(str(tmp_path / "bad.idx"))
    (tmp_path / "short.idx").write_bytes(bytes(raw[:40]))
    with pytest.raises(RuntimeError, match="short.idx"):
        hashengine.read_index(str(tmp_path / "short.idx"))
    with pytest.raises(RuntimeError, match="missing.idx"):
        hashengine.read_index(str(tmp_path / "missing.idx"))
