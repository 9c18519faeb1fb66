"""Hand-built models written the way the older exporters and FINN's/hls4ml's examples wrote them (onnx.helper):
legacy custom-op domains with no opset import, initializers listed as graph inputs, opset 9, dynamic
``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` flattens, ``Gemm`` with transA/transB, TensorNorm tails,
``finn_datatype`` annotated inputs and float inputs."""
from __future__ import annotations

import numpy as np
from qonnx_builders import GraphBuilder

LEGACY_DOMAINS = ("onnx.brevitas", "finn", "finn.custom_op.general")


def dynamic_flatten(b: GraphBuilder, x: str, opset: int) -> str:
    """x.view(x.shape[0], -1) as torch.onnx exported it: Shape -> Gather(0) -> Unsqueeze -> Concat([n, -1])."""
    n = b.node("Gather", [b.node("Shape", [x]), b.int_const(0)], axis=0)
    n = b.node("Unsqueeze", [n], axes=[0]) if opset < 13 else b.node("Unsqueeze", [n, b.int_const([0])])
    return b.node("Reshape", [x, b.node("Concat", [n, b.int_const([-1])], axis=0)])


def tfc_legacy(path, domain: str = "onnx.brevitas", opset: int = 9, inits_as_inputs: bool = True):
    """BNN-PYNQ TFC as the Brevitas exporter of 2020-2021 wrote it: [1, 1, 8, 8] input flattened by a dynamic
    chain, 2x - 1, BipolarQuant, MatMul + BatchNorm + bipolar/2-bit quantizers, and the TensorNorm tail (Mul, Add)."""
    b = GraphBuilder([1, 1, 8, 8], seed=1)
    x = dynamic_flatten(b, "inp", opset)
    x = b.bipolar(b.node("Sub", [b.node("Mul", [x, b.const(2.0)]), b.const(1.0)]))
    x = b.bipolar(b.bn(b.node("MatMul", [x, b.weight((64, 32), 1.0, bipolar=True)]), 32))
    x = b.quant(b.bn(b.node("MatMul", [x, b.weight((32, 16), 0.5, bits=2)]), 16), 0.5, bits=2, signed=1, narrow=1)
    y = b.node("MatMul", [x, b.weight((16, 10), 0.5, bits=2)])
    y = b.node("Add", [b.node("Mul", [y, b.const([0.731])]), b.const([0.052])])  # TensorNorm, per tensor
    return b.build(y, [1, 10], path, opset=opset, legacy_domain=domain, inits_as_inputs=inits_as_inputs)


def gemm_mlp(path, trans_a: bool = False, trans_b: bool = True, opset: int = 13, alpha: float = 1.0,
             beta: float = 1.0):
    """Gemm layers in each layout: W stored [out, in] with transB=1 (torch.onnx) or [in, out]; transA=1 on a
    column-vector activation (Reshape to [K, 1]); alpha/beta other than 1; float biases (Gemm's C input)."""
    b = GraphBuilder([1, 12], seed=2)
    x = b.quant("inp", 2.0**-4, bits=6, signed=1)
    if trans_a:
        x = b.node("Reshape", [x, b.int_const([12, 1])])
    w = b.weight((16, 12) if trans_b else (12, 16), 0.0625, bits=4)
    h = b.node("Gemm", [x, w, b.const(b.rng.normal(0, 0.3, 16))], transA=int(trans_a), transB=int(trans_b),
               alpha=alpha, beta=beta)
    h = b.quant(b.node("Relu", [h]), 0.25, bits=3, signed=0)
    y = b.node("Gemm", [h, b.weight((5, 16), 0.125, bits=4), b.const(b.rng.normal(0, 0.3, 5))], transB=1)
    return b.build(y, [1, 5], path, opset=opset)


FRONTS = {"none": [], "2x-1": [("Mul", 2.0), ("Sub", 1.0)], "div": [("Div", 4.0)], "x+1/2": [("Add", 1.0), ("Div", 2.0)],
          "per-channel": [("Mul", [2.0 ** -(i % 3) for i in range(20)]), ("Sub", [float(i % 5) for i in range(20)])]}


def annotated_mlp(path, dtype: str, front: str = "none", n_in: int = 20, domain: str | None = None):
    """A float graph input declared ``finn_datatype=dtype`` (as FINN's notebooks set it), constant preprocessing
    in front, then a MatMul with no quantizer before it."""
    b = GraphBuilder([1, n_in], seed=3)
    x = "inp"
    for op, k in FRONTS[front]:
        x = b.node(op, [x, b.const(k)])
    h = b.bn(b.node("MatMul", [x, b.weight((n_in, 16), 0.125, bits=3)]), 16)
    h = b.quant(b.node("Relu", [h]), 0.5, bits=2, signed=0)
    y = b.node("MatMul", [h, b.weight((16, 4), 0.25, bits=3)])
    return b.build(y, [1, 4], path, annotation=dtype, legacy_domain=domain)


def float_input_mlp(path, n_in: int = 10):
    """A float input going straight into a quantized-weight MatMul (no Quant on the input)."""
    b = GraphBuilder([1, n_in], seed=4)
    h = b.node("Add", [b.node("MatMul", ["inp", b.weight((n_in, 12), 0.125, bits=4)]), b.const(np.zeros(12) + 0.125)])
    h = b.quant(b.node("Relu", [h]), 0.25, bits=4, signed=0)
    y = b.node("MatMul", [h, b.weight((12, 3), 0.125, bits=4)])
    return b.build(y, [1, 3], path)


def unsw_nb15_mlp(path, n_in: int = 600, hidden: tuple = (64, 64, 64)):
    """FINN's UNSW-NB15 cybersecurity MLP as its notebook exports it: 600 BIPOLAR-annotated inputs mapped to
    {0, 1} by (x + 1) / 2, Gemm (transB=1) + BatchNorm + 2-bit ReLU quantizers, 2-bit weights, one output."""
    b = GraphBuilder([1, n_in], seed=5)
    x = b.node("Div", [b.node("Add", ["inp", b.const(1.0)]), b.const(2.0)])
    for n_out in hidden:
        g = b.node("Gemm", [x, b.weight((n_out, n_in), 0.5 / np.sqrt(n_in), bits=2), b.const(b.rng.normal(0, 1, n_out))],
                   transB=1)
        x = b.quant(b.node("Relu", [b.bn(g, n_out)]), 0.5, bits=2, signed=0)
        n_in = n_out
    y = b.node("Gemm", [x, b.weight((1, n_in), 0.25, bits=2), b.const([0.1])], transB=1)
    return b.build(y, [1, 1], path, opset=11, legacy_domain="finn.custom_op.general", annotation="BIPOLAR")


def jet_tagging(path, opset: int = 9):
    """hls4ml's QKeras jet tagger (16 -> 64 -> 32 -> 32 -> 5) as qonnx's QKeras converter wrote it in 2021-2022:
    domain finn.custom_op.general with no opset import, float inputs, MatMul + Add with Quant on weights and biases
    (quantized_bits(6, 0, alpha=1)), Relu + Quant (quantized_relu(6)), Softmax."""
    b = GraphBuilder([1, 16], seed=6)
    x, n_in = "inp", 16
    for i, n_out in enumerate((64, 32, 32, 5)):
        w = b.weight((n_in, n_out), 2.0**-5, bits=6)
        bias = b.quant(b.const(b.rng.normal(0, 0.2, n_out)), 2.0**-5, bits=6)
        x = b.node("Add", [b.node("MatMul", [x, w]), bias])
        if i < 3:
            x = b.quant(b.node("Relu", [x]), 2.0**-3, bits=6, signed=0)
        n_in = n_out
    y = b.node("Softmax", [x], axis=1 if opset < 13 else -1)
    return b.build(y, [1, 5], path, opset=opset, legacy_domain="finn.custom_op.general")


def cnn_dynamic_flatten(path, opset: int = 13, domain: str | None = "onnx.brevitas"):
    """A conv net with a dynamic batch and x.view(x.shape[0], -1) between the conv and the Gemm (transB=1)."""
    b = GraphBuilder(["N", 2, 6, 6], seed=7)
    x = b.quant("inp", 1 / 64, bits=7, signed=0)
    c = b.node("Conv", [x, b.weight((4, 2, 3, 3), 0.125, bits=4)], kernel_shape=[3, 3])
    h = dynamic_flatten(b, b.quant(b.node("Relu", [c]), 0.25, bits=3, signed=0), opset)
    y = b.node("Gemm", [h, b.weight((5, 64), 0.0625, bits=4), b.const(np.zeros(5))], transB=1)
    return b.build(y, ["N", 5], path, opset=opset, legacy_domain=domain, inits_as_inputs=opset < 11)


def golden_vs_qonnx(path, graph, x):
    """(golden logits, qonnx logits) on ``x`` rounded to the input type's grid (qonnx's before a final Softmax,
    which the IR drops)."""
    from qnn.evaluate import qonnx_logits
    from qnn.golden import predict
    from qnn.ir.qonnx.inputs import round_to_grid

    x = round_to_grid(graph.meta, x)
    ref = qonnx_logits(path, x, graph.input_layout)
    return predict(graph, x)[1], ref


def assert_close(logits, ref):
    """Argmax identical on every vector, logits within float32 rounding (a few ulps of the largest)."""
    assert np.array_equal(logits.argmax(1), ref.argmax(1))
    assert np.abs(logits - ref).max() <= 4 * np.finfo(np.float32).eps * max(1.0, np.abs(ref).max())
