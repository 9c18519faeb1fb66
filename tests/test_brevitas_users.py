"""Models written directly with ``brevitas.nn`` (default float-scale quantizers) and exported with
``export_qonnx``: the exactness contract of ``qnn.checks.levels`` against qonnx's float32 execution.

Each case here failed at import before the contract was redefined (the old check compared logits only, and took
the reference's float32 rounding for a hardware error); the old comparison is run too, to show it still would."""
from __future__ import annotations

import json

import numpy as np
import pytest
from brevitas_builders import build, export

from qnn.checks import check_logits, tail_tolerance
from qnn.checks.levels import compare_levels, raise_if_failed
from qnn.cli import main
from qnn.errors import CheckFailed
from qnn.evaluate import qonnx_logits
from qnn.export import graph_from_qonnx
from qnn.golden import predict
from qnn.importer import import_model
from qnn.ir import nodes as N
from qnn.ir.from_qonnx import load_qonnx
from qnn.vectors import random_float_inputs


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("brevitas_users")
    out = {}
    for kind, seed in (("binary-mlp", 1), ("cnn8", 6)):
        m, shape = build(kind, seed)
        out[kind] = export(m, shape, d / f"{kind}.onnx")
    return out


def test_tied_maxima_are_no_argmax_disagreement():
    golden = np.array([[0.5, 0.5, 0.1], [0.2, 0.9, 0.9], [1.0, 0.0, 0.0]], np.float32)
    ref = golden.copy()
    ref[0, 1] = np.nextafter(np.float32(0.5), np.float32(1))  # the reference breaks the tie by one float32 step
    ref[1, 1] = np.nextafter(np.float32(0.9), np.float32(0))
    r = check_logits(golden, ref, "qonnx execution", tolerance=1e-5)
    assert r["ok"] and r["ties"] == 2 and r["argmax_equal"] == 1.0 and "2 with tied maxima" in r["agreement"]
    wrong = golden.copy()
    wrong[2] = [0.0, 1.0, 0.0]  # a real disagreement, no tie: still a failure
    with pytest.raises(CheckFailed, match="differ on 1 of 3"):
        check_logits(wrong, golden, "qonnx execution", tolerance=1e-5)


def test_binary_net_exact_zero_is_a_boundary_case(files, tmp_path):
    """Bipolar activations after an accumulator that is exactly 0: the golden sign is +1; qonnx's float32 Gemm gets
    -1.5e-8 and gives -1. Every such level is a reported boundary case, the import goes through."""
    path = files["binary-mlp"]
    graph = graph_from_qonnx(path, batchnorm="onnx")
    x = random_float_inputs(graph, 64)
    with pytest.raises(CheckFailed, match="differ on"):  # the old, logits-only check refused the model
        check_logits(predict(graph, x)[1], qonnx_logits(path, x, graph.input_layout), "qonnx execution",
                     tail_tolerance(graph))
    run = import_model(path, tmp_path / "run", dataset="none")
    chk = run.metrics["import_check"]
    assert chk["ok"] and chk["boundary_cases"] > 0 and not chk["exact"]
    hidden = [v for v in chk["layers"].values() if v["boundary"]]
    assert len(hidden) == 1 and hidden[0]["failed"] == 0
    for case in hidden[0]["examples"]:
        assert case["exact_value"] == 0.0 and case["golden"] == 1 and case["reference"] == -1
        assert -1e-6 < case["reference_value"] < 0


def test_per_channel_cnn_rounding_boundary(files):
    """A pre-activation exactly k + 0.5 - 2e-7 levels in the golden model's integers that float32 puts on the
    other side of k + 0.5: one boundary case, reported with both values; every other level equal."""
    path = files["cnn8"]
    graph = graph_from_qonnx(path, batchnorm="onnx")
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    with pytest.raises(CheckFailed, match="differ on 1 of 64"):  # the old check
        check_logits(predict(graph, x)[1], qonnx_logits(path, x, graph.input_layout), "qonnx execution",
                     tail_tolerance(graph))
    rep = compare_levels(graph, load_qonnx(path), x, tail_tolerance(graph))
    res = raise_if_failed(rep)
    assert res["ok"] and res["boundary_cases"] == 1
    (case,) = [c for v in res["layers"].values() for c in v["examples"]]
    assert abs(case["golden"] - case["reference"]) == 1
    boundary = min(case["golden"], case["reference"]) + 0.5
    # the exact value is on the golden level's side of the boundary, the float32 one on the reference's
    assert (case["exact_value"] - boundary) * (case["golden"] - case["reference"]) > 0
    assert (case["reference_value"] - boundary) * (case["reference"] - case["golden"]) > 0
    assert abs(case["exact_value"] - boundary) < 1e-4


def test_contract_still_catches_a_wrong_level(files):
    """Thresholds of one channel moved by one step: the level differs by far more than float32 rounding, and the
    failure names the quantizer, the vector and the channel."""
    path = files["cnn8"]
    graph = graph_from_qonnx(path, batchnorm="onnx")
    nodes = list(graph.nodes)
    i, mt = next((i, n) for i, n in enumerate(nodes) if isinstance(n, N.MultiThreshold))
    t = np.array(mt.thresholds)
    t[3] = t[3] + np.maximum(1, (t[3, -1] - t[3, 0]) // max(1, t.shape[1] - 1))  # channel 3 one level late
    nodes[i] = mt.with_(thresholds=t)
    bad = graph.with_nodes(nodes)
    x = random_float_inputs(graph, 8)
    with pytest.raises(CheckFailed, match=rf"at quantizer {mt.name} on \d+ of \d+ levels \(vector 0, channel 3"):
        raise_if_failed(compare_levels(bad, load_qonnx(path), x, tail_tolerance(graph)))


def test_eval_without_dataset_checks_random_inputs(files, tmp_path):
    run = tmp_path / "run"
    assert main(["import", str(files["binary-mlp"]), "--name", str(run), "--dataset", "none"]) == 0
    assert main(["eval", str(run)]) == 0
    ev = json.loads((run / "metrics.json").read_text())["eval"]
    assert ev["split"] == "random" and ev["n"] == 1000 and "random vectors" in ev["dataset"]
    assert ev["golden_vs_qonnx"]["ok"] and ev["golden_vs_qonnx"]["n"] == 200


@pytest.mark.rtl
def test_sim_without_dataset(files, tmp_path):
    run = tmp_path / "run"
    assert main(["import", str(files["binary-mlp"]), "--name", str(run), "--dataset", "none"]) == 0
    assert main(["rtl", str(run)]) == 0
    assert main(["sim", str(run), "--vectors", "50"]) == 0
    res = json.loads((run / "sim" / "verilator" / "result.json").read_text())
    assert res["vectors"] == 50 and res["mismatched"] == 0


def test_from_brevitas_checks_the_module_itself(tmp_path):
    """One call: export, import, golden vs the file at every quantizer and vs the module's own forward."""
    import qnn

    m, shape = build("cnn8", 6)
    res = qnn.from_brevitas(m, np.zeros(shape, np.float32), tmp_path / "run", vectors=128)
    mc = res.module_check
    assert mc["ok"] and mc["n"] == 128 and mc["quantizers_compared"] == 2
    assert mc["boundary_vectors"] <= 8  # a few of PyTorch's own float32 roundings at a boundary, each judged
    for case in mc["examples"]:
        assert abs(case["golden"] - case["brevitas"]) == 1 and abs(case["exact_value"] % 1 - 0.5) < 1e-4
    assert res.import_check["ok"] and json.loads((tmp_path / "run" / "metrics.json").read_text())["brevitas_check"]


def test_from_brevitas_catches_a_module_that_differs(tmp_path):
    """The module changed after export (one weight row scaled): golden no longer follows it; the failure names the
    first quantizer that differs."""
    import torch

    import qnn

    m, shape = build("hardtanh-mlp", 0)
    res = qnn.from_brevitas(m, np.zeros(shape, np.float32), tmp_path / "run", vectors=64)
    assert res.module_check["ok"]
    from qnn.checks.module import compare_module
    from qnn.ir.from_qonnx import load_qonnx

    with torch.no_grad():
        m[1].weight[:4] *= -1
    graph = res.run.graph()
    x = random_float_inputs(graph, 64)
    with pytest.raises(CheckFailed, match="golden vs Brevitas differ at quantizer Quant_\\d+ \\(vector 0"):
        compare_module(graph, load_qonnx(res.run.onnx), m, x, tail_tolerance(graph))


def test_from_brevitas_cli_factory(tmp_path):
    f = tmp_path / "nets.py"
    f.write_text("import torch, brevitas.nn as qnn\n"
                 "def net():\n    torch.manual_seed(0)\n"
                 "    return torch.nn.Sequential(qnn.QuantIdentity(bit_width=4), qnn.QuantLinear(16, 4, weight_bit_width=4))\n")
    assert main(["from-brevitas", f"{f}:net", "--name", str(tmp_path / "r")]) == 2  # no example input, no shape
    assert main(["from-brevitas", f"{f}:nope", "--name", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
    assert main(["from-brevitas", f"{f}:net", "--name", str(tmp_path / "r"), "--input-shape", "1,16",
                 "--vectors", "32"]) == 0
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["brevitas_check"]["n"] == 32


def test_regression_bipolar_trunc_avg_pool_scalar_params(tmp_path):
    """Found by the Brevitas property suite (shrunk): ternary weights, a bipolar activation, then TruncAvgPool2d;
    the Trunc's scale came as a one-element array, which NumPy 2 will not turn into a float (a TypeError at import)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "property"))
    from brevitas_gen import BrevCfg, Layer
    from brevitas_gen import build as build_cfg

    import qnn

    cfg = BrevCfg(in_shape=(1, 5, 5), input_quant="Int8ActPerTensorFloat", input_bits=2,
                  layers=(Layer("conv", 2, 1, 1, 0, False, "avg"), Layer("linear", 2)),
                  weight_quant="SignedTernaryWeightPerTensorConst", weight_bits=2, act="QuantIdentity-Binary",
                  act_bits=2, bias="none", seed=0)
    m, shape = build_cfg(cfg)
    res = qnn.from_brevitas(m, np.zeros(shape, np.float32), tmp_path / "run", vectors=24, check=16)
    assert res.module_check["ok"] and res.import_check["ok"]
    assert any(isinstance(n, N.Shift) for n in res.run.graph().nodes)  # the Trunc became an integer shift
