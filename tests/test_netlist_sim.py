"""The synthesized netlist in simulation (``sim.netlist``): Yosys' mapped iCE40 ``qnn_top`` with Yosys' cell
models through the harness, bit-exact against the golden model; a netlist changed after synthesis is caught;
families whose block RAM has no model are skipped with the reason, never reported as a pass of something not run."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from rtl_helpers import make_run

from hls.rtlgen import generate_rtl
from qnn.errors import CheckFailed
from qnn.flow.steps import test_vectors as vectors_of
from sim.netlist import check_synth_netlist, defined_copy, unsupported_cells
from sim.tools import available

pytestmark = [pytest.mark.synth, pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """A small MLP (784-16-16-10, w2a2) in RTL, synthesized for the iCE40 UP5K (no place and route)."""
    from hls.synth.flow import synthesize

    tmp = tmp_path_factory.mktemp("netlist")
    run = make_run(tmp, hidden=(16, 16))
    generate_rtl(run.graph(), run.rtl_dir, target_cycles=196)
    rep = synthesize(run.rtl_dir, "ice40", tmp / "synth", device="up5k", pnr=False)
    return run, tmp / "synth", rep


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
def test_ice40_netlist_is_bit_exact(synthesized):
    run, synth_dir, rep = synthesized
    graph = run.graph()
    out = check_synth_netlist(run.rtl_dir, synth_dir, graph, vectors_of(run, graph, 12), simulator="verilator")
    assert out["ok"] and out["exact"] == out["vectors"] == 12 and "skipped" not in out, out
    assert out["throughput_exact"] == out["throughput_vectors"] >= 1
    saved = json.loads((synth_dir / "synth_ice40.json").read_text())["netlist_sim"]
    assert saved["exact"] == 12 and not (synth_dir / "netlist_build").exists()


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
def test_a_changed_netlist_is_caught(synthesized, tmp_path):
    """Every LUT of the first layer inverted after synthesis: the netlist no longer computes the network."""
    run, synth_dir, rep = synthesized
    bad_dir = tmp_path / "synth"
    shutil.copytree(synth_dir, bad_dir, ignore=shutil.ignore_patterns("netlist_*"))
    nl = bad_dir / "qnn_top_ice40_netlist.v"
    text, n = re.subn(r"(SB_LUT4 #\(\s*\.LUT_INIT\(16'h)([0-9a-f]{4})(\)\s*\)\s*\\u_Gemm_0_mvu)",
                      lambda m: m.group(1) + f"{0xFFFF ^ int(m.group(2), 16):04x}" + m.group(3), nl.read_text())
    assert n > 10
    nl.write_text(text)
    report = json.loads((bad_dir / "synth_ice40.json").read_text())
    report["netlist_verilog"] = str(nl)
    (bad_dir / "synth_ice40.json").write_text(json.dumps(report))
    graph = run.graph()
    try:
        out = check_synth_netlist(run.rtl_dir, bad_dir, graph, vectors_of(run, graph, 3), simulator="verilator")
    except CheckFailed as e:  # the changed control logic stalls or adds words: also a failed check
        assert "RTL simulation (verilator" in str(e)
        return
    assert not out["ok"] and out["exact"] < 3 and "differs from the golden model" in out["message"]


def test_black_box_cells_and_undefined_inits(tmp_path):
    nl = tmp_path / "n.v"
    nl.write_text("module qnn_top;\n  TRELLIS_DPR16X4 #(\n    .INITVAL(64'hxxxxxxxxxxxxxxxx)\n  ) r ();\n"
                  "  DP16KD #(.REGMODE_A(\"NOREG\")) b ();\n  LUT4 #(.INIT(16'h1x2X)) l ();\nendmodule\n")
    assert unsupported_cells(nl, "ecp5") == ["DP16KD"] and unsupported_cells(nl, "ice40") == []
    text = defined_copy(nl).read_text()
    assert "64'h0000000000000000" in text and "16'h1020" in text and "x" not in text.split("INITVAL")[1][:25]
