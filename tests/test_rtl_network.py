"""Whole networks in RTL simulation against the golden model, folding choice, generated Verilog.

Fast: tiny MLPs (w2a2, bipolar w1a1) and a tiny CNN on Icarus, folding and lint checks, the CLI.
Marker ``rtl``: TFC-shaped MLPs (w1a1/w2a2/w4a4) on 1,000 MNIST vectors and the CNN w4a4 on 200, on
Verilator, and a smaller set on Icarus.
"""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from rtl_helpers import make_graph, make_run, random_inputs

from hls.rtlgen import choose_folding, generate_rtl, parse_folding
from hls.rtlgen.folding import Fold, divisors, layer_cycles
from hls.rtlgen.layers import MvuLayer, hardware_layers
from qnn.errors import QnnError
from qnn.golden.execute import quantize_input
from sim.network import simulate
from sim.tools import available, simulator_env

needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not available("verilator"), reason="verilator not installed")


def _mnist(graph, n):
    from qnn.data import load_dataset

    return quantize_input(graph, load_dataset("mnist", "test").x[:n])


def _assert_exact_and_fast(res, tol=0.05):
    assert res.exact == res.vectors, res.first_mismatch()
    assert res.throughput_exact == res.throughput_vectors
    assert res.cycles_per_inference is not None
    assert abs(res.cycles_per_inference - res.ideal_cycles) <= tol * res.ideal_cycles, (res.cycles_per_inference, res.ideal_cycles)
    assert res.latency_cycles >= res.ideal_cycles


# ---- folding -----------------------------------------------------------------------------------
def test_folding_meets_target_with_fewest_multipliers(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(64, 32))
    layers, _, _ = hardware_layers(graph)
    mvus = [ly for ly in layers if isinstance(ly, MvuLayer)]
    for target in (50, 400, 3000):
        fold = choose_folding(mvus, target)
        for m in mvus:
            f = fold[m.name]
            assert m.n_out % f.pe == 0 and m.n_in % f.simd == 0
            if layer_cycles(m, Fold(m.n_out, m.n_in)) <= target:
                assert layer_cycles(m, f) <= target
                # no cheaper fold meets the target
                for pe in divisors(m.n_out):
                    for simd in divisors(m.n_in):
                        if pe * simd < f.pe * f.simd:
                            assert layer_cycles(m, Fold(pe, simd)) > target


def test_folding_errors_name_the_layer(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(16,))
    name = graph.body[0].name
    with pytest.raises(QnnError, match=f"{name}.*PE=3"):
        generate_rtl(graph, tmp_path / "rtl", {name: Fold(3, 1)})
    with pytest.raises(QnnError, match="unknown layers"):
        generate_rtl(graph, tmp_path / "rtl", {"nope": Fold(1, 1)})
    with pytest.raises(QnnError, match="JSON"):
        parse_folding("{not json")
    assert parse_folding(json.dumps({name: {"pe": 2, "simd": 4}})) == {name: Fold(2, 4)}


@needs_verilator
def test_generated_top_is_lint_clean(tmp_path):
    graph, _ = make_graph(tmp_path, preset="cnn", w=4, a=4, hidden=(16,), channels=(4, 8), in_shape=(1, 12, 12))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=300)
    simulator_env("verilator")
    p = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", "qnn_top",
                        *map(str, d.source_paths())], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    y = subprocess.run(["yosys", "-q", "-p", "read_verilog -defer " + " ".join(map(str, d.source_paths())) +
                        "; hierarchy -top qnn_top; proc"], capture_output=True, text=True, cwd=tmp_path / "rtl")
    assert y.returncode == 0, y.stdout + y.stderr


# ---- tiny networks, fast --------------------------------------------------------------------------
@needs_icarus
@pytest.mark.parametrize("w,a", [(2, 2), (1, 1)])
def test_tiny_mlp_icarus_bit_exact(tmp_path, w, a):
    graph, _ = make_graph(tmp_path, w=w, a=a, hidden=(16, 8))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=200)
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 12), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=6, gap=0.3, backpressure=0.4)
    _assert_exact_and_fast(res)


@needs_icarus
@pytest.mark.parametrize("w,a", [(4, 4), (1, 1)])
def test_tiny_cnn_icarus_bit_exact(tmp_path, w, a):
    """Conv (zero padding) + thresholds + max-pool + dense; w1a1 carries bipolar activations as 2-bit signed."""
    graph, _ = make_graph(tmp_path, preset="cnn", w=w, a=a, hidden=(8,), channels=(2, 4), in_shape=(1, 8, 8))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=150)
    res = simulate(tmp_path / "rtl", graph, random_inputs(graph, 5), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=5)
    _assert_exact_and_fast(res)


@needs_icarus
def test_mismatch_names_vector_and_output(tmp_path):
    """A corrupted ROM is caught, and the report names the vector, the output index and both values."""
    graph, _ = make_graph(tmp_path, hidden=(8,))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=400)
    last = d.layers[-1]["name"]
    bias = tmp_path / "rtl" / f"{last}_bias.mem"
    lines = bias.read_text().split()
    lines[0] = format(int(lines[0], 16) ^ 1, f"0{len(lines[0])}x")  # flip the lowest bit of output 0
    bias.write_text("\n".join(lines) + "\n")
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 4), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=2)
    assert res.exact == 0 and res.mismatched == 4
    m = res.mismatches[0]
    assert m["vector"] == 0 and m["output"] == 0 and abs(m["got"] - m["expected"]) == 1
    assert "vector 0, output 0" in res.first_mismatch()


@needs_icarus
def test_cli_rtl_sim(tmp_path, capsys):
    from qnn.cli import main

    run = make_run(tmp_path, hidden=(16,))
    name = run.graph().body[0].name
    assert main(["rtl", str(run.path), "--folding", json.dumps({name: {"pe": 4, "simd": 16}}),
                 "--target-cycles", "100"]) == 0
    design = json.loads((run.rtl_dir / "design.json").read_text())
    assert design["folding"][name] == {"pe": 4, "simd": 16}
    assert main(["sim", str(run.path), "--simulator", "icarus", "--vectors", "6", "--throughput-vectors", "4"]) == 0
    out = capsys.readouterr().out
    assert "bit-exact 6/6" in out and "cycles/inference" in out
    res = json.loads((run.sim_dir / "icarus" / "result.json").read_text())
    assert res["ok"] and res["vectors"] == 6
    assert main(["sim", str(tmp_path / "nope")]) == 2


# ---- the must-show runs (marker rtl) -----------------------------------------------------------
@pytest.mark.rtl
@needs_verilator
@pytest.mark.parametrize("w,a", [(1, 1), (2, 2), (4, 4)])
def test_tfc_1000_mnist_vectors_verilator(tmp_path, w, a):
    graph, _ = make_graph(tmp_path, w=w, a=a, hidden=(64, 64, 64))
    generate_rtl(graph, tmp_path / "rtl")
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 1000), simulator="verilator", work_dir=tmp_path / "sim",
                   gap=0.2, backpressure=0.3, throughput_vectors=16)
    assert res.vectors == 1000
    _assert_exact_and_fast(res)


@pytest.mark.rtl
@needs_verilator
def test_cnn_w4a4_200_mnist_vectors_verilator(tmp_path):
    graph, _ = make_graph(tmp_path, preset="cnn", w=4, a=4, hidden=(128,), channels=(16, 32))
    generate_rtl(graph, tmp_path / "rtl")
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 200), simulator="verilator", work_dir=tmp_path / "sim",
                   throughput_vectors=6)
    assert res.vectors == 200
    _assert_exact_and_fast(res)


@pytest.mark.rtl
@needs_icarus
@pytest.mark.parametrize("preset,n", [("tfc", 50), ("cnn", 4)])
def test_icarus_smaller_set(tmp_path, preset, n):
    kw = {"hidden": (64, 64, 64)} if preset == "tfc" else {"hidden": (128,), "channels": (16, 32)}
    graph, _ = make_graph(tmp_path, preset=preset, w=4, a=4, **kw)
    generate_rtl(graph, tmp_path / "rtl")
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, n), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=min(n, 4))
    _assert_exact_and_fast(res)


@pytest.mark.rtl
@needs_verilator
@pytest.mark.parametrize("target", [200, 1600])
def test_cycles_per_inference_two_foldings(tmp_path, target):
    graph, _ = make_graph(tmp_path, w=2, a=2, hidden=(64, 64, 64))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=target)
    assert d.ideal_cycles <= target
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 40), simulator="verilator", work_dir=tmp_path / "sim",
                   throughput_vectors=24)
    _assert_exact_and_fast(res)
    assert np.isclose(res.efficiency, 1.0, atol=0.05)
