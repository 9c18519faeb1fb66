"""Worst-case value ranges of every integer tensor in a graph (per channel where known)."""
from __future__ import annotations

import numpy as np

from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph


def output_bounds(graph: IntGraph) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """For each node, (lo, hi) of its output (scalars or per-channel vectors); None for float outputs."""
    res: list = []
    cur = None
    for node in graph.nodes:
        if isinstance(node, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
            cur = node.acc_bounds
        elif isinstance(node, N.SumPool):
            lo, hi = cur if cur is not None else (np.array(node.in_type.min), np.array(node.in_type.max))
            cur = (np.asarray(lo) * node.divisor, np.asarray(hi) * node.divisor)
        elif isinstance(node, (N.Quantize, N.MultiThreshold, N.Shift)):
            t = node.out_type
            cur = (np.array(t.min), np.array(t.max))
        elif isinstance(node, N.MaxPool):
            pass  # same range as its input
        elif isinstance(node, N.Flatten):
            cur = None if cur is None else (np.array(np.min(cur[0])), np.array(np.max(cur[1])))
        elif isinstance(node, N.Relu) and cur is not None:
            cur = (np.maximum(cur[0], 0), np.maximum(cur[1], 0))
        else:
            cur = None
        res.append(cur)
    return res
