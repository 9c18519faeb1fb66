"""Replace a MultiThreshold by a Shift when a power-of-two requantization gives the same values.

``clip(round_half_even(a / 2**s))`` costs an adder and a comparator instead of a threshold table; it is what
``ap_fixed`` casts compute. For each candidate s the thresholds of the Shift are computed over the producer's
range (``thresholds_for``) and compared with the node's, channel by channel, clamped to each channel's own range:
the swap is made only when they are all equal, so it is exact.
"""
from __future__ import annotations

import numpy as np

from qnn.golden import ops
from qnn.ir import nodes as N
from qnn.ir.bounds import output_bounds
from qnn.ir.graph import IntGraph
from qnn.ir.passes.requant import thresholds_for

SHIFTS = range(-16, 48)


def _as_shift(mt: N.MultiThreshold, lo: np.ndarray, hi: np.ndarray) -> int | None:
    out = mt.out_type
    if out.bipolar:
        return None
    n_ch = mt.thresholds.shape[0]
    lo = np.broadcast_to(lo, (n_ch,)).astype(np.int64)
    hi = np.broadcast_to(hi, (n_ch,)).astype(np.int64)
    glo, ghi = np.array([lo.min()]), np.array([hi.max()])
    for s in SHIFTS:
        t = thresholds_for(lambda a, s=s: ops.shift(a, s, out) - out.min, glo, ghi, out.levels)  # [1, K]
        if np.array_equal(np.clip(t, lo[:, None], hi[:, None] + 1), np.clip(mt.thresholds, lo[:, None], hi[:, None] + 1)):
            return s
    return None


def thresholds_to_shift(graph: IntGraph) -> IntGraph:
    nodes = list(graph.nodes)
    bounds = output_bounds(graph)
    for i, node in enumerate(nodes):
        if not isinstance(node, N.MultiThreshold) or i == 0 or bounds[i - 1] is None:
            continue
        s = _as_shift(node, *bounds[i - 1])
        if s is not None:
            nodes[i] = N.Shift(node.name, shift=s, in_type=node.in_type, out_type=node.out_type)
    return graph.with_nodes(nodes)
