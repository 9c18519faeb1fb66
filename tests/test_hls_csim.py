"""hls4ml C simulation == golden model, bit for bit.

Fast tests: small random-init models (8x8 inputs, so that g++ takes seconds) on a few hundred random vectors
spanning the input type, one per requantization kind: bipolar thresholds (w1a1), unsigned thresholds (BatchNorm),
shifts (no BatchNorm), and the CNN in io_stream and io_parallel. The project's own testbench is built with g++
alone and must pass, then fail once an expected value is changed; the trace must name the layer that differs.

``hls`` tests: the TFC-shaped MLP at w1a1/w2a2/w4a4/w8a8 (with and without BatchNorm) and the CNN at w4a4 on the
full MNIST test set (10,000 vectors).
"""
import subprocess

import numpy as np
import pytest
from hls_helpers import small_graph

from hls.hls4ml.csim import trace
from hls.hls4ml.flow import build_project, random_vectors
from hls.hls4ml.model import build_model
from hls.hls4ml.options import HlsOptions
from hls.hls4ml.project import EXPECTED, build_and_run_testbench
from qnn.ir import nodes as N

MLPS = [  # (w, a, batchnorm, requantization node expected, options): backends, strategies and reuse factors too
    (1, 1, True, N.MultiThreshold, HlsOptions(strategy="resource", reuse=4)),
    (2, 2, True, N.MultiThreshold, HlsOptions()),
    (4, 4, False, N.Shift, HlsOptions(backend="vivado", reuse=2)),
]


@pytest.mark.parametrize("w,a,bn,requant,options", MLPS,
                         ids=["w1a1-bipolar-resource-rf4", "w2a2-thresholds", "w4a4-shift-vivado-rf2"])
def test_mlp_csim_bit_exact(tmp_path, w, a, bn, requant, options):
    graph = small_graph(tmp_path, "mlp", w, a, bn, hidden=(24, 12))
    assert any(isinstance(n, requant) for n in graph.body)
    q = random_vectors(graph, 300)
    res = build_project(graph, options, tmp_path / "prj", q)
    assert res.csim.vectors == 300
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()
    params = (tmp_path / "prj" / "firmware" / "parameters.h").read_text()
    assert f"reuse_factor = {options.reuse}" in params and f"strategy = nnet::{options.strategy}" in params


def test_cnn_io_stream_bit_exact_and_testbench_with_gpp_alone(tmp_path):
    # 10x10 input: the second pool sees 5x5 and drops a row and a column, as the golden maxpool does
    graph = small_graph(tmp_path, "cnn", 4, 4, True, in_shape=(1, 10, 10), channels=(4, 6), hidden=(12,))
    res = build_project(graph, HlsOptions(io_type="io_stream"), tmp_path / "prj", random_vectors(graph, 200, seed=1))
    kinds = {n.kind for n in graph.body}
    assert {"Conv2d", "MultiThreshold", "MaxPool", "Flatten", "Dense"} <= kinds
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()
    prj = res.project
    for f in ["firmware/myproject.cpp", "firmware/parameters.h", "firmware/nnet_utils/nnet_qnn_requant.h",
              "myproject_test.cpp", "qnn_tb_config.h", "build_prj.tcl", "build_csim.sh", EXPECTED, "qnn_hls.json"]:
        assert (prj / f).is_file(), f
    assert "add_files -tb qnn_tb_config.h" in (prj / "build_prj.tcl").read_text()
    ok, log = build_and_run_testbench(prj)
    assert ok and "PASS: 200 of 200 vectors bit-exact" in log, log
    # the testbench can fail: change one golden value and run the built binary again
    lines = (prj / EXPECTED).read_text().splitlines()
    vals = lines[7].split()
    vals[3] = str(int(vals[3]) + 1)
    lines[7] = " ".join(vals)
    (prj / EXPECTED).write_text("\n".join(lines) + "\n")
    p = subprocess.run(["./csim_tb"], cwd=prj, capture_output=True, text=True)
    assert p.returncode == 1
    assert "MISMATCH vector 7 output 3" in p.stderr and "FAIL: 1 of 200" in p.stdout


def test_cnn_io_parallel_shift_bit_exact(tmp_path):
    graph = small_graph(tmp_path, "cnn", 4, 4, False, channels=(3, 5), hidden=(10,))
    assert any(isinstance(n, N.Shift) for n in graph.body) and any(isinstance(n, N.Conv2d) for n in graph.body)
    res = build_project(graph, HlsOptions(io_type="io_parallel"), tmp_path / "prj", random_vectors(graph, 200))
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()


def test_trace_names_first_differing_layer(tmp_path):
    """Build from one graph, trace against a golden graph whose second requantization differs in channel 2:
    the trace must pass the layers before it and name that layer, vector, index and values."""
    from qnn.golden import run_integer

    graph = small_graph(tmp_path, "mlp", 2, 2, True, hidden=(16, 8))
    q = random_vectors(graph, 300)
    model, conv = build_model(graph, HlsOptions(), tmp_path / "prj")
    same, compared = trace(model, conv, graph, q)
    assert same is None and len(compared) == len(graph.body)

    body = list(graph.body)
    k = [i for i, n in enumerate(body) if isinstance(n, N.MultiThreshold)][1]
    mt = body[k]
    channels = body[k - 1].channels
    assert channels > 2
    t = np.broadcast_to(mt.thresholds, (channels, mt.thresholds.shape[1])).copy()
    level0 = run_integer(graph, q, trace=True)[k][:, 2] == mt.out_type.min
    # channel 2 pinned to a level it does not always have: never / always reaching its thresholds
    t[2] = mt.in_type.max + 1 if not level0.all() else mt.in_type.min
    nodes = list(graph.nodes)
    nodes[nodes.index(mt)] = mt.with_(thresholds=t)
    golden = graph.with_nodes(nodes)
    mism, compared = trace(model, conv, golden, q)
    assert mism is not None, "a changed threshold went unnoticed"
    assert mism.ir_node == mt.name and mism.layer == conv.layer_map.hls_names[k]
    assert mism.index == (2,) and mism.got != mism.golden
    assert compared == conv.layer_map.hls_names[: k + 1]
    assert f"layer {mism.layer}" in mism.describe() and f"vector {mism.vector}" in mism.describe()


# ---------------------------------------------------------------------------------------------------- full MNIST
FULL = [  # (preset, w, a, batchnorm, io type)
    ("tfc", 1, 1, True, "io_parallel"),
    ("tfc", 2, 2, True, "io_parallel"),
    ("tfc", 4, 4, True, "io_parallel"),
    ("tfc", 8, 8, True, "io_parallel"),
    ("tfc", 2, 2, False, "io_parallel"),
    ("tfc", 4, 4, False, "io_parallel"),
    ("tfc", 8, 8, False, "io_parallel"),
    ("cnn", 4, 4, True, "io_stream"),
    ("cnn", 4, 4, False, "io_stream"),
]


@pytest.mark.hls
@pytest.mark.parametrize("preset,w,a,bn,io_type", FULL,
                         ids=[f"{p}-w{w}a{a}-{'bn' if bn else 'nobn'}" for p, w, a, bn, _ in FULL])
def test_full_mnist_bit_exact(tmp_path, trained, mnist_root, preset, w, a, bn, io_type):
    from qnn.data import load_dataset
    from qnn.golden import quantize_input

    if mnist_root is None:
        pytest.skip("the full MNIST test set is not on this machine (set QNN_DATA)")
    test = load_dataset("mnist", "test", mnist_root)
    assert len(test) == 10_000
    _, _, graph, _ = trained(preset, w, a, batchnorm=bn)
    want = N.MultiThreshold if (bn or a == 1) else N.Shift
    assert any(isinstance(n, want) for n in graph.body)
    res = build_project(graph, HlsOptions(io_type=io_type), tmp_path / "prj", quantize_input(graph, test.x))
    assert res.csim.vectors == 10_000
    assert res.csim.exact_vectors == 10_000, res.csim.first_mismatch.describe()
    assert np.isfinite(res.csim.compile_s)
