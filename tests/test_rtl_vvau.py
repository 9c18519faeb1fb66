"""The depthwise vector-vector unit (qnn_vvau) and the sliding window unit's depthwise order (qnn_swu DW=1)
against their NumPy models, with random input gaps and output backpressure, then a drain that must stay silent.

Fast: the grids on Icarus, Verilator -Wall lint of every grid point, full rate without gaps, the model against
the golden kernel, a wrong word caught.  Marker ``rtl``: the same grids simulated on Verilator.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from hls.rtlgen.depthwise import vvau_weight_fields
from qnn.golden import ops
from sim.cores import core_files, make_case, run_core
from sim.cores_dw import GRIDS, MODULES, dw_order, dw_reference
from sim.tools import available, build_and_test, simulator_env

CORES = ("vvau", "swu_dw")
GRID = [(core, i, p) for core in CORES for i, p in enumerate(GRIDS[core])]
IDS = [f"{c}{i}" for c, i, _ in GRID]


def _check(res: dict) -> None:
    assert res["ok"], f"mismatch: {res['mismatch']}, extra words: {res['extra_words']}"
    assert res["words"] > 0 and res["extra_words"] == []


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_icarus(core, i, params, tmp_path):
    _check(run_core(core, params, "icarus", tmp_path, seed=i, frames=4))


@pytest.mark.rtl
@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_verilator(core, i, params, tmp_path):
    _check(run_core(core, params, "verilator", tmp_path, seed=i, frames=4, gap=0.5, backpressure=0.5))


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("core,i,params", GRID, ids=IDS)
def test_lint_clean(core, i, params, tmp_path):
    simulator_env("verilator")
    case = make_case(core, params, tmp_path, seed=i)
    gs = [f"-G{k}={v}" if not isinstance(v, str) else f'-G{k}="{v}"' for k, v in case.params.items()]
    p = subprocess.run(["verilator", "--lint-only", "-Wall", *gs, "--top-module", MODULES[core],
                        *map(str, core_files(MODULES[core]))], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def _vvau_cycles(p: dict, frames: int) -> int:
    return 2 * frames * (p["C"] // p["PE"]) * (p["K"] // p["SIMD"])  # vvau_params draws 2 windows per frame


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("i", [0, 2, 3, 7, 8])
def test_vvau_full_rate(i, tmp_path):
    """No gaps, no backpressure: one input word per cycle, so the run lasts its words plus the latency."""
    p = GRIDS["vvau"][i]
    res = run_core("vvau", p, "icarus", tmp_path, seed=i, gap=0.0, backpressure=0.0, frames=8, drain=0)
    _check(res)
    beats = _vvau_cycles(p, 8)
    assert beats <= res["cycles"] <= beats + 16, (res["cycles"], beats)


def test_dw_model_is_the_golden_kernel():
    """The cores' model (windows in the SWU's depthwise order x per-channel taps) equals golden's depthwise conv."""
    rng = np.random.default_rng(3)
    x = rng.integers(-8, 8, size=(2, 7, 6, 4))
    w = rng.integers(-4, 4, size=(4, 3, 3))
    b = rng.integers(-9, 9, size=4)
    for stride, pad in (((1, 1), (1, 1, 1, 1)), ((2, 1), (0, 1, 1, 0))):
        want = ops.depthwise_conv2d(x, w, b, stride, pad)
        cols = ops.im2col(x, (3, 3), stride, pad)  # [N, Ho, Wo, K*C] in (kh, kw, c) order
        win = cols.reshape(-1, 9, 4)
        got = dw_reference(win, w.reshape(4, 9), b).reshape(want.shape)
        assert np.array_equal(got, want)


def test_vvau_weight_layout():
    """ROM word cf*TF+tf, field s*PE+p holds W[cf*PE+p, tf*SIMD+s]: the layout of the input words (dw_order)."""
    c, k, pe, simd = 6, 9, 3, 3
    w = np.arange(c * k).reshape(c, k)
    f = vvau_weight_fields(w, pe, simd)
    assert f.shape == (c // pe * k // simd, pe * simd)
    assert f[1 * 3 + 2, 1 * pe + 0] == w[3 + 0, 2 * simd + 1]
    # the input stream of one window whose element (tap t, channel c) is W[c, t] lines up with the ROM
    win = w.T[None]  # [1, K, C]
    assert np.array_equal(dw_order(win, pe, simd), f.reshape(-1))


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_vvau_mismatch_is_reported(tmp_path):
    """The checker is not vacuous: a wrong expected accumulator is caught and named."""
    case = make_case("vvau", GRIDS["vvau"][0], tmp_path)
    bad = list(case.out_words)
    bad[7] ^= 1 << 3
    res = build_and_test(simulator="icarus", sources=core_files("qnn_vvau"), toplevel="qnn_vvau",
                         parameters=case.params, test_module="sim.tb.tb_core", build_dir=tmp_path / "b",
                         config={"in_words": case.in_words, "out_words": bad, "gap": 0.3, "backpressure": 0.3,
                                 "seed": 0})
    assert not res["ok"] and res["mismatch"]["word"] == 7
