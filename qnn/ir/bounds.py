"""Worst-case value ranges of every integer tensor in a graph (per channel where known)."""
from __future__ import annotations

import numpy as np

from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph


def output_bounds(graph: IntGraph) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """For each node, (lo, hi) of its output (scalars or per-channel vectors); None for float outputs."""
    return chain_bounds(graph.nodes)


def chain_bounds(nodes, cur=None) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """``output_bounds`` of a chain whose input has the bounds ``cur`` (None: unknown or float)."""
    res: list = []
    for node in nodes:
        if isinstance(node, N.Residual):
            cur = residual_bounds(node, cur)
        elif isinstance(node, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
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


def residual_bounds(node: N.Residual, cur) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounds of ``mul_a * branch(x) + mul_b * skip(x)`` from the bounds of both sub-chains' outputs."""
    a = chain_bounds(node.branch, cur)[-1] if node.branch else cur
    b = chain_bounds(node.skip, cur)[-1] if node.skip else cur
    if a is None or b is None:
        return None
    out = []
    for (lo, hi), m in ((a, np.asarray(node.mul_a, np.int64)), (b, np.asarray(node.mul_b, np.int64))):
        lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
        out.append((np.minimum(lo * m, hi * m), np.maximum(lo * m, hi * m)))
    return out[0][0] + out[1][0], out[0][1] + out[1][1]
