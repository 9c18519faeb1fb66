"""The boards: device, oscillator, the pins the shell uses (from the boards' published constraint files)
and how each is programmed.

iCEBreaker (v1.0, icebreaker-fpga/icebreaker-verilog-examples ``icebreaker.pcf``): 12 MHz oscillator on
pin 35, FTDI channel B UART (FPGA RX pin 6, TX pin 9), user button BTN_N pin 10, red LED LEDR_N pin 11,
green LED LEDG_N pin 37 (both active low).

ULX3S (v2/v3, emard ``ulx3s_v20.lpf``): 25 MHz oscillator on G2, FTDI UART (``ftdi_txd`` M1 into the
FPGA, ``ftdi_rxd`` L4 out of it), LEDs led[0..7] on B2 C2 C1 D2 D1 E2 E1 H3 (active high), FIRE1
button R1 (active high, pull-down), ``wifi_gpio0`` L2 held high so that the ESP32 leaves the FPGA alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from qnn.errors import QnnError


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # input | output
    width: int = 1
    pins: tuple[str, ...] = ()  # one per bit, bit 0 first
    pull: str = ""  # up | down | "" (no pull)


@dataclass(frozen=True)
class Board:
    name: str
    device: str  # hls.synth.devices key
    family: str
    osc_mhz: float
    clock: str  # port names
    rx: str
    tx: str
    reset_n: str  # expression of the ports: high = run (ANDed with the PLL lock)
    ports: tuple[Port, ...]
    leds: tuple[str, ...]  # Verilog assignments from the shell's alive/busy/error/frame
    extra: tuple[str, ...] = ()  # other fixed assignments
    program: str = ""  # programming command, {bit} = the bitstream
    default_mhz: float = 30.0  # first place-and-route target when --freq is not given

    def port(self, name: str) -> Port:
        return next(p for p in self.ports if p.name == name)


ICEBREAKER = Board(
    "icebreaker", "up5k", "ice40", 12.0, clock="CLK", rx="RX", tx="TX", reset_n="BTN_N",
    ports=(Port("CLK", "input", pins=("35",)), Port("RX", "input", pins=("6",)), Port("TX", "output", pins=("9",)),
           Port("BTN_N", "input", pins=("10",), pull="up"), Port("LEDR_N", "output", pins=("11",)),
           Port("LEDG_N", "output", pins=("37",))),
    leds=("assign LEDG_N = ~(alive | busy);  // green: blinks when idle, on while a frame is handled",
          "assign LEDR_N = ~error;          // red: the last reply was an error"),
    program="iceprog {bit}", default_mhz=30.0)


def _ulx3s(size: str) -> Board:
    leds = ("B2", "C2", "C1", "D2", "D1", "E2", "E1", "H3")
    return Board(
        f"ulx3s-{size}f", f"{size}k", "ecp5", 25.0, clock="clk_25mhz", rx="ftdi_txd", tx="ftdi_rxd",
        reset_n="~btn_fire1",
        ports=(Port("clk_25mhz", "input", pins=("G2",)), Port("ftdi_txd", "input", pins=("M1",), pull="up"),
               Port("ftdi_rxd", "output", pins=("L4",)), Port("btn_fire1", "input", pins=("R1",), pull="down"),
               Port("led", "output", 8, leds), Port("wifi_gpio0", "output", pins=("L2",))),
        leds=("assign led = {4'b0000, frame, error, busy, alive};  // led[0] alive, [1] busy, [2] error, "
              "[3] toggles per good reply",),
        extra=("assign wifi_gpio0 = 1'b1;  // keep the ESP32 from resetting the FPGA",),
        program="openFPGALoader -b ulx3s {bit}   (or: fujprog {bit})", default_mhz=60.0)


BOARDS: dict[str, Board] = {b.name: b for b in (ICEBREAKER, _ulx3s("25"), _ulx3s("45"), _ulx3s("85"))}


def board_named(name: str) -> Board:
    if name not in BOARDS:
        raise QnnError(f"unknown board {name!r}: choose one of {', '.join(BOARDS)}")
    return BOARDS[name]
