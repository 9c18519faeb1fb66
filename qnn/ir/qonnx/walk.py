"""The reader's state while it walks the chain from the graph input, and the handler contract.

A handler is ``handle(w: Walk, node) -> str | None``: it appends IR nodes to ``w.out``, updates the state (``state``
"float" or "int", the integer ``scale``, the ``shape`` in IR layout without batch, ...), and returns the tensor the
walk continues from (``None``: the node's first output). A handler may consume several ONNX nodes (a decomposed
activation) by returning a later tensor. Handlers are grouped by family in ``ops_*.py``; each module's ``HANDLERS``
maps op types to handlers, ``BRANCH_PATTERNS`` lists matchers for tensors that feed several nodes (e.g.
``Mul(x, Sigmoid(x))``): ``match(w, tensor, consumers) -> str | None``, returning the tensor to continue from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnn.errors import QnnError
from qnn.ir import nodes as N
from qnn.ir.qonnx.graphview import GraphView
from qnn.ir.qonnx.load import display_name
from qnn.qtype import QType

TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


@dataclass
class Walk:
    view: GraphView
    in_shape: tuple  # the ONNX input shape without batch
    layout: str  # IR input layout: "NC", "NCHW" or "NHWC"
    shape: tuple  # current shape in IR layout (channels-last), without batch
    cur: str = ""  # the ONNX tensor the walk is at (the input of the node being handled)
    onnx_layout: str = "NCHW"  # axis order of the current 4D tensor in the ONNX graph
    out: list = field(default_factory=list)
    state: str = "float"  # "float" or "int"
    scale: np.ndarray | None = None  # scale of the current integer tensor
    cur_type: QType | None = None  # type of the current integer tensor
    started: bool = False  # any IR node emitted yet (a host-side flatten may precede)
    perm_cols: tuple | None = None  # pending (C, H, W) column permutation for the next Dense after a Flatten
    meta: dict = field(default_factory=lambda: {"dropped": []})

    def attrs(self, node) -> dict:
        return self.view.attrs(node)

    def to_float(self, node) -> None:
        """Leave the integer domain before a float op (a Dequant at the current scale)."""
        if self.state == "int":
            self.out.append(N.Dequant(f"{node.name}_deq", scale=self.scale))
        self.state = "float"

    def emit_quantize(self, q: N.Quantize) -> None:
        if self.state == "int":  # a quantizer on an integer tensor: go through float first
            self.out.append(N.Dequant(f"{q.name}_deq", scale=self.scale))
        self.out.append(q)
        self.state, self.scale, self.cur_type, self.started = "int", q.scale, q.out_type, True

    def need_int(self, node, what: str = "") -> None:
        if self.state != "int":
            raise QnnError(f"node {display_name(node)} ({node.op_type}): its input is not quantized; float layers are "
                           f"not supported (put a Quant node before it{what}, or give the model input a type with "
                           "--input-type)")

    def channel_axis(self) -> int:
        """The ONNX axis of channels for the current tensor (vectors: last)."""
        return -1 if len(self.shape) == 1 else 1
