"""Data movement: ``Transpose`` (NCHW <-> NHWC layout changes), ``Flatten``/``Reshape`` (flatten), ``MaxPool``,
``Identity``, and a final ``Softmax`` (dropped: the argmax does not change).

ONNX flattens NCHW in (c, h, w) order, the IR in (h, w, c): the next Dense's columns are permuted (a 1-D [C, L] is
the IR's [1, L, C]: the same permutation). A flatten of a float [1, 1, C] (a global average before its quantizer)
goes right after the integer sum, so that streamlining sees sum -> Dequant -> ... -> Quantize. Dynamic flatten
chains (``Shape -> Gather -> Unsqueeze -> Concat -> Reshape``) reach this module as a ``Reshape`` by a constant,
qonnx's constant folding having computed the shape.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.qonnx import spatial
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import TO_NCHW, TO_NHWC, Walk


def identity(w: Walk, node) -> None:
    pass


def transpose(w: Walk, node) -> None:
    perm = tuple(w.attrs(node).get("perm", ()))
    if len(w.shape) != 3 or perm not in (TO_NHWC, TO_NCHW):
        raise UnsupportedOp(f"node {display_name(node)}: Transpose {list(perm)} of a tensor of shape {list(w.shape)} "
                            "is not a layout change NCHW <-> NHWC (the only transposes supported)")
    if perm == TO_NCHW and w.layout == "NCHW" and _only_scalar_elementwise(w.out):
        # a channels-last model input (QKeras via qonnx), possibly already quantized: the IR needs no transpose
        w.layout, w.onnx_layout, w.shape = "NHWC", "NHWC", tuple(w.in_shape)
    elif (perm == TO_NHWC) != (w.onnx_layout == "NCHW"):
        raise UnsupportedOp(f"node {display_name(node)}: Transpose {list(perm)} applied to a tensor that is already "
                            f"{'NHWC' if perm == TO_NHWC else 'NCHW'}; remove the transpose")
    w.onnx_layout = "NHWC" if perm == TO_NHWC else "NCHW"


def _only_scalar_elementwise(out: list) -> bool:
    """True while everything read so far is elementwise with scalar constants (so the input layout is still open)."""
    for n in out:
        if not isinstance(n, (N.Quantize, N.Affine, N.Relu, N.Dequant)):
            return False
        for f in ("scale", "zero_point", "mul", "add"):
            if hasattr(n, f) and np.asarray(getattr(n, f)).size > 1:
                return False
    return True


def flatten(w: Walk, node) -> None:
    target = w.view.const(node.input[1]) if node.op_type == "Reshape" else None
    if node.op_type == "Reshape" and target is None:
        raise UnsupportedOp(f"node {display_name(node)}: Reshape to a computed shape that qonnx could not fold to a "
                            "constant; export with a fixed batch size or use Flatten")
    if node.op_type == "Flatten" and w.attrs(node).get("axis", 1) != 1:
        raise UnsupportedOp(f"node {display_name(node)}: Flatten with axis {w.attrs(node)['axis']}; use axis 1")
    if len(w.shape) == 3:
        n = int(np.prod(w.shape))
        if target is not None and not (len(target) == 2 and target[1] in (-1, n)):
            raise UnsupportedOp(f"node {display_name(node)}: Reshape to {list(target)} is not a flatten; only "
                                "[N, C, H, W] -> [N, C*H*W] reshapes are supported")
        if not w.started:
            w.layout, w.shape = "NC", (n,)
            return
        h, wd, c = w.shape
        w.out.insert(flatten_at(w) if w.state == "float" and (h, wd) == (1, 1) else len(w.out), N.Flatten(node.name))
        needs_perm = w.onnx_layout == "NCHW" and (h, wd) != (1, 1) and c > 1
        w.perm_cols = (c, h, wd) if needs_perm else None
        w.shape = (n,)
    elif target is not None:
        n = int(np.prod(w.shape))
        if (len(target) == 4 and target[0] in (-1, 1) and all(int(d) > 0 for d in target[1:])
                and int(np.prod(target[1:])) == n and (not w.started or _only_scalar_elementwise(w.out))):
            c, h, wd = (int(d) for d in target[1:])  # an unflatten at the input ([N, H*W] -> [N, C, H, W]): the
            w.layout, w.in_shape, w.shape = "NCHW", (c, h, wd), (h, wd, c)  # model reads images, the host reshapes
            return
        if len(target) == 2 and target[0] in (-1, n) and target[1] == 1 and n > 1:  # a [K, 1] column, for Gemm transA
            w.column = True
        elif len(target) != 2 or target[1] not in (-1, n):
            raise UnsupportedOp(f"node {display_name(node)}: Reshape of a vector to {list(target)} is not supported; "
                                "only [N, K] or a [K, 1] column for Gemm transA=1")
        else:
            w.column = False


def flatten_at(w: Walk) -> int:
    """Where the flatten of a float [1, 1, C] tensor (a global average, a ReduceMean) goes in ``w.out``: before the
    float ops after the last integer node. They act per channel, the same on [1, 1, C] as on [C], and streamlining
    then sees integer producer -> Dequant -> ... -> Quantize, which it folds into thresholds."""
    k = len(w.out)
    while k > 0 and isinstance(w.out[k - 1], (N.Dequant, N.Divide, N.Affine, N.Relu, N.Activation)):
        k -= 1
    return k


def maxpool(w: Walk, node) -> None:
    a = w.attrs(node)
    if w.onnx_layout != "NCHW":
        raise UnsupportedOp(f"node {display_name(node)}: MaxPool on an NHWC tensor; transpose it to NCHW first")
    if any(a.get("pads", [0])) or a.get("ceil_mode", 0):
        raise UnsupportedOp(f"node {display_name(node)}: MaxPool with padding or ceil_mode is not supported; "
                            "use pads=0 and ceil_mode=0")
    if any(d != 1 for d in spatial.per_axis(w, node, "dilations", 1)):
        raise UnsupportedOp(f"node {display_name(node)}: dilated MaxPool is not supported; use dilations=1")
    k = spatial.per_axis(w, node, "kernel_shape")
    s = spatial.per_axis(w, node, "strides", 1)
    w.out.append(N.MaxPool(node.name, kernel=k, stride=s))
    h, wd, c = w.shape
    w.shape = ((h - k[0]) // s[0] + 1, (wd - k[1]) // s[1] + 1, c)


def softmax(w: Walk, node) -> None:
    if w.view.consumers.get(node.output[0]):
        raise UnsupportedOp(f"node {display_name(node)}: Softmax is only supported as the last node; remove it or "
                            "move it to the output")
    w.meta["dropped"].append(f"{display_name(node)} (Softmax: argmax unchanged)")


HANDLERS = {"Identity": identity, "Transpose": transpose, "Flatten": flatten, "Reshape": flatten, "MaxPool": maxpool,
            "Softmax": softmax}
BRANCH_PATTERNS: list = []
