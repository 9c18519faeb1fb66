"""SPRAM weight memories (iCE40 UP5K): the qnn_spram core against a model on both simulators and against Yosys'
own SB_SPRAM256KA simulation model, the memory styles and the fit that chooses SPRAM, a network whose first layer
keeps its weights in SPRAM loaded through the harness (bit-exact; a wrong load word is caught), and the board
shell's weight-load frame (error replies before / without a good load, weights kept across error resets).
Synthesis (Yosys maps qnn_spram to SB_SPRAM256KA) is under the ``synth`` marker."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from rtl_helpers import make_graph, make_run

from hls.rtlgen import generate_rtl
from hls.rtlgen.fit import estimate, fit_target, spram_blocks
from hls.rtlgen.generate import RTL_DIR, parse_memory
from hls.rtlgen.memfile import load_words
from hls.rtlgen.top import WEIGHT_LOAD_FILE
from hls.synth.devices import DEVICES
from qnn.errors import QnnError
from qnn.golden.execute import quantize_input
from sim.network import simulate
from sim.tools import available, simulator_env

TB = Path(__file__).resolve().parent.parent / "sim" / "tb" / "qnn_spram_tb.v"
needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not available("verilator"), reason="verilator not installed")


def _cells_sim() -> Path | None:
    """Yosys' iCE40 cell simulation models (share/yosys/ice40/cells_sim.v beside the yosys executable)."""
    exe = shutil.which("yosys")
    p = Path(exe).resolve().parent.parent / "share" / "yosys" / "ice40" / "cells_sim.v" if exe else None
    return p if p is not None and p.is_file() else None


# ---- the core -------------------------------------------------------------------------------------
def _spram_case(tmp: Path, width: int, depth: int, n_reads: int, seed: int) -> np.ndarray:
    """Write load.hex / addrs.hex for the testbench; return the expected read data."""
    rng = np.random.default_rng(seed)
    lanes = (width + 15) // 16
    words = rng.integers(0, 1 << 16, size=(depth, lanes))
    addrs = rng.integers(0, depth, size=n_reads)
    addrs[:2] = [depth - 1, 0]  # both ends (and, banked, both banks)
    (tmp / "load.hex").write_text("\n".join(f"{w:04x}" for w in words.reshape(-1)) + "\n")
    (tmp / "addrs.hex").write_text("\n".join(f"{a:x}" for a in addrs) + "\n")
    full = [sum(int(w) << (16 * k) for k, w in enumerate(row)) & ((1 << width) - 1) for row in words]
    return np.array([full[a] for a in addrs], dtype=object)


def _run_tb(tmp: Path, simulator: str, width: int, depth: int, n_reads: int, primitive: bool = False) -> list[str]:
    params = {"WIDTH": width, "DEPTH": depth, "N_READS": n_reads}
    srcs = [str(RTL_DIR / "qnn_spram.v"), str(TB)]
    if simulator == "icarus":
        extra = ["-g2012", "-DNO_ICE40_DEFAULT_ASSIGNMENTS", "-DQNN_SPRAM_PRIMITIVE", str(_cells_sim())] if primitive else []
        cmd = ["iverilog", "-g2005", "-s", "qnn_spram_tb", *(f"-Pqnn_spram_tb.{k}={v}" for k, v in params.items()),
               "-o", "tb.vvp", *extra, *srcs]
        subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp, check=True, capture_output=True)
    else:
        simulator_env("verilator")
        cmd = ["verilator", "--binary", "--timing", "-CFLAGS", "-std=c++20", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module",
               "qnn_spram_tb", *(f"-G{k}={v}" for k, v in params.items()), "--Mdir", "obj", "-o", "tb", *srcs]
        subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
        subprocess.run(["obj/tb"], cwd=tmp, check=True, capture_output=True)
    return (tmp / "out.txt").read_text().split("\n")


def _check_tb(lines: list[str], expected: np.ndarray, width: int, depth: int) -> None:
    got = [int(x, 16) for x in lines[:len(expected)]]
    bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    assert not bad, f"{len(bad)} reads differ, first at read {bad[0]}: {got[bad[0]]:x} != {expected[bad[0]]:x}"
    tail = lines[len(expected)].split()
    full_at, last_at = int(tail[1]), int(tail[3])
    assert full_at > last_at, "wl_full rose before the last load word was taken"


# (width, depth): one tile; several lanes (the TFC's first layer at PE 2 x SIMD 16 x 2 bits: 64 x 1568);
# a ragged last lane; two banks (deeper than one SPRAM)
GEOMS = [(16, 64), (64, 1568), (20, 100), (20, 20000)]


@needs_icarus
@pytest.mark.parametrize("width,depth", GEOMS, ids=[f"{w}x{d}" for w, d in GEOMS])
def test_spram_core_icarus(tmp_path, width, depth):
    exp = _spram_case(tmp_path, width, depth, 200, seed=width + depth)
    _check_tb(_run_tb(tmp_path, "icarus", width, depth, 200), exp, width, depth)


@needs_verilator
@pytest.mark.rtl  # a Verilator --binary build each (~1 min on a loaded machine)
@pytest.mark.parametrize("width,depth", [(64, 1568), (20, 20000)], ids=["64x1568", "20x20000"])
def test_spram_core_verilator(tmp_path, width, depth):
    exp = _spram_case(tmp_path, width, depth, 200, seed=width + depth)
    _check_tb(_run_tb(tmp_path, "verilator", width, depth, 200), exp, width, depth)


@needs_icarus
@pytest.mark.skipif(_cells_sim() is None, reason="Yosys' ice40 cells_sim.v not found")
@pytest.mark.parametrize("width,depth", [(20, 100), (20, 20000)], ids=["20x100", "20x20000"])
def test_spram_core_on_the_yosys_primitive_model(tmp_path, width, depth):
    """The tiles as SB_SPRAM256KA (Yosys' simulation model of the cell): the same reads as the behavioural model."""
    exp = _spram_case(tmp_path, width, depth, 200, seed=7)
    _check_tb(_run_tb(tmp_path, "icarus", width, depth, 200, primitive=True), exp, width, depth)


def test_load_words_split_each_word_into_16_bit_lanes(tmp_path):
    f = tmp_path / "w.mem"
    f.write_text("123456789\n00000000a\n")  # 36-bit words: three lanes
    assert load_words(f, 36) == ["6789", "2345", "0001", "000a", "0000", "0000"]
    assert spram_blocks(64, 1568) == 4 and spram_blocks(16, 16385) == 2 and spram_blocks(8, 10) == 1


def test_parse_memory():
    assert parse_memory(["Gemm_0=spram", "Gemm_1=lut,Gemm_2=bram"]) == {"Gemm_0": "spram", "Gemm_1": "lut",
                                                                       "Gemm_2": "bram"}
    with pytest.raises(QnnError, match="LAYER=STYLE"):
        parse_memory(["Gemm_0=flash"])


# ---- styles and the fit ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tfc(tmp_path_factory):
    """A TFC-shaped w2a2 MLP (784-64-64-64-10), BatchNorm statistics moved, untrained."""
    graph, _ = make_graph(tmp_path_factory.mktemp("tfc"), w=2, a=2, hidden=(64, 64, 64))
    return graph


def test_fit_up5k_puts_the_first_layer_in_spram(tfc):
    up5k = DEVICES["up5k"]
    t, fold, est = fit_target(tfc, up5k)
    first = tfc.body[0].name
    assert est.memory == {first: "spram"}  # without SPRAM it fits in no folding (>= 36 block RAMs)
    assert 0 < est.spram <= up5k.sprams and est.bram <= up5k.brams and est.lut <= 0.85 * up5k.luts
    assert t == 1568  # the fastest folding whose first layer's weights fit 4 SPRAMs (64 bits a cycle)
    # a device without SPRAM never gets it
    _, _, est85 = fit_target(tfc, DEVICES["85k"])
    assert not est85.spram and "spram" not in est85.memory.values()


def test_memory_override_and_its_estimate(tfc, tmp_path):
    first, second = tfc.body[0].name, tfc.body[2].name
    d = generate_rtl(tfc, tmp_path / "rtl", target_cycles=1568, memory={first: "spram", second: "lut"})
    styles = {s["layer"]: s["params"]["MEM_STYLE"] for s in d.stages if s["module"] == "qnn_mvu"}
    assert styles[first] == 3 and styles[second] == 2
    words = (tmp_path / "rtl" / WEIGHT_LOAD_FILE).read_text().split()
    assert len(words) == d.weight_load_words == 4 * 1568  # 64-bit words (PE 2 x SIMD 16 x 2 bits), 4 lanes each
    top = (tmp_path / "rtl" / "qnn_top.v").read_text()
    assert "wl_done" in top and "qnn_spram" not in top  # the port is the top's; the memory is inside the MVU
    with pytest.raises(QnnError, match="unknown layers"):
        generate_rtl(tfc, tmp_path / "rtl2", target_cycles=1568, memory={"nope": "spram"})
    from hls.rtlgen.fit import fits
    from hls.rtlgen.folding import choose_folding
    from hls.rtlgen.generate import build_stages
    from hls.rtlgen.layers import MvuLayer, hardware_layers

    layers, in_type, _ = hardware_layers(tfc)
    fold = choose_folding([ly for ly in layers if isinstance(ly, MvuLayer)], 196)
    st = build_stages(layers, in_type, fold, tmp_path, memory={first: "spram"})
    est = estimate(st, "ice40")
    assert est.spram > DEVICES["up5k"].sprams and any("SPRAMs" in p for p in fits(est, DEVICES["up5k"]))


# ---- a network with SPRAM weights, through the harness --------------------------------------------
def _mnist(graph, n):
    from qnn.data import load_dataset

    return quantize_input(graph, load_dataset("mnist", "test").x[:n])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    graph, _ = make_graph(tmp, w=2, a=2, hidden=(16, 8))
    d = generate_rtl(graph, tmp / "rtl", target_cycles=784, memory={graph.body[0].name: "spram"})  # 2 SPRAMs
    return graph, d, tmp


@pytest.mark.parametrize("simulator", [  # (Verilator: a 1-2 minute build on a loaded machine, so rtl)
    pytest.param("icarus", marks=needs_icarus), pytest.param("verilator", marks=[needs_verilator, pytest.mark.rtl])])
def test_spram_network_bit_exact_after_the_harness_load(small, simulator):
    graph, d, tmp = small
    assert d.weight_load_words >= 784 * 16 * 2 // 16  # 784 x 16 weights of 2 bits, in 16-bit load words
    res = simulate(tmp / "rtl", graph, _mnist(graph, 12), simulator=simulator, work_dir=tmp / f"sim-{simulator}",
                   throughput_vectors=6, gap=0.3, backpressure=0.4, trace=True)
    assert res.exact == res.vectors == 12
    assert res.layers and res.probe is None  # every layer's output stream agrees, the first one's too
    assert abs(res.cycles_per_inference - res.ideal_cycles) <= 0.05 * res.ideal_cycles


@needs_icarus
def test_a_wrong_load_word_is_caught(small, tmp_path):
    """The weights really come through the load port: one flipped load word makes outputs differ."""
    graph, _, tmp = small
    rtl = tmp_path / "rtl"
    shutil.copytree(tmp / "rtl", rtl)
    words = (rtl / WEIGHT_LOAD_FILE).read_text().split()
    words = [f"{int(w, 16) ^ 0x5555:04x}" for w in words]  # every weight's low bit flipped (2-bit weights)
    (rtl / WEIGHT_LOAD_FILE).write_text("\n".join(words) + "\n")
    # (an untrained network's outputs hardly depend on its input: the layer probe compares the first layer's)
    res = simulate(rtl, graph, _mnist(graph, 4), simulator="icarus", work_dir=tmp_path / "sim", throughput_vectors=0,
                   trace=True)
    assert res.probe is not None and graph.body[0].name in str(res.probe)


def test_cocotb_engine_refuses_spram(small):
    graph, _, tmp = small
    with pytest.raises(QnnError, match="engine harness"):
        simulate(tmp / "rtl", graph, _mnist(graph, 2), engine="cocotb", work_dir=tmp / "cocotb")


# ---- the board shell's weight-load frame ----------------------------------------------------------
@pytest.fixture(scope="module")
def board(tmp_path_factory):
    from hls.board.boards import board_named
    from hls.board.build import board_dir, build_board
    from hls.board.top import Geometry
    from hls.rtlgen.design import load_design
    from qnn.golden.execute import run_integer
    from sim.board.build import build_sim, sim_cpb

    run = make_run(tmp_path_factory.mktemp("board"), preset="tfc", hidden=(16, 16))
    first = run.graph().body[0].name
    info = build_board(run, "icebreaker", pnr=False, memory={first: "spram"})
    rtl = board_dir(run, board_named("icebreaker")) / "rtl"
    design = load_design(rtl)
    geo = Geometry(**info["geometry"])
    exe = build_sim(board_named("icebreaker"), rtl, info["sources"], sim_cpb(geo, design.ideal_cycles),
                    board_dir(run, board_named("icebreaker")) / "sim", weight_load=True)
    graph = run.graph()
    q = quantize_input(graph, run.dataset("test", limit=6).x)
    expected = np.asarray(run_integer(graph, q)).reshape(len(q), -1)
    return run, rtl, design, geo, exe, q, expected


@needs_verilator
@pytest.mark.rtl  # the board model's Verilator build: 1-2 minutes on a loaded machine
def test_board_weight_load_frame(board, tmp_path):
    from qnn.board.driver import load_weights
    from qnn.board.protocol import Cmd, Status, frame, load_payload, pack_vector, read_reply, unpack_outputs
    from qnn.board.transport import SimTransport

    run, rtl, design, geo, exe, q, expected = board
    assert geo.wl_words > 0
    t = SimTransport(exe, timeout=30.0, log=tmp_path / "sim.log")
    try:
        def infer(i):
            t.write(frame(Cmd.INFER, pack_vector(q[i], geo, design.in_encoding)))
            return read_reply(t.read)

        assert infer(0).status == Status.NOT_LOADED  # no garbage before the weights are in
        good = frame(Cmd.LOAD, load_payload((rtl / WEIGHT_LOAD_FILE).read_text()))
        bad = bytearray(good)
        bad[-1] ^= 0x01  # the checksum byte
        t.write(bytes(bad))
        assert read_reply(t.read).status == Status.CHECKSUM
        assert infer(1).status == Status.NOT_LOADED  # a failed load leaves the weights not loaded
        t.write(frame(Cmd.LOAD, b"\x00\x00"))
        assert read_reply(t.read).status == Status.LENGTH
        load_weights(t, rtl, geo)
        rep = infer(2)
        assert rep.ok and np.array_equal(unpack_outputs(rep.payload, geo, design.out_encoding), expected[2])
        corrupt = bytearray(frame(Cmd.INFER, pack_vector(q[3], geo, design.in_encoding)))
        corrupt[8] ^= 0x10
        t.write(bytes(corrupt))
        assert read_reply(t.read).status == Status.CHECKSUM  # an error resets the network ...
        rep = infer(4)  # ... but the SPRAM keeps the weights
        assert rep.ok and np.array_equal(unpack_outputs(rep.payload, geo, design.out_encoding), expected[4])
    finally:
        t.close()


@needs_verilator
@pytest.mark.rtl
def test_board_run_loads_then_is_bit_exact(board):
    from qnn.board.session import board_run

    res, _ = board_run(board[0], "sim", "icebreaker", n=6)
    assert res.exact == res.vectors == 6 and res.weight_load["words"] == board[3].wl_words


@pytest.mark.synth
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_yosys_maps_the_weights_to_spram(small, tmp_path):
    """synth_ice40: the SPRAM memory becomes SB_SPRAM256KA cells (counted apart from the block RAMs), as many
    as the resource model counts."""
    from hls.synth.flow import synthesize

    graph, d, tmp = small
    want = sum(spram_blocks(s["params"]["PE"] * s["params"]["SIMD"] * s["params"]["W_BITS"],
                            s["params"]["N_IN"] // s["params"]["SIMD"] * (s["params"]["N_OUT"] // s["params"]["PE"]))
               for s in d.stages if s["module"] == "qnn_mvu" and s["params"]["MEM_STYLE"] == 3)
    rep = synthesize(tmp / "rtl", "ice40", tmp_path / "synth", device="up5k", pnr=False)
    assert want >= 1 and rep["spram"] == want and rep["cell_types"].get("SB_SPRAM256KA") == want
    assert rep["fits"], rep["fit_message"]
