"""PLL dividers for the board clock, computed as the vendors' open tools do.

iCE40 ``SB_PLL40_PAD`` in SIMPLE feedback mode, as ``icepll`` (IceStorm) searches it:
f_pfd = f_in / (DIVR + 1) in [10, 133] MHz, f_vco = f_pfd * (DIVF + 1) in [533, 1066] MHz,
f_out = f_vco / 2^DIVQ (DIVR 0..15, DIVF 0..127, DIVQ 1..6), the first closest output wins;
FILTER_RANGE follows f_pfd.  ``choose_clock`` keeps the output in the datasheet's 16..275 MHz.

ECP5 ``EHXPLLL``, as ``ecppll`` (Project Trellis) searches it, in single-precision floats like the C++:
f_pfd = f_in / CLKI_DIV in [3.125, 400], f_vco = f_pfd * CLKFB_DIV * CLKOP_DIV in [400, 800],
f_out = f_vco / CLKOP_DIV; ties go to the VCO nearest 600 MHz; CLKOP_CPHASE is the 180-degree
shift ecppll writes (truncated like its float arithmetic).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnn.errors import QnnError


@dataclass(frozen=True)
class Pll:
    family: str
    f_in: float
    f_out: float  # achieved output (MHz)
    params: dict  # primitive parameters
    f_vco: float

    def describe(self) -> str:
        ps = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.f_in:g} MHz -> {self.f_out:.4g} MHz (VCO {self.f_vco:.4g} MHz; {ps})"


def ice40_pll(f_in: float, f_out: float) -> Pll:
    """icepll's search (SIMPLE feedback)."""
    if not 10 <= f_in <= 133:
        raise QnnError(f"iCE40 PLL input {f_in} MHz outside 10..133 MHz")
    best = None
    for divr in range(16):
        f_pfd = f_in / (divr + 1)
        if not 10 <= f_pfd <= 133:
            continue
        for divf in range(128):
            f_vco = f_pfd * (divf + 1)
            if not 533 <= f_vco <= 1066:
                continue
            for divq in range(1, 7):
                fo = f_vco * 2.0 ** -divq  # (icepll does not hold f_out to the datasheet's 16..275 MHz)
                if best is None or abs(fo - f_out) < abs(best[0] - f_out):
                    best = (fo, divr, divf, divq, f_vco)
    if best is None:
        raise QnnError(f"no iCE40 PLL setting from {f_in} MHz")
    fo, divr, divf, divq, f_vco = best
    f_pfd = f_in / (divr + 1)
    fr = 1 if f_pfd < 17 else 2 if f_pfd < 26 else 3 if f_pfd < 44 else 4 if f_pfd < 66 else 5 if f_pfd < 101 else 6
    return Pll("ice40", f_in, fo, {"DIVR": divr, "DIVF": divf, "DIVQ": divq, "FILTER_RANGE": fr}, f_vco)


def ecp5_pll(f_in: float, f_out: float) -> Pll:
    """ecppll's search for the primary output (CLKOP feedback)."""
    f32 = np.float32
    fin, want = f32(f_in), f32(f_out)
    err = f32(np.finfo(np.float32).max)
    best = None
    for idiv in range(1, 129):
        fpfd = f32(fin / f32(idiv))
        if fpfd < 3.125 or fpfd > 400.0:
            continue
        for fb in range(1, 81):
            for od in range(1, 129):
                fvco = f32(f32(fpfd * f32(fb)) * f32(od))
                if fvco < 400.0 or fvco > 800.0:
                    continue
                fo = f32(fvco / f32(od))
                e = f32(abs(f32(fo - want)))
                if e < err or (e == err and best is not None and abs(fvco - 600) < abs(best[4] - 600)):
                    err = e
                    best = (idiv, fb, od, fo, fvco)
    if best is None:
        raise QnnError(f"no ECP5 PLL setting from {f_in} MHz")
    idiv, fb, od, fo, fvco = best
    ns_phase = f32(1.0 / (float(fo) * 1e6) * 0.5)
    cphase = int(float(ns_phase) * (float(fvco) * 1e6))
    return Pll("ecp5", f_in, float(fo), {"CLKI_DIV": idiv, "CLKFB_DIV": fb, "CLKOP_DIV": od, "CLKOP_CPHASE": cphase},
               float(fvco))


PLL_FOR = {"ice40": ice40_pll, "ecp5": ecp5_pll}
F_MIN = {"ice40": 16.0, "ecp5": 10.0}  # lowest PLL output (MHz)


def baud_divisor(f_mhz: float, baud: int) -> tuple[int, float]:
    """(clock cycles per UART bit, relative baud error) at ``f_mhz``."""
    cpb = max(1, round(f_mhz * 1e6 / baud))
    return cpb, abs(f_mhz * 1e6 / cpb / baud - 1.0)


BAUD_TOLERANCE = 0.015  # an 8N1 receiver samples the stop bit 9.5 bits in: 1.5 % leaves margin on both sides
MIN_CPB = 8


def choose_clock(family: str, f_in: float, f_max: float, baud: int, step: float = 0.25) -> Pll:
    """The fastest PLL output not above ``f_max`` whose UART divisor is within tolerance for ``baud``."""
    if f_max < F_MIN[family]:
        raise QnnError(f"{f_max:.1f} MHz is below the {family} PLL's lowest output ({F_MIN[family]:g} MHz)")
    seen = set()
    f = math.floor(f_max / step) * step
    while f >= F_MIN[family]:
        pll = PLL_FOR[family](f_in, f)
        if pll.f_out not in seen and F_MIN[family] <= pll.f_out <= f_max + 1e-9:
            seen.add(pll.f_out)
            cpb, e = baud_divisor(pll.f_out, baud)
            if cpb >= MIN_CPB and e <= BAUD_TOLERANCE:
                return pll
        f -= step
    raise QnnError(f"no {family} PLL clock between {F_MIN[family]:g} and {f_max:.1f} MHz gives {baud} baud "
                   f"within {BAUD_TOLERANCE:.1%} (at least {MIN_CPB} cycles per bit): choose another --baud")
