"""Activations between an accumulator and the next quantizer.

Any monotonic activation followed by a quantizer is exactly a set of per-channel thresholds (``fold_requant`` finds
them by bisection on the float32 segment it replaces, and checks GELU/SiLU, which are not monotonic), so a handler
here only emits a float IR ``Activation`` that computes the op as the ONNX graph does; one with no quantizer after
it is refused by streamlining, naming the node.

==========================================  =====================================================================
ONNX                                        IR ``Activation``
==========================================  =====================================================================
Sigmoid, Tanh                               ``sigmoid``, ``tanh``
HardSigmoid(alpha, beta)                    ``hardsigmoid`` (max(0, min(1, alpha x + beta)))
Clip(min, max) (inputs, or attributes <11)  ``clip`` (Brevitas/PyTorch hardtanh)
LeakyRelu(alpha), Elu(alpha)                ``leaky_relu``, ``elu``
Gelu(approximate)                           ``gelu`` or ``gelu_tanh``
x/sqrt2 -> Erf -> +1 -> *x -> *0.5          ``gelu`` (PyTorch's decomposition before opset 20, any order of the *)
Mul(x, Sigmoid(x))                          ``silu``
Relu                                        ``Relu``
==========================================  =====================================================================
"""
from __future__ import annotations

import numpy as np

from qnn.errors import UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk


def relu(w: Walk, node) -> None:
    if w.state == "int" and w.cur_type is not None and w.cur_type.min < 0:
        w.to_float(node)  # a ReLU of signed levels (a QuantIdentity, a residual add's quantizer) before a quantizer:
        # in the float segment, so that it folds into that quantizer's thresholds
    w.out.append(N.Relu(node.name))


def _emit(w: Walk, node, fn: str, alpha: float = 0.0, beta: float = 0.0) -> None:
    w.to_float(node)
    w.out.append(N.Activation(display_name(node), fn=fn, alpha=float(alpha), beta=float(beta)))


def simple(fn: str):
    def handle(w: Walk, node) -> None:
        _emit(w, node, fn)

    return handle


def hard_sigmoid(w: Walk, node) -> None:
    a = w.attrs(node)
    alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
    if alpha <= 0:
        raise UnsupportedOp(f"node {display_name(node)}: HardSigmoid with alpha {alpha:g} <= 0 is not increasing; "
                            "only alpha > 0 is supported")
    _emit(w, node, "hardsigmoid", alpha, beta)


def clip(w: Walk, node) -> None:
    a = w.attrs(node)
    lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    for idx, what in ((1, "min"), (2, "max")):  # opset >= 11: optional inputs
        if len(node.input) > idx and node.input[idx]:
            v = w.view.const(node.input[idx])
            if v is None or np.asarray(v).size != 1:
                raise UnsupportedOp(f"node {display_name(node)}: Clip's {what} is not a scalar constant")
            lo, hi = (float(v), hi) if what == "min" else (lo, float(v))
    _emit(w, node, "clip", lo, hi)


def leaky_relu(w: Walk, node) -> None:
    _emit(w, node, "leaky_relu", w.attrs(node).get("alpha", 0.01))


def elu(w: Walk, node) -> None:
    _emit(w, node, "elu", w.attrs(node).get("alpha", 1.0))


def gelu(w: Walk, node) -> None:
    approx = w.attrs(node).get("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    if approx not in ("none", "tanh"):
        raise UnsupportedOp(f"node {display_name(node)}: Gelu approximate={approx!r} is not supported (none or tanh)")
    _emit(w, node, "gelu" if approx == "none" else "gelu_tanh")


HANDLERS = {"Relu": relu, "Sigmoid": simple("sigmoid"), "Tanh": simple("tanh"), "HardSigmoid": hard_sigmoid,
            "Clip": clip, "LeakyRelu": leaky_relu, "Elu": elu, "Gelu": gelu}


# decomposed activations: a tensor feeding several nodes -----------------------------------------------------
def _only_consumer(w: Walk, tensor: str, op: str):
    cons = w.view.consumers.get(tensor, [])
    return cons[0] if len(cons) == 1 and cons[0].op_type == op else None


def _other(node, tensor: str) -> str | None:
    ins = list(node.input)
    if len(ins) != 2 or tensor not in ins:
        return None
    return ins[1] if ins[0] == tensor else ins[0]


def _const_is(w: Walk, node, tensor: str, value: float) -> bool:
    k = w.view.const(_other(node, tensor) or "")
    return k is not None and np.asarray(k).size == 1 and bool(np.isclose(float(k), value, rtol=1e-6, atol=0))


def silu_pattern(w: Walk, tensor: str, cons: list) -> str | None:
    """x -> Sigmoid -> Mul(x, sigmoid(x)) (PyTorch's SiLU export)."""
    if len(cons) != 2:
        return None
    sig = next((c for c in cons if c.op_type == "Sigmoid"), None)
    mul = next((c for c in cons if c.op_type == "Mul"), None)
    if sig is None or mul is None or sorted(mul.input) != sorted([tensor, sig.output[0]]):
        return None
    if w.view.consumers.get(sig.output[0], []) != [mul]:
        return None
    _emit(w, mul, "silu")
    return mul.output[0]


def gelu_pattern(w: Walk, tensor: str, cons: list) -> str | None:
    """x * 0.5 * (1 + erf(x / sqrt(2))) as Div (or Mul by 1/sqrt2) -> Erf -> Add 1 -> Mul, with the x and 0.5
    factors in either order (PyTorch's GELU export before opset 20)."""
    if len(cons) != 2:
        return None
    for scale in cons:
        if not ((scale.op_type == "Div" and _const_is(w, scale, tensor, np.sqrt(2.0))) or
                (scale.op_type == "Mul" and _const_is(w, scale, tensor, 1 / np.sqrt(2.0)))):
            continue
        erf = _only_consumer(w, scale.output[0], "Erf")
        add = erf and _only_consumer(w, erf.output[0], "Add")
        if add is None or not _const_is(w, add, erf.output[0], 1.0):
            continue
        mul = _only_consumer(w, add.output[0], "Mul")
        other = next(c for c in cons if c is not scale)
        if mul is None or other.op_type != "Mul":
            continue
        if other is mul and _other(mul, add.output[0]) == tensor:  # (x * (1 + erf)) * 0.5
            half = _only_consumer(w, mul.output[0], "Mul")
            if half is not None and _const_is(w, half, mul.output[0], 0.5):
                _emit(w, half, "gelu")
                return half.output[0]
        elif _const_is(w, other, tensor, 0.5) and _other(mul, add.output[0]) == other.output[0]:  # (x * 0.5) * (..)
            _emit(w, mul, "gelu")
            return mul.output[0]
    return None


BRANCH_PATTERNS = [silu_pattern, gelu_pattern]
