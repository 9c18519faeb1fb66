"""``generate_rtl(graph, out_dir, folding)``: the hardware layers, folded, as core instances + ROM files.

Stream formats are decided here: every stream carries channels-last elements; a matrix unit takes SIMD
elements per word and gives PE accumulators; width converters are inserted wherever a producer's word
differs from its consumer's, and a FIFO holding one input vector sits in front of every matrix unit whose
input is re-read over several neuron folds (so its producer never waits for it: the pipeline runs at the
pace of its slowest layer).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from hls.rtlgen.depthwise import DwLayer, SumPoolLayer, dw_stages, sumpool_stage
from hls.rtlgen.design import Design
from hls.rtlgen.encoding import BIPOLAR, SIGNED, Encoding
from hls.rtlgen.folding import Folding, choose_folding, folding_to_dict, layer_cycles
from hls.rtlgen.layers import MvuLayer, PoolLayer, RequantLayer, hardware_layers
from hls.rtlgen.memfile import (
    banked_fields,
    load_words,
    mvu_weight_fields,
    per_channel_fields,
    rom_bank_depth,
    write_rom,
)
from hls.rtlgen.top import SPRAM_STYLE, WEIGHT_LOAD_FILE, Stage, loaded_stages, write_top
from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.util.atomic import atomic_write_text

RTL_DIR = Path(__file__).resolve().parent.parent / "rtl"
CORES = ["qnn_fifo.v", "qnn_width_conv.v", "qnn_swu.v", "qnn_obuf.v", "qnn_rom.v", "qnn_ram.v", "qnn_spram.v", "qnn_mvu.v", "qnn_thresh.v", "qnn_shift.v", "qnn_maxpool.v",
         "qnn_vvau.v", "qnn_sumpool.v"]


def core_sources() -> list[Path]:
    return [RTL_DIR / c for c in CORES]


MEMORY_STYLES = {"bram": 1, "lut": 2, "spram": SPRAM_STYLE}  # --memory LAYER=STYLE -> qnn_mvu MEM_STYLE


def mem_style(depth: int, style: str | None = None) -> int:
    """Weight ROM style (qnn_mvu MEM_STYLE): the one asked for (``MEMORY_STYLES``), else block RAM from 128 words
    deep (a deep LUT ROM is a slow mux tree), else Yosys decides."""
    from hls.rtlgen.fit import BRAM_MIN_DEPTH

    if style is not None and style != "auto":
        return MEMORY_STYLES[style]
    return 1 if depth >= BRAM_MIN_DEPTH else 0


def parse_memory(spec: list[str] | None) -> dict[str, str]:
    """``["Gemm_0=spram", ...]`` (``qnn rtl --memory``) -> {layer: style}."""
    out = {}
    for item in spec or []:
        for part in item.split(","):
            name, _, style = part.strip().partition("=")
            if not name or style not in (*MEMORY_STYLES, "auto"):
                raise QnnError(f"--memory {part!r}: write LAYER=STYLE with STYLE one of auto, {', '.join(MEMORY_STYLES)}")
            out[name] = style
    return out


def acc_encoding(acc_type) -> Encoding:
    """Accumulators are signed in hardware: an unsigned range needs one more bit."""
    return Encoding(acc_type.bits + (0 if acc_type.signed else 1), SIGNED)


def _requant_stage(name: str, node: N.Node, in_enc: Encoding, pe: int, channels: int, out_enc: Encoding,
                   mem_dir: Path, layer: str) -> Stage:
    if in_enc.mode != SIGNED:
        raise UnsupportedOp(f"{node.name}: requantization of an unsigned stream is not supported in RTL")
    a = in_enc.bits
    if isinstance(node, N.MultiThreshold):
        t = np.broadcast_to(node.thresholds, (channels, node.thresholds.shape[-1])).astype(np.int64)
        lo, hi = -(1 << (a - 1)), (1 << (a - 1)) - 1
        t = np.clip(t, lo, hi + 1)  # beyond the input range a threshold is always / never reached
        fname = f"{name}_thresholds.mem"
        write_rom(mem_dir / fname, per_channel_fields(t, pe), a + 1)
        ot = node.out_type
        if ot.bipolar:
            scale, offset = (2, -1) if out_enc.bits == 2 else (1, 0)
        else:
            scale, offset = 1, ot.min
        params = {"PE": pe, "NF": channels // pe, "NT": t.shape[1], "IN_BITS": a, "T_BITS": a + 1,
                  "OUT_BITS": out_enc.bits, "OUT_SCALE": scale, "OUT_OFFSET": offset, "THRESH_FILE": ("file", fname)}
        return Stage(name, "qnn_thresh", params, pe, pe, in_enc, out_enc, layer, {"THRESH_FILE": fname})
    if isinstance(node, N.Shift):
        if node.out_type.bipolar:
            raise UnsupportedOp(f"{node.name}: a Shift into a bipolar type is not supported")
        params = {"PE": pe, "IN_BITS": a, "SHIFT": int(node.shift), "OUT_BITS": out_enc.bits,
                  "OUT_MIN": node.out_type.min, "OUT_MAX": node.out_type.max}
        return Stage(name, "qnn_shift", params, pe, pe, in_enc, out_enc, layer)
    raise UnsupportedOp(f"{node.name}: not a requantizer")


def _needs_zero(layers, idx: int) -> bool:
    """Does the stream leaving layer idx-1 feed (through pools) a zero-padded convolution?"""
    for ly in layers[idx:]:
        if isinstance(ly, PoolLayer):
            continue
        if isinstance(ly, SumPoolLayer):  # sums need the value 0: a bipolar stream travels as 2-bit signed
            return True
        return isinstance(ly, (MvuLayer, DwLayer)) and ly.conv is not None and ly.conv.padded
    return False


def _probed(stage: Stage, frame_elems: int) -> Stage:
    """Mark a stage whose output is an IR node's output: the layer probe taps it (``top.py``)."""
    stage.frame_elems, stage.probe = int(frame_elems), True
    return stage


def build_stages(layers, in_type, folding: Folding, mem_dir: Path, in_len: int = 0,
                 memory: dict[str, str] | None = None) -> list[Stage]:
    """The core instances for ``layers``; ``in_len`` (input elements per inference) sizes the layer probes;
    ``memory`` names the weight memory style of matrix layers ({layer: auto|bram|lut|spram})."""
    memory = dict(memory or {})
    unknown = set(memory) - {ly.name for ly in layers if isinstance(ly, MvuLayer)}
    if unknown:
        raise QnnError(f"--memory names unknown layers {sorted(unknown)}: the matrix layers are "
                       f"{[ly.name for ly in layers if isinstance(ly, MvuLayer)]}")
    enc = Encoding.for_type(in_type, need_zero=_needs_zero(layers, 0))
    elems = None  # elements per word of the stream so far (None: the top input, free to choose)
    frame = in_len  # elements per inference of the stream so far
    stages: list[Stage] = []

    def connect(want: int, kind: str, fifo_depth: int = 0) -> None:
        """Bring the current stream to ``want`` elements per word (and buffer it) before a consumer."""
        nonlocal elems
        if elems is None:
            elems = want
            return
        if elems != want:
            stages.append(Stage(f"wc{len(stages)}", "qnn_width_conv", {"IN_N": elems, "OUT_N": want, "EW": enc.bits},
                                elems, want, enc, enc, kind))
            elems = want
        if fifo_depth:
            stages.append(Stage(f"fifo{len(stages)}", "qnn_fifo", {"WIDTH": elems * enc.bits, "DEPTH": fifo_depth},
                                elems, elems, enc, enc, kind))

    for i, layer in enumerate(layers):
        out_zero = _needs_zero(layers, i + 1)
        if isinstance(layer, MvuLayer):
            f = folding[layer.name]
            if layer.in_type.bipolar != (enc.mode == BIPOLAR) and not (layer.in_type.bipolar and enc.bits == 2):
                raise QnnError(f"{layer.name}: input type {layer.in_type} does not match the stream")
            sf, nf = layer.n_in // f.simd, layer.n_out // f.pe
            if layer.conv is not None:
                g = layer.conv
                connect(f.simd, layer.name, fifo_depth=2 if stages else 0)
                stages.append(Stage(f"{layer.name}_swu", "qnn_swu", {
                    "IFM_H": g.ifm_h, "IFM_W": g.ifm_w, "C": g.cin, "SIMD": f.simd, "K_H": g.kh, "K_W": g.kw,
                    "S_H": g.stride[0], "S_W": g.stride[1], "P_T": g.pad[0], "P_L": g.pad[1], "P_B": g.pad[2],
                    "P_R": g.pad[3], "EW": enc.bits}, f.simd, f.simd, enc, enc, layer.name))
            else:
                connect(f.simd, layer.name, fifo_depth=max(2, sf) if (stages and nf > 1) else (2 if stages else 0))
            acc = acc_encoding(layer.acc_type)
            wenc = Encoding.for_type(layer.weight_type)
            wname, bname = f"{layer.name}_weights.mem", f"{layer.name}_bias.mem"
            style = mem_style(sf * nf, memory.get(layer.name))
            bank = 0 if style == SPRAM_STYLE else rom_bank_depth(sf * nf)  # SPRAM: loaded in the natural order
            wfields = banked_fields(wenc.encode(mvu_weight_fields(layer.weight, f.pe, f.simd)), bank)
            write_rom(mem_dir / wname, wfields, wenc.bits)
            write_rom(mem_dir / bname, per_channel_fields(layer.bias, f.pe), acc.bits)
            stages.append(Stage(f"{layer.name}_mvu", "qnn_mvu", {
                "N_IN": layer.n_in, "N_OUT": layer.n_out, "PE": f.pe, "SIMD": f.simd, "IN_BITS": enc.bits,
                "IN_MODE": enc.mode, "W_BITS": wenc.bits, "W_MODE": wenc.mode, "ACC_BITS": acc.bits,
                "MEM_STYLE": style, **({"W_BANK_DEPTH": bank} if bank else {}),
                "WEIGHT_FILE": ("file", wname), "BIAS_FILE": ("file", bname)},
                f.simd, f.pe, enc, acc, layer.name, {"WEIGHT_FILE": wname, "BIAS_FILE": bname}))
            frame = layer.n_out * layer.vectors
            _probed(stages[-1], frame)
            enc, elems = acc, f.pe
            if layer.requant is not None:
                oenc = Encoding.for_type(layer.requant.out_type, need_zero=out_zero)
                stages.append(_probed(_requant_stage(f"{layer.name}_rq", layer.requant, enc, f.pe, layer.n_out, oenc,
                                                     mem_dir, layer.requant.name), frame))
                enc = oenc
        elif isinstance(layer, PoolLayer):
            h, w, c = layer.ifm
            pe = elems if elems is not None else c
            connect(pe, layer.name)
            stages.append(Stage(f"{layer.name}_pool", "qnn_maxpool", {
                "IFM_H": h, "IFM_W": w, "C": c, "PE": pe, "K_H": layer.kernel[0], "K_W": layer.kernel[1],
                "EW": enc.bits, "SIGNED": int(enc.mode == SIGNED)}, pe, pe, enc, enc, layer.name))
            frame = (h // layer.kernel[0]) * (w // layer.kernel[1]) * c
            _probed(stages[-1], frame)
        elif isinstance(layer, DwLayer):
            f = folding[layer.name]
            connect(f.pe, layer.name, fifo_depth=2 if stages else 0)
            new, enc = dw_stages(layer, f, enc, mem_dir, out_zero)
            stages += new
            elems, frame = f.pe, layer.n_out * layer.vectors
        elif isinstance(layer, SumPoolLayer):
            pe = elems if elems is not None else layer.ifm[2]
            connect(pe, layer.name)
            st, enc = sumpool_stage(layer, pe, enc)
            stages.append(st)
            frame = st.frame_elems
        elif isinstance(layer, RequantLayer):
            pe = elems if elems is not None else layer.channels
            connect(pe, layer.name)
            oenc = Encoding.for_type(layer.node.out_type, need_zero=out_zero)
            stages.append(_probed(_requant_stage(f"{layer.name}_rq", layer.node, enc, pe, layer.channels, oenc,
                                                 mem_dir, layer.name), frame))
            enc = oenc
    return stages


LEAN = {"qnn_mvu": {"OPERAND_REG": 0}, "qnn_thresh": {"TROM_LAT": 1}}  # registers a small iCE40 cannot spare


def generate_rtl(graph: IntGraph, out_dir: str | Path, folding: Folding | None = None,
                 target_cycles: int | None = None, memory: dict[str, str] | None = None,
                 lean: bool = False) -> Design:
    """Write qnn_top.v, the cores, the ROM files and design.json into ``out_dir``; return the design.

    ``folding`` gives (PE, SIMD) per matrix layer by IR node name; layers it does not name are folded
    for ``target_cycles`` (default: 64 multipliers in the slowest layer).  ``memory`` picks weight memory
    styles per layer ({layer: auto|bram|lut|spram}); SPRAM weights are also written, as the load words of
    the top's weight-load port, into ``WEIGHT_LOAD_FILE``.  ``lean`` (the iCE40 fits and boards) leaves out the
    pipeline registers that only pay on ECP5-class fabric (``LEAN``: the MVU's second operand register, the
    thresholds' second ROM register), so a design near the UP5K's 5,280 logic cells still fits."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layers, in_type, in_shape = hardware_layers(graph)
    mvus = [ly for ly in layers if isinstance(ly, (MvuLayer, DwLayer))]
    if not mvus:
        raise UnsupportedOp("the graph has no Dense or Conv2d layer: nothing to fold")
    fold = choose_folding(mvus, target_cycles, folding)
    stages = build_stages(layers, in_type, fold, out_dir, int(np.prod(in_shape)), memory)
    for st in stages if lean else []:
        st.params.update(LEAN.get(st.module, {}))
    words: list[str] = []
    for st in loaded_stages(stages):
        words += load_words(out_dir / st.mems["WEIGHT_FILE"], st.params["PE"] * st.params["SIMD"] * st.params["W_BITS"])
    if words:
        atomic_write_text(out_dir / WEIGHT_LOAD_FILE, "\n".join(words) + "\n")
    header = graph.summary()
    atomic_write_text(out_dir / "qnn_top.v", write_top(stages, header))
    for src in core_sources():
        shutil.copyfile(src, out_dir / src.name)
    out_len = int(np.prod(_out_shape(graph)))
    design = Design(
        rtl_dir=str(out_dir.resolve()), top="qnn_top", sources=[*CORES, "qnn_top.v"],
        in_elems=stages[0].in_elems, in_enc=stages[0].in_enc.to_dict(), in_len=int(np.prod(in_shape)),
        out_elems=stages[-1].out_elems, out_enc=stages[-1].out_enc.to_dict(), out_len=out_len,
        folding=folding_to_dict(fold),
        layers=[{"name": m.name, "kind": getattr(m, "kind", "conv" if m.conv else "dense"), "n_in": m.n_in, "n_out": m.n_out,
                 "vectors": m.vectors, "pe": fold[m.name].pe, "simd": fold[m.name].simd, "macs": m.macs,
                 "cycles": layer_cycles(m, fold[m.name])} for m in mvus],
        stages=[s.describe() for s in stages], graph_summary=header, weight_load_words=len(words))
    design.save()
    return design


def _out_shape(graph: IntGraph) -> tuple[int, ...]:
    """Shape (without batch) of the integer body's output, from a one-sample golden run."""
    from qnn.golden.execute import run_integer

    q = graph.input_quant.out_type
    shape = (1, *((graph.input_shape[1], graph.input_shape[2], graph.input_shape[0])
                  if graph.input_layout == "NCHW" else (int(np.prod(graph.input_shape)),)))
    x = np.full(shape, q.min if not q.bipolar else 1, dtype=np.int64)
    return run_integer(graph, x).shape[1:]
