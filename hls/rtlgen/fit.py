"""A resource model of the cores, and the fastest folding that fits a device (``qnn rtl RUN --fit DEVICE``).

``estimate(stages, family)`` adds up, per core instance, the LUTs, flip-flops and block RAMs its parameters
imply: block RAMs by geometry (each memory of at least ``BRAM_MIN_BITS`` bits tiles into the family's RAM
shapes, as Yosys maps it), LUTs and flip-flops as linear functions of the datapath widths whose coefficients
are least-squares fits to Yosys results (``resource_model.json`` keeps those calibration points, so the
fit can be redone and checked: ``bench/bench_hw.py`` reports the model against Yosys for every design).

``fit_folding(mvus, build, device)`` walks cycles-per-inference targets from the fastest folding to the
slowest and returns the first whose estimate fits the device (LUTs under ``LUT_MARGIN`` of the capacity,
block RAMs and SPRAMs within it); if none does it says by how much the slowest misses and which layer dominates.

Memory styles: a weight memory goes to block RAM or LUTs as ``generate.mem_style`` decides, unless the caller
fixes it (``memory``, ``qnn rtl --memory LAYER=STYLE``).  On a device with SPRAM (the UP5K's four 16K x 16
single-port RAMs, ``qnn_spram.v``: ceil(width/16) x ceil(depth/16384) of them per memory), a folding that misses
only for block RAMs or LUTs moves weight memories into SPRAM, the layer with the most block RAMs first, as long as
the SPRAMs last; the styles chosen are ``Estimate.memory``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hls.rtlgen import depthwise
from qnn.errors import QnnError

MODEL_FILE = Path(__file__).with_name("resource_model.json")
LUT_MARGIN = 0.85  # leave room for place and route
BRAM_SHAPES = {  # (depth, width) of one block RAM
    "ice40": [(256, 16), (512, 8), (1024, 4), (2048, 2)],
    "ecp5": [(512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)],
    "xilinx": [(512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)],
}
BRAM_UNIT = {"ice40": 1.0, "ecp5": 1.0, "xilinx": 0.5}  # RAMB18 = half a RAMB36
BRAM_MIN_BITS = {"ice40": 2048, "ecp5": 4096, "xilinx": 4096}  # smaller memories stay in LUTs / flip-flops
BRAM_MIN_DEPTH = 128  # weight ROMs this deep are put in block RAM whatever their size (generate.mem_style)
FEATURES = ("mac", "acc", "rom", "stage")
RIDGE = 0.05  # pull of the prior coefficients in the calibration fit


SPRAM_SHAPE = (16384, 16)  # (depth, width) of one iCE40 SB_SPRAM256KA
SPRAM_STYLE = 3  # qnn_mvu MEM_STYLE


@dataclass(frozen=True)
class Estimate:
    lut: float
    ff: float
    bram: float
    per_stage: dict  # instance name -> (lut, ff, bram)
    spram: float = 0.0
    memory: dict = field(default_factory=dict)  # weight memory styles chosen / given: {layer: style}

    def to_dict(self) -> dict:
        return {"lut": round(self.lut), "ff": round(self.ff), "bram": self.bram, "spram": self.spram,
                "memory": dict(self.memory),
                "per_stage": {k: [round(v[0]), round(v[1]), v[2]] for k, v in self.per_stage.items()}}


def spram_blocks(width: int, depth: int) -> int:
    """SPRAMs for a width x depth memory in qnn_spram's tiling."""
    d, w = SPRAM_SHAPE
    return math.ceil(width / w) * math.ceil(depth / d)


def stage_sprams(st) -> int:
    p = st.params
    if st.module != "qnn_mvu" or p.get("MEM_STYLE") != SPRAM_STYLE:
        return 0
    return spram_blocks(p["PE"] * p["SIMD"] * p["W_BITS"], (p["N_IN"] // p["SIMD"]) * (p["N_OUT"] // p["PE"]))


def bram_blocks(width: int, depth: int, family: str, force: bool = False) -> float:
    """Block RAMs for a width x depth memory (the cheapest tiling), 0 below BRAM_MIN_BITS unless forced."""
    if width * depth < BRAM_MIN_BITS[family] and not force:
        return 0.0
    n = min(math.ceil(width / w) * math.ceil(depth / d) for d, w in BRAM_SHAPES[family])
    return n * BRAM_UNIT[family]


def _memories(st) -> list[tuple[int, int]]:
    """(width, depth) of every memory of a core instance."""
    p = st.params
    if depthwise.memories(st) is not None:
        return depthwise.memories(st)
    if st.module == "qnn_mvu":
        sf, nf = p["N_IN"] // p["SIMD"], p["N_OUT"] // p["PE"]
        w, d, bd = p["PE"] * p["SIMD"] * p["W_BITS"], sf * nf, p.get("W_BANK_DEPTH", 0)
        wrom = (w * -(-d // bd), bd) if bd and d > bd else (w, d)  # banked: the banks side by side (qnn_rom.v)
        mems = [wrom, (p["PE"] * p["ACC_BITS"], nf)]
        if nf > 1:
            mems.append((p["SIMD"] * p["IN_BITS"], sf))  # input buffer (re-read over the neuron folds)
        return mems
    if st.module == "qnn_thresh":
        return [(p["PE"] * p["NT"] * p["T_BITS"], p["NF"])]
    if st.module == "qnn_fifo":
        return [(p["WIDTH"], p["DEPTH"])]
    if st.module == "qnn_swu":
        cf = p["C"] // p["SIMD"]
        return [(p["SIMD"] * p["EW"], (p["K_H"] + p["S_H"]) * p["IFM_W"] * cf)]
    if st.module == "qnn_maxpool":
        return [(p["PE"] * p["EW"], (p["IFM_W"] // p["K_W"]) * (p["C"] // p["PE"]))]
    return []


def _bank_mux_bits(p: dict) -> int:
    """Register bits of a banked weight ROM's multiplexer stages (4:1 each) and of the operand waiting for them."""
    d, bd = (p["N_IN"] // p["SIMD"]) * (p["N_OUT"] // p["PE"]), p.get("W_BANK_DEPTH", 0)
    if not bd or d <= bd or p.get("MEM_STYLE") == SPRAM_STYLE:
        return 0
    n, words, stages = -(-d // bd), 0, 0
    while n > 1:
        n = -(-n // 4)
        words, stages = words + n, stages + 1
    return words * p["PE"] * p["SIMD"] * p["W_BITS"] + stages * p["SIMD"] * p["IN_BITS"]


def features(st, family: str) -> tuple[dict, float]:
    """Datapath sizes of one instance that LUTs and flip-flops scale with; and its block RAMs."""
    p = st.params
    mac = acc = 0.0
    if st.module == "qnn_mvu":
        m = p["PE"] * p["SIMD"]
        xnor = p["IN_MODE"] == 2 and p["W_MODE"] == 2
        xw = p["IN_BITS"] + (1 if p["IN_MODE"] == 0 else 0) if p["IN_MODE"] != 2 else 2
        ww = p["W_BITS"] if p["W_MODE"] != 2 else 2
        mac = m * (1.0 if xnor else xw * ww)  # product bits: XNOR one, a multiplier ~ XW x WW
        acc = p["PE"] * p["ACC_BITS"] + m * (1 if xnor else xw + ww)  # accumulators + adder-tree leaves
        acc += _bank_mux_bits(p)
    elif st.module == "qnn_thresh":
        acc = p["PE"] * p["NT"] * p["T_BITS"]
    elif depthwise.datapath(st) is not None:
        mac, acc = depthwise.datapath(st)
    elif st.module in ("qnn_shift", "qnn_maxpool", "qnn_width_conv", "qnn_swu", "qnn_fifo"):
        acc = st.in_width + st.out_width
    rom = bram = 0.0
    for i, (w, d) in enumerate(_memories(st)):
        if st.module == "qnn_mvu" and i == 0 and st.params.get("MEM_STYLE") == SPRAM_STYLE:
            continue  # the weights are in SPRAM (stage_sprams)
        forced = st.module in ("qnn_mvu", "qnn_vvau") and i == 0 and st.params.get("MEM_STYLE") == 1  # the weight ROM
        b = bram_blocks(w, d, family, force=forced)
        bram += b
        if not b:
            rom += w * d
    return {"mac": mac, "acc": acc, "rom": rom, "stage": 1.0}, bram


def _coefficients(family: str) -> dict:
    """Least-squares LUT/FF coefficients from the calibration points in resource_model.json."""
    data = json.loads(MODEL_FILE.read_text()) if MODEL_FILE.is_file() else {}
    pts = [q for q in data.get("points", []) if q["family"] == family]
    prior = {"lut": {"mac": 1.0, "acc": 1.5, "rom": 1 / 16, "stage": 30.0},  # rough LUT4 figures
             "ff": {"mac": 1.0, "acc": 2.0, "rom": 0.0, "stage": 20.0}}
    coef = {}
    for res in ("lut", "ff"):
        c0 = np.array([prior[res][f] for f in FEATURES])
        if not pts:
            coef[res] = dict(prior[res])
            continue
        # relative least squares, pulled towards the prior (so that few points still give a sane fit):
        # minimize sum((A c - y) / y)^2 + RIDGE * sum((c - c0) / s)^2, with s = c0 (or 1 where c0 is 0)
        a = np.array([[q["features"][f] for f in FEATURES] for q in pts], dtype=float)
        y = np.array([q[res] for q in pts], dtype=float)
        sc = np.where(c0 > 0, c0, 1.0)
        a_rel = a * sc / y[:, None]
        lhs = np.vstack([a_rel, np.sqrt(RIDGE) * np.eye(len(FEATURES))])
        rhs = np.concatenate([np.ones(len(y)), np.sqrt(RIDGE) * c0 / sc])
        u, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
        coef[res] = dict(zip(FEATURES, np.maximum(u * sc, 0.0).tolist()))
    return coef


def design_features(stages, family: str) -> dict:
    tot = dict.fromkeys(FEATURES, 0.0)
    for st in stages:
        f, _ = features(st, family)
        for k in FEATURES:
            tot[k] += f[k]
    return tot


def estimate(stages, family: str, memory: dict | None = None) -> Estimate:
    coef = _coefficients(family)
    per, lut, ff, bram = {}, 0.0, 0.0, 0.0
    spram = float(sum(stage_sprams(st) for st in stages))
    for st in stages:
        f, b = features(st, family)
        sl = sum(coef["lut"][k] * f[k] for k in FEATURES)
        sfq = sum(coef["ff"][k] * f[k] for k in FEATURES)
        per[st.name] = (sl, sfq, b)
        lut, ff, bram = lut + sl, ff + sfq, bram + b
    return Estimate(lut, ff, bram, per, spram, dict(memory or {}))


def fits(est: Estimate, dev) -> list[str]:
    probs = []
    if est.lut > LUT_MARGIN * dev.luts:
        probs.append(f"~{est.lut:.0f} LUTs > {LUT_MARGIN:.0%} of {dev.luts}")
    if est.bram > dev.brams:
        probs.append(f"{est.bram:g} block RAMs > {dev.brams:g}")
    if est.ff > dev.ffs:
        probs.append(f"~{est.ff:.0f} flip-flops > {dev.ffs}")
    if est.spram > getattr(dev, "sprams", 0):
        probs.append(f"{est.spram:g} SPRAMs > {getattr(dev, 'sprams', 0)}")
    return probs


def candidate_targets(mvus) -> list[int]:
    """Cycles-per-inference targets from the fastest folding to the slowest, each a distinct slowest layer."""
    ts = set()
    for m in mvus:
        for pe in range(1, m.n_out + 1):
            if m.n_out % pe:
                continue
            for simd in range(1, m.simd_limit + 1):
                if m.simd_limit % simd == 0:
                    ts.add(m.vectors * (m.n_out // pe) * (m.n_in // simd))
    lo = max(max(m.vectors * (m.n_in // m.simd_limit) for m in mvus), 1)  # the fastest possible pipeline
    out = []
    for t in sorted(t for t in ts if t >= lo):  # a geometric ladder: each step at least 20 % slower
        if not out or t >= 1.2 * out[-1]:
            out.append(t)
    return out


def fit_target(graph, device, memory: dict | None = None) -> tuple[int, dict, Estimate]:
    """The cycles-per-inference target (and its folding, estimate) of the fastest design that fits; ``memory``
    fixes weight memory styles ({layer: style}), the estimate's ``memory`` holds those used."""
    import tempfile

    from hls.rtlgen.folding import choose_folding
    from hls.rtlgen.generate import build_stages
    from hls.rtlgen.layers import DwLayer, MvuLayer, hardware_layers

    layers, in_type, _ = hardware_layers(graph)
    mvus = [ly for ly in layers if isinstance(ly, (MvuLayer, DwLayer))]
    with tempfile.TemporaryDirectory() as tmp:
        def build(t, mem):
            fold = choose_folding(mvus, t)
            return fold, build_stages(layers, in_type, fold, Path(tmp), memory=mem)

        return fit_folding(mvus, build, device, device.family, memory)


def _fit_memories(mvus, build, t, device, family: str, fixed: dict):
    """(folding, estimate) at target ``t`` with the styles ``fixed``, moving further weight memories into SPRAM
    (most block RAMs first) while the device has SPRAMs left and the design does not fit yet."""
    mem = dict(fixed)
    fold, stages = build(t, mem)
    est = estimate(stages, family, mem)
    if not fits(est, device) or not getattr(device, "sprams", 0):
        return fold, est
    brams = {st.layer: est.per_stage[st.name][2] for st in stages if st.module == "qnn_mvu" and st.layer not in mem}
    best = (fold, est)
    for name in sorted(brams, key=lambda n: -brams[n]):
        if not brams[name]:
            break
        trial = {**mem, name: "spram"}
        f2, st2 = build(t, trial)
        e2 = estimate(st2, family, trial)
        if e2.spram > device.sprams:
            continue
        mem, best = trial, (f2, e2)
        if not fits(e2, device):
            return best
    return best


def fit_folding(mvus, build, device, family: str, memory: dict | None = None):
    """(target, folding, estimate) of the fastest folding that fits ``device``; ``build(target, memory)`` returns
    (folding, stages) for a cycles-per-inference target and weight memory styles {layer: style}."""
    last = None
    for t in candidate_targets(mvus):
        fold, est = _fit_memories(mvus, build, t, device, family, dict(memory or {}))
        if not fits(est, device):
            return t, fold, est
        last = (t, est)
    if last is None:
        raise QnnError("no matrix layer to fold")
    t, est = last
    worst = max(est.per_stage.items(), key=lambda kv: kv[1][0] + 500 * kv[1][2])
    raise QnnError(f"nothing fits {device.name}: even the slowest folding ({t} cycles/inference) needs "
                   f"{'; '.join(fits(est, device))}; the largest instance is {worst[0]} "
                   f"(~{worst[1][0]:.0f} LUTs, {worst[1][2]:g} block RAMs)")
