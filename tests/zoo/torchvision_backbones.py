#!/usr/bin/env python3
"""Writes the torchvision backbone fixtures of tests/zoo/test_backbones.cpp from torchvision
itself:

  fixtures/torchvision_backbones.json         per model: torchvision's state_dict as ordered
      [name, shape, dtype] rows (num_classes = 1000), the rule that fills each floating tensor
      for the parity check ([name, lo, hi, salt]: hashed_uniform), and the input's shape
  fixtures/torchvision_backbones.safetensors  per model "<model>.output": torchvision's eval-mode
      forward (computed in f64, rounded to f32) on hashed_uniform(input_shape, -1, 1, 7);
      "resize.<h>x<w>": F.interpolate(bilinear, align_corners=False) of
      hashed_uniform((1, 1, 28, 28), -1, 1, 7) to h x w (the zoo's input adapter)

Weights and inputs come from `hashed_uniform` (murmur3's fmix32 of index * 0x9E3779B1 + salt,
the same bits as tests/torch_parity.h), so the C++ test regenerates them exactly and nothing
big is stored. Needs torch, torchvision, numpy and safetensors; run by hand, never by the
build:  python3 tests/zoo/torchvision_backbones.py
"""
import json
import math
import pathlib

import numpy as np

INPUT_SALT = 7
# Input shapes chosen small (seconds in the C++ test) yet exercising each net's pooling:
# AlexNet 100x100 ends in 2x2 before its adaptive 6x6 pool (overlapping windows), VGG 32x32
# in 1x1 (replicated to 7x7), vgg16_bn 64x64 in 2x2; ResNet-18 40x40 leaves 2x2 at layer4.
MODELS = {
    "alexnet": (2, 3, 100, 100),
    "vgg16": (1, 3, 32, 32),
    "vgg16_bn": (1, 3, 64, 64),
    "resnet18": (2, 3, 40, 40),
    "resnet50": (1, 3, 32, 32),
}


def hashed_uniform(shape, lo, hi, salt, chunk=1 << 22):
    """U[lo,hi) from fmix32(index * 0x9E3779B1 + salt), in chunks (VGG's fc has 103M)."""
    n = int(np.prod(shape))
    out = np.empty(n, dtype=np.float32)
    m = np.uint64(0xFFFFFFFF)
    for begin in range(0, n, chunk):
        i = np.arange(begin, min(n, begin + chunk), dtype=np.uint64)
        h = (i * np.uint64(0x9E3779B1) + np.uint64(salt)) & m
        h ^= h >> np.uint64(16)
        h = (h * np.uint64(0x85EBCA6B)) & m
        h ^= h >> np.uint64(13)
        h = (h * np.uint64(0xC2B2AE35)) & m
        h ^= h >> np.uint64(16)
        u = (h >> np.uint64(8)).astype(np.float64) / float(1 << 24)
        out[begin:begin + len(i)] = (lo + (hi - lo) * u).astype(np.float32)
    return out.reshape(shape)


def fill_rule(name, shape):
    """(lo, hi) for a floating tensor: He-uniform weights keep activations O(1) through the
    depth; BatchNorm scales and variances near 1; biases and means small."""
    if name.endswith("running_var") or (name.endswith("weight") and len(shape) == 1):
        return 0.5, 1.5
    if name.endswith("weight"):
        b = math.sqrt(6.0 / int(np.prod(shape[1:])))
        return -b, b
    return -0.1, 0.1


def dumps(doc):
    """JSON with one state_dict or fill row per line, for readable diffs."""
    def rows(rs):
        return "[\n" + ",\n".join("   " + json.dumps(r) for r in rs) + "\n  ]"
    models = ",\n".join(
        f' {json.dumps(n)}: {{\n  "input_shape": {json.dumps(m["input_shape"])},\n'
        f'  "state_dict": {rows(m["state_dict"])},\n  "fill": {rows(m["fill"])}}}'
        for n, m in doc["models"].items())
    head = "".join(f" {json.dumps(k)}: {json.dumps(v)},\n" for k, v in doc.items() if k != "models")
    text = "{\n" + head + ' "models": {\n' + models + "\n }\n}\n"
    assert json.loads(text) == doc
    return text


def main():
    import torch
    import torchvision
    from safetensors.numpy import save_file

    here = pathlib.Path(__file__).parent / "fixtures"
    doc = {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
           "input_salt": INPUT_SALT, "models": {}}
    outputs = {}
    for name, input_shape in MODELS.items():
        model = getattr(torchvision.models, name)(weights=None)
        rows, rules = [], []
        with torch.no_grad():
            for salt, (k, v) in enumerate(model.state_dict().items(), start=1000):
                rows.append([k, list(v.shape), str(v.dtype).replace("torch.", "")])
                if v.is_floating_point():
                    lo, hi = fill_rule(k, tuple(v.shape))
                    rules.append([k, lo, hi, salt])
                    v.copy_(torch.from_numpy(hashed_uniform(tuple(v.shape), lo, hi, salt)))
        x = torch.from_numpy(hashed_uniform(input_shape, -1.0, 1.0, INPUT_SALT))
        model = model.double().eval()
        with torch.no_grad():
            y = model(x.double())
        outputs[f"{name}.output"] = y.numpy().astype(np.float32)
        doc["models"][name] = {"state_dict": rows, "fill": rules, "input_shape": list(input_shape)}
        print(f"{name}: {len(rows)} tensors, output {tuple(y.shape)} |y| max {y.abs().max():.3g}")
    x = torch.from_numpy(hashed_uniform((1, 1, 28, 28), -1.0, 1.0, INPUT_SALT)).double()
    for side in (64, 20):
        y = torch.nn.functional.interpolate(x, size=(side, side), mode="bilinear",
                                            align_corners=False)
        outputs[f"resize.{side}x{side}"] = y.numpy().astype(np.float32)
    (here / "torchvision_backbones.json").write_text(dumps(doc))
    save_file(outputs, str(here / "torchvision_backbones.safetensors"),
              metadata={"torchvision_version": torchvision.__version__})


if __name__ == "__main__":
    main()
