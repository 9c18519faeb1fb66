"""The reader's state while it walks the chain from the graph input, and the handler contract.

A handler is ``handle(w: Walk, node) -> str | None``: it appends IR nodes to ``w.out``, updates the state (``state``
"float" or "int", the integer ``scale``, the ``shape`` in IR layout without batch, ...), and returns the tensor the
walk continues from (``None``: the node's first output). A handler may consume several ONNX nodes (a decomposed
activation) by returning a later tensor. Handlers are grouped by family in ``ops_*.py``; each module's ``HANDLERS``
maps op types to handlers, ``BRANCH_PATTERNS`` lists matchers for tensors that feed several nodes (e.g.
``Mul(x, Sigmoid(x))``): ``match(w, tensor, consumers) -> str | None``, returning the tensor to continue from.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from qnn.errors import QnnError
from qnn.ir import nodes as N
from qnn.ir.qonnx.graphview import GraphView
from qnn.ir.qonnx.inputs import InputType, input_quantizer
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
    spatial: int = 2  # spatial axes of the ONNX image tensor: 2 ([N, C, H, W]) or 1 ([N, C, L], an IR image with H = 1)
    out: list = field(default_factory=list)
    state: str = "float"  # "float" or "int"
    scale: np.ndarray | None = None  # scale of the current integer tensor
    cur_type: QType | None = None  # type of the current integer tensor
    started: bool = False  # any IR node emitted yet (a host-side flatten may precede)
    column: bool = False  # the current vector is held as an ONNX column [K, 1] (read only by Gemm transA=1)
    perm_cols: tuple | None = None  # pending (C, H, W) column permutation for the next Dense after a Flatten
    meta: dict = field(default_factory=lambda: {"dropped": []})
    last_float: str | None = None  # the last node that left a float tensor behind an integer one (for messages)
    input_type: InputType | None = None  # the graph input's type, used if the model does not quantize it itself
    # the reader's walk, for a path of a residual block: walk_to(sub_walk, stop_tensor, first_node)
    walk_to: Callable | None = None

    def fork(self, tensor: str) -> Walk:
        """A walk of its own for one path from ``tensor`` (same state, no nodes yet; ``meta`` shared)."""
        return replace(self, cur=tensor, out=[])

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
        """An integer layer: a float graph input gets its input quantizer here (after host-side preprocessing)."""
        if self.state != "int" and not self.started and self.input_type is not None:
            self.emit_quantize(input_quantizer(self.input_type, self.out, self.shape[-1], node))
            self.meta["input_type"] = self.input_type.to_meta()
        why = self._accumulator_as_input() if self.state != "int" and self.started else None
        if self.state != "int" and why:
            what = f" ({why})" + what
        if self.state != "int" and self.last_float is not None:
            raise QnnError(f"node {display_name(node)} ({node.op_type}): its input from {self.last_float} is not "
                           f"quantized; float layers are not supported: put a Quant node after {self.last_float}{what}")
        if self.state != "int":
            raise QnnError(f"node {display_name(node)} ({node.op_type}): its input is not quantized; float layers are "
                           f"not supported: put a Quant node before it{what}")

    def _accumulator_as_input(self) -> str | None:
        """Two linear layers with no quantizer between them (a QKeras QDense feeding the next): the first one's
        accumulator (its bias on the integer grid) at a power-of-two scale is an exact integer input for the next.
        Re-enter the integer domain (drop the trailing Dequant) and return None, or say why it cannot."""
        k = max((i for i, n in enumerate(self.out) if isinstance(n, N.Dequant)), default=-1)
        if k < 1 or not isinstance(self.out[k - 1], (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
            return None
        if any(not isinstance(n, N.Flatten) for n in self.out[k + 1 :]):
            extra = next(n for n in self.out[k + 1 :] if not isinstance(n, N.Flatten))
            return (f"the accumulator of {self.out[k - 1].name} goes through {extra.name} ({extra.kind}) in float, e.g. "
                    "a bias off its integer grid or a BatchNorm; only an accumulator plus an on-grid bias can feed the "
                    "next layer without a quantizer")
        s = np.asarray(self.out[k].scale, np.float64)
        if s.size != 1 or np.frexp(s.reshape(-1))[0][0] != 0.5:
            return (f"the accumulator of {self.out[k - 1].name} has scale {_fmt_scale(s)}, not one power of two; "
                    "quantize it (or use power-of-two scales, QKeras' alpha=1)")
        acc = self.out[k - 1]
        del self.out[k]
        self.state, self.scale, self.cur_type = "int", np.float32(s.reshape(())), acc.acc_type
        return None

    def channel_axis(self) -> int:
        """The ONNX axis of channels for the current tensor (vectors: last)."""
        return -1 if len(self.shape) == 1 else 1


def _fmt_scale(s) -> str:
    s = np.asarray(s).ravel()
    return f"{float(s[0]):.6g}" if s.size == 1 else f"per channel [{float(s.min()):.3g} .. {float(s.max()):.3g}]"
