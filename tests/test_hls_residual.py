"""Residual blocks in the hls4ml flow: hls4ml C simulation == golden model, bit for bit.

The models are ``tiny_residual`` (one basic block on an 8x8 image) with both ways Brevitas users add the skip:
``QuantEltwiseAdd`` ("eltwise") and one shared QuantIdentity then ``+`` ("shared"), trained a few steps and
imported with ``qnn.from_brevitas``. Their Residual nodes have both multipliers 1 (hls4ml's Add); the blocks with
other multipliers (``QnnAdd``) are built by hand from an imported graph, the golden model being the reference.
A narrow ResNet-8 (three blocks, two strided with a 1x1 strided conv on the skip) runs in io_stream.

Fast: the layer list (inputs, names, layer map, the sum's layer) and the refusals. Marker ``hls``: the C
simulations, io_parallel and io_stream (where hls4ml inserts the Clone of the block's input stream itself).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from brevitas_builders import train_steps
from residual_builders import resnet8, tiny_residual

import qnn
from hls.hls4ml.convert import convert
from hls.hls4ml.csim import trace
from hls.hls4ml.flow import build_project
from hls.hls4ml.model import build_model
from hls.hls4ml.options import HlsOptions
from hls.hls4ml.project import build_and_run_testbench
from qnn.errors import QnnError
from qnn.golden import run_integer
from qnn.ir import nodes as N
from qnn.ir.bounds import residual_bounds
from qnn.qtype import QType
from qnn.vectors import int_vectors

N_VECTORS = 256
SHAPE = (1, 1, 8, 8)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{"eltwise": run, "shared": run}: tiny residual networks trained a few steps, imported and checked."""
    out = {}
    for add in ("eltwise", "shared"):
        torch.manual_seed(0)
        m = tiny_residual(add)
        train_steps(m, SHAPE)
        imp = qnn.from_brevitas(m, torch.zeros(SHAPE), tmp_path_factory.mktemp(f"res_{add}") / "run")
        assert imp.module_check["ok"], imp.module_check
        out[add] = imp.run
    return out


def _residual(graph) -> N.Residual:
    (res,) = [n for n in graph.body if isinstance(n, N.Residual)]
    return res


def with_multipliers(graph, mul_a, mul_b):
    """The graph with its Residual's multipliers changed and its out_type widened to hold the new sums."""
    res = _residual(graph)
    i = list(graph.body).index(res)
    t = graph.body[i - 1].out_type  # the block's input: the MultiThreshold in front of it
    new = res.with_(mul_a=np.asarray(mul_a, np.int64), mul_b=np.asarray(mul_b, np.int64))
    lo, hi = residual_bounds(new, (np.array(t.min), np.array(t.max)))
    new = new.with_(out_type=QType.for_range(int(np.min(lo)), int(np.max(hi))))
    return graph.with_nodes([new if n is res else n for n in graph.nodes])


# ------------------------------------------------------------------------------------------------ fast: layer list
@pytest.mark.parametrize("add", ["eltwise", "shared"])
def test_layer_list_branches_and_names(runs, add):
    graph = runs[add].graph()
    res = _residual(graph)
    conv = convert(graph, HlsOptions())
    by_name = {layer["name"]: layer for layer in conv.layers}
    (block_in,) = by_name[res.branch[0].name]["inputs"]
    assert by_name[res.skip[0].name]["inputs"] == [block_in]  # both paths read the block's input
    add_layer = by_name[res.name]
    assert add_layer["class_name"] == "Merge" and add_layer["op"] == "add"
    assert add_layer["inputs"] == [res.branch[-1].name, res.skip[-1].name]
    assert conv.layer_config[res.name]["Precision"]["result"] == f"ap_int<{res.out_type.bits}>"
    # the layer map: one entry per body node (the block: its sum), the block's layers named in `inner`
    assert conv.layer_map.hls_names[conv.layer_map.ir_index.index(list(graph.body).index(res))] == res.name
    assert conv.layer_map.inner[res.branch[0].name] == f"{res.name}.branch[0]"
    assert conv.layer_map.inner[res.skip[0].name] == f"{res.name}.skip[0]"


def test_multipliers_make_a_qnn_add(runs):
    graph = with_multipliers(runs["shared"].graph(), [1, 2, 3, 4], -2)
    res = _residual(graph)
    conv = convert(graph, HlsOptions())
    (layer,) = [la for la in conv.layers if la["name"] == res.name]
    assert layer["class_name"] == "QnnAdd" and layer["n_chan"] == 4
    assert list(layer["mul_a_data"]) == [1, 2, 3, 4] and list(layer["mul_b_data"]) == [-2] * 4


def test_refusals_name_the_block(runs):
    graph = runs["shared"].graph()
    res = _residual(graph)
    for changes, why in [({"branch": (), "skip": ()}, "both of its paths are the identity"),
                         ({"mul_a": np.array([1, 2, 3], np.int64)}, "3 multipliers for 4 channels"),
                         ({"skip": res.skip + (N.SumPool(name="pool", in_type=res.skip[-1].out_type),)},
                          "the sum needs equal shapes")]:
        bad = graph.with_nodes([res.with_(**changes) if n is res else n for n in graph.nodes])
        with pytest.raises(QnnError, match=f"layer {res.name} \\(Residual\\) is not supported by the hls4ml flow: .*{why}"):
            convert(bad, HlsOptions())


# ------------------------------------------------------------------------------------------------ hls: C simulation
@pytest.mark.hls
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("add", ["eltwise", "shared"])
def test_csim_bit_exact(runs, add, io_type, tmp_path):
    run = runs[add]
    graph = run.graph()
    q, _source = int_vectors(run, graph, N_VECTORS)
    res = build_project(graph, HlsOptions(io_type=io_type), tmp_path / "prj", q, trace=True)
    assert res.csim.vectors == N_VECTORS
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()
    assert res.trace_mismatch is None, res.trace_mismatch.describe()
    block = _residual(graph)
    assert [n.name for n in (*block.branch, *block.skip, block)] == [  # the block's layers, then its sum
        name for name in res.traced_layers if name in {n.name for n in (*block.branch, *block.skip, block)}]
    top = (tmp_path / "prj" / "firmware" / "myproject.cpp").read_text()
    assert "nnet::add<" in top
    assert ("nnet::clone_stream<" in top) == (io_type == "io_stream")


@pytest.mark.hls
@pytest.mark.parametrize("io_type,mul_a,mul_b", [("io_parallel", 3, 1), ("io_stream", [1, 2, 3, 4], -2)],
                         ids=["parallel-3x+1x", "stream-perchannel-x-2"])
def test_csim_multipliers_bit_exact(runs, io_type, mul_a, mul_b, tmp_path):
    run = runs["shared"]
    base = run.graph()
    graph = with_multipliers(base, mul_a, mul_b)
    q, _source = int_vectors(run, base, N_VECTORS)
    assert not np.array_equal(run_integer(graph, q), run_integer(base, q))  # the multipliers matter
    res = build_project(graph, HlsOptions(io_type=io_type), tmp_path / "prj", q, trace=True)
    assert res.csim.vectors == N_VECTORS
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()
    assert res.trace_mismatch is None, res.trace_mismatch.describe()
    assert "nnet::qnn_add<" in (tmp_path / "prj" / "firmware" / "myproject.cpp").read_text()
    if io_type == "io_stream":  # the project's own testbench, g++ alone (the extension header copied in)
        ok, log = build_and_run_testbench(tmp_path / "prj")
        assert ok and f"PASS: {N_VECTORS} of {N_VECTORS} vectors bit-exact" in log, log


@pytest.mark.hls
def test_trace_names_a_layer_inside_the_block(runs, tmp_path):
    """Build from one graph, trace against a golden graph whose skip requantization differs: the trace passes the
    branch's layers and names the skip's layer, not the block's sum."""
    run = runs["eltwise"]
    graph = run.graph()
    q, _source = int_vectors(run, graph, N_VECTORS)
    model, conv = build_model(graph, HlsOptions(io_type="io_stream"), tmp_path / "prj")
    block = _residual(graph)
    (mt,) = block.skip
    changed = block.with_(skip=(mt.with_(thresholds=np.asarray(mt.thresholds) + 1),))
    golden = graph.with_nodes([changed if n is block else n for n in graph.nodes])
    assert not np.array_equal(run_integer(golden, q, trace=True)[list(graph.body).index(block)],
                              run_integer(graph, q, trace=True)[list(graph.body).index(block)])
    mism, compared = trace(model, conv, golden, q)
    assert mism is not None and mism.layer == mt.name and mism.ir_node == mt.name, mism
    assert compared[-1 - len(block.branch):] == [n.name for n in (*block.branch, mt)]


@pytest.mark.hls
def test_resnet8_io_stream_bit_exact(tmp_path):
    torch.manual_seed(0)
    m = resnet8(channels=(4, 8, 8))
    train_steps(m, SHAPE)
    run = qnn.from_brevitas(m, torch.zeros(SHAPE), tmp_path / "run").run
    graph = run.graph()
    blocks = [n for n in graph.body if isinstance(n, N.Residual)]
    assert len(blocks) == 3 and any(isinstance(n, N.Conv2d) for b in blocks for n in b.skip)
    q, _source = int_vectors(run, graph, N_VECTORS)
    res = build_project(graph, HlsOptions(io_type="io_stream"), tmp_path / "prj", q, trace=True)
    assert res.csim.vectors == N_VECTORS
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()
    assert res.trace_mismatch is None, res.trace_mismatch.describe()
