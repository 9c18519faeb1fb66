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


def test_critical_path_named_by_instance():
    """The nextpnr critical path is reported with the core instances it runs through, in order."""
    from hls.synth.report import critical_path

    log = "\n".join([
        "Info: Critical path report for clock 'clk$glb_clk' (posedge -> posedge):",
        "Info: curr total",
        "Info:  1.4  1.4  Source u_top.u_fifo2.count_SB_DFFESR_Q_3_D_SB_LUT4_O_LC.O",
        "Info:  3.1  4.4    Net u_top.u_fifo2.count[2] budget 1.6 ns (12,26) -> (13,22)",
        "Info:                Sink u_top.u_fifo2.do_read_LC.I2",
        "Info:                Defined in:",
        "Info:                  qnn_fifo.v:40.18-40.23",
        "Info:  1.2  5.7  Source u_top.u_Gemm_0_rq.u_out.u_fifo.do_read_LC.O",
        "Info:  2.4  8.1    Net u_top.u_Gemm_0_mvu.acc[3] budget 1.6 ns (11,22) -> (11,24)",
        "Info: 3.0 ns logic, 5.1 ns routing",
        "Info: Critical path report for cross-domain path '<async>' -> 'posedge clk':",
        "Info:  9.9  9.9  Source sin$sb_io.D_IN_0",
    ])
    cp = critical_path(log)
    assert cp["delay_ns"] == 8.1
    assert cp["instances"] == ["u_fifo2", "u_Gemm_0_rq", "u_Gemm_0_mvu"]
    assert (cp["from"], cp["to"]) == ("u_fifo2", "u_Gemm_0_mvu")
    assert critical_path("no timing here") is None
