"""How a float32 BatchNorm is evaluated, so that thresholds reproduce the executor they are checked against.

A BatchNorm in inference is ``y = x * alpha + beta'`` with ``alpha = gamma / sqrt(var + eps)`` and
``beta' = beta - mean * alpha``; in float32 the result depends on the order of roundings, and at a quantizer's
rounding boundary one ulp decides the level. Two executors matter, and they differ:

* ``onnx``: onnxruntime (qonnx execution) rounds the product and the sum separately: ``x * alpha + beta'``.
* ``fma``: PyTorch's CPU kernel (Brevitas training and eval) uses fused multiply-adds, one rounding each:
  ``beta' = fma(-mean, alpha, beta)``, ``y = fma(x, alpha, beta')``. Measured identical on every element for
  BatchNorm1d/2d, NCHW and channels-last, oneDNN on and off (``torch_batchnorm()`` probes it at export).

Our own exports record PyTorch's form in the ONNX file (metadata ``qnn.batchnorm``), so the golden model follows
Brevitas bit for bit; files from elsewhere follow onnxruntime, their format's executor. Checking an own export
against qonnx execution reads the file with ``batchnorm="onnx"``: each comparison is exact against its own
executor, and the two IRs differ only where a value falls within float32 rounding of a threshold.
"""
from __future__ import annotations

import functools

import numpy as np

META_KEY = "qnn.batchnorm"
FORMS = ("onnx", "fma")


def fma32(a, b, c) -> np.ndarray:
    """float32 ``a * b + c`` with a single rounding (IEEE fused multiply-add), elementwise with broadcasting.

    The float64 product of two float32 is exact; the float64 sum then rounds once more, which can only change the
    float32 result when that sum lands exactly on a float32 midpoint: that case is settled by the exact error of
    the sum (TwoSum)."""
    a, b, c = (np.asarray(v, dtype=np.float32) for v in (a, b, c))
    p = a.astype(np.float64) * b.astype(np.float64)
    c64 = c.astype(np.float64)
    s = p + c64
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)  # p + c == s + err exactly
    r = s.astype(np.float32)
    toward = np.where(s > r, np.float32(np.inf), np.float32(-np.inf))
    other = np.nextafter(r, toward)  # the float32 on s's other side
    midpoint = (s != r) & ((r.astype(np.float64) + other.astype(np.float64)) / 2 == s) & (err != 0)
    if np.any(midpoint):  # double rounding: the exact value is off the midpoint, towards err
        up = np.maximum(r, other)
        down = np.minimum(r, other)
        r = np.where(midpoint, np.where(err > 0, up, down), r)
    return r


def batchnorm_constants(gamma, beta, mean, var, eps, form: str) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, beta') in float32, as the executor of ``form`` computes them."""
    f = np.float32
    gamma, beta, mean, var = (np.asarray(v, dtype=f) for v in (gamma, beta, mean, var))
    alpha = (f(1) / np.sqrt(var + f(eps)) * gamma).astype(f)
    if form == "fma":
        return alpha, fma32(-mean, alpha, beta)
    return alpha, (beta - mean * alpha).astype(f)


@functools.cache
def torch_batchnorm() -> str:
    """Which form this machine's PyTorch uses for an eval BatchNorm ("fma" or "onnx"), by probing one.

    Raises RuntimeError when neither reproduces it (then no integer model can follow Brevitas exactly)."""
    import torch

    rng = np.random.default_rng(0)
    c = 16
    bn = torch.nn.BatchNorm2d(c).eval()
    params = [rng.uniform(0.2, 2, c), rng.normal(0, 1, c), rng.normal(0, 1, c), rng.uniform(0.1, 3, c)]
    with torch.no_grad():
        for t, v in zip((bn.weight, bn.bias, bn.running_mean, bn.running_var), params):
            t.copy_(torch.from_numpy(v.astype(np.float32)))
        x = (rng.integers(-2**15, 2**15, size=(4, c, 5, 5)) * 2.0**-12).astype(np.float32)
        y = bn(torch.from_numpy(x)).numpy()
    xc = x.transpose(0, 2, 3, 1)
    for form in ("fma", "onnx"):
        alpha, shift = batchnorm_constants(*params, bn.eps, form)
        got = fma32(xc, alpha, shift) if form == "fma" else (xc * alpha + shift).astype(np.float32)
        if np.array_equal(got.transpose(0, 3, 1, 2), y):
            return form
    raise RuntimeError("PyTorch's BatchNorm matches neither the fused nor the separate float32 form on this machine")


def file_batchnorm(model) -> str:
    """The BatchNorm form a QONNX file records (a qonnx ModelWrapper or an onnx ModelProto); "onnx" if none."""
    proto = getattr(model, "model", model)
    props = list(getattr(proto, "metadata_props", []))
    graph = getattr(proto, "graph", None)
    props += list(getattr(graph, "metadata_props", []))  # where qonnx's ModelWrapper.set_metadata_prop puts it
    for prop in props:
        if prop.key == META_KEY and prop.value in FORMS:
            return prop.value
    return "onnx"
