"""Read a QONNX model into the IR, before streamlining.

The walk follows the chain from the graph input. Weights are constant ``Quant``/``BipolarQuant`` nodes on
initializers and become integer tensors with their scales; every other op maps onto one IR node:

========================  ===========================================================================
QONNX                     IR
========================  ===========================================================================
Quant / BipolarQuant      ``Quantize`` (activations; the first one is the network input quantizer)
MatMul / Gemm             ``Dense`` (integer weights, integer bias if its scale is s_in*s_w) + ``Dequant``
Conv                      ``Conv2d`` (weights moved to [O, KH, KW, I]) + ``Dequant``
BatchNormalization        ``Affine`` with PyTorch's inference constants (alpha = gamma/sqrt(var+eps))
Mul / Div / Add / Sub     ``Affine`` (by constants)
Relu, MaxPool             ``Relu``, ``MaxPool``
Flatten / Reshape         ``Flatten`` (channels-last; the next Dense's columns are permuted to match)
Softmax (last)            dropped: the argmax does not change
========================  ===========================================================================

Anything else raises ``UnsupportedOp`` naming the node.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.qtype import QType

SUPPORTED_OPS = (
    "Quant", "BipolarQuant", "MatMul", "Gemm", "Conv", "BatchNormalization", "Mul", "Div", "Add", "Sub",
    "Relu", "MaxPool", "Flatten", "Reshape", "Transpose", "Softmax", "Identity",
)
TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def load_qonnx(path: str | Path):
    """Load and clean a QONNX file with qonnx (shapes inferred, constants folded, unique names)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    path = Path(path)
    if not path.is_file():
        raise QnnError(f"model file {path} does not exist")
    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except Exception as e:  # noqa: BLE001 - any parse failure means the same to the user
        raise QnnError(f"{path} is not a valid ONNX model ({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
    if not proto.graph.node:
        raise QnnError(f"{path} holds an empty ONNX graph")
    for n in proto.graph.node:  # cleanup renames nodes: keep the user's names for error messages
        if n.name and not n.doc_string:
            n.doc_string = ORIG_NAME + n.name
    try:
        return cleanup_model(ModelWrapper(proto))
    except Exception as e:  # noqa: BLE001
        raise QnnError(f"qonnx could not clean up {path}: {type(e).__name__}: {str(e).splitlines()[0][:160]}") from None


ORIG_NAME = "qnn-original-name:"


def display_name(node) -> str:
    """The node's name in the user's file (qonnx cleanup gives new names)."""
    if node.doc_string.startswith(ORIG_NAME):
        return node.doc_string[len(ORIG_NAME):]
    return node.name


class _Reader:
    def __init__(self, model) -> None:
        self.model = model
        self.g = model.graph
        self.inits = {i.name: numpy_helper.to_array(i) for i in self.g.initializer}
        self.producers = {o: n for n in self.g.node for o in n.output}
        self.consumers: dict[str, list] = {}
        for n in self.g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    # constants -------------------------------------------------------------------------------------
    def const(self, name: str) -> np.ndarray | None:
        if name in self.inits:
            return self.inits[name]
        p = self.producers.get(name)
        if p is not None and p.op_type == "Identity":
            return self.const(p.input[0])
        return None

    def need_const(self, node, idx: int, what: str) -> np.ndarray:
        v = self.const(node.input[idx])
        if v is None:
            raise QnnError(f"node {display_name(node)} ({node.op_type}): {what} is not a constant; only constant "
                           "quantization parameters and weights are supported")
        return v

    def quantized_const(self, name: str) -> tuple[np.ndarray, np.ndarray, QType] | None:
        """(integer tensor, scale broadcastable to it, type) for a Quant/BipolarQuant of an initializer."""
        p = self.producers.get(name)
        if p is None or p.op_type not in ("Quant", "BipolarQuant"):
            return None
        x = self.const(p.input[0])
        if x is None:
            return None
        scale = self.need_const(p, 1, "the scale").astype(np.float32)
        if p.op_type == "BipolarQuant":
            return np.where(x >= 0, 1, -1).astype(np.int64), scale, QType.bipolar_type()
        zp = self.need_const(p, 2, "the zero point").astype(np.float32)
        bits = float(self.need_const(p, 3, "the bit width"))
        qt = _quant_type(p, bits)
        q = np.clip(np.round(x.astype(np.float32) / scale + zp), qt.min, qt.max) - zp
        if not np.all(q == np.round(q)):
            raise QnnError(f"node {display_name(p)}: non-integer zero point on weights is not supported")
        return q.astype(np.int64), scale, qt

    def attrs(self, node) -> dict:
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def shape_of(self, name: str) -> list[int] | None:
        for vi in list(self.g.value_info) + list(self.g.input) + list(self.g.output):
            if vi.name == name:
                dims = vi.type.tensor_type.shape.dim
                return [d.dim_value if d.HasField("dim_value") else -1 for d in dims]
        return None


def _quant_type(node, bits: float) -> QType:
    a = {x.name: onnx.helper.get_attribute_value(x) for x in node.attribute}
    if bits != int(bits) or not 1 <= bits <= 32:
        raise QnnError(f"node {display_name(node)}: bit width {bits} is not an integer in 1..32")
    rounding = a.get("rounding_mode", b"ROUND")
    rounding = rounding.decode() if isinstance(rounding, bytes) else rounding
    if rounding.upper() not in ("ROUND", "ROUND_TO_EVEN", "HALF_EVEN"):
        raise UnsupportedOp(f"node {display_name(node)}: rounding mode {rounding} is not supported (only ROUND, half to even)")
    signed, narrow = bool(a.get("signed", 1)), bool(a.get("narrow", 0))
    if int(bits) == 1 and signed:
        raise UnsupportedOp(f"node {display_name(node)}: a signed 1-bit Quant is ambiguous; export it as BipolarQuant")
    return QType(int(bits), signed, narrow)


def _per_channel(scale: np.ndarray, axis: int, ndim: int, what: str, node) -> np.ndarray:
    """Reduce a broadcastable scale to a scalar or a vector along ``axis``."""
    s = np.asarray(scale, dtype=np.float32)
    if s.size == 1:
        return s.reshape(())
    shape = [1] * ndim
    shape[axis] = -1
    try:
        return s.reshape(shape).reshape(-1)
    except ValueError:
        raise QnnError(f"node {display_name(node)}: {what} scale of shape {list(s.shape)} is not per-tensor or per-channel") from None


def read_qonnx(model, input_layout: str | None = None) -> IntGraph:
    """QONNX ModelWrapper (cleaned) -> IntGraph before streamlining.

    ``input_layout`` ("NCHW" or "NHWC") says how to read a 4D input; by default NCHW (ONNX's convention), or NHWC
    when the graph starts with a Transpose to NCHW (as channels-last exports do)."""
    r = _Reader(model)
    for node in r.g.node:  # non-constant quantization parameters are refused before anything else
        params = {"Quant": ("the scale", "the zero point", "the bit width"), "BipolarQuant": ("the scale",)}
        for i, what in enumerate(params.get(node.op_type, ()), start=1):
            r.need_const(node, i, what)
    graph_inputs = [i for i in r.g.input if i.name not in r.inits]
    if len(graph_inputs) != 1:
        raise QnnError(f"the model has {len(graph_inputs)} inputs; exactly one is supported")
    gin = graph_inputs[0]
    in_shape = r.shape_of(gin.name)
    if in_shape is None or any(d <= 0 for d in in_shape[1:]):
        raise QnnError(f"input {gin.name} has a dynamic or unknown shape {in_shape}; give it a fixed shape")
    in_shape = tuple(in_shape[1:])
    layout = {1: "NC", 3: "NCHW"}.get(len(in_shape))
    if layout is None:
        raise QnnError(f"input {gin.name} of shape {list(in_shape)} is neither [N, C] nor [N, C, H, W]")
    if input_layout not in (None, "NCHW", "NHWC"):
        raise QnnError(f"unknown input layout {input_layout!r}: use NCHW or NHWC")
    if input_layout and layout == "NC":
        raise QnnError(f"--input-layout {input_layout} given, but the model input {list(in_shape)} is a vector")

    out: list[N.Node] = []
    cur = gin.name
    # state: "float" or "int"; shape in IR layout (channels-last), without batch
    state, scale = "float", None
    shape = tuple(in_shape) if layout == "NC" else (in_shape[1], in_shape[2], in_shape[0])
    started = False  # any IR node emitted yet (a host-side flatten may precede)
    perm_cols = None  # pending column permutation (C, H, W) for the next Dense after a Flatten
    onnx_layout = "NCHW"  # axis order of the current 4D tensor in the ONNX graph (the IR is always channels-last)
    if input_layout == "NHWC":
        layout, onnx_layout, shape = "NHWC", "NHWC", tuple(in_shape)
    cur_type: QType | None = None
    meta: dict = {"dropped": []}

    while True:
        cons = [c for c in r.consumers.get(cur, [])]
        if not cons:
            break
        if len(cons) > 1:
            raise UnsupportedOp(f"tensor {cur} feeds {len(cons)} nodes ({', '.join(display_name(c) for c in cons)}); "
                                "only chains (no branches) are supported")
        node = cons[0]
        op = node.op_type
        a = r.attrs(node)
        if op not in SUPPORTED_OPS:
            raise UnsupportedOp(f"node {display_name(node)}: op {op} is not supported (supported: {', '.join(SUPPORTED_OPS)})")

        if op == "Identity":
            pass
        elif op == "Transpose":
            perm = tuple(a.get("perm", ()))
            if len(shape) != 3 or perm not in (TO_NHWC, TO_NCHW):
                raise UnsupportedOp(f"node {display_name(node)}: Transpose {list(perm)} of a tensor of shape "
                                    f"{list(shape)} is not a layout change NCHW <-> NHWC")
            if perm == TO_NCHW and layout == "NCHW" and _only_scalar_elementwise(out):
                # a channels-last model input (QKeras via qonnx), possibly already quantized: the IR needs no transpose
                layout, onnx_layout, shape = "NHWC", "NHWC", tuple(in_shape)
            elif (perm == TO_NHWC) != (onnx_layout == "NCHW"):
                raise UnsupportedOp(f"node {display_name(node)}: Transpose {list(perm)} applied to a tensor that is "
                                    f"already {'NHWC' if perm == TO_NHWC else 'NCHW'}")
            onnx_layout = "NHWC" if perm == TO_NHWC else "NCHW"
        elif op in ("Quant", "BipolarQuant"):
            if op == "Quant":
                s = r.need_const(node, 1, "the scale").astype(np.float32)
                zp = r.need_const(node, 2, "the zero point").astype(np.float32)
                bits = float(r.need_const(node, 3, "the bit width"))
                qt = _quant_type(node, bits)
            else:
                s = r.need_const(node, 1, "the scale").astype(np.float32)
                zp, qt = np.float32(0), QType.bipolar_type()
            nd = 1 + len(shape)
            s_c = _per_channel(s, nd - 1 if len(shape) == 1 else 1, nd, "activation", node)
            zp_c = _per_channel(zp, nd - 1 if len(shape) == 1 else 1, nd, "zero point", node)
            if not np.all(zp_c == np.round(zp_c)):
                raise UnsupportedOp(f"node {display_name(node)}: non-integer zero point {zp_c} is not supported")
            if state == "int":  # a quantizer on an integer tensor: go through float first
                out.append(N.Dequant(f"{node.name}_deq", scale=scale))
            q = N.Quantize(node.name, scale=s_c, zero_point=zp_c, quant_type=qt)
            out.append(q)
            state, scale, cur_type = "int", s_c, q.out_type
            started = True
        elif op in ("MatMul", "Gemm"):
            if state != "int":
                raise QnnError(f"node {display_name(node)} ({op}): its input is not quantized; float layers are not supported "
                               "(put a Quant node before it)")
            if np.asarray(scale).size != 1:
                raise UnsupportedOp(f"node {display_name(node)}: a per-channel activation scale before {op} is not supported")
            if len(shape) != 1:
                raise UnsupportedOp(f"node {display_name(node)}: {op} on a tensor of shape {list(shape)}; flatten it first")
            wq = r.quantized_const(node.input[1])
            if wq is None:
                raise QnnError(f"node {display_name(node)} ({op}): the weights are not a quantized constant (Quant on an "
                               "initializer); float weights are not supported")
            w, ws, wt = wq
            if op == "Gemm":
                if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                    raise UnsupportedOp(f"node {display_name(node)}: Gemm with transA/alpha/beta is not supported")
                if not a.get("transB", 0):
                    w, ws = w.T, np.asarray(ws).T if np.asarray(ws).ndim == 2 else ws
            else:
                w, ws = w.T, np.asarray(ws).T if np.asarray(ws).ndim == 2 else ws
            w_scale = _per_channel(np.broadcast_to(ws, w.shape)[:, :1] if np.asarray(ws).size > 1 else ws, 0, 2,
                                   "weight", node)
            if perm_cols is not None:
                c, h, wd = perm_cols
                w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1).reshape(w.shape[0], -1)
                perm_cols = None
            acc_scale = (np.float32(scale) * w_scale).astype(np.float32)
            bias_int, bias_float = _bias(r, node, 2 if op == "Gemm" else None, acc_scale, w.shape[0])
            out.append(N.Dense(node.name, weight=w, bias=bias_int, in_type=cur_type, weight_type=wt))
            out.append(N.Dequant(f"{node.name}_deq", scale=acc_scale))
            if bias_float is not None:
                out.append(N.Affine(f"{node.name}_bias", mul=np.float32(1), add=bias_float))
            state, scale, shape = "float", None, (w.shape[0],)  # a following Add of a constant is the bias
        elif op == "Conv":
            if onnx_layout != "NCHW":
                raise UnsupportedOp(f"node {display_name(node)}: Conv on an NHWC tensor")
            if state != "int":
                raise QnnError(f"node {display_name(node)} (Conv): its input is not quantized; put a Quant node before it")
            if a.get("group", 1) != 1:
                raise UnsupportedOp(f"node {display_name(node)}: grouped/depthwise Conv (group={a['group']}) is not supported")
            if any(d != 1 for d in a.get("dilations", [1, 1])):
                raise UnsupportedOp(f"node {display_name(node)}: dilated Conv is not supported")
            wq = r.quantized_const(node.input[1])
            if wq is None:
                raise QnnError(f"node {display_name(node)} (Conv): the weights are not a quantized constant")
            w, ws, wt = wq
            w_scale = _per_channel(ws, 0, 4, "weight", node)
            w = w.transpose(0, 2, 3, 1)  # OIHW -> O KH KW I
            pads = tuple(a.get("pads", [0, 0, 0, 0]))
            strides = tuple(a.get("strides", [1, 1]))
            acc_scale = (np.float32(scale) * w_scale).astype(np.float32)
            bias_int, bias_float = _bias(r, node, 2, acc_scale, w.shape[0])
            out.append(N.Conv2d(node.name, weight=w, bias=bias_int, in_type=cur_type, weight_type=wt,
                                stride=strides, pad=pads))
            out.append(N.Dequant(f"{node.name}_deq", scale=acc_scale))
            if bias_float is not None:
                out.append(N.Affine(f"{node.name}_bias", mul=np.float32(1), add=bias_float))
            h, wd, _ = shape
            kh, kw = w.shape[1:3]
            ho = (h + pads[0] + pads[2] - kh) // strides[0] + 1
            wo = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
            state, scale, shape = "float", None, (ho, wo, w.shape[0])
        elif op == "BatchNormalization":
            gamma, beta, mean, var = (r.need_const(node, i, "a BatchNorm parameter").astype(np.float32) for i in range(1, 5))
            eps = np.float32(a.get("epsilon", 1e-5))
            invstd = np.float32(1) / np.sqrt(var + eps)
            alpha = (invstd * gamma).astype(np.float32)
            out.append(N.Affine(node.name, mul=alpha, add=(beta - mean * alpha).astype(np.float32)))
            state = _to_float(out, node, state, scale)
        elif op in ("Mul", "Div", "Add", "Sub"):
            other = node.input[1] if node.input[0] == cur else node.input[0]
            k = r.const(other)
            if k is None and (kq := r.quantized_const(other)) is not None:
                k = (kq[0].astype(np.float32) * kq[1]).astype(np.float32)  # a quantized constant (e.g. a bias)
            if k is None:
                raise UnsupportedOp(f"node {display_name(node)}: {op} of two computed tensors is not supported (only by constants)")
            k = _per_channel(k.astype(np.float32), -1 if len(shape) == 1 else 1, 1 + len(shape), "constant", node)
            if op == "Sub" and node.input[0] != cur:
                raise UnsupportedOp(f"node {display_name(node)}: constant minus tensor is not supported")
            if op == "Div" and node.input[0] != cur:
                raise UnsupportedOp(f"node {display_name(node)}: constant divided by tensor is not supported")
            state = _to_float(out, node, state, scale)
            if op in ("Add", "Sub") and _absorb_bias(out, k if op == "Add" else -k):
                cur = node.output[0]
                continue
            one, zero = np.float32(1), np.float32(0)
            mul, add = {"Mul": (k, zero), "Div": ((one / k).astype(np.float32), zero), "Add": (one, k), "Sub": (one, -k)}[op]
            out.append(N.Affine(node.name, mul=mul, add=add))
        elif op == "Relu":
            out.append(N.Relu(node.name))
        elif op == "MaxPool":
            if onnx_layout != "NCHW":
                raise UnsupportedOp(f"node {display_name(node)}: MaxPool on an NHWC tensor")
            if any(a.get("pads", [0]) ) or a.get("ceil_mode", 0):
                raise UnsupportedOp(f"node {display_name(node)}: MaxPool with padding or ceil_mode is not supported")
            k = tuple(a["kernel_shape"])
            s = tuple(a.get("strides", k))
            out.append(N.MaxPool(node.name, kernel=k, stride=s))
            h, wd, c = shape
            shape = ((h - k[0]) // s[0] + 1, (wd - k[1]) // s[1] + 1, c)
        elif op in ("Flatten", "Reshape"):
            target = None
            if op == "Reshape":
                target = r.const(node.input[1])
            if len(shape) == 3:
                if target is not None and not (len(target) == 2 and (target[1] in (-1, int(np.prod(shape))))):
                    raise UnsupportedOp(f"node {display_name(node)}: Reshape to {list(target)} is not a flatten")
                if not started:
                    layout, shape = "NC", (int(np.prod(shape)),)
                else:
                    h, wd, c = shape
                    out.append(N.Flatten(node.name))
                    # ONNX flattens NCHW in (c, h, w) order; the IR in (h, w, c): reorder the next Dense's columns
                    needs_perm = onnx_layout == "NCHW" and (h, wd) != (1, 1) and c > 1
                    perm_cols = (c, h, wd) if needs_perm else None
                    shape = (h * wd * c,)
            elif target is not None and len(target) != 2:
                raise UnsupportedOp(f"node {display_name(node)}: Reshape of a vector to {list(target)} is not supported")
        elif op == "Softmax":
            if r.consumers.get(node.output[0]):
                raise UnsupportedOp(f"node {display_name(node)}: Softmax is only supported as the last node")
            meta["dropped"].append(f"{display_name(node)} (Softmax: argmax unchanged)")
        cur = node.output[0]

    if state == "int":
        out.append(N.Dequant("output_deq", scale=scale))
    if not any(isinstance(n, N.Quantize) for n in out):
        raise QnnError("the model has no Quant node: it is a float model; quantize it (Brevitas/QKeras) first")
    return IntGraph(tuple(out), input_shape=in_shape if layout != "NC" else (int(np.prod(in_shape)),),
                    input_layout=layout, meta=meta)


def _absorb_bias(out: list, k: np.ndarray) -> bool:
    """Dense/Conv -> Dequant(s) -> Add(k): when s is a power of two and k is on its grid, k / s joins the integer
    bias (exact: every float32 value involved is then exact). Returns True if absorbed."""
    if len(out) < 2 or not isinstance(out[-1], N.Dequant) or not isinstance(out[-2], (N.Dense, N.Conv2d)):
        return False
    s = np.broadcast_to(np.asarray(out[-1].scale, np.float64), (out[-2].channels,))
    if not np.all(np.log2(s) == np.round(np.log2(s))):
        return False
    b = np.broadcast_to(np.asarray(k, np.float64), s.shape) / s
    if not np.all(b == np.round(b)) or np.abs(b).max(initial=0) >= 2**24:
        return False
    out[-2] = out[-2].with_(bias=out[-2].bias + b.astype(np.int64))
    return True


def _only_scalar_elementwise(out: list) -> bool:
    """True while everything read so far is elementwise with scalar constants (so the input layout is still open)."""
    for n in out:
        if not isinstance(n, (N.Quantize, N.Affine, N.Relu, N.Dequant)):
            return False
        for f in ("scale", "zero_point", "mul", "add"):
            if hasattr(n, f) and np.asarray(getattr(n, f)).size > 1:
                return False
    return True


def _to_float(out: list, node, state: str, scale) -> str:
    if state == "int":
        out.append(N.Dequant(f"{node.name}_deq", scale=scale))
    return "float"


def _bias(r: _Reader, node, idx: int | None, acc_scale: np.ndarray, n_out: int):
    """(integer bias or zeros, float bias or None) for a Gemm/Conv bias input."""
    zeros = np.zeros(n_out, dtype=np.int64)
    if idx is None or len(node.input) <= idx or not node.input[idx]:
        return zeros, None
    bq = r.quantized_const(node.input[idx])
    if bq is not None:
        b, bs, _ = bq
        b = np.broadcast_to(b.reshape(-1), (n_out,)).astype(np.int64)
        bs = np.broadcast_to(np.asarray(bs, dtype=np.float32).reshape(-1), (n_out,))
        if np.array_equal(bs, np.broadcast_to(acc_scale, (n_out,))):
            return b, None
        return zeros, (b.astype(np.float32) * bs).astype(np.float32)
    v = r.const(node.input[idx])
    if v is None:
        raise QnnError(f"node {display_name(node)}: the bias is not a constant")
    return zeros, np.broadcast_to(v.astype(np.float32).reshape(-1), (n_out,)).copy()
