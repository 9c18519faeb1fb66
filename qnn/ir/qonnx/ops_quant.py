"""Quantizers on activations: ``Quant`` and ``BipolarQuant`` become IR ``Quantize`` nodes (the first one is the
network input quantizer). Constant quantizers (weights, biases) are read by the layers that use them."""
from __future__ import annotations

import numpy as np

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.qonnx.graphview import per_channel, quant_type, zero_point_must_be_zero
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk
from qnn.qtype import QType

PARAMS = {"Quant": ("the scale", "the zero point", "the bit width"), "BipolarQuant": ("the scale",)}


def check_constant_params(w: Walk) -> None:
    """Non-constant quantization parameters are refused before anything else."""
    for node in w.view.g.node:
        for i, what in enumerate(PARAMS.get(node.op_type, ()), start=1):
            w.view.need_const(node, i, what)


def quant(w: Walk, node) -> None:
    s = w.view.need_const(node, 1, "the scale").astype(np.float32)
    if node.op_type == "Quant":
        zp = w.view.need_const(node, 2, "the zero point").astype(np.float32)
        qt = quant_type(node, float(w.view.need_const(node, 3, "the bit width")))
    else:
        zp, qt = np.float32(0), QType.bipolar_type()
    nd = 1 + len(w.shape)
    axis = nd - 1 if len(w.shape) == 1 else 1
    s_c = per_channel(s, axis, nd, "activation", node)
    zp_c = per_channel(zp, axis, nd, "zero point", node)
    if qt.bipolar:
        zero_point_must_be_zero(node, zp_c)
        zp_c = np.float32(0)
    if not np.all(zp_c == np.round(zp_c)):
        raise UnsupportedOp(f"node {display_name(node)}: non-integer zero point {zp_c} is not supported; "
                            "quantize with an integer zero point")
    t = w.input_type
    if not w.started and t is not None and t.source == "option":
        raise QnnError(f"--input-type {t.spec} given, but the model quantizes its input itself (node "
                       f"{display_name(node)}): leave --input-type out")
    w.emit_quantize(N.Quantize(node.name, scale=s_c, zero_point=zp_c, quant_type=qt))


HANDLERS = {"Quant": quant, "BipolarQuant": quant}
BRANCH_PATTERNS: list = []
