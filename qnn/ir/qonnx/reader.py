"""Read a cleaned QONNX model into the IR, before streamlining.

The walk follows the chain from the graph input; each op type has a handler in one of the ``ops_*`` modules:

========================  ================  ===========================================================================
QONNX                     module            IR
========================  ================  ===========================================================================
Quant / BipolarQuant      ``ops_quant``     ``Quantize`` (activations; the first one is the network input quantizer)
MatMul / Gemm             ``ops_linear``    ``Dense`` (integer weights; integer bias at scale s_in*s_w) + ``Dequant``
Conv                      ``ops_linear``    ``Conv2d`` (weights moved to [O, KH, KW, I]) + ``Dequant``;
                                            ``DepthwiseConv2d`` ([C, KH, KW]) when group == channels
GlobalAveragePool,        ``ops_pool``      ``SumPool`` (integer sum) + ``Dequant`` + ``Divide`` (the 1/N, folded into
AveragePool, Trunc                          the next thresholds); a Brevitas ``Trunc`` after it: ``Shift`` of the sum;
                                            zero padding counted (count_include_pad=1): a ``DepthwiseConv2d`` of ones
ReduceMean                ``ops_pool``      over the spatial axes only (axes attribute or input; keepdims 1, or 0 with
                                            a ``Flatten`` after the sum): as GlobalAveragePool
BatchNormalization        ``ops_linear``    ``Affine`` with PyTorch's inference constants (alpha = gamma/sqrt(var+eps))
Mul / Div / Add / Sub     ``ops_linear``    ``Affine`` (by constants)
Relu, ...                 ``ops_activation``  ``Relu``, ...
Transpose, Flatten,       ``ops_shape``     layout changes, ``Flatten`` (channels-last; next Dense's columns permuted),
Reshape, MaxPool, ...                       ``MaxPool``; a final Softmax is dropped (the argmax does not change)
========================  ================  ===========================================================================

1-D models (input [N, C, L]: Conv1d, MaxPool1d, AvgPool1d, ...) are read as images with H = 1 (``spatial``): the IR
input is [C, 1, L] (NCHW), kernels 1 x K. The graph input's type (a ``finn_datatype`` annotation, or ``input_type``
for a float input) comes from ``inputs``.
Anything else raises ``UnsupportedOp`` naming the node.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.float_semantics import file_batchnorm
from qnn.ir.graph import IntGraph
from qnn.ir.qonnx import ops_activation, ops_linear, ops_pool, ops_quant, ops_residual, ops_shape
from qnn.ir.qonnx.graphview import GraphView
from qnn.ir.qonnx.inputs import choose_input_type
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk

FAMILIES = (ops_quant, ops_linear, ops_activation, ops_shape, ops_pool, ops_residual)
HANDLERS = {op: h for m in FAMILIES for op, h in m.HANDLERS.items()}


def supported_ops() -> tuple[str, ...]:
    return tuple(HANDLERS)


def _start(view: GraphView, input_layout: str | None, input_type: str | None) -> tuple[Walk, object]:
    graph_inputs = [i for i in view.g.input if i.name not in view.inits]
    if len(graph_inputs) != 1:
        raise QnnError(f"the model has {len(graph_inputs)} inputs; exactly one is supported (concatenate them into "
                       "one input)")
    gin = graph_inputs[0]
    in_shape = view.shape_of(gin.name)
    if in_shape is None or any(d <= 0 for d in in_shape[1:]):
        raise QnnError(f"input {gin.name} has a dynamic or unknown shape {in_shape}; give it a fixed shape")
    in_shape = tuple(in_shape[1:])
    layout = {1: "NC", 2: "NCHW", 3: "NCHW"}.get(len(in_shape))
    if layout is None:
        raise QnnError(f"input {gin.name} of shape {list(in_shape)} is neither [N, C], [N, C, L] nor [N, C, H, W]")
    if input_layout not in (None, "NCHW", "NHWC"):
        raise QnnError(f"unknown input layout {input_layout!r}: use NCHW or NHWC")
    if input_layout and len(in_shape) != 3:
        raise QnnError(f"--input-layout {input_layout} given, but the model input {list(in_shape)} is not an image "
                       "[N, C, H, W]")
    meta = {"dropped": []}
    if len(in_shape) == 2:  # a 1-D signal [N, C, L]: the IR image [N, 1, L, C] (qnn.ir.qonnx.spatial)
        meta["onnx_input_shape"] = list(in_shape)
        in_shape = (in_shape[0], 1, in_shape[1])
    shape = in_shape if layout == "NC" else (in_shape[1], in_shape[2], in_shape[0])
    w = Walk(view, in_shape=in_shape, layout=layout, shape=shape, cur=gin.name, meta=meta,
             spatial=1 if "onnx_input_shape" in meta else 2,
             input_type=choose_input_type(view.g, gin.name, input_type))
    if input_layout == "NHWC":
        w.layout, w.onnx_layout, w.shape = "NHWC", "NHWC", in_shape
    return w, gin


def _next(w: Walk, stop: str | None = None):
    """The single consumer of the current tensor, a branch pattern's continuation, or None at the end (or at
    ``stop``, where a residual block's path ends)."""
    if stop is not None and w.cur == stop:
        return None
    cons = list(w.view.consumers.get(w.cur, []))
    if len(cons) <= 1:
        return cons[0] if cons else None
    for m in FAMILIES:
        for match in m.BRANCH_PATTERNS:
            nxt = match(w, w.cur, cons)
            if nxt is not None:
                w.cur = nxt
                return _next(w, stop)
    raise UnsupportedOp(f"tensor {w.cur} feeds {len(cons)} nodes ({', '.join(display_name(c) for c in cons)}); "
                        "only chains are supported: remove the branch (residual or concat)")


def read_qonnx(model, input_layout: str | None = None, input_type: str | None = None,
               batchnorm: str | None = None) -> IntGraph:
    """QONNX ModelWrapper (cleaned) -> IntGraph before streamlining.

    ``input_layout`` ("NCHW" or "NHWC") says how to read a 4D input; by default NCHW (ONNX's convention), or NHWC
    when the graph starts with a Transpose to NCHW (as channels-last exports do). ``input_type`` (hls4ml syntax, e.g.
    ``fixed<16,6>``) is the type of a float input that the model does not quantize itself (see ``inputs``).
    ``batchnorm`` ("onnx" or "fma") is the float32 form of BatchNorm to reproduce; by default the one the file
    records (``qnn.ir.float_semantics``: this toolkit's exports record PyTorch's), else onnxruntime's."""
    view = GraphView(model)
    w, gin = _start(view, input_layout, input_type)
    w.meta["batchnorm"] = batchnorm or file_batchnorm(model)
    ops_quant.check_constant_params(w)
    w.walk_to = _walk
    _walk(w)
    if w.state == "int":
        w.out.append(N.Dequant("output_deq", scale=w.scale))
    if not any(isinstance(n, N.Quantize) for n in w.out):
        raise QnnError("the model has no Quant node: it is a float model; quantize it (Brevitas/QKeras) first")
    in_shape = w.in_shape if w.layout != "NC" else (int(np.prod(w.in_shape)),)
    return IntGraph(tuple(w.out), input_shape=in_shape, input_layout=w.layout, meta=w.meta)


def _walk(w: Walk, stop: str | None = None, first=None) -> None:
    """Handle node after node from ``w.cur`` (``first``: the node to start with) until the end or ``stop``."""
    while (node := first if first is not None else _next(w, stop)) is not None:
        first = None
        if w.column and node.op_type not in ("Gemm", "Identity", "Reshape", "Flatten"):
            raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} on a column vector [K, 1]; only Gemm with "
                                "transA=1 reads one")
        handler = HANDLERS.get(node.op_type)
        if handler is None:
            raise UnsupportedOp(f"node {display_name(node)}: op {node.op_type} is not supported (supported: "
                                f"{', '.join(HANDLERS)})")
        nxt = handler(w, node)
        if w.state == "float" and w.started and node.op_type not in ops_shape.HANDLERS:
            w.last_float = display_name(node)
        w.cur = nxt if nxt is not None else node.output[0]
