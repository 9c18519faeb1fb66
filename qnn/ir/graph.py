"""The integer IR graph: a chain of nodes plus the input description.

``IntGraph`` is immutable; passes return new graphs (see ``qnn.ir.passes``). The input is given to the graph in the
layout of the original model (``input_layout``: ``"NC"`` vectors, ``"NCHW"`` images as ONNX has them, or ``"NHWC"``
for channels-last models such as QKeras exports); the executor moves images to channels-last before the first node.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from qnn.errors import QnnError
from qnn.ir.nodes import Affine, Dequant, Node, Quantize, Relu


@dataclass(frozen=True)
class IntGraph:
    nodes: tuple[Node, ...]
    input_shape: tuple[int, ...]  # without the batch axis, in ``input_layout``
    input_layout: str = "NC"  # "NC", "NCHW" or "NHWC"
    meta: dict = field(default_factory=dict)

    def with_nodes(self, nodes) -> IntGraph:
        return replace(self, nodes=tuple(nodes))

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    # structure of a streamlined graph --------------------------------------------------------------
    @property
    def is_streamlined(self) -> bool:
        """Quantize, then integer nodes only, then a float tail of Dequant/Affine."""
        try:
            self.split()
            return True
        except QnnError:
            return False

    def split(self) -> tuple[Quantize, tuple[Node, ...], tuple[Node, ...]]:
        """(input quantizer, integer body, float tail); raises if the graph is not streamlined.

        The input quantizer may be preceded by float preprocessing (``Affine``: e.g. ``2x - 1``) that runs on the
        host before the hardware sees integers (``front``); the tail turns the integer output into logits."""
        q = next((i for i, n in enumerate(self.nodes) if isinstance(n, Quantize)), None)
        if q is None:
            raise QnnError("graph has no input quantizer")
        for n in self.nodes[:q]:
            if not isinstance(n, (Affine, Relu)):
                raise QnnError(f"node {n.name} ({n.kind}) before the input quantizer cannot run on the host")
        body_end = len(self.nodes)
        while body_end > q + 1 and isinstance(self.nodes[body_end - 1], (Dequant, Affine)):
            body_end -= 1
        body = self.nodes[q + 1 : body_end]
        for n in body:
            if not n.is_integer:
                raise QnnError(f"node {n.name} ({n.kind}) is still float after streamlining")
        return self.nodes[q], tuple(body), tuple(self.nodes[body_end:])

    @property
    def front(self) -> tuple[Node, ...]:
        """Host-side float preprocessing followed by the input quantizer."""
        q = self.split()[0]
        return self.nodes[: next(i for i, n in enumerate(self.nodes) if n is q) + 1]

    @property
    def input_quant(self) -> Quantize:
        return self.split()[0]

    @property
    def body(self) -> tuple[Node, ...]:
        return self.split()[1]

    @property
    def tail(self) -> tuple[Node, ...]:
        return self.split()[2]

    def summary(self) -> str:
        lines = [f"input {self.input_layout} {list(self.input_shape)}"]
        lines += [f"  {n.name:<14} {n.describe()}" for n in self.nodes]
        return "\n".join(lines)
