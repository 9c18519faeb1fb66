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

import numpy as np

from qnn.errors import QnnError
from qnn.ir import nodes as N
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
    graph = run_passes(streamline_residuals(graph), STREAMLINE)
    try:
        graph.split()
    except QnnError as e:
        raise QnnError(f"cannot make the model integer-only: {_pool_before_decreasing(graph) or e}") from None
    return graph


def streamline_residuals(graph: IntGraph) -> IntGraph:
    """Streamline each residual block's sub-chains (recursively), each behind a stand-in for the block's input (an
    identity ``Shift`` of its type) so that a first requantization sees the input's bounds; it must come back
    unchanged (a decreasing map right after the fork would have to negate the layer before the block)."""
    from qnn.ir.bounds import chain_bounds
    from qnn.qtype import QType

    nodes = list(graph.nodes)
    for i, node in enumerate(nodes):
        if not isinstance(node, N.Residual):
            continue
        bounds = chain_bounds(nodes[:i])[-1] if i else None
        if bounds is None:
            raise QnnError(f"node {node.name}: the residual block's input has no integer type; quantize it before the "
                           "fork")
        t = QType.for_range(int(np.min(bounds[0])), int(np.max(bounds[1])))
        prefix = [N.Shift(f"{node.name}_input", shift=0, in_type=t, out_type=t)]
        parts = {}
        for part in ("branch", "skip"):
            sub = getattr(node, part)
            if not sub:
                parts[part] = ()
                continue
            done = streamline_residuals(graph.with_nodes([*prefix, *sub]))
            done = run_passes(done, STREAMLINE)
            if done.nodes[0] is not prefix[0]:
                raise QnnError(f"node {node.name}: streamlining its {part} would change the layer before the block "
                               "(a decreasing requantization right after the fork); quantize the block's input with a "
                               "non-decreasing map")
            parts[part] = tuple(done.nodes[1:])
            for n in parts[part]:
                if not n.is_integer:
                    raise QnnError(f"node {node.name}: its {part} holds {n.name} ({n.kind}), still float after "
                                   "streamlining; quantize both inputs of the add (a QuantIdentity on each)")
        nodes[i] = node.with_(**parts)
    return graph.with_nodes(nodes)


def _pool_before_decreasing(graph: IntGraph) -> str | None:
    """The usual reason a max-pool blocks streamlining, in words: it comes before a map that decreases on some
    channels (a BatchNorm with negative gamma); max does not commute with it, and thresholds cannot take a min."""
    nodes = graph.nodes
    for n, nxt in zip(nodes, nodes[1:], strict=False):
        if isinstance(n, N.MaxPool) and isinstance(nxt, N.Affine) and np.any(np.asarray(nxt.mul) < 0):
            chans = np.flatnonzero(np.broadcast_to(np.asarray(nxt.mul) < 0, np.shape(nxt.mul))).tolist()
            return (f"max-pool {n.name} comes before {nxt.name}, which decreases on channels {chans[:8]} (a BatchNorm "
                    "with negative gamma?): max does not commute with a decreasing map and thresholds cannot take a "
                    "min; pool after the BatchNorm or after the activation instead")
    return None


__all__ = ["Pass", "STREAMLINE", "run_passes", "streamline", "streamline_residuals", "move_maxpool_after_quantize",
           "fold_requant", "thresholds_to_shift", "remove_redundant_relu"]
