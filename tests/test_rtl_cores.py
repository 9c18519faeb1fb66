"""Every core in hls/rtl against its Python model, with random input gaps and output backpressure.

Fast: the whole parameter grid on Icarus, Verilator -Wall lint of every grid point.  Marker ``rtl``:
the same grid simulated on Verilator.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from sim.cores import GRIDS, MODULES, core_files, make_case, run_core
from sim.tools import available, simulator_env

GRID = [(core, i, p) for core, ps in GRIDS.items() for i, p in enumerate(ps)]
IDS = [f"{c}{i}" for c, i, _ in GRID]


def _check(res: dict) -> None:
    assert res["ok"], f"mismatch: {res['mismatch']}"
    assert res["words"] > 0


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_core_icarus(core, i, params, tmp_path):
    _check(run_core(core, params, "icarus", tmp_path, seed=i))


@pytest.mark.rtl
@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_core_verilator(core, i, params, tmp_path):
    _check(run_core(core, params, "verilator", tmp_path, seed=i))


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_core_lint_clean(core, i, params, tmp_path):
    """verilator --lint-only -Wall accepts each core at each grid point (waivers are commented in the source)."""
    simulator_env("verilator")
    case = make_case(core, params, tmp_path, seed=i)
    gs = [f"-G{k}={v}" if not isinstance(v, str) else f'-G{k}="{v}"' for k, v in case.params.items()]
    p = subprocess.run(["verilator", "--lint-only", "-Wall", *gs, "--top-module", MODULES[core],
                        *map(str, core_files(MODULES[core]))], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_core_mismatch_is_reported(tmp_path):
    """The checker is not vacuous: a wrong model output is caught and named."""
    from sim.tools import build_and_test

    case = make_case("shift", GRIDS["shift"][0], tmp_path)
    bad = list(case.out_words)
    bad[5] ^= 1
    res = build_and_test(simulator="icarus", sources=core_files("qnn_shift"), toplevel="qnn_shift",
                         parameters=case.params, test_module="sim.tb.tb_core", build_dir=tmp_path / "b",
                         config={"in_words": case.in_words, "out_words": bad, "gap": 0.2, "backpressure": 0.2, "seed": 0})
    assert not res["ok"] and res["mismatch"]["word"] == 5


# Full rate: without gaps or backpressure the pipelined cores take one beat per cycle, so a run lasts
# its beats plus the pipeline latency (a stall or a missing credit would add cycles per word).
FULL_RATE = [("mvu", 7), ("mvu", 2), ("mvu", 9), ("thresh", 0), ("thresh", 2), ("shift", 0), ("width_conv", 5),
             ("width_conv", 6), ("swu", 0), ("swu", 1)]


def _beats(core: str, p: dict, frames: int) -> tuple[int, int]:
    """(cycles with a transfer, allowed extra cycles besides the pipeline latency)"""
    if core == "mvu":
        return frames * (p["N_IN"] // p["SIMD"]) * (p["N_OUT"] // p["PE"]), 0
    if core == "swu":  # output words, plus two idle cycles per window row (hold) and the first rows' fill
        oh = (p["IFM_H"] + p["P_T"] + p["P_B"] - p["K_H"]) // p["S_H"] + 1
        ow = (p["IFM_W"] + p["P_L"] + p["P_R"] - p["K_W"]) // p["S_W"] + 1
        cf = p["C"] // p["SIMD"]
        return frames * oh * ow * p["K_H"] * p["K_W"] * cf, 2 * frames * oh + p["K_H"] * p["IFM_W"] * cf
    if core == "width_conv":  # elements / the narrower word
        return int(np.lcm(p["IN_N"], p["OUT_N"])) * 4 * frames // min(p["IN_N"], p["OUT_N"]), 0
    return (3 * frames * p["NF"] if core == "thresh" else 16 * frames), 0


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("core,i", FULL_RATE, ids=[f"{c}{i}" for c, i in FULL_RATE])
def test_core_full_rate(core, i, tmp_path):
    p = GRIDS[core][i]
    res = run_core(core, p, "icarus", tmp_path, seed=i, gap=0.0, backpressure=0.0, frames=6, drain=0)
    _check(res)
    beats, extra = _beats(core, p, 6)
    assert beats <= res["cycles"] <= beats + extra + 16, (res["cycles"], beats, extra)
