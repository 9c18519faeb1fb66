"""Every core in hls/rtl against its Python model, with random input gaps and output backpressure.

Fast: the whole parameter grid on Icarus, Verilator -Wall lint of every grid point.  Marker ``rtl``:
the same grid simulated on Verilator.
"""
from __future__ import annotations

import subprocess

import pytest

from hls.rtlgen.generate import RTL_DIR
from sim.cores import GRIDS, MODULES, make_case, run_core
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
                        str(RTL_DIR / f"{MODULES[core]}.v")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_core_mismatch_is_reported(tmp_path):
    """The checker is not vacuous: a wrong model output is caught and named."""
    from sim.tools import build_and_test

    case = make_case("shift", GRIDS["shift"][0], tmp_path)
    bad = list(case.out_words)
    bad[5] ^= 1
    res = build_and_test(simulator="icarus", sources=[RTL_DIR / "qnn_shift.v"], toplevel="qnn_shift",
                         parameters=case.params, test_module="sim.tb.tb_core", build_dir=tmp_path / "b",
                         config={"in_words": case.in_words, "out_words": bad, "gap": 0.2, "backpressure": 0.2, "seed": 0})
    assert not res["ok"] and res["mismatch"]["word"] == 5
