"""Remove Relu nodes whose input can never be negative (after an unsigned quantizer or requantizer)."""
from __future__ import annotations

import numpy as np

from qnn.ir import nodes as N
from qnn.ir.bounds import output_bounds
from qnn.ir.graph import IntGraph


def remove_redundant_relu(graph: IntGraph) -> IntGraph:
    bounds = output_bounds(graph)
    keep = [n for i, n in enumerate(graph.nodes)
            if not (isinstance(n, N.Relu) and i > 0 and bounds[i - 1] is not None and np.min(bounds[i - 1][0]) >= 0)]
    return graph.with_nodes(keep)
