"""ROM contents as ``$readmemh`` files: one line per word, hexadecimal, no address markers.

Each word is a concatenation of fields, field 0 in the lowest bits (the cores slice them with
``[i*BITS +: BITS]``).  Values are written as two's complement bit patterns of ``bits`` width.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.util.atomic import atomic_write_text


def rom_lines(fields: np.ndarray, bits: int) -> list[str]:
    """fields [depth, n] of integers (already encoded or signed) -> hex lines of n*bits-bit words."""
    fields = np.asarray(fields, dtype=np.int64)
    depth, n = fields.shape
    mask = (1 << bits) - 1
    digits = max(1, (n * bits + 3) // 4)
    lines = []
    for row in fields.tolist():
        w = 0
        for k, v in enumerate(row):
            w |= (int(v) & mask) << (k * bits)
        lines.append(f"{w:0{digits}x}")
    return lines


def write_rom(path: Path, fields: np.ndarray, bits: int) -> Path:
    atomic_write_text(path, "\n".join(rom_lines(fields, bits)) + "\n")
    return path


def mvu_weight_fields(weight: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """weight [out, in] -> ROM fields [NF*SF, PE*SIMD]: word nf*SF+sf, field p*SIMD+s = W[nf*PE+p, sf*SIMD+s]."""
    o, i = weight.shape
    nf, sf = o // pe, i // simd
    w = weight.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3)  # [nf, sf, pe, simd]
    return w.reshape(nf * sf, pe * simd)


# A weight ROM deeper than this is banked (qnn_rom.v BANK_DEPTH): Yosys would split it in depth across block
# RAMs with a bank multiplexer after them (on ECP5 in the cycle of the products, and with its select register
# a cycle early for the DP16KD's output register).  Banks of 512 words: one DP16KD at 36 bits, one iCE40 EBR
# at 8 bits; the multiplexer is the core's own, registered (4:1 per stage).
BANK_ABOVE = 2048
BANK_DEPTH = 512


def rom_bank_depth(depth: int) -> int:
    """qnn_rom BANK_DEPTH for a weight ROM of ``depth`` words (0: one bank)."""
    return BANK_DEPTH if depth > BANK_ABOVE else 0


def banked_fields(fields: np.ndarray, bank_depth: int) -> np.ndarray:
    """ROM fields [depth, n] -> the banked layout qnn_rom reads with BANK_DEPTH = bank_depth: [bank_depth, NB*n],
    row a holding word b*bank_depth + a in fields [b*n, (b+1)*n) (bank 0 in the lowest bits; zeros past the end)."""
    f = np.asarray(fields, dtype=np.int64)
    depth, n = f.shape
    if not bank_depth or depth <= bank_depth:
        return f
    nb = -(-depth // bank_depth)
    pad = np.zeros((nb * bank_depth, n), dtype=np.int64)
    pad[:depth] = f
    return pad.reshape(nb, bank_depth, n).transpose(1, 0, 2).reshape(bank_depth, nb * n)


def per_channel_fields(values: np.ndarray, pe: int) -> np.ndarray:
    """values [C, k] (or [C]) -> fields [C/PE, PE*k]: word nf holds channels nf*PE .. nf*PE+PE-1."""
    v = np.asarray(values)
    if v.ndim == 1:
        v = v[:, None]
    c, k = v.shape
    return v.reshape(c // pe, pe * k)


def load_words(path: Path, width: int) -> list[str]:
    """A ROM file's words as the 16-bit load words of a SPRAM memory (``qnn_spram.v``): per word, ceil(width/16)
    words, bits [15:0] first; hexadecimal lines."""
    lanes = (width + 15) // 16
    out = []
    for line in Path(path).read_text().split():
        w = int(line, 16)
        out += [f"{(w >> (16 * k)) & 0xFFFF:04x}" for k in range(lanes)]
    return out
