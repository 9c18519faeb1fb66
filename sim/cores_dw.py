"""Core test cases for the depthwise-separable cores: the vector-vector unit (``qnn_vvau``), sum pooling
(``qnn_sumpool``) and the sliding window unit's depthwise order (``qnn_swu`` with ``DW=1``).

Each ``case_*`` returns a ``sim.cores.CoreCase`` (stimulus, Verilog parameters with ROM files written into
the work folder, expected output words) like the other cores' cases; ``sim.cores`` registers them.  The
models are small NumPy references (``dw_reference``, ``sumpool_reference``) written from the definition,
which ``tests/test_rtl_vvau.py`` also checks against the golden kernels.
"""
from __future__ import annotations

import numpy as np

from hls.rtlgen.depthwise import vvau_weight_fields
from hls.rtlgen.encoding import BIPOLAR, SIGNED, UNSIGNED, Encoding, pack_words
from hls.rtlgen.memfile import per_channel_fields, write_rom
from qnn.golden import ops
from qnn.qtype import QType


def _qtype(bits: int, mode: int) -> QType:
    return QType.bipolar_type() if mode == BIPOLAR else QType(bits, mode == SIGNED)


def _rand(rng, t: QType, shape) -> np.ndarray:
    if t.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(t.min, t.max + 1, size=shape)


def dw_reference(windows: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """windows [P, K, C] (taps in (kh, kw) order), weight [C, K], bias [C] -> acc [P, C]: one channel per filter."""
    return np.einsum("pkc,ck->pc", windows.astype(np.int64), weight.astype(np.int64)) + bias.astype(np.int64)


def sumpool_reference(x: np.ndarray, kernel: tuple[int, int]) -> np.ndarray:
    """x [N, H, W, C] -> [N, H//KH, W//KW, C], the sum of each non-overlapping window (floor at the edges)."""
    kh, kw = kernel
    n, h, w, c = x.shape
    oh, ow = h // kh, w // kw
    return x[:, : oh * kh, : ow * kw].reshape(n, oh, kh, ow, kw, c).sum(axis=(2, 4)).astype(np.int64)


def dw_order(windows: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """windows [P, K, C] -> the VVAU's input elements in stream order: per pixel, per channel fold cf, per tap
    word tf, element s*PE + p = tap tf*SIMD+s of channel cf*PE+p."""
    p, k, c = windows.shape
    w = windows.reshape(p, k // simd, simd, c // pe, pe)  # [P, TF, SIMD, CF, PE]
    return w.transpose(0, 3, 1, 2, 4).reshape(-1)


def vvau_params(p: dict, work, rng, frames: int):
    """Weights, bias, windows and the accumulator type of a random VVAU case (shared with the chain test)."""
    xt, wt = _qtype(p["IN_BITS"], p["IN_MODE"]), _qtype(p["W_BITS"], p["W_MODE"])
    c, k = p["C"], p["K"]
    w = _rand(rng, wt, (c, k))
    b = rng.integers(-50, 51, size=c)
    x = _rand(rng, xt, (frames * 2, k, c))
    x[0] = xt.max if not xt.bipolar else 1  # an extreme window exercises the accumulator width
    from qnn.ir.nodes import _acc_bounds

    lo, hi = _acc_bounds(w, b, xt)
    acc = QType.for_range(min(lo.min(), -1), hi.max())
    return xt, wt, w, b, x, acc


def case_vvau(p, work, rng, frames):
    from sim.cores import CoreCase

    xt, wt, w, b, x, acc = vvau_params(p, work, rng, frames)
    p = dict(p, ACC_BITS=acc.bits, WEIGHT_FILE=str(work / "w.mem"), BIAS_FILE=str(work / "b.mem"))
    wenc, xenc, aenc = Encoding.for_type(wt), Encoding.for_type(xt), Encoding(acc.bits, SIGNED)
    write_rom(work / "w.mem", wenc.encode(vvau_weight_fields(w, p["PE"], p["SIMD"])), wenc.bits)
    write_rom(work / "b.mem", per_channel_fields(b, p["PE"]), acc.bits)
    y = dw_reference(x, w, b)
    return CoreCase("qnn_vvau", p, pack_words(dw_order(x, p["PE"], p["SIMD"]), p["PE"] * p["SIMD"], xenc),
                    pack_words(y, p["PE"], aenc))


def case_sumpool(p, work, rng, frames):
    from sim.cores import CoreCase

    signed = bool(p["SIGNED"])
    t = QType(p["IN_BITS"], signed)
    x = _rand(rng, t, (frames, p["IFM_H"], p["IFM_W"], p["C"]))
    x[0] = t.max  # the largest sum (and, signed, the smallest next)
    if signed and frames > 1:
        x[1] = t.min
    kern = (p["K_H"], p["K_W"])
    y = sumpool_reference(x, kern)
    need = QType.for_range(t.min * kern[0] * kern[1], t.max * kern[0] * kern[1])
    p = dict(p)
    p.setdefault("OUT_BITS", need.bits + (0 if need.signed else 1))
    return CoreCase("qnn_sumpool", p, pack_words(x, p["PE"], Encoding(p["IN_BITS"], SIGNED if signed else UNSIGNED)),
                    pack_words(y, p["PE"], Encoding(p["OUT_BITS"], SIGNED)))


def case_swu_dw(p, work, rng, frames):
    from sim.cores import CoreCase

    enc = Encoding(p["EW"], UNSIGNED)
    x = rng.integers(1, 1 << p["EW"], size=(frames, p["IFM_H"], p["IFM_W"], p["C"]))  # nonzero: padding shows
    kk = p["K_H"] * p["K_W"]
    cols = ops.im2col(x, (p["K_H"], p["K_W"]), (p["S_H"], p["S_W"]), (p["P_T"], p["P_L"], p["P_B"], p["P_R"]))
    cols = cols.reshape(-1, kk, p["C"] // p["SIMD"], p["SIMD"]).transpose(0, 2, 1, 3)  # [pix, CF, K, SIMD]
    return CoreCase("qnn_swu", dict(p, DW=1), pack_words(x, p["SIMD"], enc), pack_words(cols, p["SIMD"], enc))


CASES = {"vvau": case_vvau, "sumpool": case_sumpool, "swu_dw": case_swu_dw}
MODULES = {"vvau": "qnn_vvau", "sumpool": "qnn_sumpool", "swu_dw": "qnn_swu"}

# Parameter grids: folding (PE x SIMD, one-word folds, a whole window per word), operand encodings (unsigned /
# signed / bipolar inputs, signed / bipolar / unsigned weights), tree depths and memory styles.
GRIDS: dict[str, list[dict]] = {
    "vvau": [
        {"C": 8, "K": 9, "PE": 2, "SIMD": 3, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 4, "W_MODE": 1},
        {"C": 4, "K": 9, "PE": 1, "SIMD": 1, "IN_BITS": 3, "IN_MODE": 1, "W_BITS": 2, "W_MODE": 1},
        {"C": 6, "K": 9, "PE": 6, "SIMD": 9, "IN_BITS": 8, "IN_MODE": 0, "W_BITS": 8, "W_MODE": 1, "TREE_STAGE": 1},
        {"C": 4, "K": 4, "PE": 4, "SIMD": 1, "IN_BITS": 2, "IN_MODE": 1, "W_BITS": 3, "W_MODE": 1},
        {"C": 6, "K": 9, "PE": 3, "SIMD": 9, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2, "TREE_STAGE": 3},
        {"C": 4, "K": 6, "PE": 2, "SIMD": 2, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 1, "W_MODE": 2, "MEM_STYLE": 1},
        {"C": 16, "K": 9, "PE": 4, "SIMD": 3, "IN_BITS": 4, "IN_MODE": 1, "W_BITS": 4, "W_MODE": 0, "MEM_STYLE": 2},
        {"C": 3, "K": 1, "PE": 3, "SIMD": 1, "IN_BITS": 5, "IN_MODE": 0, "W_BITS": 3, "W_MODE": 1},
        {"C": 8, "K": 25, "PE": 8, "SIMD": 5, "IN_BITS": 2, "IN_MODE": 0, "W_BITS": 2, "W_MODE": 1, "TREE_STAGE": 1},
    ],
    "sumpool": [
        {"IFM_H": 4, "IFM_W": 4, "C": 4, "PE": 2, "K_H": 2, "K_W": 2, "IN_BITS": 4, "SIGNED": 0},
        {"IFM_H": 5, "IFM_W": 3, "C": 6, "PE": 3, "K_H": 5, "K_W": 3, "IN_BITS": 4, "SIGNED": 0},  # global
        {"IFM_H": 5, "IFM_W": 7, "C": 4, "PE": 1, "K_H": 2, "K_W": 3, "IN_BITS": 3, "SIGNED": 1},  # floor edges
        {"IFM_H": 6, "IFM_W": 4, "C": 2, "PE": 2, "K_H": 6, "K_W": 4, "IN_BITS": 8, "SIGNED": 1},  # global, signed
        {"IFM_H": 3, "IFM_W": 3, "C": 1, "PE": 1, "K_H": 3, "K_W": 3, "IN_BITS": 1, "SIGNED": 0},  # CF = 1 hazard
        {"IFM_H": 4, "IFM_W": 6, "C": 8, "PE": 4, "K_H": 1, "K_W": 2, "IN_BITS": 2, "SIGNED": 0, "OUT_BITS": 6},
    ],
    "swu_dw": [
        {"IFM_H": 5, "IFM_W": 5, "C": 4, "SIMD": 2, "K_H": 3, "K_W": 3, "S_H": 1, "S_W": 1,
         "P_T": 1, "P_L": 1, "P_B": 1, "P_R": 1, "EW": 4},
        {"IFM_H": 6, "IFM_W": 7, "C": 3, "SIMD": 1, "K_H": 3, "K_W": 2, "S_H": 2, "S_W": 2,
         "P_T": 1, "P_L": 0, "P_B": 0, "P_R": 1, "EW": 3},
        {"IFM_H": 4, "IFM_W": 4, "C": 6, "SIMD": 6, "K_H": 3, "K_W": 3, "S_H": 1, "S_W": 1,
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 2},
        {"IFM_H": 5, "IFM_W": 2, "C": 3, "SIMD": 3, "K_H": 1, "K_W": 2, "S_H": 2, "S_W": 3,  # stride > kernel
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 4},
    ],
}
