"""Executing an ``IntGraph`` with the golden kernels.

``execute`` runs any graph (streamlined or not, so passes can be checked by running them); ``run_integer``
runs only the integer body from integer inputs, which is what the hardware does.
"""
from __future__ import annotations

import numpy as np

from qnn.golden import ops
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph


def apply_node(node: N.Node, x: np.ndarray, force_int64: bool = False) -> np.ndarray:
    if isinstance(node, N.Quantize):
        return ops.quantize(x, node.scale, node.zero_point, node.quant_type)
    if isinstance(node, N.Dense):
        return ops.dense(x, node.weight, node.bias, node.in_type, force_int64)
    if isinstance(node, N.Conv2d):
        return ops.conv2d(x, node.weight, node.bias, node.in_type, node.stride, node.pad, force_int64)
    if isinstance(node, N.DepthwiseConv2d):
        return ops.depthwise_conv2d(x, node.weight, node.bias, node.stride, node.pad)
    if isinstance(node, N.SumPool):
        return ops.sumpool(x, node.kernel, node.stride)
    if isinstance(node, N.Divide):
        return ops.divide(x, node.divisor)
    if isinstance(node, N.MultiThreshold):
        return ops.multithreshold(x, node.thresholds, node.out_type)
    if isinstance(node, N.Shift):
        return ops.shift(x, node.shift, node.out_type)
    if isinstance(node, N.MaxPool):
        return ops.maxpool(x, node.kernel, node.stride)
    if isinstance(node, N.Flatten):
        return ops.flatten(x)
    if isinstance(node, N.Dequant):
        return ops.dequant(x, node.scale)
    if isinstance(node, N.Affine):
        return ops.affine(x, node.mul, node.add, node.fma)
    if isinstance(node, N.Relu):
        return ops.relu(x)
    if isinstance(node, N.Residual):  # both sub-chains on the same input, then the exact integer sum
        a, b = x, x
        for n in node.branch:
            a = apply_node(n, a, force_int64)
        for n in node.skip:
            b = apply_node(n, b, force_int64)
        return (np.asarray(a, np.int64) * np.asarray(node.mul_a, np.int64)
                + np.asarray(b, np.int64) * np.asarray(node.mul_b, np.int64))
    if isinstance(node, N.Activation):
        from qnn.golden.activations import activation

        return activation(x, node.fn, node.alpha, node.beta)
    raise TypeError(f"no golden kernel for {node.kind}")


def to_channels_last(graph: IntGraph, x: np.ndarray) -> np.ndarray:
    """Model input in the graph's input layout -> the IR's layout (NCHW -> NHWC).

    Datasets hold NCHW samples; a channels-last (NHWC) model also accepts them and transposes them itself."""
    x = np.asarray(x)
    one_d = getattr(graph, "meta", {}).get("onnx_input_shape")  # a 1-D signal [C, L] as the image [C, 1, L]
    if one_d and graph.input_layout == "NCHW" and x.ndim > 2 and x.shape[1:] not in (tuple(one_d),
                                                                                      tuple(graph.input_shape)):
        raise ValueError(f"samples of shape {list(x.shape[1:])} are not the model's 1-D input {one_d}")
    if graph.input_layout == "NCHW":
        x = x.reshape((-1, *graph.input_shape)).transpose(0, 2, 3, 1)
    elif graph.input_layout == "NHWC":
        h, w, c = graph.input_shape
        if x.shape[1:] == (c, h, w) and (c, h, w) != (h, w, c):
            x = x.transpose(0, 2, 3, 1)
        x = x.reshape((-1, *graph.input_shape))
    else:
        x = x.reshape(len(x), -1)
    return x


def execute(graph: IntGraph, x: np.ndarray, trace: bool = False, force_int64: bool = False):
    """Run the whole graph on float input ``x`` (batch first). With ``trace``, return every node's output."""
    x = to_channels_last(graph, x)
    outs = []
    for node in graph.nodes:
        x = apply_node(node, x, force_int64)
        if trace:
            outs.append(x)
    return outs if trace else x


def quantize_input(graph: IntGraph, x: np.ndarray) -> np.ndarray:
    """Float model input -> the integer tensor the hardware receives (host preprocessing + input quantizer)."""
    x = to_channels_last(graph, x)
    for node in graph.front:
        x = apply_node(node, x)
    return x


def run_integer(graph: IntGraph, q: np.ndarray, trace: bool = False):
    """Integer body only: quantized input -> integer output (and every layer's output with ``trace``)."""
    outs = []
    for node in graph.body:
        q = apply_node(node, q)
        if trace:
            outs.append(q)
    return outs if trace else q


def dequantize_output(graph: IntGraph, y: np.ndarray) -> np.ndarray:
    """Integer output -> float logits through the graph's tail."""
    for node in graph.tail:
        y = apply_node(node, y)
    return y


def auto_batch(graph: IntGraph, budget_bytes: int = 16 << 20) -> int:
    """Chunk size whose largest intermediate (convolution patches included) stays around ``budget_bytes``: big
    enough for BLAS, small enough for the caches."""
    x = to_channels_last(graph, np.zeros((1, *graph.input_shape), dtype=np.float32))
    largest = x.size
    for node, out in zip(graph.nodes, execute(graph, np.zeros((1, *graph.input_shape), np.float32), trace=True)):
        if isinstance(node, N.Conv2d):
            largest = max(largest, out.size // node.channels * int(np.prod(node.weight.shape[1:])))  # patches
        largest = max(largest, out.size)
    return int(np.clip(budget_bytes // (8 * largest), 32, 4096))


def predict(graph: IntGraph, x: np.ndarray, batch: int | None = None,
            threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(integer outputs, float logits) for a float input batch.

    A streamlined graph runs its compiled plan (``qnn.golden.plan``: fused float32 kernels where bounds prove them
    exact, parallel chunks with ``threads``); others run node by node in chunks (``auto_batch`` by default)."""
    if graph.is_streamlined:
        from qnn.golden.plan import plan_for

        ints = plan_for(graph).predict(x, batch, threads)
        return ints, dequantize_output(graph, ints)
    batch = batch or auto_batch(graph)
    ints, logits = [], []
    for i in range(0, len(x), batch):
        y = run_integer(graph, quantize_input(graph, x[i : i + batch]))
        ints.append(y)
        logits.append(dequantize_output(graph, y))
    return np.concatenate(ints), np.concatenate(logits)
