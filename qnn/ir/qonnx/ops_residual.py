"""Residual blocks: a quantized tensor that feeds two paths which meet again at an ``Add`` (Brevitas'
``QuantEltwiseAdd``, or a plain ``+`` of two quantized tensors) -> one IR ``Residual`` node.

Each path is read like the main chain, by a walk of its own from the fork up to its input of the ``Add`` (the skip
path may be empty: the identity); both must end quantized, at scales ``s_a`` and ``s_b``. A float32 scale is an
integer times a power of two, so ``a * s_a + b * s_b == (mul_a * a + mul_b * b) * s`` exactly, with integers
``mul_a``, ``mul_b`` and one scale ``s`` (``common_grid``): the block's output is that integer sum, and the
``Add``'s float result is its ``Dequant``. Streamlining then folds whatever follows (ReLU, the next quantizer) into
thresholds on the sum, as for any accumulator.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.bounds import residual_bounds
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk
from qnn.qtype import QType

MAX_SPREAD = 40  # powers of two between the two scales' exponents that the integer multipliers may span


def common_grid(sa, sb) -> tuple[np.ndarray, np.ndarray, np.float32]:
    """Integers ``mul_a``, ``mul_b`` (int64, per channel where a scale is) and a float32 ``s`` with
    ``sa == mul_a * s`` and ``sb == mul_b * s`` exactly (as real numbers), ``s`` as large as possible."""
    sa, sb = (np.asarray(v, np.float32).astype(np.float64) for v in (sa, sb))
    parts = []
    for v in (sa, sb):
        m, e = np.frexp(v)
        parts.append(((m * 2.0**24).astype(np.int64), e.astype(np.int64) - 24))  # v == k * 2**e exactly
    e0 = min(int(parts[0][1].min()), int(parts[1][1].min()))
    if max(int(p[1].max()) for p in parts) - e0 > MAX_SPREAD:
        raise ValueError("scales too far apart")
    ints = [k << (e - e0) for k, e in parts]
    g = int(np.gcd.reduce(np.concatenate([i.ravel() for i in ints])))
    return ints[0] // g, ints[1] // g, np.float32(g * 2.0**e0)


def _reach(view, start_nodes, limit: int = 500) -> set[str]:
    """Tensors reachable forward from ``start_nodes`` (their outputs and beyond)."""
    seen: set[str] = set()
    todo = [o for n in start_nodes for o in n.output]
    while todo and len(seen) < limit:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        for c in view.consumers.get(t, []):
            todo += list(c.output)
    return seen


def _join(view, tensor: str, consumers):
    """(the Add where the two paths from ``tensor`` meet, its input on each path) or None."""
    reach = [{tensor} if c.op_type == "Add" and tensor in c.input else set() for c in consumers]
    reach = [r | _reach(view, [c]) for r, c in zip(reach, consumers)]
    for node in view.g.node:
        if node.op_type != "Add" or len(node.input) != 2:
            continue
        a, b = node.input
        for i, j in ((0, 1), (1, 0)):
            if a in reach[i] and b in reach[j] and (a != tensor or consumers[i] is node) \
                    and (b != tensor or consumers[j] is node):
                return node, {i: a, j: b}
    return None


def residual(w: Walk, tensor: str, consumers) -> str | None:
    """Branch pattern: read both paths from ``tensor`` up to their ``Add``; emit the ``Residual``; continue after it."""
    if len(consumers) != 2 or w.walk_to is None:
        return None
    found = _join(w.view, tensor, consumers)
    if found is None:
        return None
    add, ends = found
    if w.state != "int":
        raise UnsupportedOp(f"node {display_name(add)}: the residual block's input {tensor} is not quantized; "
                            "quantize it before the fork (a QuantIdentity / QuantReLU)")
    paths = []
    for i, c in enumerate(consumers):
        sub = w.fork(tensor)
        if not (c is add and ends[i] == tensor):
            w.walk_to(sub, ends[i], c)
        if sub.state != "int":
            raise UnsupportedOp(f"node {display_name(add)}: its input {ends[i]} is not quantized (it comes from "
                                f"{sub.last_float or 'a float op'}); quantize both inputs of the add (a QuantIdentity "
                                "on each path, or Brevitas' QuantEltwiseAdd with input quantizers)")
        paths.append(sub)
    if tuple(paths[0].shape) != tuple(paths[1].shape):
        raise UnsupportedOp(f"node {display_name(add)}: adds shapes {list(paths[0].shape)} and {list(paths[1].shape)}"
                            "; broadcasting adds are not supported")
    branch, skip = sorted(paths, key=lambda p: -len(p.out))  # the skip is the shorter path (maybe the identity)
    try:
        mul_a, mul_b, s = common_grid(branch.scale, skip.scale)
    except ValueError:
        raise UnsupportedOp(f"node {display_name(add)}: the scales of its inputs ({_fmt(branch.scale)} and "
                            f"{_fmt(skip.scale)}) are more than 2^{MAX_SPREAD} apart; quantize both paths to "
                            "comparable scales") from None
    node = N.Residual(add.name, branch=tuple(branch.out), skip=tuple(skip.out), mul_a=mul_a.reshape(-1) if
                      mul_a.size > 1 else mul_a.reshape(()), mul_b=mul_b.reshape(-1) if mul_b.size > 1 else
                      mul_b.reshape(()))
    lo, hi = residual_bounds(node, (np.array(w.cur_type.min), np.array(w.cur_type.max)))
    out_type = QType.for_range(int(np.min(lo)), int(np.max(hi)))
    w.out += [node.with_(out_type=out_type), N.Dequant(f"{add.name}_deq", scale=s)]  # the Add's float result
    w.scale, w.cur_type, w.state = None, None, "float"
    w.shape, w.onnx_layout, w.started = branch.shape, branch.onnx_layout, True  # a strided block changes the shape
    return add.output[0]


def _fmt(v) -> str:
    v = np.asarray(v).ravel()
    return f"{float(v[0]):.6g}" if v.size == 1 else f"[{float(v.min()):.3g} .. {float(v.max()):.3g}]"


HANDLERS: dict = {}
BRANCH_PATTERNS = [residual]
