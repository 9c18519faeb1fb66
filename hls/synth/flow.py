"""The synthesis flow: Yosys for resources, a device fit check, then nextpnr for fmax.

``synthesize(rtl_dir, target, out_dir)``:
1. Yosys ``synth_<family>`` on the bare ``qnn_top`` -> LUT/FF/BRAM/DSP (what the network costs);
2. if a device was chosen, compare with its capacity and say plainly what does not fit;
3. where an open device model exists (iCE40, ECP5) and the design fits, synthesize ``qnn_pnr_shell``
   (the top behind a few-pin serial shell) and run nextpnr for the achieved fmax.
The report (``synth_<target>.json``) records the commands, so a figure can be reproduced.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

from hls.rtlgen.design import load_design
from hls.rtlgen.generate import RTL_DIR
from hls.synth import ecp5_outreg
from hls.synth.devices import DEFAULT_DEVICE, DEVICES, Device, nextpnr_command, synth_command
from hls.synth.report import cells_from_stat, critical_path, fmax_from_log, pnr_failure, summarize
from qnn.errors import QnnError
from qnn.util.atomic import atomic_write_text

FAMILIES = ("ice40", "ecp5", "xilinx")


def _run(cmd: list[str], cwd: Path, log: Path, timeout: int) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise QnnError(f"{cmd[0]} did not finish within {timeout} s; see {log}") from None
    except FileNotFoundError:
        raise QnnError(f"{cmd[0]} not found: install yosys / nextpnr (apt-get install yosys nextpnr-ice40)") from None
    log.write_text(p.stdout)
    return p


def _param_cmd(top: str, params: dict) -> str:
    out = []
    for k, v in params.items():
        val = f'"{v}"' if isinstance(v, str) else str(int(v))
        out.append(f"chparam -set {k} {val} {top}")
    return "\n".join(out)


def synthesize_sources(sources: list[Path], top: str, family: str, out_dir: Path, params: dict | None = None,
                       cwd: Path | None = None, netlist: bool = False, timeout: int = 3600, dsp: bool = False,
                       defines: tuple[str, ...] = (), verilog: bool = False) -> dict:
    """Yosys synthesis of ``top``; returns resource counts, the cell list and the command.  ``defines``: Verilog
    macros to set (``QNN_WEIGHT_LOAD``: the design's weight-load port goes to the place-and-route shell's pins);
    ``verilog``: also write the mapped netlist as Verilog (``<top>_<family>_netlist.v``, for ``sim.netlist``)."""
    if family not in FAMILIES:
        raise QnnError(f"unknown target {family!r}: choose one of {', '.join(FAMILIES)}")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    stat = out_dir / f"{top}_{family}_stat.json"
    js = out_dir / f"{top}_{family}.json"
    nv = out_dir / f"{top}_{family}_netlist.v"
    # ECP5: block RAM memories of the cores with the RAM's output register (hls/synth/ecp5_outreg.py)
    define = f"-D {ecp5_outreg.DEFINE} " if family == "ecp5" else ""
    define += "".join(f"-D {d} " for d in defines)
    synth = (ecp5_outreg.synth_script(top, synth_command(family, dsp), out_dir) if family == "ecp5"
             else [f"{synth_command(family, dsp)} -top {top}"])
    script = "\n".join([
        *(f"read_verilog {define}-defer {Path(s).resolve()}" for s in sources),
        _param_cmd(top, params or {}),
        f"hierarchy -top {top}",
        *synth,
        f"tee -q -o {stat} stat -json",
        f"write_json {js}" if netlist else "",
        f"write_verilog -noattr {nv}" if verilog else "",
    ])
    ys = out_dir / f"{top}_{family}.ys"
    ys.write_text(script + "\n")
    log = out_dir / f"{top}_{family}_yosys.log"
    t0 = time.perf_counter()
    p = _run(["yosys", "-q", "-s", str(ys)], cwd or out_dir, log, timeout)
    if p.returncode != 0 or not stat.is_file():
        tail = "\n".join(p.stdout.splitlines()[-15:])
        raise QnnError(f"yosys failed on {top} for {family}; see {log}:\n{tail}")
    cells = cells_from_stat(stat, top)
    return {"family": family, "top": top, **summarize(cells, family), "cell_types": cells,
            "yosys_s": round(time.perf_counter() - t0, 1), "script": str(ys),
            "netlist": str(js) if netlist else None, "netlist_verilog": str(nv) if verilog else None}


def fit_problems(res: dict, dev: Device) -> list[str]:
    probs = []
    for key, cap, what in (("lut", dev.luts, "LUTs"), ("ff", dev.ffs, "flip-flops"), ("bram", dev.brams, "block RAMs"),
                           ("dsp", dev.dsps, "DSPs"), ("spram", dev.sprams, "SPRAMs")):
        if res.get(key, 0) > cap:
            probs.append(f"{res[key]:g} {what} > {cap:g}")
    return probs


def place_and_route(rtl_dir: Path, design, dev: Device, out_dir: Path, freq_mhz: float, timeout: int,
                    dsp: bool = False) -> dict:
    cmd = nextpnr_command(dev.family)
    if cmd is None:
        return {"fmax_mhz": None, "pnr": f"nextpnr-{dev.family} not installed (apt-get install nextpnr-{dev.family}"
                                         f" or pip install yowasp-nextpnr-{dev.family})"}
    shell = synthesize_sources(design.source_paths() + [RTL_DIR / "qnn_pnr_shell.v"], "qnn_pnr_shell", dev.family,
                               out_dir, {"IN_W": design.in_width, "OUT_W": design.out_width}, cwd=rtl_dir,
                               netlist=True, timeout=timeout, dsp=dsp,
                               defines=("QNN_WEIGHT_LOAD",) if design.weight_load_words else ())
    log = out_dir / f"nextpnr_{dev.name}.log"
    # relative to out_dir: the YoWASP build only sees the working directory and below
    args = [*cmd, *dev.pnr_args, "--json", Path(shell["netlist"]).name, "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
            "--seed", "1"]
    if dev.family == "ecp5":
        args.append("--lpf-allow-unconstrained")
    t0 = time.perf_counter()
    p = _run(args, out_dir, log, timeout)
    fmax = fmax_from_log(p.stdout)
    res = {"fmax_mhz": fmax, "pnr_s": round(time.perf_counter() - t0, 1), "pnr_command": shlex.join(args),
           "shell_lut": shell["lut"], "shell_ff": shell["ff"], "critical_path": critical_path(p.stdout)}
    if p.returncode != 0 or fmax is None:
        res["fmax_mhz"] = None
        res["pnr"] = f"place and route failed on {dev.family} {dev.name}: {pnr_failure(p.stdout, dev.luts)} (log: {log})"
    else:
        res["pnr"] = "ok"
    return res


def synthesize(rtl_dir: str | Path, target: str, out_dir: str | Path, device: str | None = None, pnr: bool = True,
               freq_mhz: float | None = None, timeout: int = 3600, dsp: bool = False) -> dict:
    """Synthesize the generated design in ``rtl_dir`` for ``target``; write and return the report."""
    rtl_dir = Path(rtl_dir).resolve()
    design = load_design(rtl_dir)
    if target not in FAMILIES:
        raise QnnError(f"unknown target {target!r}: choose one of {', '.join(FAMILIES)}")
    dev_name = device or DEFAULT_DEVICE[target]
    dev = DEVICES.get(dev_name)
    if dev is None or dev.family != target:
        names = [d.name for d in DEVICES.values() if d.family == target]
        raise QnnError(f"device {dev_name!r} is not a {target} device; choose one of {names}")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    res = synthesize_sources(design.source_paths(), design.top, target, out_dir, cwd=rtl_dir, timeout=timeout, dsp=dsp,
                             verilog=True)
    report = {"target": target, "device": dev.name,
              **{k: res[k] for k in ("lut", "ff", "bram", "spram", "dsp", "lutram", "carry", "cells")},
              "cell_types": res["cell_types"], "yosys_s": res["yosys_s"], "yosys_script": res["script"],
              "dsp_inference": dsp, "netlist_verilog": res["netlist_verilog"],
              "folding": design.folding, "ideal_cycles": design.ideal_cycles,
              "capacity": {"lut": dev.luts, "ff": dev.ffs, "bram": dev.brams, "dsp": dev.dsps, "spram": dev.sprams}}
    probs = fit_problems(res, dev)
    report["fits"] = not probs
    report["fit_message"] = ("fits" if not probs else
                             f"does not fit {target} {dev.name}: " + ", ".join(probs) +
                             "; fold further (--target-cycles higher / smaller PE, SIMD) or pick a larger device")
    report["fmax_mhz"] = None
    if pnr and dev.pnr_args and not probs:
        report.update(place_and_route(rtl_dir, design, dev, out_dir,
                                      freq_mhz or (12.0 if target == "ice40" else 50.0), timeout, dsp))
        if report["fmax_mhz"] is None and "logic cells" in report["pnr"]:
            report["fits"] = False
            report["fit_message"] = f"does not fit {target} {dev.name}: " + report["pnr"].split(": ", 1)[1]
    elif not dev.pnr_args:
        report["pnr"] = f"no open place-and-route model for {target}: resources from Yosys only"
    elif probs:
        report["pnr"] = "skipped: " + report["fit_message"]
    else:
        report["pnr"] = "skipped (pnr disabled)"
    report.update(performance(design, report, rtl_dir))
    atomic_write_text(out_dir / f"synth_{target}.json", json.dumps(report, indent=2))
    return report


def performance(design, report: dict, rtl_dir: Path) -> dict:
    """Throughput, latency and MAC density from fmax, the ideal cycles per inference and (when a simulation
    of the design has run: RUN/sim/<simulator>/result.json) its measured latency in cycles."""
    cycles = design.ideal_cycles
    macs = sum(ly["macs"] for ly in design.layers)
    fmax = report.get("fmax_mhz")
    lat = None
    for sim in ("verilator", "icarus"):
        f = rtl_dir.parent / "sim" / sim / "result.json"
        if f.is_file():
            try:
                lat = json.loads(f.read_text()).get("latency_cycles")
            except (OSError, ValueError):
                lat = None
            if lat:
                break
    per_cycle = macs / cycles if cycles else None
    return {"cycles_per_inference": cycles, "macs_per_inference": macs, "latency_cycles": lat,
            "inferences_per_s": fmax * 1e6 / cycles if fmax and cycles else None,
            "latency_us": lat / fmax if fmax and lat else None,
            "macs_per_cycle_per_klut": per_cycle / (report["lut"] / 1000) if per_cycle and report.get("lut") else None}
