"""Yosys synthesis and nextpnr: one small core in the fast tests, a whole tiny network under ``slow``."""
from __future__ import annotations

import json
import shutil

import pytest

from hls.synth.devices import Device
from hls.synth.flow import fit_problems, synthesize, synthesize_sources
from hls.synth.report import fmax_from_log, pnr_failure, summarize
from sim.cores import GRIDS, core_files, make_case

needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")


@needs_yosys
def test_synthesize_one_core_ice40(tmp_path):
    case = make_case("mvu", GRIDS["mvu"][0], tmp_path)  # 2 PE x 3 SIMD, 4-bit x 3-bit, ROM from .mem
    res = synthesize_sources(core_files("qnn_mvu"), "qnn_mvu", "ice40", tmp_path / "synth", case.params)
    assert res["lut"] > 20 and res["ff"] > 20  # 6 multipliers, accumulators, counters
    assert res["dsp"] == 0
    assert sum(res["cell_types"].values()) == res["cells"]
    tiny = Device("tiny", "ice40", luts=10, ffs=10, brams=0, dsps=0)
    probs = fit_problems(res, tiny)
    assert any("LUTs > 10" in p for p in probs) and any("flip-flops > 10" in p for p in probs)


def test_report_parsing():
    log = "Info: Max frequency for clock 'clk': 40.12 MHz (PASS at 12.00 MHz)\n" \
          "Info: Max frequency for clock 'clk': 38.50 MHz (PASS at 12.00 MHz)\n"
    assert fmax_from_log(log) == 38.5
    assert fmax_from_log("nothing") is None
    assert "5873 logic cells" in pnr_failure("ERROR: Failed to expand region (0, 0) |_> (25, 31) of 5873 ICESTORM_LCs", 5280)
    s = summarize({"LUT4": 10, "TRELLIS_FF": 7, "DP16KD": 2, "MULT18X18D": 1, "CCU2C": 3}, "ecp5")
    assert (s["lut"], s["ff"], s["bram"], s["dsp"], s["carry"]) == (10, 7, 2.0, 1, 3)
    x = summarize({"LUT6": 4, "LUT2": 1, "FDRE": 5, "RAMB18E1": 3, "RAMB36E1": 1, "DSP48E1": 2}, "xilinx")
    assert (x["lut"], x["ff"], x["bram"], x["dsp"]) == (5, 5, 2.5, 2)


@pytest.mark.slow
@needs_yosys
def test_synthesize_tiny_network_with_pnr(tmp_path):
    from rtl_helpers import make_graph

    from hls.rtlgen import generate_rtl

    graph, _ = make_graph(tmp_path, hidden=(8,))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=800)
    rep = synthesize(tmp_path / "rtl", "ice40", tmp_path / "synth")
    assert rep["lut"] > 0 and rep["bram"] >= 0
    saved = json.loads((tmp_path / "synth" / "synth_ice40.json").read_text())
    assert saved["lut"] == rep["lut"]
    if rep["fits"] and shutil.which("nextpnr-ice40"):
        assert rep["fmax_mhz"] and rep["fmax_mhz"] > 5
