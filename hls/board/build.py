"""From a run to a bitstream: ``build_board(run, "icebreaker")`` -> RUN/board/icebreaker/.

1. fold for the board's device (``hls.rtlgen.fit.fit_target``, the same model as ``qnn rtl --fit``) and
   generate the design into ``rtl/`` beside the shell sources and ``board_top.v``;
2. choose the PLL clock (``--freq``, else the board's default) with a UART divisor within tolerance;
3. Yosys on ``board_top``, nextpnr at the PLL clock with the PCF / LPF; if the routed fmax is below
   the clock, lower the clock to what was met (at most ``ATTEMPTS`` times; with ``--freq`` given, fail);
4. pack the bitstream; write ``board.json`` (clock, PLL, UART divisor, resources, commands).
``pnr=False`` stops after step 2 (sources only: what the simulated board needs).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from hls.board.boards import Board, board_named
from hls.board.pll import baud_divisor, choose_clock
from hls.board.top import BOARD_RTL, SHELL_SOURCES, TOP, constraints, design_id, geometry, write_board_top
from hls.rtlgen import generate_rtl
from hls.rtlgen.fit import fit_target
from hls.synth.devices import device_named
from qnn.errors import QnnError
from qnn.run import Run
from qnn.util.atomic import atomic_write_text

ATTEMPTS = 3
MARGIN = 0.95  # after a miss, the next clock is at most this fraction of the fmax just routed
TIMEOUT_S = 0.02  # a frame is dropped after 20 ms without a byte
BOARD_JSON = "board.json"


def board_dir(run: Run, board: Board) -> Path:
    return run.path / "board" / board.name


def load_board(run: Run, name: str) -> dict:
    p = board_dir(run, board_named(name)) / BOARD_JSON
    if not p.is_file():
        raise QnnError(f"run {run.path} has no {name} build: run `qnn board {run.path} --board {name}` first")
    info = json.loads(p.read_text())
    info["dir"] = str(p.parent)
    return info


def _write_top(out: Path, board: Board, geo, pll, baud: int, ident: int) -> dict:
    cpb, err = baud_divisor(pll.f_out, baud)
    timeout = int(pll.f_out * 1e6 * TIMEOUT_S)
    atomic_write_text(out / "rtl" / "board_top.v", write_board_top(board, geo, pll, cpb, timeout, ident, baud))
    name, text = constraints(board)
    atomic_write_text(out / name, text)
    return {"clock_mhz": pll.f_out, "pll": {"family": pll.family, "f_in": pll.f_in, "f_vco": pll.f_vco,
                                            **pll.params},
            "baud": baud, "cycles_per_bit": cpb, "baud_error": err, "timeout_cycles": timeout, "constraints": name}


def build_board(run: Run, name: str, freq_mhz: float | None = None, baud: int = 115200, pnr: bool = True,
                timeout: int = 3600, log=lambda msg: None, target_cycles: int | None = None,
                memory: dict | None = None) -> dict:
    """Build RUN/board/<name>/ (see the module docstring); returns what board.json records.

    ``target_cycles`` folds for that many cycles per inference instead of the fastest folding that fits
    (the UART needs milliseconds per vector: a slower, smaller folding costs no throughput and routes faster).
    ``memory`` fixes weight memory styles ({layer: auto|bram|lut|spram}); the fit may add SPRAM on the UP5K."""
    board = board_named(name)
    dev = device_named(board.device)
    graph = run.graph()
    if target_cycles:
        target, est = target_cycles, None
        mem = dict(memory or {})
        log(f"folding for {target} cycles/inference (--target-cycles)")
    else:
        target, _, est = fit_target(graph, dev, memory)
        mem = est.memory
        log(f"fit {dev.name}: {target} cycles/inference, estimated ~{est.lut:.0f} LUTs, {est.bram:g} block RAMs"
            + (f", {est.spram:g} SPRAMs (weights of {', '.join(k for k, v in est.memory.items() if v == 'spram')}, "
               "loaded over the UART)" if est.spram else ""))
    with run.step(f"board/{board.name}") as out:
        if any(v == "spram" for v in mem.values()) and not dev.sprams:
            raise QnnError(f"--memory spram: the {board.name}'s {dev.name} has no SPRAM (only the iCE40 UP5K has)")
        design = generate_rtl(graph, out / "rtl", None, target, mem, lean=dev.family == "ice40")
        for s in SHELL_SOURCES:
            shutil.copy(BOARD_RTL / s, out / "rtl" / s)
        geo = geometry(design)
        ident = design_id(out / "rtl")
        pll = choose_clock(board.family, board.osc_mhz, freq_mhz or board.default_mhz, baud)
        info = {"board": board.name, "device": dev.name, "family": board.family, "top": TOP,
                "sources": [*design.sources, *SHELL_SOURCES, "board_top.v"], "geometry": geo.to_dict(),
                "design_id": f"{ident:08x}", "target_cycles": target, "ideal_cycles": design.ideal_cycles,
                "folding": design.folding,
                "estimate": {"lut": round(est.lut), "ff": round(est.ff), "bram": est.bram, "spram": est.spram,
                             "memory": est.memory} if est else None,
                "attempts": [], "program": None, "bitstream": None}
        info.update(_write_top(out, board, geo, pll, baud, ident))
        if pnr:
            info.update(_implement(out, board, dev, geo, pll, baud, ident, info, explicit=freq_mhz is not None,
                                   timeout=timeout, log=log))
        atomic_write_text(out / BOARD_JSON, json.dumps(info, indent=2))
    return info


def _implement(out: Path, board: Board, dev, geo, pll, baud: int, ident: int, info: dict, explicit: bool,
               timeout: int, log) -> dict:
    from hls.board.pnr import pack, place_route
    from hls.synth.flow import fit_problems, synthesize_sources

    rtl = out / "rtl"
    sources = [rtl / s for s in info["sources"]]
    for attempt in range(1, ATTEMPTS + 1):
        info.update(_write_top(out, board, geo, pll, baud, ident))
        log(f"yosys synth_{board.family} board_top (clock {pll.f_out:g} MHz)")
        syn = synthesize_sources(sources, TOP, board.family, out, cwd=rtl, netlist=True, timeout=timeout,
                                 defines=("QNN_WEIGHT_LOAD",) if geo.wl_words else ())
        probs = fit_problems(syn, dev)
        if probs:
            raise QnnError(f"does not fit {board.name} ({dev.name}): {', '.join(probs)}")
        log(f"nextpnr-{board.family} at {pll.f_out:g} MHz (attempt {attempt})")
        pr = place_route(dev, out, Path(syn["netlist"]).name, info["constraints"], pll.f_out, timeout)
        info["attempts"].append({"clock_mhz": pll.f_out, "fmax_mhz": pr["fmax_mhz"], "pnr_s": pr["pnr_s"]})
        if pr["fmax_mhz"] >= pll.f_out:
            break
        if explicit or attempt == ATTEMPTS:
            raise QnnError(f"timing not met on {board.name}: fmax {pr['fmax_mhz']:.1f} MHz < the PLL clock "
                           f"{pll.f_out:g} MHz" + (f"; try --freq {int(pr['fmax_mhz'] * MARGIN)}" if explicit else
                                                  f" after {ATTEMPTS} attempts"))
        pll = choose_clock(board.family, board.osc_mhz, pr["fmax_mhz"] * MARGIN, baud)
        log(f"fmax {pr['fmax_mhz']:.1f} MHz: retrying at {pll.f_out:g} MHz")
    bit, pack_cmd = pack(dev, out, timeout)
    return {"resources": {k: syn[k] for k in ("lut", "ff", "bram", "spram", "dsp", "carry", "cells")},
            "utilization": pr["utilization"], "fmax_mhz": pr["fmax_mhz"], "timing_met": True,
            "critical_path": pr["critical_path"], "pnr_command": pr["pnr_command"], "pack_command": pack_cmd,
            "bitstream": bit, "bitstream_bytes": (out / bit).stat().st_size,
            "program": board.program.format(bit=f"{board_dir_hint(out, board)}/{bit}")}


def board_dir_hint(tmp: Path, board: Board) -> str:
    """The final folder of a build being written in ``tmp`` (RUN/board/<name>)."""
    return str(tmp.parent / board.name)

