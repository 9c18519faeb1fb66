"""FPGA families and devices: the Yosys command, the nextpnr invocation and each device's capacity.

Capacities are the vendors' datasheet figures (LUT4/LUT6, flip-flops, block RAMs in the unit Yosys
maps to, DSP blocks), used to say clearly when a design cannot fit before place and route is tried.
"""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Device:
    name: str
    family: str  # ice40 | ecp5 | xilinx
    luts: int
    ffs: int
    brams: float
    dsps: int
    pnr_args: tuple[str, ...] = ()  # nextpnr device options (empty: no open place-and-route model)
    sprams: int = 0  # single-port RAMs beside the block RAMs (iCE40 UP5K: 4 x SB_SPRAM256KA, 16K x 16)


DEVICES: dict[str, Device] = {
    "up5k": Device("up5k", "ice40", 5280, 5280, 30, 8, ("--up5k", "--package", "sg48"), sprams=4),
    "hx8k": Device("hx8k", "ice40", 7680, 7680, 32, 0, ("--hx8k", "--package", "ct256")),
    "25k": Device("25k", "ecp5", 24288, 24288, 56, 28, ("--25k", "--package", "CABGA381")),
    "45k": Device("45k", "ecp5", 43848, 43848, 108, 72, ("--45k", "--package", "CABGA381")),
    "85k": Device("85k", "ecp5", 83640, 83640, 208, 156, ("--85k", "--package", "CABGA381")),
    "xc7a35t": Device("xc7a35t", "xilinx", 20800, 41600, 50, 90),
    "xc7a100t": Device("xc7a100t", "xilinx", 63400, 126800, 135, 240),
}
DEFAULT_DEVICE = {"ice40": "up5k", "ecp5": "85k", "xilinx": "xc7a100t"}
SYNTH_CMD = {"ice40": "synth_ice40", "ecp5": "synth_ecp5", "xilinx": "synth_xilinx -family xc7 -noiopad -flatten"}
# Low-bit products are cheaper in LUTs than in DSP blocks (Yosys would put even a 9x3-bit product into
# a DSP), so DSP inference is off by default and turned on with dsp=True (`qnn synth --dsp`).
DSP_FLAG = {"ice40": ("-dsp", ""), "ecp5": ("", "-nodsp"), "xilinx": ("", "-nodsp")}  # (with, without)


def device_named(name: str) -> Device:
    """A device by name; ``ecp5-85k`` / ``ice40-up5k`` spellings accepted."""
    from qnn.errors import QnnError

    key = name.lower().split("-", 1)[1] if name.lower().split("-", 1)[0] in ("ecp5", "ice40", "xilinx") else name.lower()
    if key not in DEVICES:
        raise QnnError(f"unknown device {name!r}: choose one of {', '.join(DEVICES)} (ecp5-85k style also works)")
    return DEVICES[key]


def synth_command(family: str, dsp: bool) -> str:
    flag = DSP_FLAG[family][0 if dsp else 1]
    return f"{SYNTH_CMD[family]} {flag}".strip()


def nextpnr_command(family: str) -> list[str] | None:
    """The nextpnr executable for a family: the Debian package, else the YoWASP wheel; None if absent."""
    name = f"nextpnr-{family}"
    if shutil.which(name):
        return [name]
    yw = Path(sys.executable).parent / f"yowasp-{name}"
    if yw.exists():
        return [str(yw)]
    if shutil.which(f"yowasp-{name}"):
        return [f"yowasp-{name}"]
    return None
