#!/usr/bin/env python3
"""Writes tests/nn/fixtures/torch_parity.safetensors: PyTorch's forward and backward of each
layer and generic loss, for test_torch_parity.cpp (layers) and tests/zoo/test_torch_parity_zoo.cpp
(the small CNN) to compare the engine against.

Per case <c> the file holds
  <c>.input                 the input (i64 ids for Embedding)
  <c>.target                losses only (i64 labels for cross_entropy)
  <c>.param.<name>          the module's state_dict before the step, PyTorch's names
  <c>.upstream              dL/d(output), random (a 0-D scalar for losses)
  <c>.output                forward output (the loss value for losses)
  <c>.grad.input            dL/d(input) (not for Embedding)
  <c>.grad.param.<name>     dL/d(parameter) for every parameter
  <c>.after.<name>          buffers after the step (BatchNorm running statistics)
Cases of several inputs and outputs (LSTM, GRU, MultiheadAttention) name them:
<c>.input.<x>, <c>.grad.input.<x>, <c>.output.<y>, <c>.upstream.<y>.
The metadata has one key, "torch_parity": JSON {"torch_version", "seed", "cases": {<c>: the
case's kind and hyperparameters}} (one key, because the safetensors writer orders metadata keys
at random and the file should be byte-identical when regenerated).

Inputs and parameters are drawn in f32 and the reference is computed in f64 from those exact
values, so the stored outputs carry PyTorch's f64 answer rounded once to f32; cases whose name
ends in _f64 store f64 throughout.

The small CNN's fc.0.weight (512x3136) and features.4.weight are too big to store with their
gradients under the 1 MB budget: they are generated on both sides by `hashed_uniform` (a
counter-based integer hash, exact in any language), and the 1.6M-element gradient of fc.0.weight
is stored as every GRAD_SAMPLE_STRIDE-th element plus its row and column sums.

Needs `pip install torch numpy safetensors`; run by hand, never by the build.
"""
import json
import pathlib

import numpy as np

SEED = 20240601
GRAD_SAMPLE_STRIDE = 97
BIG_GRAD = 65536  # gradients with more elements are stored sampled


def hashed_uniform(shape, lo, hi, salt):
    """U[lo,hi) from murmur3's fmix32 of (index * golden + salt); the C++ test mirrors it."""
    n = int(np.prod(shape))
    m = np.uint64(0xFFFFFFFF)
    h = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(salt)) & m
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & m
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & m
    h ^= h >> np.uint64(16)
    u = (h >> np.uint64(8)).astype(np.float64) / float(1 << 24)
    return (lo + (hi - lo) * u).astype(np.float32).reshape(shape)


class Writer:
    def __init__(self):
        self.tensors = {}
        self.meta = {}

    def put(self, name, t, dtype):
        assert name not in self.tensors, name
        a = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        self.tensors[name] = a.copy(order="C")  # ascontiguousarray makes 0-D 1-D

    def case(self, name, meta):
        assert name not in self.meta, name
        self.meta[name] = meta


def keep_round_off(tensors, path):
    """Where the file already holds a tensor that differs from the new one by floating-point
    round-off only (BLAS summation order: ~1e-16 relative in f64, or ~1e-14 on a gradient that
    is zero in exact arithmetic), keeps the stored bytes, so regenerating changes the file only
    where a case changed."""
    if not path.exists():
        return
    from safetensors.numpy import load_file
    old = load_file(str(path))
    kept = 0
    for k, a in tensors.items():
        b = old.get(k)
        if b is None or b.shape != a.shape or b.dtype != a.dtype or np.array_equal(a, b):
            continue
        if a.dtype.kind == "f" and np.allclose(a, b, rtol=1e-12, atol=1e-12):
            tensors[k] = b
            kept += 1
    print(f"kept {kept} stored tensors that differed by round-off only")


def main():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from safetensors.numpy import save_file

    torch.manual_seed(SEED)
    w = Writer()

    def randn(*shape, scale=1.0):
        return torch.randn(*shape, dtype=torch.float32) * scale

    def randomise(module):
        """Random parameters (and BatchNorm statistics) in f32, so no default init is tested."""
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.rand_like(p) + 0.5 if name.endswith("weight") and p.dim() == 1
                        else torch.randn_like(p) * 0.5)
            for name, b in module.named_buffers():
                if name.endswith("running_mean"):
                    b.copy_(torch.randn_like(b) * 0.3)
                elif name.endswith("running_var"):
                    b.copy_(torch.rand_like(b) + 0.5)

    def module_case(name, module, x, meta, *, train=True, f64_store=False, input_grad=True,
                    setup=None):
        """Stores the f32 state and input, then runs forward/backward in f64."""
        store = np.float64 if f64_store else np.float32
        randomise(module)
        if setup:
            setup(module)
        for k, v in module.state_dict().items():
            w.put(f"{name}.param.{k}", v, store)
        ref = module.double()
        ref.train(train)
        xin = x.double().requires_grad_(input_grad) if x.is_floating_point() else x
        y = ref(xin)
        up = torch.randn(y.shape, dtype=torch.float32).double()
        y.backward(up)
        w.put(f"{name}.input", x, store)
        w.put(f"{name}.upstream", up, store)
        w.put(f"{name}.output", y, store)
        if input_grad:
            w.put(f"{name}.grad.input", xin.grad, store)
        for k, p in ref.named_parameters():
            w.put(f"{name}.grad.param.{k}", p.grad, store)
        if train:
            for k, b in ref.named_buffers():
                w.put(f"{name}.after.{k}", b, store)
        w.case(name, meta)

    # ---- layers ----
    module_case("linear", nn.Linear(5, 3), randn(4, 5), {"kind": "linear", "in": 5, "out": 3})
    module_case("linear_f64", nn.Linear(6, 4), randn(2, 3, 6),
                {"kind": "linear", "in": 6, "out": 4}, f64_store=True)
    conv = {"kind": "conv2d", "in": 4, "out": 6, "kernel": 3, "stride": 2, "padding": 1,
            "dilation": 1, "groups": 2}
    module_case("conv2d_s2_p1_g2", nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
                randn(2, 4, 7, 6), conv)
    module_case("conv2d_s2_p1_g2_f64", nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
                randn(2, 4, 7, 6), conv, f64_store=True)
    module_case("conv2d_dil2", nn.Conv2d(3, 4, 3, padding=1, dilation=2), randn(2, 3, 8, 7),
                {"kind": "conv2d", "in": 3, "out": 4, "kernel": 3, "stride": 1, "padding": 1,
                 "dilation": 2, "groups": 1})
    module_case("conv_transpose2d",
                nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
                randn(2, 3, 4, 5),
                {"kind": "conv_transpose2d", "in": 3, "out": 2, "kernel": 3, "stride": 2,
                 "padding": 1, "output_padding": 1})
    bn = {"kind": "batchnorm", "channels": 3, "eps": 1e-5, "momentum": 0.1}
    module_case("batchnorm2d_train", nn.BatchNorm2d(3), randn(4, 3, 3, 3, scale=2.0) + 1.0,
                dict(bn, train=True))
    module_case("batchnorm2d_eval", nn.BatchNorm2d(3), randn(4, 3, 3, 3, scale=2.0) + 1.0,
                dict(bn, train=False), train=False)
    module_case("batchnorm1d_train", nn.BatchNorm1d(5), randn(6, 5, scale=1.5) - 0.5,
                dict(bn, channels=5, train=True))
    module_case("layernorm", nn.LayerNorm([4, 5]), randn(3, 4, 5, scale=2.0) + 0.5,
                {"kind": "layernorm", "shape": [4, 5], "eps": 1e-5})
    module_case("maxpool2d_k2", nn.MaxPool2d(2), randn(2, 3, 6, 7),
                {"kind": "maxpool2d", "kernel": 2, "stride": 2, "padding": 0})
    module_case("maxpool2d_k3_s2_p1", nn.MaxPool2d(3, stride=2, padding=1), randn(2, 3, 7, 6),
                {"kind": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1})
    # Small integers: ties inside windows (PyTorch routes the gradient to the first maximum in
    # row-major order) and elements that win several overlapping windows.
    module_case("maxpool2d_ties", nn.MaxPool2d(3, stride=2, padding=1),
                torch.randint(-2, 3, (2, 3, 7, 6)).float(),
                {"kind": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1})
    module_case("avgpool2d_k3_s2_p1", nn.AvgPool2d(3, stride=2, padding=1), randn(2, 3, 7, 6),
                {"kind": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1,
                 "count_include_pad": True})
    module_case("adaptive_avgpool2d", nn.AdaptiveAvgPool2d((3, 2)), randn(2, 3, 7, 5),
                {"kind": "adaptive_avgpool2d", "out_h": 3, "out_w": 2})
    ids = torch.tensor([[1, 4, 9, 4, 0], [7, 7, 2, 9, 3], [5, 1, 1, 8, 6]], dtype=torch.int64)
    module_case("embedding", nn.Embedding(10, 4), ids,
                {"kind": "embedding", "num": 10, "dim": 4}, input_grad=False)

    class GeM(nn.Module):
        def __init__(self, p=3.0, eps=1e-6):
            super().__init__()
            self.p = nn.Parameter(torch.full((1,), p))
            self.eps = eps

        def forward(self, x):
            return (x.clamp(min=self.eps) ** self.p).mean((2, 3)) ** (1.0 / self.p)

    def set_p(m):  # randomise() draws p from N(0, .25); GeM wants p > 1
        with torch.no_grad():
            m.p.fill_(2.75)

    module_case("gem", GeM(), torch.rand(2, 3, 4, 5) * 1.7 - 0.2,  # some negatives hit the clamp
                {"kind": "gem", "p": 2.75, "eps": 1e-6}, setup=set_p)

    # ---- activations and softmax: functions of one input, no parameters ----
    def function_case(name, f, x, meta):
        xin = x.double().requires_grad_()
        y = f(xin)
        up = torch.randn(y.shape, dtype=torch.float32).double()
        y.backward(up)
        for k, v in (("input", x), ("upstream", up), ("output", y), ("grad.input", xin.grad)):
            w.put(f"{name}.{k}", v, np.float32)
        w.case(name, meta)

    act = randn(4, 6, scale=2.0)
    act[0, :3] = 0.0  # the gradient convention at the kink: relu'(0) = 0, elu'(0) = alpha
    function_case("relu", F.relu, act, {"kind": "relu"})
    function_case("tanh", torch.tanh, act, {"kind": "tanh"})
    function_case("sigmoid", torch.sigmoid, act, {"kind": "sigmoid"})
    function_case("leaky_relu", lambda x: F.leaky_relu(x, 0.2), act,
                  {"kind": "leaky_relu", "slope": 0.2})
    function_case("elu", lambda x: F.elu(x, 0.7), act, {"kind": "elu", "alpha": 0.7})
    softplus_x = torch.cat([act.flatten(), torch.tensor([25.0, -30.0, 19.5, 0.0])]).reshape(4, 7)
    function_case("softplus", F.softplus, softplus_x,
                  {"kind": "softplus", "beta": 1.0, "threshold": 20.0})
    sm = randn(2, 5, 3, scale=3.0)
    function_case("softmax", lambda x: F.softmax(x, dim=1), sm, {"kind": "softmax", "dim": 1})
    function_case("log_softmax", lambda x: F.log_softmax(x, dim=1), sm,
                  {"kind": "log_softmax", "dim": 1})

    # ---- generic losses: loss(input, target), gradient w.r.t. the input ----
    def loss_case(name, f, x, target, meta):
        xin = x.double().requires_grad_()
        t = target.double() if target.is_floating_point() else target
        y = f(xin, t)
        up = torch.tensor(1.7, dtype=torch.float64)  # a non-unit upstream scalar
        y.backward(up)
        for k, v in (("input", x), ("target", target), ("upstream", up), ("output", y),
                     ("grad.input", xin.grad)):
            w.put(f"{name}.{k}", v, np.float32)
        w.case(name, meta)

    logits = randn(6, 5, scale=2.0)
    labels = torch.tensor([0, 4, 2, 2, 1, 3], dtype=torch.int64)
    loss_case("cross_entropy", F.cross_entropy, logits, labels,
              {"kind": "cross_entropy", "label_smoothing": 0.0})
    loss_case("cross_entropy_ls", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
              logits, labels, {"kind": "cross_entropy", "label_smoothing": 0.1})
    loss_case("bce_with_logits", F.binary_cross_entropy_with_logits, randn(4, 3, scale=2.0),
              torch.rand(4, 3), {"kind": "bce_with_logits"})
    pred, target = randn(3, 4), randn(3, 4)
    pred[0, 0] = target[0, 0]  # l1's gradient at a zero difference: sign(0) = 0
    loss_case("mse", F.mse_loss, pred, target, {"kind": "mse"})
    loss_case("l1", F.l1_loss, pred, target, {"kind": "l1"})
    near = target + randn(3, 4, scale=0.6)  # |d| on both sides of beta
    loss_case("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, beta=0.5), near, target,
              {"kind": "smooth_l1", "beta": 0.5})

    # ---- the protocol's small CNN (zoo/backbones.h), train mode with dropout off ----
    out = 16

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
            self.fc = nn.Sequential(nn.Linear(3136, 512), nn.ReLU(), nn.Dropout(0.5))
            self.head = nn.Linear(512, out)

        def forward(self, x):
            return self.head(self.fc(self.features(x).flatten(1)))

    cnn = SmallCNN()
    randomise(cnn)
    generated = {  # name -> (lo, hi, salt): PyTorch's default init bounds 1/sqrt(fan_in)
        "features.4.weight": (-1 / np.sqrt(800), 1 / np.sqrt(800), 11),
        "fc.0.weight": (-1 / np.sqrt(3136), 1 / np.sqrt(3136), 12),
    }
    with torch.no_grad():
        for k, (lo, hi, salt) in generated.items():
            p = dict(cnn.named_parameters())[k]
            p.copy_(torch.from_numpy(hashed_uniform(tuple(p.shape), lo, hi, salt)))
    for k, v in cnn.state_dict().items():
        if k not in generated:
            w.put(f"small_cnn.param.{k}", v, np.float32)
    x = torch.rand(4, 1, 28, 28)
    ref = cnn.double()
    ref.train()
    ref.fc[2].eval()
    xin = x.double().requires_grad_()
    y = ref(xin)
    up = torch.randn(y.shape, dtype=torch.float32).double()
    y.backward(up)
    w.put("small_cnn.input", x, np.float32)
    w.put("small_cnn.upstream", up, np.float32)
    w.put("small_cnn.output", y, np.float32)
    w.put("small_cnn.grad.input", xin.grad, np.float32)
    sampled = []
    for k, p in ref.named_parameters():
        g = p.grad
        if g.numel() > BIG_GRAD:
            sampled.append(k)
            w.put(f"small_cnn.grad.param.{k}.sampled", g.flatten()[::GRAD_SAMPLE_STRIDE],
                  np.float32)
            w.put(f"small_cnn.grad.param.{k}.row_sum", g.sum(1), np.float32)
            w.put(f"small_cnn.grad.param.{k}.col_sum", g.sum(0), np.float32)
        else:
            w.put(f"small_cnn.grad.param.{k}", g, np.float32)
    for k, b in ref.named_buffers():
        w.put(f"small_cnn.after.{k}", b, np.float32)
    w.case("small_cnn", {
        "kind": "small_cnn", "out": out, "train": True, "dropout": "eval",
        "generated": {k: {"shape": list(dict(cnn.named_parameters())[k].shape), "lo": lo,
                          "hi": hi, "salt": salt} for k, (lo, hi, salt) in generated.items()},
        "sampled_grads": sampled, "grad_sample_stride": GRAD_SAMPLE_STRIDE})

    # ---- recurrent and attention layers: several inputs and outputs each ----
    # A seed of their own, so the cases above keep their values whatever is added here.
    torch.manual_seed(SEED + 1)

    def multi_case(name, module, inputs, run, meta):
        """inputs: name -> f32 tensor (all get gradients); run(module, inputs) -> name -> output.
        L = sum over outputs of <output, upstream.<output>>, computed in f64."""
        randomise(module)
        for k, v in module.state_dict().items():
            w.put(f"{name}.param.{k}", v, np.float32)
        ref = module.double()
        xs = {k: v.double().requires_grad_() for k, v in inputs.items()}
        outs = run(ref, xs)
        loss = 0
        for k, y in outs.items():
            up = torch.randn(y.shape, dtype=torch.float32).double()
            loss = loss + (y * up).sum()
            w.put(f"{name}.upstream.{k}", up, np.float32)
            w.put(f"{name}.output.{k}", y, np.float32)
        loss.backward()
        for k, v in inputs.items():
            w.put(f"{name}.input.{k}", v, np.float32)
            w.put(f"{name}.grad.input.{k}", xs[k].grad, np.float32)
        for k, p in ref.named_parameters():
            w.put(f"{name}.grad.param.{k}", p.grad, np.float32)
        w.case(name, meta)

    def lstm_run(m, x):
        out, (h_n, c_n) = m(x["x"], (x["h0"], x["c0"]))
        return {"output": out, "h_n": h_n, "c_n": c_n}

    multi_case("lstm", nn.LSTM(3, 4, num_layers=2, batch_first=True),
               {"x": randn(2, 5, 3), "h0": randn(2, 2, 4), "c0": randn(2, 2, 4)}, lstm_run,
               {"kind": "lstm", "in": 3, "hidden": 4, "layers": 2, "batch_first": True})

    def gru_run(m, x):
        out, h_n = m(x["x"], x["h0"])
        return {"output": out, "h_n": h_n}

    multi_case("gru", nn.GRU(3, 4, num_layers=2), {"x": randn(5, 2, 3), "h0": randn(2, 2, 4)},
               gru_run, {"kind": "gru", "in": 3, "hidden": 4, "layers": 2, "batch_first": False})

    def mha_cross_run(m, x):
        out, weights = m(x["query"], x["key"], x["value"])  # weights averaged over heads
        return {"output": out, "weights": weights}

    multi_case("mha_cross", nn.MultiheadAttention(6, 2),
               {"query": randn(3, 2, 6), "key": randn(4, 2, 6), "value": randn(4, 2, 6)},
               mha_cross_run, {"kind": "mha", "embed_dim": 6, "heads": 2, "batch_first": False})
    multi_case("mha_self_batch_first", nn.MultiheadAttention(8, 4, batch_first=True),
               {"x": randn(2, 3, 8)}, lambda m, x: {"output": m(x["x"], x["x"], x["x"])[0]},
               {"kind": "mha", "embed_dim": 8, "heads": 4, "batch_first": True})

    info = {"torch_version": torch.__version__, "seed": SEED, "cases": w.meta}
    path = pathlib.Path(__file__).parent / "fixtures" / "torch_parity.safetensors"
    path.parent.mkdir(exist_ok=True)
    keep_round_off(w.tensors, path)
    save_file(w.tensors, str(path), metadata={"torch_parity": json.dumps(info, sort_keys=True)})
    size = path.stat().st_size
    print(f"wrote {path}: {len(w.tensors)} tensors, {size} bytes, torch {torch.__version__}")
    assert size < 1 << 20, "fixture over 1 MB"


if __name__ == "__main__":
    main()
