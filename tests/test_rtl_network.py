"""Whole networks in RTL simulation against the golden model, folding choice, generated Verilog.

Fast: tiny MLPs (w2a2, bipolar w1a1) and a tiny CNN through the harness on Icarus, the layer probe on a
corrupted ROM, the harness' extra-word and stall checks, the cocotb engine once, folding and lint checks, and
the CLI on Verilator (`qnn sim -n all`, then a corrupted weight named by the probe, exit code 1).
Marker ``rtl``: TFC-shaped MLPs (w1a1/w2a2/w4a4) on 1,000 MNIST vectors and the CNN w4a4 on 200, on
Verilator, and a smaller set on Icarus.
"""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from rtl_helpers import corrupt_weight, make_graph, make_run, random_inputs

from hls.rtlgen import choose_folding, generate_rtl, parse_folding
from hls.rtlgen.folding import Fold, divisors, layer_cycles
from hls.rtlgen.layers import MvuLayer, hardware_layers
from qnn.errors import CheckFailed, QnnError
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
    assert res.exact == 0 and res.mismatched == 4 and not res.ok
    m = res.mismatches[0]
    assert m["vector"] == 0 and m["output"] == 0 and abs(m["got"] - m["expected"]) == 1
    assert "vector 0, output 0" in res.first_mismatch()
    assert res.probe["layer"] == last and res.probe["position"] == "channel 0"  # every earlier layer agrees
    assert [r["layer"] for r in res.layers if r["first"] is not None] == [last]


@needs_icarus
def test_probe_names_the_corrupted_layer_icarus(tmp_path):
    """One weight of the second convolution flipped in its ROM: the probe names that layer, the vector, the
    pixel and channel, with the RTL value equal to the golden model run with the same corrupted weight."""
    graph, _ = make_graph(tmp_path, preset="cnn", w=4, a=4, hidden=(8,), channels=(2, 4), in_shape=(1, 8, 8))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=150)
    q = random_inputs(graph, 6)
    bad = corrupt_weight(tmp_path / "rtl", d, graph, q, layer=1)
    res = simulate(tmp_path / "rtl", graph, q, simulator="icarus", work_dir=tmp_path / "sim", throughput_vectors=2,
                   trace=True, trace_vectors=6)  # this untrained net's thresholds may hide the change: trace
    assert not res.ok
    if bad["vector"] is None:  # the output never changes: found by the trace of all six vectors
        assert res.mismatched == 0
    else:  # a mismatch: the probe replays up to the first differing vector
        assert res.mismatches[0]["vector"] == bad["vector"]
    p = res.probe
    assert p["layer"] == bad["layer"] and p["what"] == "accumulators"
    assert p["vector"] == (bad["layer_vector"] if bad["vector"] is None else bad["vector"])
    h, w, c = np.unravel_index(p["index"], bad["layer_out"].shape)
    assert c == bad["o"] and p["position"] == f"pixel ({h}, {w}), channel {c}"
    assert p["got"] == bad["layer_out"][h, w, c] and p["expected"] == bad["golden_out"][h, w, c]
    assert p["got"] != p["expected"]
    first_bad = next(r for r in res.layers if r["first"] is not None)
    assert first_bad["layer"] == bad["layer"]  # the layers before it agree
    assert f"layer probe: layer {bad['layer']}" in res.first_mismatch()


@needs_icarus
def test_harness_catches_extra_words_and_stalls(tmp_path):
    """The harness drains after the last expected word (an extra word is a failure) and stops at a cycle limit."""
    from sim.harness.build import build
    from sim.harness.run import run_pass
    from sim.harness.vectors import hex_lines
    from sim.network import _check_protocol

    graph, _ = make_graph(tmp_path, hidden=(8,))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=400)
    q = _mnist(graph, 3).reshape(3, -1)
    wpv, wpo = d.in_len // d.in_elems, d.out_len // d.out_elems
    b = build(d, "icarus", tmp_path / "build", depth=3 * wpv)
    hx = hex_lines(q, d.in_elems, d.in_encoding)
    ok = run_pass(b, tmp_path / "w", hx, words=3 * wpv, out_words=3 * wpo, max_cycles=100_000, drain=2000)
    assert ok.status == "ok" and ok.received == 3 * wpo and ok.sent == 3 * wpv
    extra = run_pass(b, tmp_path / "w", hx, words=3 * wpv, out_words=2 * wpo, max_cycles=100_000, drain=2000)
    assert extra.status == "extra" and extra.received == 2 * wpo + 1
    with pytest.raises(CheckFailed, match="extra words"):
        _check_protocol(extra, "icarus", 0, 2, wpo)
    stall = run_pass(b, tmp_path / "w", hx, words=3 * wpv, out_words=4 * wpo, max_cycles=5_000, drain=2000)
    assert stall.status == "timeout" and stall.cycles == 5_000 and stall.received == 3 * wpo
    with pytest.raises(CheckFailed, match="stalled"):
        _check_protocol(stall, "icarus", 0, 4, wpo)
    assert build(d, "icarus", tmp_path / "build", depth=3 * wpv).cached


def test_hex_lines_match_pack_words():
    from hls.rtlgen.encoding import BIPOLAR, SIGNED, UNSIGNED, Encoding, pack_words, unpack_words
    from sim.harness.vectors import hex_lines, unpack

    rng = np.random.default_rng(0)
    for bits, mode, per in [(8, UNSIGNED, 16), (2, SIGNED, 3), (1, BIPOLAR, 7), (13, SIGNED, 5), (1, BIPOLAR, 80)]:
        enc = Encoding(bits, mode)
        v = rng.integers(0, 2, per * 20) * 2 - 1 if mode == BIPOLAR else \
            rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), per * 20) if mode == SIGNED else rng.integers(0, 1 << bits, per * 20)
        words = pack_words(v, per, enc)
        digits = (per * bits + 3) // 4
        assert hex_lines(v, per, enc) == "".join(f"{w:0{digits}x}\n" for w in words).encode()
        assert np.array_equal(unpack(words, per, enc), unpack_words(words, per, enc))
        assert np.array_equal(unpack(words, per, enc), v)


@needs_icarus
def test_cocotb_engine_still_bit_exact(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(8,))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=400)
    res = simulate(tmp_path / "rtl", graph, _mnist(graph, 4), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=3, engine="cocotb")
    assert res.engine == "cocotb"
    _assert_exact_and_fast(res)


@needs_icarus
def test_cli_rtl_sim(tmp_path, capsys, monkeypatch):
    from qnn.cli import main

    run = make_run(tmp_path, hidden=(16,))
    name = run.graph().body[0].name
    assert main(["rtl", str(run.path), "--folding", json.dumps({name: {"pe": 4, "simd": 16}}),
                 "--target-cycles", "100"]) == 0
    design = json.loads((run.rtl_dir / "design.json").read_text())
    assert design["folding"][name] == {"pe": 4, "simd": 16}
    monkeypatch.chdir(tmp_path)  # a relative run path (the harness builds and runs in folders of its own)
    assert main(["sim", "run", "--simulator", "icarus", "--vectors", "6", "--throughput-vectors", "4",
                 "--trace"]) == 0
    out = capsys.readouterr().out
    assert "bit-exact 6/6" in out and "cycles/inference" in out and "layer streams equal golden" in out
    res = json.loads((run.sim_dir / "icarus" / "result.json").read_text())
    assert res["ok"] and res["vectors"] == 6 and res["engine"] == "harness" and res["cycles_per_s"] > 0
    assert len(res["layers"]) == 3 and all(r["first"] is None and r["vectors"] == 4 for r in res["layers"])
    assert main(["sim", str(tmp_path / "nope")]) == 2
    assert main(["sim", str(run.path), "--vectors", "some"]) == 2


@needs_verilator
def test_cli_sim_all_on_verilator_then_probe(tmp_path, capsys):
    """The default path: the harness on Verilator over the whole (embedded, 1,000-image) test set; then one
    weight of the first layer corrupted in its ROM: exit code 1, and the probe names that layer (cached build)."""
    from hls.rtlgen import load_design
    from qnn.cli import main

    run = make_run(tmp_path, hidden=(16,))
    assert main(["rtl", str(run.path), "--target-cycles", "50"]) == 0
    assert main(["sim", str(run.path), "-n", "all"]) == 0
    res = json.loads((run.sim_dir / "verilator" / "result.json").read_text())
    assert res["ok"] and res["vectors"] == res["exact"] == 1000 and res["simulator"] == "verilator"
    assert not res["build_cached"] and res["cycles_per_s"] > 0
    assert abs(res["cycles_per_inference"] - res["ideal_cycles"]) <= 0.05 * res["ideal_cycles"]
    graph = run.graph()
    q = quantize_input(graph, run.dataset("test", limit=4).x)
    bad = corrupt_weight(run.rtl_dir, load_design(run.rtl_dir), graph, q, layer=0)
    capsys.readouterr()
    assert main(["sim", str(run.path), "-n", "4", "--throughput-vectors", "2"]) == 1
    cap = capsys.readouterr()
    assert f"layer probe: layer {bad['layer']}" in cap.err and f"channel {bad['o']}" in cap.err
    assert bad["vector"] is not None  # this corruption changes the output (no --trace needed)
    res = json.loads((run.sim_dir / "verilator" / "result.json").read_text())
    assert res["build_cached"] and res["probe"]["layer"] == bad["layer"] and res["probe"]["vector"] == bad["vector"]
    assert res["probe"]["got"] == bad["layer_out"][bad["o"]]


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
