"""Per-core test cases: stimulus, Python model and ROM files for every core in ``hls/rtl``.

``make_case(core, params, work_dir, seed)`` returns the Verilog parameters (ROM file names resolved into
``work_dir``), the input words and the output words the model expects; ``run_core`` simulates the core
with random input gaps and output backpressure (``sim/tb/tb_core.py``) and compares every word.  The
models are the golden kernels of ``qnn.golden.ops`` wherever one exists, so a core is checked against
the very semantics the network is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hls.rtlgen.encoding import BIPOLAR, SIGNED, UNSIGNED, Encoding, pack_words
from hls.rtlgen.generate import RTL_DIR
from hls.rtlgen.memfile import banked_fields, mvu_weight_fields, per_channel_fields, write_rom
from qnn.golden import ops
from qnn.qtype import QType
from sim import cores_dw, cores_res
from sim.tools import build_and_test

MODULES = {"fifo": "qnn_fifo", "width_conv": "qnn_width_conv", "mvu": "qnn_mvu", "thresh": "qnn_thresh",
           "shift": "qnn_shift", "maxpool": "qnn_maxpool", "swu": "qnn_swu"}
# cores that instantiate others (the output buffer of the pipelined cores)
DEPENDS = {"qnn_mvu": ["qnn_fifo", "qnn_obuf", "qnn_rom", "qnn_ram", "qnn_spram"], "qnn_thresh": ["qnn_fifo", "qnn_obuf", "qnn_rom"],
           "qnn_shift": ["qnn_fifo", "qnn_obuf"], "qnn_swu": ["qnn_fifo", "qnn_obuf", "qnn_ram"],
           "qnn_maxpool": ["qnn_fifo", "qnn_obuf"], "qnn_vvau": ["qnn_fifo", "qnn_obuf", "qnn_rom"],
           "qnn_sumpool": ["qnn_fifo", "qnn_obuf"]}
DEPENDS.update(cores_res.DEPENDS)
TB_DIR = Path(__file__).resolve().parent / "tb"


def core_files(module: str) -> list[Path]:
    """The Verilog files a core needs, dependencies first (test-only tops from sim/tb)."""
    return [(TB_DIR if m in cores_res.TB_MODULES else RTL_DIR) / f"{m}.v" for m in (*DEPENDS.get(module, []), module)]


@dataclass
class CoreCase:
    module: str
    params: dict
    in_words: list[int] | dict[str, list[int]]  # a dict keyed by port prefix for a core with several streams
    out_words: list[int] | dict[str, list[int]]


def _qtype(bits: int, mode: int) -> QType:
    if mode == BIPOLAR:
        return QType.bipolar_type()
    return QType(bits, mode == SIGNED)


def _rand(rng, t: QType, shape) -> np.ndarray:
    if t.bipolar:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(t.min, t.max + 1, size=shape)


def case_fifo(p, work, rng, frames) -> CoreCase:
    words = [int.from_bytes(rng.bytes((p["WIDTH"] + 7) // 8), "little") & ((1 << p["WIDTH"]) - 1)
             for _ in range(20 * frames)]
    return CoreCase("qnn_fifo", p, words, words)


def case_width_conv(p, work, rng, frames) -> CoreCase:
    enc = Encoding(p["EW"], UNSIGNED)
    n = int(np.lcm(p["IN_N"], p["OUT_N"])) * 4 * frames
    vals = rng.integers(0, 1 << p["EW"], size=n)
    return CoreCase("qnn_width_conv", p, pack_words(vals, p["IN_N"], enc), pack_words(vals, p["OUT_N"], enc))


def case_mvu(p, work, rng, frames) -> CoreCase:
    xt, wt = _qtype(p["IN_BITS"], p["IN_MODE"]), _qtype(p["W_BITS"], p["W_MODE"])
    w = _rand(rng, wt, (p["N_OUT"], p["N_IN"]))
    b = rng.integers(-50, 51, size=p["N_OUT"])
    x = _rand(rng, xt, (frames, p["N_IN"]))
    x[0] = xt.max if not xt.bipolar else 1  # an extreme vector exercises the accumulator width
    from qnn.ir.nodes import _acc_bounds

    lo, hi = _acc_bounds(w, b, xt)
    acc = QType.for_range(min(lo.min(), -1), hi.max())
    p = dict(p, ACC_BITS=acc.bits, WEIGHT_FILE=str(work / "w.mem"), BIAS_FILE=str(work / "b.mem"))
    wenc, xenc, aenc = Encoding.for_type(wt), Encoding.for_type(xt), Encoding(acc.bits, SIGNED)
    wf = wenc.encode(mvu_weight_fields(w, p["PE"], p["SIMD"]))
    write_rom(work / "w.mem", banked_fields(wf, 0 if p.get("MEM_STYLE") == 3 else p.get("W_BANK_DEPTH", 0)), wenc.bits)
    write_rom(work / "b.mem", per_channel_fields(b, p["PE"]), acc.bits)
    y = ops.dense(x, w, b, xt)
    return CoreCase("qnn_mvu", p, pack_words(x, p["SIMD"], xenc), pack_words(y, p["PE"], aenc))


def _out_code(p) -> tuple[Encoding, QType]:
    kind = p.pop("OUT", "uint")
    nt = p["NT"]
    if kind == "bipolar":
        return Encoding(1, BIPOLAR), QType.bipolar_type()
    if kind == "bipolar2":
        return Encoding(2, SIGNED), QType.bipolar_type()
    bits = max(1, int(nt).bit_length())
    return (Encoding(bits, SIGNED), QType(bits, True)) if kind == "int" else (Encoding(bits, UNSIGNED), QType(bits, False))


def case_thresh(p, work, rng, frames) -> CoreCase:
    p = dict(p)
    oenc, ot = _out_code(p)
    c, a = p["PE"] * p["NF"], p["IN_BITS"]
    lo, hi = -(1 << (a - 1)), (1 << (a - 1)) - 1
    t = np.sort(rng.integers(lo // 2, hi // 2 + 1, size=(c, p["NT"])), axis=1)
    t[0, -1] = hi + 1  # never reached
    t[-1, 0] = lo  # always reached
    x = rng.integers(lo, hi + 1, size=(frames * 3, c))
    x[0, :] = np.clip(t[:, 0], lo, hi)  # exactly on a threshold
    if ot.levels != p["NT"] + 1:
        ot = QType(max(1, int(p["NT"]).bit_length()), ot.signed)
    scale, offset = (2, -1) if (ot.bipolar and oenc.bits == 2) else (1, 0 if ot.bipolar else ot.min)
    p.update(T_BITS=a + 1, OUT_BITS=oenc.bits, OUT_SCALE=scale, OUT_OFFSET=offset, THRESH_FILE=str(work / "t.mem"))
    write_rom(work / "t.mem", per_channel_fields(t, p["PE"]), a + 1)
    y = ops.multithreshold(x, t, ot)
    return CoreCase("qnn_thresh", p, pack_words(x, p["PE"], Encoding(a, SIGNED)), pack_words(y, p["PE"], oenc))


def case_shift(p, work, rng, frames) -> CoreCase:
    p = dict(p)
    signed = p.pop("OUT_SIGNED", 0)
    ot = QType(p["OUT_BITS"], bool(signed))
    a = p["IN_BITS"]
    x = rng.integers(-(1 << (a - 1)), 1 << (a - 1), size=frames * 16 * p["PE"])
    if p["SHIFT"] > 0:  # exact halves, both parities, both signs
        h = 1 << (p["SHIFT"] - 1)
        x[: 8] = np.array([h, 3 * h, -h, -3 * h, 5 * h, -5 * h, 0, 1])[:8]
    p.update(OUT_MIN=ot.min, OUT_MAX=ot.max)
    y = ops.shift(x, p["SHIFT"], ot)
    return CoreCase("qnn_shift", p, pack_words(x, p["PE"], Encoding(a, SIGNED)),
                    pack_words(y, p["PE"], Encoding(ot.bits, SIGNED if signed else UNSIGNED)))


def case_maxpool(p, work, rng, frames) -> CoreCase:
    enc = Encoding(p["EW"], SIGNED if p["SIGNED"] else UNSIGNED)
    t = QType(p["EW"], bool(p["SIGNED"]))
    x = _rand(rng, t, (frames, p["IFM_H"], p["IFM_W"], p["C"]))
    y = ops.maxpool(x, (p["K_H"], p["K_W"]), (p["K_H"], p["K_W"]))
    return CoreCase("qnn_maxpool", p, pack_words(x, p["PE"], enc), pack_words(y, p["PE"], enc))


def case_swu(p, work, rng, frames) -> CoreCase:
    enc = Encoding(p["EW"], UNSIGNED)
    x = rng.integers(1, 1 << p["EW"], size=(frames, p["IFM_H"], p["IFM_W"], p["C"]))  # nonzero: padding shows
    cols = ops.im2col(x, (p["K_H"], p["K_W"]), (p["S_H"], p["S_W"]), (p["P_T"], p["P_L"], p["P_B"], p["P_R"]))
    return CoreCase("qnn_swu", p, pack_words(x, p["SIMD"], enc), pack_words(cols, p["SIMD"], enc))


CASES = {"fifo": case_fifo, "width_conv": case_width_conv, "mvu": case_mvu, "thresh": case_thresh,
         "shift": case_shift, "maxpool": case_maxpool, "swu": case_swu}
# the depthwise-separable cores (their grids: sim.cores_dw.GRIDS, tests/test_rtl_vvau.py, test_rtl_sumpool.py)
CASES.update(cores_dw.CASES)
MODULES.update(cores_dw.MODULES)
# the residual-block cores, with several streams each (their grids: sim.cores_res.GRIDS, tests/test_rtl_residual.py)
CASES.update(cores_res.CASES)
MODULES.update(cores_res.MODULES)

# The parameter grids the tests sweep: widths, folding, encodings, odd shapes.
GRIDS: dict[str, list[dict]] = {
    "fifo": [{"WIDTH": 8, "DEPTH": 1}, {"WIDTH": 5, "DEPTH": 3}, {"WIDTH": 70, "DEPTH": 16}],
    "width_conv": [{"IN_N": 4, "OUT_N": 1, "EW": 3}, {"IN_N": 1, "OUT_N": 4, "EW": 2}, {"IN_N": 2, "OUT_N": 3, "EW": 5},
                   {"IN_N": 6, "OUT_N": 4, "EW": 1}, {"IN_N": 3, "OUT_N": 3, "EW": 4},
                   {"IN_N": 4, "OUT_N": 8, "EW": 2}, {"IN_N": 16, "OUT_N": 1, "EW": 4}, {"IN_N": 6, "OUT_N": 2, "EW": 3},
                   {"IN_N": 2, "OUT_N": 6, "EW": 1}],
    "mvu": [
        {"N_IN": 12, "N_OUT": 6, "PE": 2, "SIMD": 3, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 3, "W_MODE": 1},
        {"N_IN": 8, "N_OUT": 4, "PE": 1, "SIMD": 1, "IN_BITS": 3, "IN_MODE": 1, "W_BITS": 2, "W_MODE": 1},
        {"N_IN": 16, "N_OUT": 8, "PE": 8, "SIMD": 16, "IN_BITS": 8, "IN_MODE": 0, "W_BITS": 4, "W_MODE": 1},
        {"N_IN": 16, "N_OUT": 6, "PE": 3, "SIMD": 4, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2},
        {"N_IN": 10, "N_OUT": 4, "PE": 2, "SIMD": 5, "IN_BITS": 2, "IN_MODE": 0, "W_BITS": 1, "W_MODE": 2},
        {"N_IN": 9, "N_OUT": 4, "PE": 4, "SIMD": 1, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 4, "W_MODE": 1},
        # pipeline depths (TREE_STAGE), XNOR-popcount with a padded tree, one-word folds, memory styles
        {"N_IN": 24, "N_OUT": 4, "PE": 2, "SIMD": 12, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2,
         "TREE_STAGE": 1},
        {"N_IN": 8, "N_OUT": 6, "PE": 2, "SIMD": 8, "IN_BITS": 2, "IN_MODE": 0, "W_BITS": 2, "W_MODE": 1,
         "TREE_STAGE": 3, "MEM_STYLE": 2},
        {"N_IN": 14, "N_OUT": 2, "PE": 1, "SIMD": 7, "IN_BITS": 4, "IN_MODE": 1, "W_BITS": 1, "W_MODE": 2,
         "TREE_STAGE": 1, "MEM_STYLE": 1},
        {"N_IN": 5, "N_OUT": 3, "PE": 3, "SIMD": 1, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2},
        {"N_IN": 64, "N_OUT": 4, "PE": 4, "SIMD": 64, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2,
         "TREE_STAGE": 2},
        # banked weight ROMs (qnn_rom BANK_DEPTH): 2 banks (one mux stage), 13 banks padded to 16 (two), one-word folds
        {"N_IN": 16, "N_OUT": 6, "PE": 2, "SIMD": 2, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 4, "W_MODE": 1,
         "W_BANK_DEPTH": 16},
        {"N_IN": 26, "N_OUT": 8, "PE": 1, "SIMD": 2, "IN_BITS": 3, "IN_MODE": 1, "W_BITS": 2, "W_MODE": 1,
         "W_BANK_DEPTH": 8, "TREE_STAGE": 1},
        {"N_IN": 4, "N_OUT": 20, "PE": 2, "SIMD": 4, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1, "W_MODE": 2,
         "W_BANK_DEPTH": 2},
        # lean (qnn rtl for iCE40): no second operand register before the products; SIMD 1 (no tree) and 3
        {"N_IN": 8, "N_OUT": 4, "PE": 1, "SIMD": 1, "IN_BITS": 3, "IN_MODE": 1, "W_BITS": 2, "W_MODE": 1, "OPERAND_REG": 0},
        {"N_IN": 12, "N_OUT": 6, "PE": 2, "SIMD": 3, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 3, "W_MODE": 1, "OPERAND_REG": 0},
    ],
    "thresh": [
        {"PE": 2, "NF": 3, "NT": 3, "IN_BITS": 8, "OUT": "uint"},
        {"PE": 1, "NF": 4, "NT": 15, "IN_BITS": 12, "OUT": "int"},
        {"PE": 4, "NF": 1, "NT": 1, "IN_BITS": 6, "OUT": "bipolar"},
        {"PE": 3, "NF": 2, "NT": 1, "IN_BITS": 5, "OUT": "bipolar2"},
        {"PE": 2, "NF": 5, "NT": 7, "IN_BITS": 9, "OUT": "uint", "TROM_LAT": 1},  # lean (one-register ROM read)
    ],
    "shift": [
        {"PE": 2, "IN_BITS": 12, "SHIFT": 4, "OUT_BITS": 4, "OUT_SIGNED": 0},
        {"PE": 1, "IN_BITS": 10, "SHIFT": 1, "OUT_BITS": 3, "OUT_SIGNED": 1},
        {"PE": 3, "IN_BITS": 8, "SHIFT": 0, "OUT_BITS": 8, "OUT_SIGNED": 1},
        {"PE": 2, "IN_BITS": 6, "SHIFT": -2, "OUT_BITS": 6, "OUT_SIGNED": 1},
    ],
    "maxpool": [
        {"IFM_H": 4, "IFM_W": 4, "C": 2, "PE": 1, "K_H": 2, "K_W": 2, "EW": 4, "SIGNED": 0},
        {"IFM_H": 5, "IFM_W": 7, "C": 4, "PE": 2, "K_H": 2, "K_W": 2, "EW": 3, "SIGNED": 1},
        {"IFM_H": 6, "IFM_W": 6, "C": 3, "PE": 3, "K_H": 3, "K_W": 2, "EW": 1, "SIGNED": 0},
    ],
    "swu": [
        {"IFM_H": 5, "IFM_W": 5, "C": 2, "SIMD": 1, "K_H": 3, "K_W": 3, "S_H": 1, "S_W": 1,
         "P_T": 1, "P_L": 1, "P_B": 1, "P_R": 1, "EW": 4},
        {"IFM_H": 6, "IFM_W": 7, "C": 4, "SIMD": 2, "K_H": 2, "K_W": 3, "S_H": 2, "S_W": 2,
         "P_T": 0, "P_L": 1, "P_B": 1, "P_R": 0, "EW": 3},
        {"IFM_H": 4, "IFM_W": 4, "C": 3, "SIMD": 3, "K_H": 1, "K_W": 1, "S_H": 1, "S_W": 1,
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 2},
        {"IFM_H": 7, "IFM_W": 5, "C": 1, "SIMD": 1, "K_H": 3, "K_W": 3, "S_H": 2, "S_W": 1,
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 5},
        # stride above the kernel (rows released before the writer reaches them: negative counts)
        {"IFM_H": 4, "IFM_W": 2, "C": 2, "SIMD": 2, "K_H": 1, "K_W": 2, "S_H": 3, "S_W": 3,
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 1},
        # one word per window row (1 x 1 kernel, one column, one channel word)
        {"IFM_H": 4, "IFM_W": 1, "C": 2, "SIMD": 2, "K_H": 1, "K_W": 1, "S_H": 2, "S_W": 1,
         "P_T": 0, "P_L": 0, "P_B": 0, "P_R": 0, "EW": 4},
    ],
}


def make_case(core: str, params: dict, work_dir: Path, seed: int = 0, frames: int = 3) -> CoreCase:
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    return CASES[core](dict(params), work_dir, np.random.default_rng(seed), frames)


def run_core(core: str, params: dict, simulator: str, work_dir: Path, seed: int = 0, gap: float = 0.3,
             backpressure: float = 0.3, frames: int = 3, drain: int = 64, max_cycles: int | None = None) -> dict:
    """Simulate one core on one parameter set; the result says ok, words compared, first mismatch."""
    work_dir = Path(work_dir)
    case = make_case(core, params, work_dir, seed, frames)
    cfg = {"in_words": case.in_words, "out_words": case.out_words, "gap": gap, "backpressure": backpressure,
           "seed": seed, "drain": drain, **({"max_cycles": max_cycles} if max_cycles is not None else {})}
    return build_and_test(simulator=simulator, sources=core_files(case.module), toplevel=case.module,
                          parameters=case.params, test_module="sim.tb.tb_core", build_dir=work_dir / simulator,
                          config=cfg)
