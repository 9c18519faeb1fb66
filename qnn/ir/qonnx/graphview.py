"""Read-only access to a cleaned QONNX graph: producers, consumers, constants, quantized constants, shapes."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir.qonnx.load import display_name
from qnn.qtype import QType


class GraphView:
    def __init__(self, model) -> None:
        self.model = model
        self.g = model.graph
        self.inits = {i.name: numpy_helper.to_array(i) for i in self.g.initializer}
        self.producers = {o: n for n in self.g.node for o in n.output}
        self.consumers: dict[str, list] = {}
        for n in self.g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    def const(self, name: str) -> np.ndarray | None:
        if name in self.inits:
            return self.inits[name]
        p = self.producers.get(name)
        if p is not None and p.op_type == "Identity":
            return self.const(p.input[0])
        return None

    def need_const(self, node, idx: int, what: str) -> np.ndarray:
        v = self.const(node.input[idx]) if idx < len(node.input) else None
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
        qt = quant_type(p, bits)
        if qt.bipolar:  # a signed 1-bit Quant: the sign, as qonnx executes it
            zero_point_must_be_zero(p, zp)
            return np.where(x.astype(np.float32) / scale >= 0, 1, -1).astype(np.int64), scale, qt
        q = np.clip(np.round(x.astype(np.float32) / scale + zp), qt.min, qt.max) - zp
        if not np.all(q == np.round(q)):
            raise QnnError(f"node {display_name(p)}: non-integer zero point on weights is not supported; "
                           "quantize the weights with an integer zero point (e.g. symmetric, zero point 0)")
        return q.astype(np.int64), scale, qt

    @staticmethod
    def attrs(node) -> dict:
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def shape_of(self, name: str) -> list[int] | None:
        for vi in list(self.g.value_info) + list(self.g.input) + list(self.g.output):
            if vi.name == name:
                dims = vi.type.tensor_type.shape.dim
                return [d.dim_value if d.HasField("dim_value") else -1 for d in dims]
        return None


def quant_type(node, bits: float) -> QType:
    """The QType of a QONNX ``Quant`` node with that bit width (refusing what the IR cannot round the same way)."""
    a = GraphView.attrs(node)
    if bits != int(bits) or not 1 <= bits <= 32:
        raise QnnError(f"node {display_name(node)}: bit width {bits} is not an integer in 1..32; quantize to "
                       "1..32 bits")
    rounding = a.get("rounding_mode", b"ROUND")
    rounding = rounding.decode() if isinstance(rounding, bytes) else rounding
    if rounding.upper() not in ("ROUND", "ROUND_TO_EVEN", "HALF_EVEN"):
        raise UnsupportedOp(f"node {display_name(node)}: rounding mode {rounding} is not supported (only ROUND, "
                            "half to even); re-export with rounding_mode=ROUND")
    signed, narrow = bool(a.get("signed", 1)), bool(a.get("narrow", 0))
    if int(bits) == 1 and signed:  # qonnx executes it as a sign (+1 for x >= 0, else -1), narrow or not: bipolar
        return QType.bipolar_type()
    return QType(int(bits), signed, narrow)


def zero_point_must_be_zero(node, zp) -> None:
    if np.any(np.asarray(zp) != 0):
        raise UnsupportedOp(f"node {display_name(node)}: a signed 1-bit Quant with a zero point (values (+-1 - zp) * "
                            "scale) is not supported; use zero point 0 (a sign: QKeras quantized_bits(1, 0))")



def per_channel(scale: np.ndarray, axis: int, ndim: int, what: str, node) -> np.ndarray:
    """Reduce a broadcastable scale to a scalar or a vector along ``axis``."""
    s = np.asarray(scale, dtype=np.float32)
    if s.size == 1:
        return s.reshape(())
    shape = [1] * ndim
    shape[axis] = -1
    try:
        return s.reshape(shape).reshape(-1)
    except ValueError:
        raise QnnError(f"node {display_name(node)}: {what} scale of shape {list(s.shape)} is not per-tensor or "
                       "per-channel; quantize it with one scale per tensor or per channel") from None
