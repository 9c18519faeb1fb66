"""The sum-pool core (qnn_sumpool: average pooling kept exact as a sum, windowed or global) against its NumPy
model, with random input gaps and output backpressure, then a drain that must stay silent.

Fast: the grid on Icarus, lint, full rate, the model against the golden kernel, a wrong word caught, a too narrow
output refused at elaboration.  Marker ``rtl``: the grid on Verilator.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from qnn.golden import ops
from sim.cores import core_files, make_case, run_core
from sim.cores_dw import GRIDS, sumpool_reference
from sim.tools import available, build_and_test, simulator_env

GRID = list(enumerate(GRIDS["sumpool"]))
IDS = [f"sumpool{i}" for i, _ in GRID]


def _check(res: dict) -> None:
    assert res["ok"], f"mismatch: {res['mismatch']}, extra words: {res['extra_words']}"
    assert res["words"] > 0 and res["extra_words"] == []


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("i,params", GRID, ids=IDS)
def test_icarus(i, params, tmp_path):
    _check(run_core("sumpool", params, "icarus", tmp_path, seed=i, frames=4))


@pytest.mark.rtl
@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("i,params", GRID, ids=IDS)
def test_verilator(i, params, tmp_path):
    _check(run_core("sumpool", params, "verilator", tmp_path, seed=i, frames=4, gap=0.5, backpressure=0.5))


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("i,params", GRID, ids=IDS)
def test_lint_clean(i, params, tmp_path):
    simulator_env("verilator")
    case = make_case("sumpool", params, tmp_path, seed=i)
    gs = [f"-G{k}={v}" for k, v in case.params.items()]
    p = subprocess.run(["verilator", "--lint-only", "-Wall", *gs, "--top-module", "qnn_sumpool",
                        *map(str, core_files("qnn_sumpool"))], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("i", [1, 4, 5])
def test_full_rate(i, tmp_path):
    """No gaps, no backpressure: one input word per cycle."""
    p = GRIDS["sumpool"][i]
    res = run_core("sumpool", p, "icarus", tmp_path, seed=i, gap=0.0, backpressure=0.0, frames=6, drain=0)
    _check(res)
    beats = 6 * p["IFM_H"] * p["IFM_W"] * p["C"] // p["PE"]
    assert beats <= res["cycles"] <= beats + 12, (res["cycles"], beats)


def test_model_is_the_golden_kernel():
    rng = np.random.default_rng(0)
    x = rng.integers(-8, 8, size=(3, 5, 7, 4))
    for k in ((2, 2), (2, 3), (5, 7), (1, 1)):
        assert np.array_equal(sumpool_reference(x, k), ops.sumpool(x, k, k))


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_mismatch_is_reported(tmp_path):
    case = make_case("sumpool", GRIDS["sumpool"][2], tmp_path)
    bad = list(case.out_words)
    bad[4] ^= 1
    res = build_and_test(simulator="icarus", sources=core_files("qnn_sumpool"), toplevel="qnn_sumpool",
                         parameters=case.params, test_module="sim.tb.tb_core", build_dir=tmp_path / "b",
                         config={"in_words": case.in_words, "out_words": bad, "gap": 0.3, "backpressure": 0.3,
                                 "seed": 0})
    assert not res["ok"] and res["mismatch"]["word"] == 4


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_narrow_output_is_refused(tmp_path):
    """OUT_BITS that cannot hold a window's sum stops elaboration with the range it needs."""
    src = tmp_path / "t.v"
    src.write_text("module t; wire [9:0] o; wire v, r; qnn_sumpool #(.IFM_H(3), .IFM_W(3), .C(2), .PE(2), .K_H(3), "
                   ".K_W(3), .IN_BITS(4), .SIGNED(0), .OUT_BITS(5)) u (.clk(1'b0), .rst(1'b1), .in_valid(1'b0), "
                   ".in_ready(r), .in_data(8'd0), .out_valid(v), .out_ready(1'b1), .out_data(o)); endmodule\n")
    vvp = tmp_path / "t.vvp"
    subprocess.run(["iverilog", "-g2005", "-o", str(vvp), *map(str, core_files("qnn_sumpool")), str(src)], check=True)
    p = subprocess.run(["vvp", "-n", str(vvp)], capture_output=True, text=True, timeout=60)
    assert "cannot hold a window's sum (0 .. 135)" in p.stdout + p.stderr
