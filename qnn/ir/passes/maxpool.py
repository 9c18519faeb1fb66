"""Move MaxPool after the per-channel non-decreasing nodes that follow it.

max(f(a), f(b)) == f(max(a, b)) for any non-decreasing f; Relu, Quantize, Dequant with positive scale and Affine
with non-negative multiplier are non-decreasing per channel. So ``Conv2d -> MaxPool -> Dequant -> Affine -> Relu
-> Quantize`` becomes ``Conv2d -> Dequant -> Affine -> Relu -> Quantize -> MaxPool``: the accumulator then sits
directly in front of its requantization (where ``fold_requant`` wants it) and the pool works on narrow
activations instead of wide accumulators.
"""
from __future__ import annotations

import numpy as np

from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph


def _non_decreasing(node: N.Node) -> bool:
    if isinstance(node, (N.Relu, N.Quantize)):
        return True
    if isinstance(node, N.Affine):
        return bool(np.all(np.asarray(node.mul) >= 0))
    if isinstance(node, N.Dequant):
        return bool(np.all(np.asarray(node.scale) > 0))
    return False


def move_maxpool_after_quantize(graph: IntGraph) -> IntGraph:
    nodes = list(graph.nodes)
    for i in range(len(nodes) - 1, -1, -1):  # from the back, so each pool moves as far as it can
        j = i
        while isinstance(nodes[j], N.MaxPool) and j + 1 < len(nodes) and _non_decreasing(nodes[j + 1]):
            if isinstance(nodes[j + 1], N.Quantize) and j + 2 < len(nodes) and isinstance(nodes[j + 2], N.Dequant):
                break  # keep the pool on the integers of an output quantizer
            nodes[j], nodes[j + 1] = nodes[j + 1], nodes[j]
            j += 1
            if isinstance(nodes[j - 1], N.Quantize):
                break  # integers now: this is where it belongs
    return graph.with_nodes(nodes)
