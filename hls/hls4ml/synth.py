"""Optional C synthesis with the vendor HLS tool, when it is installed (it is not part of the open tool flow).

The project's ``build_prj.tcl`` (hls4ml's) runs C simulation with our testbench, then C synthesis; hls4ml's report
parser reads latency, initiation interval and resources back. How the script is started depends on the tool:

- Vitis backend: ``vitis_hls -f build_prj.tcl`` (Vitis HLS up to 2023.2) or ``vitis-run --tcl build_prj.tcl
  --mode hls`` (2024.1 on, what hls4ml 1.3 itself calls); both read the steps from ``build_opt.tcl``;
- Vivado backend: ``vivado_hls -f build_prj.tcl "csim=1 synth=1 ..."`` (steps as arguments).

Without the tool, ``synthesis_skip_reason`` says why nothing was run.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hls.hls4ml.options import HlsOptions
from qnn.errors import QnnError

TOOLS = {"vitis": ("vitis_hls", "vitis-run"), "vivado": ("vivado_hls",)}
STEPS = {"reset": 1, "csim": 1, "synth": 1, "cosim": 0, "validation": 0, "export": 0, "vsynth": 0, "fifo_opt": 0}
REPORT_KEYS = ("BestLatency", "WorstLatency", "IntervalMin", "IntervalMax", "EstimatedClockPeriod", "TargetClockPeriod",
               "BRAM_18K", "DSP", "FF", "LUT", "URAM", "AvailableBRAM_18K", "AvailableDSP", "AvailableFF",
               "AvailableLUT", "AvailableURAM")


def find_tool(options: HlsOptions) -> str | None:
    return next((t for t in TOOLS[options.backend] if shutil.which(t)), None)


def synthesis_skip_reason(options: HlsOptions) -> str | None:
    """None if the backend's HLS tool is on PATH, else a one-line reason for skipping synthesis."""
    if find_tool(options):
        return None
    names = " / ".join(TOOLS[options.backend])
    other = next((b for b in TOOLS if b != options.backend and any(shutil.which(t) for t in TOOLS[b])), None)
    hint = f" (the {other} tool is: use --backend {other})" if other else ""
    return f"skipping C synthesis: {names} is not on PATH{hint}; the project is ready for it on a machine that has it"


def command(tool: str) -> list[str]:
    if tool == "vitis-run":
        return [tool, "--tcl", "build_prj.tcl", "--mode", "hls"]
    if tool == "vivado_hls":
        return [tool, "-f", "build_prj.tcl", " ".join(f"{k}={v}" for k, v in STEPS.items())]
    return [tool, "-f", "build_prj.tcl"]


def write_build_options(prj: Path) -> None:
    lines = ["array set opt {"] + [f"    {k:<10} {v}" for k, v in STEPS.items()] + ["}", ""]
    (prj / "build_opt.tcl").write_text("\n".join(lines))


def synthesize(prj: Path, options: HlsOptions, timeout: float | None = None) -> dict:
    """Run C simulation + C synthesis in ``prj`` and return the parsed report (latency, II, resources)."""
    tool = find_tool(options)
    if tool is None:
        raise QnnError(synthesis_skip_reason(options))
    write_build_options(prj)
    with open(prj / "synth.log", "w") as f:
        p = subprocess.run(command(tool), cwd=prj, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    if p.returncode != 0:
        raise QnnError(f"{tool} failed (exit {p.returncode}); see {prj / 'synth.log'}")
    return parse_report(prj)


def parse_report(prj: Path) -> dict:
    from hls4ml.report import parse_vivado_report

    from hls.hls4ml.model import quiet

    with quiet():
        report = parse_vivado_report(str(prj)) or {}
    csynth = report.get("CSynthesisReport")
    if not csynth:
        raise QnnError(f"no C synthesis report found under {prj}; see {prj / 'synth.log'}")
    return {k: csynth[k] for k in REPORT_KEYS if k in csynth}
