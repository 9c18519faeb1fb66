"""The residual-block cores (issue 21): the stream duplicator ``qnn_dup`` and the elementwise add ``qnn_add``, each
against its NumPy model with random gaps on every input and independent random backpressure on every output, then
a drain that must stay silent; and a residual block (``sim/tb/qnn_residual_tb.v``: dup -> skip FIFO / slow branch
that holds words back -> add) that runs exactly with its skip FIFO at the README's bound and deadlocks one word
below it.

Fast: one case per core and the block on Icarus, lint of every grid point, full rate, refusals at elaboration, the
models.  Marker ``rtl``: the grids on Icarus and Verilator (heavier gaps and backpressure there) and the deadlock
on Verilator.  Marker ``synth``: Yosys maps the power-of-two multipliers without a multiplier cell.
"""
from __future__ import annotations

import itertools
import json
import shutil
import subprocess

import numpy as np
import pytest

from qnn.qtype import QType
from sim.cores import core_files, make_case, run_core
from sim.cores_res import GRIDS, add_out_bits, add_range, residual_reference
from sim.tools import available, build_and_test, simulator_env

needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
GRID = [(core, i, p) for core in ("dup", "add", "residual") for i, p in enumerate(GRIDS[core])]
IDS = [f"{c}{i}" for c, i, _ in GRID]
SMALL = [("dup", 0), ("add", 2), ("residual", 0)]


def _check(res: dict) -> None:
    assert res["stalled"] is None, res["stalled"]
    assert res["ok"], f"mismatch: {res['mismatch']}, extra words: {res['extra_words']}"
    assert all(n > 0 for n in res["words"].values())


@needs_icarus
@pytest.mark.parametrize("core,i", SMALL, ids=[f"{c}{i}" for c, i in SMALL])
def test_small_icarus(core, i, tmp_path):
    _check(run_core(core, GRIDS[core][i], "icarus", tmp_path, seed=i, frames=4))


@pytest.mark.rtl
@needs_icarus
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_icarus(core, i, params, tmp_path):
    _check(run_core(core, params, "icarus", tmp_path, seed=i, frames=4))


@pytest.mark.rtl
@needs_verilator
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_verilator(core, i, params, tmp_path):
    _check(run_core(core, params, "verilator", tmp_path, seed=i + 100, frames=4, gap=0.5, backpressure=0.5))


@needs_verilator
@pytest.mark.parametrize("core,i,params", [g for g in GRID if g[0] != "residual"], ids=[i for i in IDS if "res" not in i])
def test_lint_clean(core, i, params, tmp_path):
    simulator_env("verilator")
    case = make_case(core, params, tmp_path, seed=i)
    gs = [f"-G{k}={v}" for k, v in case.params.items()]
    p = subprocess.run(["verilator", "--lint-only", "-Wall", *gs, "--top-module", case.module,
                        *map(str, core_files(case.module))], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@needs_icarus
def test_dup_outputs_take_words_in_different_cycles(tmp_path):
    """Independent backpressure: many words leave on the two outputs in different cycles (the taken flags at work),
    each output in order and complete."""
    res = run_core("dup", GRIDS["dup"][0], "icarus", tmp_path, seed=5, frames=4, gap=0.2, backpressure=0.5)
    _check(res)
    c0, c1 = res["out_cycles"]["out0"], res["out_cycles"]["out1"]
    assert sum(a != b for a, b in zip(c0, c1)) > len(c0) // 4
    assert max(abs(a - b) for a, b in zip(c0, c1)) >= 2  # one output ran ahead while the other stalled


# Full rate: no gaps, no backpressure: one word per cycle after the latency (dup 1, add 4 cycles).
@needs_icarus
@pytest.mark.parametrize("core,i,lat", [("dup", 0, 1), ("add", 1, 4), ("add", 2, 4)])
def test_full_rate(core, i, lat, tmp_path):
    res = run_core(core, GRIDS[core][i], "icarus", tmp_path, seed=i, gap=0.0, backpressure=0.0, frames=6, drain=0)
    _check(res)
    ins = next(iter(res["in_cycles"].values()))
    for cyc in res["out_cycles"].values():
        assert cyc[0] - ins[0] == lat
        assert cyc == list(range(cyc[0], cyc[0] + len(cyc)))  # no idle cycle between words
    assert all(c == list(range(ins[0], ins[0] + len(ins))) for c in res["in_cycles"].values())


@needs_icarus
def test_residual_at_the_bound_runs_one_below_deadlocks(tmp_path):
    """The branch's lead is LAG + 1 words: a skip path of LAG words (SKIP_DEPTH = LAG - 1, plus the FIFO's output
    register) runs exactly; one word less and the block stops for good (hls/rtl/README.md, skip FIFO sizing)."""
    p = GRIDS["residual"][0]
    assert p["SKIP_DEPTH"] + 1 == p["LAG"]
    _check(run_core("residual", p, "icarus", tmp_path / "ok", seed=1, frames=3, max_cycles=3000))
    res = run_core("residual", dict(p, SKIP_DEPTH=p["SKIP_DEPTH"] - 1), "icarus", tmp_path / "dead", seed=1, frames=3,
                   max_cycles=1500)
    assert res["stalled"] is not None and "out 0/" in res["stalled"]


@needs_icarus
def test_residual_full_rate_with_the_latency_margin(tmp_path):
    """A fast branch (lead LAG + 1 = 7 words, 1 cycle from its needed word to its output) and the README's
    DEPTH = lead + ceil(L * r) + 2 = 10: the block takes and gives one word per cycle."""
    p = dict(GRIDS["residual"][0], SLOW=0, SKIP_DEPTH=GRIDS["residual"][0]["LAG"] + 1 + 1 + 2)
    res = run_core("residual", p, "icarus", tmp_path, seed=2, frames=4, gap=0.0, backpressure=0.0, drain=0)
    _check(res)
    for c in (res["in_cycles"]["in"], res["out_cycles"]["out"]):
        assert c == list(range(c[0], c[0] + len(c)))


@pytest.mark.rtl
@needs_verilator
@pytest.mark.parametrize("i", [0, 1])
def test_residual_deadlock_verilator(i, tmp_path):
    p = GRIDS["residual"][i]
    res = run_core("residual", dict(p, SKIP_DEPTH=p["LAG"] - 2), "verilator", tmp_path, seed=i, frames=2,
                   max_cycles=1500)
    assert res["stalled"] is not None and "out 0/" in res["stalled"]


@needs_icarus
def test_mismatch_is_reported(tmp_path):
    """The multi-stream checker is not vacuous: a wrong word on one port is found and named."""
    case = make_case("add", GRIDS["add"][3], tmp_path)
    bad = {"out": list(case.out_words["out"])}
    bad["out"][6] ^= 1 << 3
    res = build_and_test(simulator="icarus", sources=core_files("qnn_add"), toplevel="qnn_add", parameters=case.params,
                         test_module="sim.tb.tb_core", build_dir=tmp_path / "b",
                         config={"in_words": case.in_words, "out_words": bad, "gap": 0.3, "backpressure": 0.3, "seed": 0})
    assert not res["ok"] and res["mismatch"]["port"] == "out" and res["mismatch"]["word"] == 6


def _elaborate_add(tmp_path, **params) -> str:
    """Elaborate qnn_add with ``params`` on Icarus; the simulator's output (where the checks print)."""
    ps = dict({"PE": 2, "A_BITS": 4, "B_BITS": 4}, **params)
    pe, ob = ps["PE"], ps.get("OUT_BITS", 6)
    src = tmp_path / "t.v"
    src.write_text(f"module t; wire [{pe * ob - 1}:0] o; wire v, ra, rb; qnn_add #("
                   + ", ".join(f".{k}({v})" for k, v in ps.items())
                   + f") u (.clk(1'b0), .rst(1'b1), .a_valid(1'b0), .a_ready(ra), .a_data({pe * ps['A_BITS']}'d0), "
                   f".b_valid(1'b0), .b_ready(rb), .b_data({pe * ps['B_BITS']}'d0), .out_valid(v), .out_ready(1'b1), "
                   ".out_data(o)); endmodule\n")
    vvp = tmp_path / "t.vvp"
    subprocess.run(["iverilog", "-g2005", "-o", str(vvp), *map(str, core_files("qnn_add")), str(src)], check=True)
    p = subprocess.run(["vvp", "-n", str(vvp)], capture_output=True, text=True, timeout=60)
    return p.stdout + p.stderr


@needs_icarus
def test_add_refuses_what_it_cannot_hold(tmp_path):
    """OUT_BITS one short of the worst case, an unsigned output of a sum that can be negative, a zero multiplier:
    elaboration stops with the range; the tightest width passes silently."""
    a, b = QType(4, True), QType(4, False)
    need = add_out_bits(a, b, -3, 4, 2)
    lo, hi = add_range(a, b, -3, 4, 2)
    base = {"A_SIGNED": 1, "MUL_A": -3, "MUL_B": 4, "BIAS": 2}
    out = _elaborate_add(tmp_path, **base, OUT_BITS=need - 1)
    assert f"cannot hold the sum ({lo} .. {hi}: {need} signed bits)" in out
    assert "qnn_add" not in _elaborate_add(tmp_path, **base, OUT_BITS=need)
    assert "cannot hold the sum (-21 .. 84: 8 signed bits)" in _elaborate_add(
        tmp_path, A_SIGNED=1, MUL_A=-3, MUL_B=4, OUT_SIGNED=0, OUT_BITS=12)
    assert "nonzero MUL_A, MUL_B" in _elaborate_add(tmp_path, MUL_A=0, MUL_B=1, OUT_BITS=6)


def test_out_bits_is_the_tightest_width():
    """add_out_bits against brute force over both input ranges (the width qnn_add's check accepts, no narrower)."""
    for (ab, asg), (bb, bsg), ma, mb, bias in itertools.product(
            [(3, False), (3, True), (1, False)], [(2, True), (4, False)], [1, -1, 4, -3], [1, 2, -8], [0, -5, 9]):
        a, b = QType(ab, asg), QType(bb, bsg)
        s = [ma * x + mb * y + bias for x in range(a.min, a.max + 1) for y in range(b.min, b.max + 1)]
        assert add_range(a, b, ma, mb, bias) == (min(s), max(s))
        n = add_out_bits(a, b, ma, mb, bias)
        assert -(1 << (n - 1)) <= min(s) and max(s) < (1 << (n - 1))
        assert n == 1 or not (-(1 << (n - 2)) <= min(s) and max(s) < (1 << (n - 2)))


def test_residual_model():
    x = np.arange(-4, 4)
    assert np.array_equal(residual_reference(x, QType(3, True), 2, -3, 1), 2 * x - 3 * (-x - 1) + 1)
    x = np.arange(8)
    assert np.array_equal(residual_reference(x, QType(3, False), 1, 1), np.full(8, 7))


def _yosys_cells(tmp_path, target: str, options: str, **params) -> dict:
    src = tmp_path / "top.v"
    src.write_text("module top (input wire clk, input wire rst, input wire av, input wire bv, input wire ordy, "
                   "input wire [15:0] a, input wire [15:0] b, output wire ar, output wire br, output wire ov, "
                   "output wire [25:0] o);\n  qnn_add #(" + ", ".join(f".{k}({v})" for k, v in params.items())
                   + ") u (.clk(clk), .rst(rst), .a_valid(av), .a_ready(ar), .a_data(a), .b_valid(bv), .b_ready(br), "
                   ".b_data(b), .out_valid(ov), .out_ready(ordy), .out_data(o));\nendmodule\n")
    js = tmp_path / f"stat_{target}.json"
    files = " ".join(str(f) for f in [*core_files("qnn_add"), src])
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {files}; synth_{target} {options} -top top; tee -q -o {js} stat -json"],
                   check=True, capture_output=True, text=True, timeout=600)
    return json.loads(js.read_text())["design"]["num_cells_by_type"]


@pytest.mark.synth
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
@pytest.mark.parametrize("mul_a,mul_b", [(1, 1), (4, 1), (-4, 1), (1, -1)])
def test_power_of_two_multipliers_use_no_multiplier(mul_a, mul_b, tmp_path):
    """8-bit signed inputs, PE 2: with multipliers of +-1 and +-4 neither ECP5 (MULT18X18D) nor iCE40 with DSPs
    (SB_MAC16) gets a multiplier cell (a constant power of two is wiring)."""
    p = {"PE": 2, "A_BITS": 8, "A_SIGNED": 1, "B_BITS": 8, "B_SIGNED": 1, "MUL_A": mul_a, "MUL_B": mul_b, "OUT_BITS": 13}
    for target, options, dsp in (("ecp5", "", "MULT18X18D"), ("ice40", "-dsp", "SB_MAC16")):
        cells = _yosys_cells(tmp_path, target, options, **p)
        assert not any(k == dsp or k.startswith("$mul") or "MULT" in k for k in cells), (target, cells)
