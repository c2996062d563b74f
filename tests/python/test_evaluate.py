"""evaluate against hand-computed metrics and the C++ command line (hashsearch eval)."""

import json

import numpy as np
import pytest

import hashengine


def test_by_hand():
    """Query 0x00 of class 0; database 0x00 (class 0), 0x01 (1), 0x03 (0), 0xFF (0).
    Ranking by distance 0, 1, 2, 8: relevant, -, relevant, relevant.
    AP@2 = 1/1 * 1 = 1; AP@all = (1/1 + 2/3 + 3/4) / 3; P@2 = 1/2; R@2 = 1/3;
    within radius 2: 3 codes of which 2 relevant, P@r2 = 2/3."""
    db = np.array([[0x00], [0x01], [0x03], [0xFF]], dtype=np.uint8)
    m = hashengine.evaluate(db, np.array([0, 1, 0, 0]), np.array([[0x00]], np.uint8),
                            np.array([0]), k=2)
    assert list(m) == ["bits", "map@2", "map@all", "p@2", "r@2", "p@r2", "queries", "database"]
    assert m["map@2"] == pytest.approx(1.0)
    assert m["map@all"] == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    assert m["p@2"] == pytest.approx(0.5) and m["r@2"] == pytest.approx(1 / 3)
    assert m["p@r2"] == pytest.approx(2 / 3)
    assert (m["bits"], m["queries"], m["database"]) == (8, 1, 4)
    # Multi-hot labels: class sets {0}, {1}, {0, 1}, {2}, query {1}: relevant -, y, y, -.
    hot = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    m = hashengine.evaluate(db, hot, np.array([[0x00]], np.uint8), np.array([[0, 1, 0]]), k=2)
    assert m["map@2"] == pytest.approx(1 / 2) and m["p@2"] == pytest.approx(1 / 2)


@pytest.mark.parametrize("multi", [False, True], ids=["single", "multi"])
def test_equals_cli(cli, tmp_path, make_codes, multi):
    rng = np.random.default_rng(3)
    db, q = make_codes(rng, 2000, 100, 48)
    if multi:
        dbl, ql = rng.random((2000, 5)) < 0.3, rng.random((100, 5)) < 0.3
    else:
        dbl, ql = rng.integers(0, 10, 2000), rng.integers(0, 10, 100)
    for name, a in [("db", db), ("q", q), ("dbl", dbl.astype(np.int64)), ("ql", ql.astype(np.int64))]:
        np.save(tmp_path / f"{name}.npy", a)
    out = cli("hashsearch", "eval", "--db", tmp_path / "db.npy", "--db-labels", tmp_path / "dbl.npy",
              "--queries", tmp_path / "q.npy", "--query-labels", tmp_path / "ql.npy", "--k", 300)
    want = json.loads(out)
    got = hashengine.evaluate(db, dbl, q, ql, k=300, threads=1)
    for key in ["map@all", "p@r2", "bits", "queries", "database"]:
        assert got[key] == want[key], key
    for key in ["map", "p", "r"]:
        assert got[f"{key}@300"] == want[f"{key}@k"], key


def test_errors():
    codes = np.zeros((4, 1), np.uint8)
    with pytest.raises(ValueError, match=r"4 db_codes with 3 db_labels"):
        hashengine.evaluate(codes, np.arange(3), codes, np.arange(4))
    with pytest.raises(ValueError, match=r"db_labels: expected integers, got float64 \(4,\)"):
        hashengine.evaluate(codes, np.zeros(4), codes, np.arange(4))
    with pytest.raises(ValueError, match=r"q_codes: 8-bit codes take 1 bytes a row"):
        hashengine.evaluate(codes, np.arange(4), np.zeros((4, 2), np.uint8), np.arange(4))
