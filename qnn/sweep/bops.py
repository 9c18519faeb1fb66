"""Bit operations (BOPs): the hardware-independent cost of one inference.

BOPs = sum over the matrix layers (Dense, Conv2d, DepthwiseConv2d) of MACs x weight bits x input-activation bits (Baskin et
al., "UNIQ"; the measure FINN and Brevitas papers plot accuracy against). Both widths come from the integer
IR, so the first layer counts the input quantizer's bits and a bipolar 1-bit layer counts 1 x 1.

MACs of a convolution depend on its output size: one golden run on a zero input gives every layer's output
shape, so strides and padding need no separate shape arithmetic.
"""
from __future__ import annotations

import numpy as np

from qnn.golden.execute import quantize_input, run_integer
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph

FLOAT_BITS = 32


def layer_costs(graph: IntGraph) -> list[dict]:
    """Per matrix layer: name, kind, MACs per inference, weight bits, input bits, BOPs."""
    x = np.zeros((1, *graph.input_shape), dtype=np.float32)
    outs = run_integer(graph, quantize_input(graph, x), trace=True)
    rows = []
    for node, out in zip(graph.body, outs):
        if isinstance(node, N.Dense):
            macs = int(node.weight.size)
        elif isinstance(node, (N.Conv2d, N.DepthwiseConv2d)):  # depthwise weight: [C, KH, KW]
            macs = int(np.prod(out.shape[1:3])) * int(node.weight.size)  # output pixels x (Cout*KH*KW*Cin)
        else:
            continue
        wb, ab = node.weight_type.bits, node.in_type.bits
        rows.append({"name": node.name, "kind": node.kind, "macs": macs, "weight_bits": wb, "act_bits": ab,
                     "bops": macs * wb * ab})
    return rows


def graph_bops(graph: IntGraph) -> dict:
    """{"macs": total MACs, "bops": total BOPs, "layers": per-layer rows}."""
    rows = layer_costs(graph)
    return {"macs": sum(r["macs"] for r in rows), "bops": sum(r["bops"] for r in rows), "layers": rows}


def model_macs(model, in_shape) -> int:
    """MACs of a PyTorch model (float baselines have no IR): forward hooks on its Linear/Conv2d layers."""
    import torch

    total = 0

    def hook(mod, inp, out):
        nonlocal total
        o = out.value if hasattr(out, "value") else out
        if isinstance(mod, torch.nn.Linear):
            total += mod.in_features * mod.out_features
        else:
            k = mod.weight[0].numel()  # Cin/groups * KH * KW
            total += int(o.shape[1] * o.shape[2] * o.shape[3]) * k

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *in_shape))
    finally:
        for h in handles:
            h.remove()
    return total


def float_bops(macs: int) -> int:
    return macs * FLOAT_BITS * FLOAT_BITS
