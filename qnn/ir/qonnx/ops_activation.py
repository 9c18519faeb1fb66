"""Activations between an accumulator and the next quantizer.

Any monotonic activation followed by a quantizer is exactly a set of per-channel thresholds (``fold_requant`` finds
them by bisection on the float32 segment it replaces), so a handler here only has to emit a float IR node that
computes the activation as the ONNX graph does; an activation with no quantizer after it must be refused naming the
node. Add handlers to ``HANDLERS`` (op type -> ``handle(w, node)``) and decomposed patterns that branch, such as
``Mul(x, Sigmoid(x))``, to ``BRANCH_PATTERNS`` (see ``walk.py``).
"""
from __future__ import annotations

from qnn.ir import nodes as N
from qnn.ir.qonnx.walk import Walk


def relu(w: Walk, node) -> None:
    w.out.append(N.Relu(node.name))


HANDLERS = {"Relu": relu}
BRANCH_PATTERNS: list = []
