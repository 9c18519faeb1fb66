"""BatchNorm in float32 as each executor rounds it (qnn.ir.float_semantics): PyTorch's fused multiply-adds for the
golden model of our own exports, onnxruntime's separate roundings for files from elsewhere.

Regression: a CNN w8a8 (channels 8, 16) whose golden model differed from Brevitas by one level at one threshold:
the accumulator 7178 of channel 13 gave BatchNorm 0.35937503 the ONNX way and 0.35937497 the PyTorch way, either
side of the quantizer's rounding boundary 0.359375 (tests/test_brevitas_golden.py covers the trained model)."""
from fractions import Fraction

import numpy as np
import pytest
import torch

from qnn.golden.execute import apply_node
from qnn.ir import nodes as N
from qnn.ir.float_semantics import batchnorm_constants, file_batchnorm, fma32, torch_batchnorm
from qnn.qtype import QType


def _exact_fma32(a, b, c) -> np.float32:
    """Reference: the exact rational a*b + c rounded once to float32 (round half to even)."""
    v = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    lo = np.float32(float(v))  # nearest double, then float32: may be off by one; fix with the neighbours
    cands = [np.nextafter(lo, np.float32(-np.inf)), lo, np.nextafter(lo, np.float32(np.inf))]
    best = min(cands, key=lambda r: (abs(Fraction(float(r)) - v), int(np.float32(r).view(np.int32)) & 1))
    return np.float32(best)


def test_fma32_rounds_once():
    rng = np.random.default_rng(1)
    a = rng.normal(size=300).astype(np.float32)
    b = rng.normal(size=300).astype(np.float32)
    c = rng.normal(size=300).astype(np.float32) * np.float32(1e-3)
    got = fma32(a, b, c)
    assert all(got[i] == _exact_fma32(a[i], b[i], c[i]) for i in range(300))


def test_fma32_double_rounding_midpoint():
    # a * b == 1 + 2^-24 exactly (16777217 = 24929 * 673), a float32 midpoint; + 2^-80 puts the exact value just
    # above it (round up to 1 + 2^-23), but the float64 sum rounds back onto the midpoint and then to even (1.0)
    a, b, c = np.float32(24929 / 2**15), np.float32(673 / 2**9), np.float32(2.0**-80)
    assert np.float32(np.float64(a) * np.float64(b) + np.float64(c)) == np.float32(1.0)  # the naive way is wrong
    assert fma32(a, b, c) == _exact_fma32(a, b, c) == np.float32(1 + 2**-23)
    assert fma32(a, b, -c) == _exact_fma32(a, b, -c) == np.float32(1.0)


def _bn(c: int, seed: int):
    rng = np.random.default_rng(seed)
    bn = torch.nn.BatchNorm1d(c).eval()
    params = [rng.uniform(0.2, 2, c), rng.normal(0, 1, c), rng.normal(0, 1, c), rng.uniform(0.1, 3, c)]
    with torch.no_grad():
        for t, v in zip((bn.weight, bn.bias, bn.running_mean, bn.running_var), params):
            t.copy_(torch.from_numpy(v.astype(np.float32)))
    return bn, [p.astype(np.float32) for p in params]


def _levels(nodes, a: np.ndarray) -> np.ndarray:
    x = a
    for n in nodes:
        x = apply_node(n, x)
    return x


@pytest.mark.parametrize("seed", [0, 1])
def test_golden_segment_follows_pytorch_batchnorm_at_every_integer(seed):
    """Dequant -> BatchNorm -> 8-bit ReLU quantizer over 8,193 accumulator values x 64 channels: the IR segment in
    PyTorch's form gives Brevitas' level everywhere (this is what the thresholds are bisected on)."""
    c, s, qs = 64, np.float32(2**-10), np.float32(2**-5)
    bn, (g, b, m, v) = _bn(c, seed)
    a = np.arange(-4096, 4097, dtype=np.int64)[:, None] * np.ones((1, c), np.int64)
    with torch.no_grad():
        y = bn(torch.from_numpy((a * s).astype(np.float32)))
        ref = torch.clamp(torch.round(torch.relu(y) / float(qs)), 0, 255).numpy().astype(np.int64)
    quant = N.Quantize("q", scale=qs, quant_type=QType(8, False))
    form = torch_batchnorm()
    alpha, shift = batchnorm_constants(g, b, m, v, bn.eps, form)
    seg = [N.Dequant("d", scale=s), N.Affine("bn", mul=alpha, add=shift, fma=form == "fma"), N.Relu("r"), quant]
    assert np.array_equal(_levels(seg, a), ref)
    # the other form is not the same function: it misses Brevitas somewhere on some seed (sensitivity)
    other = "onnx" if form == "fma" else "fma"
    alpha2, shift2 = batchnorm_constants(g, b, m, v, bn.eps, other)
    y2 = _levels([N.Dequant("d", scale=s), N.Affine("bn", mul=alpha2, add=shift2, fma=other == "fma")], a)
    assert not np.array_equal(y2, y.numpy())


def test_onnx_form_matches_onnxruntime():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    c = 32
    _, (g, b, m, v) = _bn(c, 3)
    inits = [numpy_helper.from_array(p, n) for p, n in zip((g, b, m, v), "gbmv")]
    node = helper.make_node("BatchNormalization", ["x", *"gbmv"], ["y"], epsilon=1e-5)
    graph = helper.make_graph([node], "bn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, c, 1, 1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, c, 1, 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    x = (np.random.default_rng(4).integers(-2**15, 2**15, size=(64, c, 1, 1)) * 2.0**-12).astype(np.float32)
    y = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    alpha, shift = batchnorm_constants(g, b, m, v, 1e-5, "onnx")
    got = apply_node(N.Affine("bn", mul=alpha, add=shift), x[:, :, 0, 0])
    assert np.array_equal(got, y[:, :, 0, 0])
    assert file_batchnorm(model) == "onnx"  # a file that records nothing follows onnxruntime
    helper.set_model_props(model, {"qnn.batchnorm": "fma"})
    assert file_batchnorm(onnx.load_from_string(model.SerializeToString())) == "fma"
