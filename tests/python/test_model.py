"""Model.load(checkpoint).encode(images) and evaluate against a zoo run evaluated by the C++
command line (`<model> eval --quick`, which writes the codes, labels and metrics.json)."""

import json

import numpy as np
import pytest

import hashengine

# hashnet: a CNN; adsh: learns its database codes (a (train_size, bits) buffer); lsh: fitted
# on the pixels. Two training steps are enough: the codes only need to be those of the run.
MODELS = ["hashnet", "adsh", "lsh"]


@pytest.fixture(scope="module", params=MODELS)
def run(request, cli, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    cli(name, "train", "--quick", "--bits", 32, "--stop-after", 2, "--threads", 2, "--out", out)
    cli(name, "eval", "--ckpt", out / "checkpoint.safetensors", "--quick", "--threads", 2)
    return name, out


def test_encode_equals_the_runs_codes(run, fashion_mnist):
    name, out = run
    model = hashengine.Model.load(str(out / "checkpoint.safetensors"))
    assert (model.name, model.bits, model.image_shape) == (name, 32, (1, 28, 28))
    test = fashion_mnist["test_images"][:1000]
    codes = model.encode(test, batch=300)
    assert codes.dtype == np.uint8 and codes.shape == (1000, 4)
    np.testing.assert_array_equal(codes, np.load(out / "query_codes.npy"))
    np.testing.assert_array_equal(model.encode(test[:, None]), codes)  # (N, C, H, W)
    u = model.encode(test[:10], packed=False, threads=1)
    assert u.dtype == np.float32 and u.shape == (10, 32)
    np.testing.assert_array_equal(hashengine.pack(u), codes[:10])
    db = model.database_codes()
    if name == "adsh":
        np.testing.assert_array_equal(db, np.load(out / "db_codes.npy"))
    else:
        assert db is None
        train = fashion_mnist["train_images"][:1500]  # of the 6,000: enough, and quicker
        np.testing.assert_array_equal(model.encode(train), np.load(out / "db_codes.npy")[:1500])


def test_evaluate_equals_metrics_json(run):
    _, out = run
    got = hashengine.evaluate(*(np.load(out / f"{f}.npy") for f in
                                ["db_codes", "db_labels", "query_codes", "query_labels"]))
    want = json.loads((out / "metrics.json").read_text())
    assert set(got) <= set(want)
    for key, value in got.items():
        assert value == want[key], key


def test_errors(run, tmp_path):
    _, out = run
    model = hashengine.Model.load(str(out / "checkpoint.safetensors"))
    with pytest.raises(ValueError, match=r"takes uint8 images \(N, 1, 28, 28\) or \(N, 28, 28\), "
                                         r"got float32 \(2, 28, 28\)"):
        model.encode(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"got uint8 \(2, 3, 28, 28\)"):
        model.encode(np.zeros((2, 3, 28, 28), np.uint8))
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(RuntimeError, match="bad.safetensors"):
        hashengine.Model.load(str(tmp_path / "bad.safetensors"))
