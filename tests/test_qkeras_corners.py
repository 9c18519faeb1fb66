"""QONNX as the QKeras converter writes it (issue 27), built with onnx.helper in the converter's form (opset 13,
QONNX-domain Quant on weights and activations, MatMul + Add for Dense)."""
from __future__ import annotations

import numpy as np
import pytest
from qonnx_builders import GraphBuilder

from qnn.errors import QnnError
from qnn.export import graph_from_qonnx
from qnn.importer import import_model
from qnn.ir import nodes as N
from qnn.vectors import int_vectors


def _sign_mlp(path, zp=0.0):
    """quantized_bits(1, 0) weights and activations: QONNX Quant with bit width 1, signed (qonnx executes a sign)."""
    b = GraphBuilder([1, 16])
    x = b.quant("inp", 2.0**-4, bits=8, signed=1)
    w1 = b.quant(b.const(b.rng.normal(0, 1, (16, 12))), 0.5, bits=1, signed=1)
    h = b.node("Add", [b.node("MatMul", [x, w1]), b.quant(b.const(b.rng.normal(0, 0.5, 12)), 2.0**-5, bits=8)])
    h = b.quant(h, 1.0, zp=zp, bits=1, signed=1)
    w2 = b.quant(b.const(b.rng.normal(0, 1, (12, 5))), 0.25, bits=1, signed=1, narrow=1)
    y = b.node("MatMul", [h, w2])
    return b.build(y, [1, 5], path)


def test_signed_one_bit_quant_is_the_sign_qonnx_computes(tmp_path):
    run = import_model(_sign_mlp(tmp_path / "sign.onnx"), tmp_path / "run", dataset="none", check=256)
    assert run.metrics["import_check"]["ok"] and run.metrics["import_check"]["boundary_cases"] == 0
    graph = run.graph()
    dense = [n for n in graph.nodes if isinstance(n, N.Dense)]
    assert dense[0].weight_type.bipolar and dense[1].weight_type.bipolar and set(np.unique(dense[1].weight)) <= {-1, 1}
    assert any(isinstance(n, N.MultiThreshold) and n.out_type.bipolar for n in graph.nodes)


def test_signed_one_bit_quant_with_zero_point_is_refused(tmp_path):
    with pytest.raises(QnnError, match="signed 1-bit Quant with a zero point .* use zero point 0"):
        graph_from_qonnx(_sign_mlp(tmp_path / "zp.onnx", zp=1.0))


@pytest.mark.hls
def test_signed_one_bit_quant_hls_csim(tmp_path):
    from hls.hls4ml.flow import build_project
    from hls.hls4ml.options import HlsOptions

    run = import_model(_sign_mlp(tmp_path / "sign.onnx"), tmp_path / "run", dataset="none")
    graph = run.graph()
    q, _ = int_vectors(run, graph, 1000)
    res = build_project(graph, HlsOptions(), tmp_path / "prj", q)
    assert res.csim.vectors == 1000 and res.csim.bit_exact


@pytest.mark.rtl
def test_signed_one_bit_quant_rtl(tmp_path):
    from hls.rtlgen import generate_rtl
    from sim.network import simulate

    run = import_model(_sign_mlp(tmp_path / "sign.onnx"), tmp_path / "run", dataset="none")
    graph = run.graph()
    q, _ = int_vectors(run, graph, 1000)
    design = generate_rtl(graph, tmp_path / "rtl", target_cycles=16)
    res = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "sim", throughput_vectors=8)
    assert res.vectors == 1000 and res.mismatched == 0 and res.exact == 1000
    assert design is not None


def _unflatten_cnn(path, quant_first: bool):
    """A flat input [N, 64] reshaped to [-1, 1, 8, 8] ahead of a convolution (before or after the input quantizer)."""
    b = GraphBuilder([1, 64])
    x = "inp"
    if quant_first:
        x = b.quant(x, 2.0**-7, bits=8, signed=1)
    x = b.node("Reshape", [x, b.int_const([-1, 1, 8, 8])])
    if not quant_first:
        x = b.quant(x, 2.0**-7, bits=8, signed=1)
    c = b.node("Conv", [x, b.weight((4, 1, 3, 3), 0.125, bits=4)], kernel_shape=[3, 3])
    h = b.quant(b.node("Relu", [c]), 0.25, bits=4, signed=0)
    h = b.node("Flatten", [h], axis=1)
    y = b.node("MatMul", [h, b.weight((144, 3), 0.0625, bits=4)])
    return b.build(y, [1, 3], path)


@pytest.mark.parametrize("quant_first", [True, False])
def test_unflatten_reshape_at_the_input(tmp_path, quant_first):
    run = import_model(_unflatten_cnn(tmp_path / "u.onnx", quant_first), tmp_path / "run", dataset="none", check=256)
    graph = run.graph()
    assert graph.input_layout == "NCHW" and tuple(graph.input_shape) == (1, 8, 8)
    assert run.metrics["import_check"]["ok"] and any(isinstance(n, N.Conv2d) for n in graph.nodes)


@pytest.mark.rtl
def test_unflatten_reshape_hardware(tmp_path):
    from hls.hls4ml.flow import build_project
    from hls.hls4ml.options import HlsOptions
    from hls.rtlgen import generate_rtl
    from sim.network import simulate

    run = import_model(_unflatten_cnn(tmp_path / "u.onnx", True), tmp_path / "run", dataset="none")
    graph = run.graph()
    q, _ = int_vectors(run, graph, 1000)
    assert build_project(graph, HlsOptions(), tmp_path / "prj", q).csim.bit_exact
    generate_rtl(graph, tmp_path / "rtl", target_cycles=64)
    res = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "sim", throughput_vectors=8)
    assert res.vectors == 1000 and res.exact == 1000


def _dense_dense(path, w1_scale=0.125, bias_scale=2.0**-5, bias=True):
    """QDense -> QDense with no activation quantizer between (MatMul -> Add(bias) -> MatMul), power-of-two scales."""
    b = GraphBuilder([1, 12])
    x = b.quant("inp", 2.0**-6, bits=8, signed=1)
    h = b.node("MatMul", [x, b.weight((12, 10), w1_scale, bits=4)])
    if bias:
        h = b.node("Add", [h, b.quant(b.const(b.rng.normal(0, 0.5, 10)), bias_scale, bits=8)])
    d = b.node("Add", [b.node("MatMul", [h, b.weight((10, 4), 0.25, bits=4)]),
                       b.quant(b.const(b.rng.normal(0, 0.5, 4)), 2.0**-4, bits=8)])
    return b.build(d, [1, 4], path)


def test_dense_dense_without_quantizer_is_exact(tmp_path):
    run = import_model(_dense_dense(tmp_path / "dd.onnx"), tmp_path / "run", dataset="none", check=256)
    graph = run.graph()
    d1, d2 = [n for n in graph.nodes if isinstance(n, N.Dense)]
    assert graph.nodes.index(d2) == graph.nodes.index(d1) + 1  # the accumulator feeds the next layer directly
    assert d2.in_type == d1.acc_type and run.metrics["import_check"]["ok"]


def test_dense_dense_with_non_power_of_two_scale_is_refused(tmp_path):
    with pytest.raises(QnnError, match=r"accumulator of MatMul_0 has scale .*not one power of two"):
        graph_from_qonnx(_dense_dense(tmp_path / "a.onnx", w1_scale=0.1, bias=False))
    with pytest.raises(QnnError, match=r"accumulator of MatMul_0 goes through .* in float, e.g. a bias off its"):
        graph_from_qonnx(_dense_dense(tmp_path / "b.onnx", w1_scale=0.1))


@pytest.mark.rtl
def test_dense_dense_hardware(tmp_path):
    from hls.hls4ml.flow import build_project
    from hls.hls4ml.options import HlsOptions
    from hls.rtlgen import generate_rtl
    from sim.network import simulate

    run = import_model(_dense_dense(tmp_path / "dd.onnx"), tmp_path / "run", dataset="none")
    graph = run.graph()
    q, _ = int_vectors(run, graph, 1000)
    assert build_project(graph, HlsOptions(), tmp_path / "prj", q).csim.bit_exact
    generate_rtl(graph, tmp_path / "rtl", target_cycles=8)
    res = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "sim", throughput_vectors=8)
    assert res.vectors == 1000 and res.exact == 1000
