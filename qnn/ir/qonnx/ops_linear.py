"""Linear layers: ``MatMul``/``Gemm`` -> ``Dense``, ``Conv`` -> ``Conv2d`` (``DepthwiseConv2d`` when ``group`` equals
the channels; a 1-D Conv is a Conv2d with KH = 1 on an image with H = 1, see ``spatial``; each followed by a
``Dequant`` at the accumulator scale), ``BatchNormalization`` and ``Mul``/``Div``/``Add``/``Sub`` by constants -> ``Affine``.

A bias whose scale equals input scale x weight scale (Brevitas ``Int32Bias``) is an integer bias; a bias ``Add`` on a
power-of-two grid is absorbed into it too; any other bias stays a float ``Affine`` (absorbed later into thresholds).
"""
from __future__ import annotations

import numpy as np

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.float_semantics import batchnorm_constants
from qnn.ir.qonnx import spatial
from qnn.ir.qonnx.graphview import per_channel
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk


def _weights(w: Walk, node, idx: int = 1):
    wq = w.view.quantized_const(node.input[idx])
    if wq is None:
        raise QnnError(f"node {display_name(node)} ({node.op_type}): the weights are not a quantized constant "
                       "(Quant on an initializer); float weights are not supported (quantize them, e.g. Brevitas "
                       "QuantLinear)")
    return wq


def dense(w: Walk, node) -> None:
    op, a = node.op_type, w.attrs(node)
    w.need_int(node)
    if np.asarray(w.scale).size != 1:
        raise UnsupportedOp(f"node {display_name(node)}: a per-channel activation scale before {op} is not "
                            "supported; quantize its input with one scale per tensor")
    if len(w.shape) != 1:
        raise UnsupportedOp(f"node {display_name(node)}: {op} on a tensor of shape {list(w.shape)}; flatten it first")
    if bool(a.get("transA", 0)) != w.column:  # transA=1 reads a [K, 1] column back as the row it came from
        raise UnsupportedOp(f"node {display_name(node)}: Gemm with transA={a.get('transA', 0)} on a "
                            f"{'column' if w.column else 'row'} vector mixes the batch into the features; a dense "
                            "layer is Gemm(x [N, K], W, transA=0)")
    w.column = False
    wi, ws, wt = _weights(w, node)
    ws = np.asarray(ws)
    if not (op == "Gemm" and a.get("transB", 0)):  # IR weights are [out, in]
        wi, ws = wi.T, ws.T if ws.ndim == 2 else ws
    w_scale = per_channel(np.broadcast_to(ws, wi.shape)[:, :1] if ws.size > 1 else ws, 0, 2, "weight", node)
    if w.perm_cols is not None:  # ONNX flattened (c, h, w), the IR (h, w, c)
        c, h, wd = w.perm_cols
        wi = wi.reshape(wi.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(wi.shape[0], -1)
        w.perm_cols = None
    _emit(w, node, N.Dense(node.name, weight=wi, bias=None, in_type=w.cur_type, weight_type=wt), w_scale,
          2 if op == "Gemm" else None, (wi.shape[0],), float(a.get("alpha", 1.0)), float(a.get("beta", 1.0)))


def conv(w: Walk, node) -> None:
    a = w.attrs(node)
    if w.onnx_layout != "NCHW":
        raise UnsupportedOp(f"node {display_name(node)}: Conv on an NHWC tensor; transpose it to NCHW before the Conv")
    w.need_int(node)
    group, cin = a.get("group", 1), w.shape[-1]
    wi, ws, wt = _weights(w, node)
    depthwise = group != 1 and group == cin and wi.shape[0] == cin and wi.shape[1] == 1
    if group != 1 and not depthwise:
        raise UnsupportedOp(f"node {display_name(node)}: grouped Conv (group={group} of {cin} input channels, "
                            f"{wi.shape[0]} outputs) is not supported; use a dense Conv (group=1) or a depthwise one "
                            "(group = input channels = output channels)")
    if any(d != 1 for d in spatial.per_axis(w, node, "dilations", 1)):
        raise UnsupportedOp(f"node {display_name(node)}: dilated Conv is not supported; use dilations=1")
    w_scale = per_channel(ws, 0, 4, "weight", node)
    wi = spatial.weight(w, node, wi).transpose(0, 2, 3, 1)  # OIHW -> O KH KW I (1-D: H = 1)
    pads, strides = spatial.pads(w, node), spatial.per_axis(w, node, "strides", 1)
    h, wd, _ = w.shape
    kh, kw = wi.shape[1:3]
    ho = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    wo = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
    if depthwise:  # weight [C, 1, KH, KW] -> [C, KH, KW]
        layer = N.DepthwiseConv2d(node.name, weight=wi[..., 0], bias=None, in_type=w.cur_type, weight_type=wt,
                                  stride=strides, pad=pads)
    else:
        layer = N.Conv2d(node.name, weight=wi, bias=None, in_type=w.cur_type, weight_type=wt, stride=strides,
                         pad=pads)
    _emit(w, node, layer, w_scale, 2, (ho, wo, wi.shape[0]))


def _emit(w: Walk, node, layer, w_scale, bias_idx, shape, alpha: float = 1.0, beta: float = 1.0) -> None:
    """layer + Dequant at the accumulator scale (+ the bias as a float Affine when it is not on the integer grid);
    Gemm's ``alpha * (A B) + beta * C`` other than 1 becomes one float Affine in that order."""
    acc_scale = (np.float32(w.scale) * w_scale).astype(np.float32)
    n_out = layer.weight.shape[0]
    bias_int, bias_float = _bias(w, node, bias_idx, acc_scale, n_out)
    if alpha != 1.0 or beta != 1.0:
        if bias_float is None:
            bias_float = (bias_int.astype(np.float32) * acc_scale).astype(np.float32)
        bias_int, bias_float = np.zeros_like(bias_int), (np.float32(beta) * bias_float).astype(np.float32)
    w.out.append(layer.with_(bias=bias_int))
    w.out.append(N.Dequant(f"{node.name}_deq", scale=acc_scale))
    if bias_float is not None:
        w.out.append(N.Affine(f"{node.name}_bias", mul=np.float32(alpha), add=bias_float))
    w.state, w.scale, w.shape = "float", None, shape  # a following Add of a constant is the bias


def _bias(w: Walk, node, idx: int | None, acc_scale: np.ndarray, n_out: int):
    """(integer bias or zeros, float bias or None) for a Gemm/Conv bias input."""
    zeros = np.zeros(n_out, dtype=np.int64)
    if idx is None or len(node.input) <= idx or not node.input[idx]:
        return zeros, None
    bq = w.view.quantized_const(node.input[idx])
    if bq is not None:
        b, bs, _ = bq
        b = np.broadcast_to(b.reshape(-1), (n_out,)).astype(np.int64)
        bs = np.broadcast_to(np.asarray(bs, dtype=np.float32).reshape(-1), (n_out,))
        if np.array_equal(bs, np.broadcast_to(acc_scale, (n_out,))):
            return b, None
        return zeros, (b.astype(np.float32) * bs).astype(np.float32)
    v = w.view.const(node.input[idx])
    if v is None:
        raise QnnError(f"node {display_name(node)}: the bias is not a constant; store it as an initializer (or a "
                       "Quant of one)")
    return zeros, np.broadcast_to(v.astype(np.float32).reshape(-1), (n_out,)).copy()


def batchnorm(w: Walk, node) -> None:
    gamma, beta, mean, var = (w.view.need_const(node, i, "a BatchNorm parameter").astype(np.float32)
                              for i in range(1, 5))
    eps = np.float32(w.attrs(node).get("epsilon", 1e-5))
    form = w.meta.get("batchnorm", "onnx")  # how the reference executor rounds (qnn.ir.float_semantics)
    alpha, shift = batchnorm_constants(gamma, beta, mean, var, eps, form)
    w.to_float(node)
    w.out.append(N.Affine(node.name, mul=alpha, add=shift, fma=form == "fma"))


def elementwise(w: Walk, node) -> None:
    """Mul/Div/Add/Sub of the current tensor by a constant (scalar or per channel)."""
    op, cur = node.op_type, w.cur
    other = node.input[1] if node.input[0] == cur else node.input[0]
    k = w.view.const(other)
    if k is None and (kq := w.view.quantized_const(other)) is not None:
        k = (kq[0].astype(np.float32) * kq[1]).astype(np.float32)  # a quantized constant (e.g. a bias)
    if k is None:
        raise UnsupportedOp(f"node {display_name(node)}: {op} of two computed tensors is not supported (only by "
                            "constants): make one operand an initializer")
    k = per_channel(k.astype(np.float32), w.channel_axis(), 1 + len(w.shape), "constant", node)
    if op in ("Sub", "Div") and node.input[0] != cur:
        raise UnsupportedOp(f"node {display_name(node)}: constant {'minus' if op == 'Sub' else 'divided by'} tensor is "
                            "not supported; write it as tensor * -1 + constant (or tensor * 1/constant)")
    w.to_float(node)
    if op in ("Add", "Sub") and _absorb_bias(w.out, k if op == "Add" else -k):
        return
    one, zero = np.float32(1), np.float32(0)
    if op == "Div":
        mul, add = (one / k).astype(np.float32), zero
    else:
        mul, add = {"Mul": (k, zero), "Add": (one, k), "Sub": (one, -k)}[op]
    w.out.append(N.Affine(node.name, mul=mul, add=add))


def _absorb_bias(out: list, k: np.ndarray) -> bool:
    """Dense/Conv -> Dequant(s) -> Add(k): when s is a power of two and k is on its grid, k / s joins the integer
    bias (exact: every float32 value involved is then exact). Returns True if absorbed."""
    if len(out) < 2 or not isinstance(out[-1], N.Dequant) or not isinstance(out[-2], (N.Dense, N.Conv2d,
                                                                                     N.DepthwiseConv2d)):
        return False
    s = np.broadcast_to(np.asarray(out[-1].scale, np.float64), (out[-2].channels,))
    if not np.all(np.log2(s) == np.round(np.log2(s))):
        return False
    b = np.broadcast_to(np.asarray(k, np.float64), s.shape) / s
    if not np.all(b == np.round(b)) or np.abs(b).max(initial=0) >= 2**24:
        return False
    out[-2] = out[-2].with_(bias=out[-2].bias + b.astype(np.int64))
    return True


HANDLERS = {"MatMul": dense, "Gemm": dense, "Conv": conv, "BatchNormalization": batchnorm,
            "Mul": elementwise, "Div": elementwise, "Add": elementwise, "Sub": elementwise}
BRANCH_PATTERNS: list = []
