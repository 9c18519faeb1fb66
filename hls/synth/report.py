"""Parsing tool output: Yosys ``stat -json`` cell counts -> LUT/FF/BRAM/DSP; nextpnr logs -> fmax."""
from __future__ import annotations

import json
import re
from pathlib import Path

# cell-name patterns per family: what counts as a LUT, a flip-flop, a block RAM (with its weight), a DSP
_LUT = {"ice40": r"SB_LUT4", "ecp5": r"LUT4", "xilinx": r"LUT[1-6]"}
_FF = {"ice40": r"SB_DFF\w*", "ecp5": r"TRELLIS_FF", "xilinx": r"FD[RSCP]E?"}
_BRAM = {"ice40": {"SB_RAM40_4K": 1.0}, "ecp5": {"DP16KD": 1.0, "PDPW16KD": 1.0},
         "xilinx": {"RAMB36E1": 1.0, "RAMB18E1": 0.5}}
_SPRAM = {"ice40": r"SB_SPRAM256KA", "ecp5": r"^$", "xilinx": r"^$"}  # the UP5K's single-port RAMs, counted apart
_DSP = {"ice40": r"SB_MAC16", "ecp5": r"MULT18X18D|ALU54B", "xilinx": r"DSP48E1"}
_LUTRAM = {"ice40": r"^$", "ecp5": r"TRELLIS_DPR16X4", "xilinx": r"RAM\d+[XM]\w*|SRL\w+"}
_CARRY = {"ice40": r"SB_CARRY", "ecp5": r"CCU2C", "xilinx": r"CARRY4"}


def cells_from_stat(stat_json: Path, top: str) -> dict[str, int]:
    data = json.loads(Path(stat_json).read_text())
    mods = data.get("modules", {})
    m = data.get("design")  # totals over the hierarchy below the top (non-flattened flows)
    if not m or not m.get("num_cells_by_type"):
        m = mods.get("\\" + top) or mods.get(top) or next(iter(mods.values()))
    return {k.lstrip("\\"): int(v) for k, v in m.get("num_cells_by_type", {}).items()}


def summarize(cells: dict[str, int], family: str) -> dict:
    def count(pattern: str) -> int:
        rx = re.compile(rf"^(?:{pattern})$")
        return sum(n for c, n in cells.items() if rx.match(c))

    bram = sum(n * _BRAM[family].get(c, 0.0) for c, n in cells.items())
    return {"lut": count(_LUT[family]), "ff": count(_FF[family]), "bram": bram, "spram": count(_SPRAM[family]),
            "dsp": count(_DSP[family]),
            "lutram": count(_LUTRAM[family]), "carry": count(_CARRY[family]), "cells": sum(cells.values())}


_FMAX = re.compile(r"Max frequency for clock\s+'?([^':]+)'?:\s*([\d.]+)\s*MHz")


_LCS = re.compile(r"of (\d+) ICESTORM_LCs|Unable to place cell|not enough|too many", re.I)


def pnr_failure(text: str, luts: int) -> str:
    """A plain reason for a failed place and route."""
    m = re.search(r"of (\d+) ICESTORM_LCs", text)
    if m:
        return f"needs {m.group(1)} logic cells (LUT + carry), the device has {luts}"
    m = re.search(r"ERROR: (.*)", text)
    return m.group(1).strip() if m else "nextpnr failed"


def fmax_from_log(text: str) -> float | None:
    """The last 'Max frequency for clock' line (nextpnr prints one after placement and after routing)."""
    hits = _FMAX.findall(text)
    return float(hits[-1][1]) if hits else None


_CRIT_HEAD = re.compile(r"Critical path report for clock '?([^'\s]+)'? \(posedge -> posedge\)")
# "Info:  1.4  1.4  Source NAME" (nextpnr-ice40 0.4) or "Info:   clk-to-q  0.52  0.52 Source NAME" (newer)
_CRIT_CELL = re.compile(r"^(?:Info|Warning):\s+(?:[a-z-]+\s+)?[\d.]+\s+([\d.]+)\s+(Source|Net|Setup)\s+(\S+)", re.I)
_INSTANCE = re.compile(r"(?:^|\.)u_top\.(u_[A-Za-z0-9_]+)|^(u_[A-Za-z0-9_]+)\.")


def _instance(name: str) -> str | None:
    """The qnn_top core instance a nextpnr cell or net name lies in (``u_<stage>``), else None."""
    m = _INSTANCE.search(name.replace("\\", ""))
    return (m.group(1) or m.group(2)) if m else None


def critical_path(text: str) -> dict | None:
    """The last clock-to-clock critical path in a nextpnr log: its delay, start, end and the core instances
    it runs through (in order), e.g. {"delay_ns": 6.1, "from": "u_Gemm_0_mvu", "to": "u_Gemm_0_mvu", ...}."""
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _CRIT_HEAD.search(ln)]
    if not starts:
        return None
    names, total = [], None
    for ln in lines[starts[-1] + 1:]:
        m = _CRIT_CELL.match(ln)
        if m:
            total = float(m.group(1))
            if m.group(2).lower() != "setup":
                names.append(m.group(3))
            continue
        if "ns logic" in ln or not ln.startswith(("Info:", "Warning:")):
            break
    insts = []
    for n in names:
        i = _instance(n)
        if i and (not insts or insts[-1] != i):
            insts.append(i)
    where = insts or ["(shell)"]
    return {"delay_ns": total, "from": where[0], "to": where[-1], "instances": insts,
            "start": names[0] if names else None, "end": names[-1] if names else None}
