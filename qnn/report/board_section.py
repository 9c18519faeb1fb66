"""The report's board section: each RUN/board/<board>/ build (clock, resources, bitstream) and its
simulated-board check (qnn.board)."""
from __future__ import annotations

import json
from pathlib import Path

from qnn.report.document import Block, Code, Heading, Table


def _json(p: Path) -> dict:
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return {}


def board_blocks(run) -> list[Block]:
    rows, cmds = [], []
    for f in sorted((run.path / "board").glob("*/board.json")):
        b = _json(f)
        if not b:
            continue
        r = b.get("resources") or {}
        sim = _json(f.parent / "run_sim.json")
        s = sim.get("sim") or {}
        rows.append([b.get("board"), b.get("device"), f"{b.get('clock_mhz', 0):g}",
                     f"{b['fmax_mhz']:.1f}" if b.get("fmax_mhz") else "-", r.get("lut", "-"), r.get("ff", "-"),
                     r.get("bram", "-"), f"{b['bitstream']} ({b.get('bitstream_bytes', 0):,} B)" if b.get("bitstream") else "-",
                     f"{sim.get('exact')}/{sim.get('vectors')}" if sim else "-",
                     f"{s['board_vectors_per_s']:.1f}" if s.get("board_vectors_per_s") else "-"])
        if b.get("program"):
            cmds.append(b["program"])
    if not rows:
        return []
    out: list[Block] = [Heading("Boards (UART shell, bitstream)"),
                        Table(["board", "device", "clock MHz", "fmax MHz", "LUT", "FF", "BRAM", "bitstream",
                               "simulated board exact", f"vectors/s at {b.get('baud')} baud"], rows)]
    if cmds:
        out.append(Code("\n".join(cmds)))
    return out
