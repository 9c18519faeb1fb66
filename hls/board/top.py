"""Write ``board_top.v`` (PLL + reset synchronizer + ``qnn_board_shell``) and the pin constraints.

The board top is the one generated file: everything else is in ``hls/rtl/board``.  Under
`` `ifdef QNN_SIM`` the PLL is bypassed (the oscillator pin is the clock, lock is high) and the shell's
``busy`` comes out on ``sim_busy``, so the Verilator model of the board (``sim/board``) is this very file.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

from hls.board.boards import Board
from hls.board.pll import Pll
from hls.rtlgen.design import Design
from hls.rtlgen.encoding import SIGNED

TOP = "board_top"
SHELL_SOURCES = ("qnn_uart_rx.v", "qnn_uart_tx.v", "qnn_reset_sync.v", "qnn_board_shell.v")
BOARD_RTL = Path(__file__).resolve().parent.parent / "rtl" / "board"


@dataclass(frozen=True)
class Geometry:
    """How one vector travels: words and bytes per word each way (the shell's parameters)."""

    in_w: int
    in_words: int
    out_w: int
    out_words: int
    out_n: int
    out_ew: int
    out_signed: bool
    wl_words: int = 0  # 16-bit weight-load words before the first vector (SPRAM weights; 0: none)

    @property
    def in_wb(self) -> int:
        return (self.in_w + 7) // 8

    @property
    def out_wb(self) -> int:
        return (self.out_w + 7) // 8

    @property
    def request_bytes(self) -> int:
        return 5 + self.in_words * self.in_wb

    @property
    def reply_bytes(self) -> int:
        return 5 + self.out_words * self.out_wb

    def to_dict(self) -> dict:
        return {"in_w": self.in_w, "in_words": self.in_words, "out_w": self.out_w, "out_words": self.out_words,
                "out_n": self.out_n, "out_ew": self.out_ew, "out_signed": self.out_signed, "wl_words": self.wl_words}


def geometry(design: Design) -> Geometry:
    return Geometry(design.in_width, design.in_len // design.in_elems, design.out_width,
                    design.out_len // design.out_elems, design.out_elems, design.out_enc["bits"],
                    design.out_enc["mode"] == SIGNED, design.weight_load_words)


def design_id(rtl_dir: Path) -> int:
    """CRC-32 of the design (design.json, qnn_top.v and the ROM files): the info reply names the bitstream's."""
    crc = 0
    for f in sorted(Path(rtl_dir).iterdir()):
        if f.name == "design.json" or f.name == "qnn_top.v" or f.suffix == ".mem":
            crc = zlib.crc32(f.name.encode() + b"\0" + f.read_bytes(), crc)
    return crc


def _pll(board: Board, pll: Pll) -> list[str]:
    p = pll.params
    if board.family == "ice40":
        return [
            f"    // icepll -i {pll.f_in:g} -o {pll.f_out:g} -p: {pll.describe()}",
            "    SB_PLL40_PAD #(",
            '        .FEEDBACK_PATH("SIMPLE"),',
            f"        .DIVR(4'd{p['DIVR']}), .DIVF(7'd{p['DIVF']}), .DIVQ(3'd{p['DIVQ']}), "
            f".FILTER_RANGE(3'd{p['FILTER_RANGE']})",
            "    ) u_pll (",
            f"        .PACKAGEPIN({board.clock}), .PLLOUTCORE(clk), .LOCK(locked), .RESETB(1'b1), .BYPASS(1'b0)",
            "    );",
        ]
    return [
        f"    // ecppll -i {pll.f_in:g} -o {pll.f_out:g}: {pll.describe()}",
        f'    (* FREQUENCY_PIN_CLKI="{pll.f_in:g}" *)',
        f'    (* FREQUENCY_PIN_CLKOP="{pll.f_out:g}" *)',
        '    (* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)',
        "    EHXPLLL #(",
        '        .PLLRST_ENA("DISABLED"), .INTFB_WAKE("DISABLED"), .STDBY_ENABLE("DISABLED"), .DPHASE_SOURCE("DISABLED"),',
        '        .OUTDIVIDER_MUXA("DIVA"), .OUTDIVIDER_MUXB("DIVB"), .OUTDIVIDER_MUXC("DIVC"), .OUTDIVIDER_MUXD("DIVD"),',
        f'        .CLKI_DIV({p["CLKI_DIV"]}), .CLKOP_ENABLE("ENABLED"), .CLKOP_DIV({p["CLKOP_DIV"]}), '
        f'.CLKOP_CPHASE({p["CLKOP_CPHASE"]}), .CLKOP_FPHASE(0),',
        f'        .FEEDBK_PATH("CLKOP"), .CLKFB_DIV({p["CLKFB_DIV"]})',
        "    ) u_pll (",
        f"        .RST(1'b0), .STDBY(1'b0), .CLKI({board.clock}), .CLKOP(clk), .CLKFB(clk), .CLKINTFB(),",
        "        .PHASESEL0(1'b0), .PHASESEL1(1'b0), .PHASEDIR(1'b1), .PHASESTEP(1'b1), .PHASELOADREG(1'b1),",
        "        .PLLWAKESYNC(1'b0), .ENCLKOP(1'b0), .LOCK(locked)",
        "    );",
    ]


def write_board_top(board: Board, geo: Geometry, pll: Pll, cpb: int, timeout: int, ident: int, baud: int) -> str:
    heartbeat = max(1, int(math.log2(pll.f_out * 1e6)) - 1)  # about one blink per second
    ports = []
    for p in board.ports:
        rng = f"[{p.width - 1}:0] " if p.width > 1 else ""
        ports.append(f"    {p.direction} wire {rng}{p.name}")
    shell = {"CPB": "CPB", "TIMEOUT": "TIMEOUT", "IN_W": geo.in_w, "IN_WORDS": geo.in_words, "OUT_W": geo.out_w,
             "OUT_WORDS": geo.out_words, "OUT_N": geo.out_n, "OUT_EW": geo.out_ew, "OUT_SIGNED": int(geo.out_signed),
             "DESIGN_ID": f"32'h{ident:08x}", "HEARTBEAT": heartbeat, "WL_WORDS": geo.wl_words, "MEM_DIR": "MEM_DIR"}
    lines = [
        f"// board_top for {board.name} ({board.family} {board.device}): generated by hls.board -- do not edit.",
        f"// clock {pll.f_out:g} MHz from the {board.osc_mhz:g} MHz oscillator; UART {baud} baud = {cpb} cycles per bit",
        "`timescale 1ns / 1ps",
        "`default_nettype none",
        "",
        "module board_top #(",
        f"    parameter CPB = {cpb},          // clock cycles per UART bit",
        f"    parameter TIMEOUT = {timeout},  // cycles without a byte before a frame is dropped",
        '    parameter MEM_DIR = "./"        // folder of the ROM files',
        ") (",
        ",\n".join(ports),
        "`ifdef QNN_SIM",
        "    , output wire sim_busy",
        "`endif",
        ");",
        "    wire clk, locked, rst;",
        "`ifdef QNN_SIM",
        f"    assign clk = {board.clock};  // simulation: no PLL",
        "    assign locked = 1'b1;",
        "`else",
        *_pll(board, pll),
        "`endif",
        f"    qnn_reset_sync u_rst (.clk(clk), .arst_n(locked & ({board.reset_n})), .rst(rst));",
        "    /* verilator lint_off UNUSEDSIGNAL */  // a board with few LEDs leaves some of them unshown",
        "    wire alive, busy, error, frame, shell_busy;",
        "    /* verilator lint_on UNUSEDSIGNAL */",
        "    qnn_board_shell #(",
        ",\n".join(f"        .{k}({v})" for k, v in shell.items()),
        "    ) u_shell (",
        f"        .clk(clk), .rst(rst), .rx({board.rx}), .tx({board.tx}),",
        "        .led_alive(alive), .led_busy(busy), .led_error(error), .led_frame(frame), .busy(shell_busy)",
        "    );",
        *(f"    {s}" for s in board.leds),
        *(f"    {s}" for s in board.extra),
        "`ifdef QNN_SIM",
        "    assign sim_busy = shell_busy;",
        "`endif",
        "endmodule",
        "",
        "`default_nettype wire",
        "",
    ]
    return "\n".join(lines)


def constraints(board: Board) -> tuple[str, str]:
    """(file name, text) of the pin constraints: PCF for iCE40, LPF for ECP5."""
    if board.family == "ice40":
        out = [f"# {board.name}: pins of the board shell (from icebreaker-verilog-examples icebreaker.pcf)"]
        for p in board.ports:
            pull = " -pullup yes" if p.pull == "up" else ""
            for i, pin in enumerate(p.pins):
                name = f"{p.name}[{i}]" if p.width > 1 else p.name
                out.append(f"set_io -nowarn{pull} {name} {pin}")
        return "board.pcf", "\n".join(out) + "\n"
    out = [f"# {board.name}: pins of the board shell (from emard's ulx3s_v20.lpf)", "BLOCK RESETPATHS;",
           "BLOCK ASYNCPATHS;", f'FREQUENCY PORT "{board.clock}" {board.osc_mhz:g} MHZ;']
    for p in board.ports:
        pull = {"up": "UP", "down": "DOWN"}.get(p.pull, "NONE")
        drive = " DRIVE=4" if p.direction == "output" else ""
        for i, pin in enumerate(p.pins):
            name = f"{p.name}[{i}]" if p.width > 1 else p.name
            out.append(f'LOCATE COMP "{name}" SITE "{pin}";')
            out.append(f'IOBUF PORT "{name}" PULLMODE={pull} IO_TYPE=LVCMOS33{drive};')
    return "board.lpf", "\n".join(out) + "\n"
