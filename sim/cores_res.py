"""Core test cases for the residual-block cores: the stream duplicator (``qnn_dup``), the elementwise add on a common
integer grid (``qnn_add``) and a test-only residual block wiring both (``sim/tb/qnn_residual_tb.v``: dup -> skip
FIFO / slow branch with a lead -> add).

These cores have several streams, so a case's ``in_words``/``out_words`` are dicts keyed by port prefix (``in``,
``out0``/``out1`` of the duplicator, ``a``/``b``/``out`` of the add); ``sim/tb/tb_core.py`` then drives every input
with its own random gaps and every output with its own backpressure.  ``sim.cores`` registers the cases.
"""
from __future__ import annotations

import numpy as np

from hls.rtlgen.encoding import SIGNED, UNSIGNED, Encoding, pack_words
from qnn.qtype import QType


def add_range(a: QType, b: QType, mul_a: int, mul_b: int, bias: int = 0) -> tuple[int, int]:
    """The smallest and largest ``mul_a * a + mul_b * b + bias`` over the two input types (qnn_add's LO, HI)."""
    ta = sorted((mul_a * a.min, mul_a * a.max))
    tb = sorted((mul_b * b.min, mul_b * b.max))
    return ta[0] + tb[0] + bias, ta[1] + tb[1] + bias


def add_out_bits(a: QType, b: QType, mul_a: int, mul_b: int, bias: int = 0, signed: bool = True) -> int:
    """The fewest OUT_BITS that qnn_add accepts: every reachable sum, two's complement or (``signed=False``, only
    for sums that cannot be negative) unsigned."""
    lo, hi = add_range(a, b, mul_a, mul_b, bias)
    if not signed:
        if lo < 0:
            raise ValueError(f"an unsigned output cannot hold the sum's range {lo} .. {hi}")
        return max(1, int(hi).bit_length())
    return max((-lo - 1).bit_length() if lo < 0 else 0, hi.bit_length() if hi > 0 else 0) + 1


def add_reference(a: np.ndarray, b: np.ndarray, mul_a: int, mul_b: int, bias: int = 0) -> np.ndarray:
    return mul_a * a.astype(np.int64) + mul_b * b.astype(np.int64) + bias


def _rand_words(rng, n: int, width: int) -> list[int]:
    return [int.from_bytes(rng.bytes((width + 7) // 8), "little") & ((1 << width) - 1) for _ in range(n)]


def case_dup(p, work, rng, frames):
    from sim.cores import CoreCase

    words = _rand_words(rng, 24 * frames, p["WIDTH"])
    return CoreCase("qnn_dup", p, {"in": words}, {"out0": words, "out1": words})


def _extremes(x: np.ndarray, t: QType, hi_first: bool) -> None:
    """The first two words at the type's ends (the sum's bounds: which end of a meets which end of b depends on
    the multipliers' signs, so both pairings come)."""
    x[0] = t.max if hi_first else t.min
    x[1] = t.min if hi_first else t.max


def case_add(p, work, rng, frames):
    from sim.cores import CoreCase

    p = dict(p)
    ta, tb = QType(p["A_BITS"], bool(p["A_SIGNED"])), QType(p["B_BITS"], bool(p["B_SIGNED"]))
    n = 16 * frames
    a = rng.integers(ta.min, ta.max + 1, size=(n, p["PE"]))
    b = rng.integers(tb.min, tb.max + 1, size=(n, p["PE"]))
    _extremes(a, ta, True)
    _extremes(b, tb, True)
    a[2], b[2] = ta.max, tb.min
    a[3], b[3] = ta.min, tb.max
    bias, signed = p.get("BIAS", 0), bool(p.get("OUT_SIGNED", 1))
    p.setdefault("OUT_BITS", add_out_bits(ta, tb, p["MUL_A"], p["MUL_B"], bias, signed))
    y = add_reference(a, b, p["MUL_A"], p["MUL_B"], bias)
    enc = Encoding(p["OUT_BITS"], SIGNED if signed else UNSIGNED)
    assert np.array_equal(enc.decode(enc.encode(y)), y), "the model's sums do not fit OUT_BITS"
    ea = Encoding(ta.bits, SIGNED if ta.signed else UNSIGNED)
    eb = Encoding(tb.bits, SIGNED if tb.signed else UNSIGNED)
    return CoreCase("qnn_add", p, {"a": pack_words(a, p["PE"], ea), "b": pack_words(b, p["PE"], eb)},
                    {"out": pack_words(y, p["PE"], enc)})


def residual_reference(x: np.ndarray, t: QType, mul_a: int, mul_b: int, bias: int = 0) -> np.ndarray:
    """qnn_residual_tb: the skip path carries x, the test branch its bitwise complement (-x - 1 signed,
    2**bits - 1 - x unsigned)."""
    notx = -x - 1 if t.signed else (1 << t.bits) - 1 - x
    return add_reference(x, notx, mul_a, mul_b, bias)


def case_residual(p, work, rng, frames):
    from sim.cores import CoreCase

    p = dict(p)
    t = QType(p["BITS"], bool(p["SIGNED"]))
    x = rng.integers(t.min, t.max + 1, size=(frames * p["FRAME"], p["PE"]))
    bias = p.get("BIAS", 0)
    p.setdefault("OUT_BITS", add_out_bits(t, t, p["MUL_A"], p["MUL_B"], bias))
    enc = Encoding(t.bits, SIGNED if t.signed else UNSIGNED)
    y = residual_reference(x, t, p["MUL_A"], p["MUL_B"], bias)
    return CoreCase("qnn_residual_tb", p, {"in": pack_words(x, p["PE"], enc)},
                    {"out": pack_words(y, p["PE"], Encoding(p["OUT_BITS"], SIGNED))})


CASES = {"dup": case_dup, "add": case_add, "residual": case_residual}
MODULES = {"dup": "qnn_dup", "add": "qnn_add", "residual": "qnn_residual_tb"}
DEPENDS = {"qnn_add": ["qnn_fifo", "qnn_obuf"],
           "qnn_residual_tb": ["qnn_fifo", "qnn_obuf", "qnn_dup", "qnn_add"]}
TB_MODULES = {"qnn_residual_tb"}  # test-only tops, in sim/tb

# Parameter grids: word widths, PE 1 and > 1, signedness per stream, multipliers of both signs (1, powers of two,
# odd), a bias, unsigned and signed outputs at the tightest width; the residual block at its skip FIFO's bound.
GRIDS: dict[str, list[dict]] = {
    "dup": [{"WIDTH": 8}, {"WIDTH": 1}, {"WIDTH": 70}],
    "add": [
        {"PE": 2, "A_BITS": 4, "A_SIGNED": 0, "B_BITS": 4, "B_SIGNED": 0, "MUL_A": 1, "MUL_B": 1, "OUT_SIGNED": 0},
        {"PE": 1, "A_BITS": 8, "A_SIGNED": 1, "B_BITS": 4, "B_SIGNED": 0, "MUL_A": 4, "MUL_B": 1},
        {"PE": 3, "A_BITS": 3, "A_SIGNED": 0, "B_BITS": 5, "B_SIGNED": 1, "MUL_A": -2, "MUL_B": 3, "BIAS": -7},
        {"PE": 4, "A_BITS": 2, "A_SIGNED": 1, "B_BITS": 2, "B_SIGNED": 1, "MUL_A": -1, "MUL_B": -8, "BIAS": 5},
        {"PE": 2, "A_BITS": 1, "A_SIGNED": 0, "B_BITS": 6, "B_SIGNED": 1, "MUL_A": 5, "MUL_B": 16},
        {"PE": 1, "A_BITS": 16, "A_SIGNED": 1, "B_BITS": 12, "B_SIGNED": 0, "MUL_A": -1024, "MUL_B": 7, "BIAS": 1000},
        {"PE": 2, "A_BITS": 4, "A_SIGNED": 0, "B_BITS": 4, "B_SIGNED": 0, "MUL_A": 3, "MUL_B": 2, "BIAS": 4,
         "OUT_SIGNED": 0},
        {"PE": 2, "A_BITS": 4, "A_SIGNED": 0, "B_BITS": 4, "B_SIGNED": 0, "MUL_A": 1, "MUL_B": 1, "OUT_BITS": 9},
    ],
    "residual": [
        {"PE": 2, "BITS": 4, "SIGNED": 0, "LAG": 6, "FRAME": 24, "SLOW": 1, "SKIP_DEPTH": 5, "MUL_A": 1, "MUL_B": 1},
        {"PE": 1, "BITS": 3, "SIGNED": 1, "LAG": 9, "FRAME": 20, "SLOW": 2, "SKIP_DEPTH": 8, "MUL_A": 2, "MUL_B": -3,
         "BIAS": 1},
        {"PE": 3, "BITS": 2, "SIGNED": 0, "LAG": 1, "FRAME": 8, "SLOW": 0, "SKIP_DEPTH": 12, "MUL_A": 4, "MUL_B": 1},
    ],
}
