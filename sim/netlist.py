"""The synthesized netlist in simulation, compared with the golden model on every vector.

RTL simulation proves the Verilog; it cannot see a synthesis step that changes behaviour (a block RAM mapped with
its read register in the wrong place, a memory split in depth whose bank select is a cycle early, an optimisation
bug).  Here Yosys' mapped ``qnn_top`` (``RUN/synth/<target>/qnn_top_<family>_netlist.v``: LUTs, carry cells,
flip-flops and block RAMs as the vendor primitives, ROM contents inside their INIT parameters) runs with Yosys' own
simulation models of those cells (``share/yosys/<family>/cells_sim.v``) in the same harness as the RTL: random
input gaps and output backpressure, drained for extra words, every output checked (``sim.network.simulate``).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnn.errors import QnnError

FAMILIES = ("ice40", "ecp5", "xilinx")
# the cell models' own macros: Icarus 11 cannot parse the default values iCE40's model gives some input ports
DEFINES = ("QNN_NETLIST", "NO_ICE40_DEFAULT_ASSIGNMENTS")


def yosys_share() -> Path:
    """Yosys' data folder (``yosys-config --datdir``; Debian: /usr/share/yosys)."""
    exe = shutil.which("yosys")
    if exe is None:
        raise QnnError("yosys not found: the netlist simulation needs its cell models (apt-get install yosys)")
    share = Path(exe).resolve().parent.parent / "share" / "yosys"
    if not share.is_dir():
        raise QnnError(f"Yosys' data folder {share} is missing: reinstall yosys")
    return share


# Families whose netlist simulation has been shown bit-exact here (ECP5: its block RAM has no model, below; an ECP5
# netlist of LUTs and flip-flops only has not been tried yet)
VALIDATED = ("ice40",)
# Cells whose Yosys 0.23 model is a black box (no behaviour): a netlist with them cannot be simulated
BLACK_BOXES = {"ecp5": ("DP16KD", "PDPW16KD", "MULT18X18D", "ALU54B", "EHXPLLL"), "xilinx": ()}
_UNDEFINED = re.compile(r"(\d+'h)([0-9a-fA-F]*[xX][0-9a-fA-FxX]*)")


def unsupported_cells(netlist: Path, family: str) -> list[str]:
    """The black-box cells (no simulation model) that ``netlist`` instantiates."""
    text = Path(netlist).read_text()
    return [c for c in BLACK_BOXES.get(family, ()) if re.search(rf"^\s*{c}\b", text, re.M)]


def defined_copy(netlist: Path) -> Path:
    """The netlist with undefined (x) initial values of memories and LUT RAMs as 0, as nextpnr writes them into the
    bitstream (a 4-state simulator would otherwise carry the x of a never-written FIFO slot through the logic)."""
    out = netlist.with_name(netlist.stem + "_defined.v")
    out.write_text(_UNDEFINED.sub(lambda m: m.group(1) + re.sub("[xX]", "0", m.group(2)), netlist.read_text()))
    return out


@dataclass(frozen=True)
class Netlist:
    """A synthesized ``qnn_top`` and the family whose cell models it needs."""

    path: Path
    family: str

    def sources(self) -> list[Path]:
        if self.family not in FAMILIES:
            raise QnnError(f"no cell models for target {self.family!r}: choose one of {', '.join(FAMILIES)}")
        if not self.path.is_file():
            raise QnnError(f"netlist {self.path} not found: run `qnn synth` first")
        return [defined_copy(self.path), yosys_share() / self.family / "cells_sim.v"]

    def include_dirs(self) -> list[Path]:
        return [yosys_share() / self.family]  # cells_sim.v includes its neighbours (ECP5: cells_ff.vh, cells_io.vh)


def simulate_netlist(rtl_dir: str | Path, netlist: str | Path, family: str, graph, q: np.ndarray, *,
                     work_dir: str | Path, build_dir: str | Path, simulator: str = "verilator", gap: float = 0.2,
                     backpressure: float = 0.3, seed: int = 0, jobs: int = 1, progress=None):
    """Run the netlist of the design in ``rtl_dir`` on ``q`` (integer inputs) and compare with the golden model;
    returns the ``SimResult`` (``ok`` False on any difference; no layer probe: the taps are not in the netlist)."""
    from sim.network import simulate

    return simulate(rtl_dir, graph, q, simulator=simulator, work_dir=work_dir, gap=gap, backpressure=backpressure,
                    throughput_vectors=min(4, len(q)), seed=seed, build_dir=build_dir, progress=progress, jobs=jobs,
                    netlist=Netlist(Path(netlist).resolve(), family))


def check_synth_netlist(rtl_dir: str | Path, synth_dir: str | Path, graph, q: np.ndarray, *,
                        simulator: str = "verilator", jobs: int = 1, progress=None) -> dict:
    """Simulate the netlist that ``hls.synth.synthesize`` wrote in ``synth_dir`` on ``q`` and record the result in
    its report (``synth_<target>.json``, key ``netlist_sim``); returns that summary (``ok`` False on a difference,
    ``message`` then names the first differing vector and output)."""
    import json

    from qnn.util.atomic import atomic_write_text

    synth_dir = Path(synth_dir)
    reports = sorted(synth_dir.glob("synth_*.json"))
    if not reports:
        raise QnnError(f"no synthesis report in {synth_dir}: run `qnn synth` first")
    report = json.loads(reports[0].read_text())
    if not report.get("netlist_verilog"):
        raise QnnError(f"{reports[0]} names no Verilog netlist: synthesize again with this version (`qnn synth`)")
    family = report["target"]
    missing = unsupported_cells(Path(report["netlist_verilog"]), family)
    if family not in VALIDATED or missing:
        why = (f"Yosys' {family} cell library has no simulation model of {', '.join(missing)}" if missing else
               f"the {family} netlist simulation is not validated")
        out = {"ok": True, "skipped": why, "summary": f"netlist simulation skipped: {why}"}
        report["netlist_sim"] = out
        atomic_write_text(reports[0], json.dumps(report, indent=2))
        return out
    build_dir = synth_dir / "netlist_build"
    res = simulate_netlist(rtl_dir, report["netlist_verilog"], family, graph, q, simulator=simulator,
                           work_dir=synth_dir / "netlist_work", build_dir=build_dir, jobs=jobs, progress=progress)
    shutil.rmtree(build_dir, ignore_errors=True)  # a build per netlist: nothing to reuse
    shutil.rmtree(synth_dir / "netlist_work", ignore_errors=True)
    Path(report["netlist_verilog"]).with_name(Path(report["netlist_verilog"]).stem + "_defined.v").unlink(missing_ok=True)
    out = {"ok": bool(res.ok), "simulator": simulator, "vectors": res.vectors, "exact": res.exact,
           "throughput_exact": res.throughput_exact, "throughput_vectors": res.throughput_vectors,
           "cycles_per_inference": res.cycles_per_inference, "build_s": res.build_s, "sim_s": res.sim_s,
           "gap": res.gap, "backpressure": res.backpressure}
    if not res.ok:
        from qnn.checks import rtl_mismatch

        out["first_mismatch"] = res.first_mismatch()
        out["message"] = (rtl_mismatch(res, f"the synthesized {family} netlist ({simulator} with Yosys' cell models)")
                          + "; the RTL is not what was built: report it with the run's synth folder")
    out["summary"] = f"netlist ({simulator}): {res.exact}/{res.vectors} bit-exact"
    report["netlist_sim"] = out
    atomic_write_text(reports[0], json.dumps(report, indent=2))
    return out
