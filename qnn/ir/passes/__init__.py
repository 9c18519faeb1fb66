"""Passes over the IR.

A pass is any callable ``apply(graph: IntGraph) -> IntGraph`` that is pure (it returns a new graph and leaves its
argument alone) and exact (executing the graph before and after gives identical outputs on every input). A
combined pass is a list of passes run in order (``run_passes``).

To write one: find a pattern in ``graph.nodes``, build the replacement nodes with ``node.with_(...)`` or new
dataclasses, return ``graph.with_nodes(...)``. Test it as ``tests/test_passes.py`` does: run the graph before
and after on random inputs and compare with ``np.array_equal``, then check the structure.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from qnn.errors import QnnError
from qnn.ir.graph import IntGraph
from qnn.ir.passes.cleanup import remove_redundant_relu
from qnn.ir.passes.maxpool import move_maxpool_after_quantize
from qnn.ir.passes.requant import fold_requant
from qnn.ir.passes.shift import thresholds_to_shift

Pass = Callable[[IntGraph], IntGraph]

STREAMLINE: list[Pass] = [move_maxpool_after_quantize, fold_requant, thresholds_to_shift, remove_redundant_relu]


def run_passes(graph: IntGraph, passes: Iterable[Pass]) -> IntGraph:
    for p in passes:
        graph = p(graph)
    return graph


def streamline(graph: IntGraph) -> IntGraph:
    """Float-with-quantizers graph -> Quantize, integer nodes, float output tail; or a clear error."""
    graph = run_passes(graph, STREAMLINE)
    try:
        graph.split()
    except QnnError as e:
        raise QnnError(f"cannot make the model integer-only: {e}") from None
    return graph


__all__ = ["Pass", "STREAMLINE", "run_passes", "streamline", "move_maxpool_after_quantize", "fold_requant",
           "thresholds_to_shift", "remove_redundant_relu"]
