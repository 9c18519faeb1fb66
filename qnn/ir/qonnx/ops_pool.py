"""Average pooling: ``GlobalAveragePool``, ``ReduceMean`` over the spatial axes and ``AveragePool`` -> ``SumPool``
(exact integer window sums), and the ``Trunc`` Brevitas' ``TruncAvgPool2d`` / ``TruncAdaptiveAvgPool2d`` put after
them. An ``AveragePool`` with zero padding counted in the mean (``count_include_pad=1``, PyTorch's default) is the
window sums of the padded image, a ``DepthwiseConv2d`` with weights 1, then the same 1/N; with
``count_include_pad=0`` the border windows have other divisors, which thresholds per channel cannot hold (refused).

An average of integers at scale s is ``float32(sum * s) / N``, which PyTorch and onnxruntime compute as a sum and
then a correctly rounded division. The IR keeps that order: ``SumPool`` (integer), ``Dequant(s)``, ``Divide(N)``;
streamlining then folds the float part with the next quantizer into thresholds on the integer sum (the 1/N costs
nothing and stays exact whatever N is).

``Trunc(avg, scale=s/N, zp=0, in_bits, out_scale, out_bits)`` as Brevitas and qonnx compute it: ``round(avg /
scale)`` recovers the integer sum (the float error is far below 0.5 while the sum stays below 2**20, checked), then
divides it by the power of two ``out_scale / scale`` (a multiplication when that is below 1), rounds half to even
and clips to ``out_bits``: an integer ``Shift`` of the sum, whose output scale is ``out_scale``.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.qonnx import spatial
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk
from qnn.qtype import QType

_SUM_EXACT = 1 << 20  # |sum| below this: round(float32 mean / float32(s / N)) is the sum


def _check_input(w: Walk, node) -> None:
    if w.onnx_layout != "NCHW" or len(w.shape) != 3:
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} needs an NCHW image tensor (or [N, C, L])")
    if w.state != "int":
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} of a float tensor is not supported; quantize "
                            "its input (a Quant node / Brevitas QuantReLU or QuantIdentity before the pool)")
    if np.asarray(w.scale).size != 1:
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} of a per-channel scaled tensor is not "
                            "supported; quantize its input with one scale per tensor")


def _pool(w: Walk, node, kernel: tuple[int, int], stride: tuple[int, int], global_pool: bool) -> None:
    _check_input(w, node)
    h, wd, c = w.shape
    pool = N.SumPool(node.name, kernel=kernel, stride=stride, in_type=w.cur_type, global_pool=global_pool)
    w.out += [pool, N.Dequant(f"{node.name}_deq", scale=w.scale), N.Divide(f"{node.name}_mean", divisor=pool.divisor)]
    w.state, w.scale = "float", None
    w.shape = ((h - kernel[0]) // stride[0] + 1, (wd - kernel[1]) // stride[1] + 1, c)


def global_average_pool(w: Walk, node) -> None:
    h, wd, _ = w.shape if len(w.shape) == 3 else (0, 0, 0)
    _pool(w, node, (h, wd), (h, wd), True)


def average_pool(w: Walk, node) -> None:
    a = w.attrs(node)
    if a.get("ceil_mode", 0):
        raise UnsupportedOp(f"node {display_name(node)}: AveragePool with ceil_mode=1 is not supported; use "
                            "ceil_mode=0")
    if any(d != 1 for d in spatial.per_axis(w, node, "dilations", 1)):
        raise UnsupportedOp(f"node {display_name(node)}: dilated AveragePool is not supported")
    k, s = spatial.per_axis(w, node, "kernel_shape"), spatial.per_axis(w, node, "strides", 1)
    pads = spatial.pads(w, node)
    if not any(pads):
        _pool(w, node, k, s, k == tuple(w.shape[:2]) and s == k)
        return
    if not a.get("count_include_pad", 0):
        raise UnsupportedOp(f"node {display_name(node)}: AveragePool with padding and count_include_pad=0 divides "
                            "each border window by its own size; use count_include_pad=1 (PyTorch's default) or no "
                            "padding")
    # zeros counted: the window sums of the zero-padded image, a depthwise convolution with weights 1, then 1/N
    _check_input(w, node)
    h, wd, c = w.shape
    ones = N.DepthwiseConv2d(node.name, weight=np.ones((c, *k), np.int64), bias=np.zeros(c, np.int64),
                             in_type=w.cur_type, weight_type=QType(2, True, True), stride=s, pad=pads)
    w.out += [ones, N.Dequant(f"{node.name}_deq", scale=w.scale), N.Divide(f"{node.name}_mean", divisor=k[0] * k[1])]
    w.state, w.scale = "float", None
    w.shape = ((h + pads[0] + pads[2] - k[0]) // s[0] + 1, (wd + pads[1] + pads[3] - k[1]) // s[1] + 1, c)


def reduce_mean(w: Walk, node) -> None:
    """The mean over the spatial axes of an image ([N, C, H, W]: axes 2, 3; [N, C, L]: axis 2) is a global average
    pool; keepdims=0 leaves the vector [N, C] (the flatten goes right after the integer sum)."""
    a = w.attrs(node)
    axes = a.get("axes")  # an attribute before opset 18, an optional input from 18 on
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = w.view.const(node.input[1])
        if axes is None:
            raise UnsupportedOp(f"node {display_name(node)}: ReduceMean axes are computed; make them a constant")
    axes = [] if axes is None else [int(v) for v in np.asarray(axes).reshape(-1)]
    if not axes and a.get("noop_with_empty_axes", 0):
        return
    rank = 2 + w.spatial if len(w.shape) == 3 else 1 + len(w.shape)
    want = list(range(2, rank))
    if len(w.shape) != 3 or sorted(v % rank for v in axes) != want:
        what = f"axes {axes}" if axes else "all axes"
        raise UnsupportedOp(f"node {display_name(node)}: ReduceMean over {what} of a tensor of rank {rank}; only the "
                            f"mean over the spatial axes {want or [2, 3]} of an NCHW (or [N, C, L]) tensor, a global "
                            "average pool, is supported")
    global_average_pool(w, node)
    if not a.get("keepdims", 1):
        w.out.insert(len(w.out) - 2, N.Flatten(f"{node.name}_flatten"))
        w.shape = (w.shape[-1],)


def trunc(w: Walk, node) -> None:
    out = w.out
    if len(out) < 3 or not isinstance(out[-3], N.SumPool) or not isinstance(out[-1], N.Divide) or w.state != "float":
        raise UnsupportedOp(f"node {display_name(node)}: Trunc is only supported right after an average pool "
                            "(Brevitas TruncAvgPool2d / TruncAdaptiveAvgPool2d)")
    pool, deq = out[-3], out[-2]
    scale, zp, _, out_scale, out_bits = (np.asarray(w.view.need_const(node, i, "a Trunc parameter"), np.float32)
                                         for i in range(1, 6))
    a = w.attrs(node)
    mode = a.get("rounding_mode", "FLOOR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if np.any(zp != 0) or scale.size != 1 or out_scale.size != 1:
        raise UnsupportedOp(f"node {display_name(node)}: Trunc with a zero point or per-channel scales")
    scale, out_scale, out_bits = (np.asarray(v).reshape(()) for v in (scale, out_scale, out_bits))  # [1] -> scalar
    if mode.upper() not in ("ROUND", "HALF_EVEN"):
        raise UnsupportedOp(f"node {display_name(node)}: Trunc rounding mode {mode} is not supported (ROUND only)")
    mean_scale = np.float32(np.float32(np.asarray(deq.scale).reshape(())) / np.float32(pool.divisor))
    if not np.isclose(float(scale), float(mean_scale), rtol=1e-6, atol=0):
        raise QnnError(f"node {display_name(node)}: Trunc scale {float(scale)} is not the pool input's scale / N "
                       f"({float(mean_scale)})")
    ratio = float(out_scale) / float(scale)
    k = int(np.round(np.log2(ratio)))
    if not np.isclose(ratio, 2.0**k, rtol=1e-5):  # below 1 (k < 0) when out_bits exceed the sum's: a left shift
        raise UnsupportedOp(f"node {display_name(node)}: Trunc output scale / input scale = {ratio:g} is not a "
                            "power of two")
    if max(abs(pool.out_type.min), abs(pool.out_type.max)) >= _SUM_EXACT:
        raise UnsupportedOp(f"node {display_name(node)}: the pool's sum reaches {pool.out_type.max}: too wide to "
                            "recover exactly from the float mean")
    bits = int(out_bits)
    signed = bool(a.get("signed", 1))
    t = QType(bits, signed, bool(a.get("narrow", 0))) if (signed and bits > 1) or not signed else QType.for_range(-1, 0)
    out[-2:] = [N.Shift(node.name, shift=k, in_type=pool.out_type, out_type=t)]
    w.state, w.scale, w.cur_type = "int", np.float32(out_scale), t


HANDLERS = {"GlobalAveragePool": global_average_pool, "AveragePool": average_pool, "ReduceMean": reduce_mean,
            "Trunc": trunc}
BRANCH_PATTERNS: list = []
