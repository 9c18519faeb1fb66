"""Float activations of the IR's ``Activation`` node, in float32.

They run on PyTorch's CPU kernels, the arithmetic Brevitas trains and evaluates with, so that thresholds derived
from them (``qnn.ir.passes.requant``) reproduce a trained model's quantized activations exactly. Streamlined graphs
hold no ``Activation`` node: the hardware and the integer golden model only ever see the thresholds.

``turning_point(fn, alpha)``: for an activation that is not monotonic, the input where it turns from decreasing to
increasing (GELU's and SiLU's minimum; 0 for a leaky ReLU or ELU with a negative alpha); None for a non-decreasing
one.
"""
from __future__ import annotations

import numpy as np

FUNCTIONS = ("sigmoid", "tanh", "hardsigmoid", "clip", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu")
# argmin of GELU (x * Phi(x)) and SiLU (x * sigmoid(x)), to float64 precision
_MINIMA = {"gelu": -0.7517915246935645, "gelu_tanh": -0.7522313022994558, "silu": -1.2784645427610738}


def activation(x: np.ndarray, fn: str, alpha: float = 0.0, beta: float = 0.0) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    x32 = np.ascontiguousarray(x, dtype=np.float32)
    if fn == "clip":  # alpha = min, beta = max
        return np.clip(x32, np.float32(alpha), np.float32(beta))
    if fn == "hardsigmoid":  # ONNX HardSigmoid: max(0, min(1, alpha * x + beta))
        return np.clip(x32 * np.float32(alpha) + np.float32(beta), np.float32(0), np.float32(1))
    if fn == "leaky_relu":
        return np.where(x32 >= 0, x32, x32 * np.float32(alpha)).astype(np.float32)
    t = torch.from_numpy(x32)
    with torch.no_grad():
        y = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "silu": F.silu,
             "elu": lambda v: F.elu(v, alpha=float(alpha)), "gelu": F.gelu,
             "gelu_tanh": lambda v: F.gelu(v, approximate="tanh")}[fn](t)
    return y.numpy().astype(np.float32)


def turning_point(fn: str, alpha: float = 0.0) -> float | None:
    if fn in _MINIMA:
        return _MINIMA[fn]
    if fn in ("leaky_relu", "elu") and alpha < 0:
        return 0.0
    return None


def is_decreasing(fn: str, alpha: float = 0.0) -> bool:
    """True for an activation that decreases everywhere it is not flat (a HardSigmoid with negative alpha)."""
    return fn == "hardsigmoid" and alpha < 0
