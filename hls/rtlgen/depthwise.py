"""Depthwise-separable layers in hardware: the vector-vector unit (``qnn_vvau``) and sum pooling (``qnn_sumpool``).

A ``DepthwiseConv2d`` becomes a sliding window unit in its depthwise order (``qnn_swu`` ``DW=1``: per output pixel,
per word of PE channels, all K = K_H*K_W taps), a width converter to PE*SIMD elements when SIMD > 1, and a VVAU fused
with the requantizer that follows.  Folding: PE divides the channels, SIMD divides K.  The window unit sends one word
of PE channels per cycle, so a depthwise layer takes pixels * C/PE * K cycles whatever SIMD is (SIMD > 1 needs a
window unit that reads several taps at once, FINN's parallel window, not built here); the folding picks SIMD = 1.

A ``SumPool`` (average pooling kept exact as the integer sum, kernel = stride, or global) becomes a ``qnn_sumpool``
whose signed sums feed the next thresholds, which hold the 1/N (``fold_requant`` on the IR side).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hls.rtlgen.matrix import MatrixShape
from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.qtype import QType


def vvau_weight_fields(weight: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """weight [C, K] (taps in (kh, kw) order) -> ROM fields [CF*TF, PE*SIMD]: word cf*TF+tf, field s*PE+p =
    W[cf*PE+p, tf*SIMD+s] (the layout of the VVAU's input words)."""
    c, k = weight.shape
    cf, tf = c // pe, k // simd
    w = np.asarray(weight).reshape(cf, pe, tf, simd).transpose(0, 2, 3, 1)  # [cf, tf, simd, pe]
    return w.reshape(cf * tf, simd * pe)


@dataclass(frozen=True)
class DwLayer(MatrixShape):
    """A depthwise convolution: C channels, each with its own K taps (the folding treats it like a matrix layer
    with n_in = K inputs and n_out = C outputs per pixel)."""

    name: str
    weight: np.ndarray  # [C, K], taps in (kh, kw) order
    bias: np.ndarray
    in_type: QType
    weight_type: QType
    acc_type: QType
    vectors: int  # output pixels per inference
    conv: object  # layers.ConvGeom (cin = C)
    requant: N.Node | None = None
    kind = "depthwise"

    @property
    def simd_limit(self) -> int:
        return self.n_in

    def cycles(self, fold) -> int:
        """Cycles per inference: the window unit sends K words of PE channels per channel fold and pixel."""
        return self.vectors * (self.n_out // fold.pe) * self.n_in


@dataclass(frozen=True)
class SumPoolLayer:
    name: str
    ifm: tuple[int, int, int]  # H, W, C
    kernel: tuple[int, int]
    out_type: QType  # of the sums (the IR node's)


def dw_layer(n: N.DepthwiseConv2d, shape: tuple, rq, geom_cls) -> tuple[DwLayer, tuple]:
    """The hardware layer of a DepthwiseConv2d on a [H, W, C] stream, and the stream's shape after it."""
    if len(shape) != 3:
        raise UnsupportedOp(f"{n.name}: DepthwiseConv2d needs an image input")
    h, w, c = shape
    cw, kh, kw = n.weight.shape
    if cw != c:
        raise QnnError(f"{n.name}: weight has {cw} channels, the stream has {c}")
    geom = geom_cls(h, w, c, kh, kw, tuple(n.stride), tuple(n.pad))
    t, lft, b, r = geom.pad
    if t >= kh or b >= kh or lft >= kw or r >= kw:
        raise UnsupportedOp(f"{n.name}: padding must be smaller than the kernel")
    oh, ow = geom.ofm
    layer = DwLayer(n.name, n.weight.reshape(c, -1).astype(np.int64), n.bias.astype(np.int64), n.in_type,
                    n.weight_type, n.acc_type, oh * ow, geom, rq)
    return layer, (oh, ow, c)


def sumpool_layer(n: N.SumPool, shape: tuple) -> tuple[SumPoolLayer, tuple]:
    if len(shape) != 3:
        raise UnsupportedOp(f"{n.name}: SumPool needs an image input")
    h, w, c = shape
    k = (h, w) if n.global_pool else tuple(int(v) for v in n.kernel)
    if not n.global_pool and tuple(n.kernel) != tuple(n.stride):
        raise UnsupportedOp(f"{n.name}: SumPool with kernel {tuple(n.kernel)} != stride {tuple(n.stride)} is not "
                            "supported in RTL (qnn_sumpool pools non-overlapping windows)")
    if k[0] > h or k[1] > w:
        raise UnsupportedOp(f"{n.name}: pooling window {k} is larger than the {h}x{w} image")
    return SumPoolLayer(n.name, (h, w, c), k, n.out_type), (h // k[0], w // k[1], c)


def dw_stages(layer: DwLayer, fold, enc, mem_dir: Path, out_zero: bool) -> tuple[list, object]:
    """Window unit (depthwise order), width converter, VVAU and requantizer for ``layer``; the stream arriving has
    PE elements per word in encoding ``enc``.  Returns (stages, encoding of the output stream)."""
    from hls.rtlgen.encoding import Encoding
    from hls.rtlgen.generate import _probed, _requant_stage, acc_encoding, mem_style
    from hls.rtlgen.memfile import per_channel_fields, write_rom
    from hls.rtlgen.top import Stage

    g, f, name = layer.conv, fold, layer.name
    cf, tf = layer.n_out // f.pe, layer.n_in // f.simd
    stages = [Stage(f"{name}_swu", "qnn_swu", {
        "IFM_H": g.ifm_h, "IFM_W": g.ifm_w, "C": g.cin, "SIMD": f.pe, "K_H": g.kh, "K_W": g.kw,
        "S_H": g.stride[0], "S_W": g.stride[1], "P_T": g.pad[0], "P_L": g.pad[1], "P_B": g.pad[2],
        "P_R": g.pad[3], "EW": enc.bits, "DW": 1}, f.pe, f.pe, enc, enc, name)]
    if f.simd > 1:
        stages.append(Stage(f"{name}_wc", "qnn_width_conv", {"IN_N": f.pe, "OUT_N": f.pe * f.simd, "EW": enc.bits},
                            f.pe, f.pe * f.simd, enc, enc, name))
    acc = acc_encoding(layer.acc_type)
    wenc = Encoding.for_type(layer.weight_type)
    wname, bname = f"{name}_weights.mem", f"{name}_bias.mem"
    write_rom(mem_dir / wname, wenc.encode(vvau_weight_fields(layer.weight, f.pe, f.simd)), wenc.bits)
    write_rom(mem_dir / bname, per_channel_fields(layer.bias, f.pe), acc.bits)
    stages.append(Stage(f"{name}_vvau", "qnn_vvau", {
        "C": layer.n_out, "K": layer.n_in, "PE": f.pe, "SIMD": f.simd, "IN_BITS": enc.bits, "IN_MODE": enc.mode,
        "W_BITS": wenc.bits, "W_MODE": wenc.mode, "ACC_BITS": acc.bits, "MEM_STYLE": mem_style(cf * tf),
        "WEIGHT_FILE": ("file", wname), "BIAS_FILE": ("file", bname)},
        f.pe * f.simd, f.pe, enc, acc, name, {"WEIGHT_FILE": wname, "BIAS_FILE": bname}))
    frame = layer.n_out * layer.vectors
    _probed(stages[-1], frame)
    out = acc
    if layer.requant is not None:
        oenc = Encoding.for_type(layer.requant.out_type, need_zero=out_zero)
        stages.append(_probed(_requant_stage(f"{name}_rq", layer.requant, acc, f.pe, layer.n_out, oenc, mem_dir,
                                             layer.requant.name), frame))
        out = oenc
    return stages, out


def sumpool_stage(layer: SumPoolLayer, pe: int, enc):
    """The qnn_sumpool instance on a stream of ``pe`` elements per word; its output is signed (the sums)."""
    from hls.rtlgen.encoding import BIPOLAR, SIGNED, Encoding
    from hls.rtlgen.generate import _probed, acc_encoding
    from hls.rtlgen.top import Stage

    if enc.mode == BIPOLAR:
        raise UnsupportedOp(f"{layer.name}: a sum pool of a one-bit bipolar stream (it travels as 2-bit signed)")
    h, w, c = layer.ifm
    out = acc_encoding(layer.out_type)
    st = Stage(f"{layer.name}_pool", "qnn_sumpool", {
        "IFM_H": h, "IFM_W": w, "C": c, "PE": pe, "K_H": layer.kernel[0], "K_W": layer.kernel[1],
        "IN_BITS": enc.bits, "SIGNED": int(enc.mode == SIGNED), "OUT_BITS": out.bits}, pe, pe, enc,
        Encoding(out.bits, SIGNED), layer.name)
    return _probed(st, (h // layer.kernel[0]) * (w // layer.kernel[1]) * c), st.out_enc


def memories(st) -> list[tuple[int, int]] | None:
    """(width, depth) of the memories of a qnn_vvau / qnn_sumpool instance (None for other modules)."""
    p = st.params
    if st.module == "qnn_vvau":
        cf, tf = p["C"] // p["PE"], p["K"] // p["SIMD"]
        return [(p["PE"] * p["SIMD"] * p["W_BITS"], cf * tf), (p["PE"] * p["ACC_BITS"], cf)]
    if st.module == "qnn_sumpool":
        return [(p["PE"] * p["OUT_BITS"], (p["IFM_W"] // p["K_W"]) * (p["C"] // p["PE"]))]
    return None


def datapath(st) -> tuple[float, float] | None:
    """(product bits, accumulator + adder-tree bits) of a qnn_vvau / qnn_sumpool instance, the features the
    resource model scales LUTs and flip-flops with (``fit.features``); None for other modules."""
    p = st.params
    if st.module == "qnn_vvau":
        m = p["PE"] * p["SIMD"]
        xw = p["IN_BITS"] + (1 if p["IN_MODE"] == 0 else 0) if p["IN_MODE"] != 2 else 2
        ww = p["W_BITS"] + (1 if p["W_MODE"] == 0 else 0) if p["W_MODE"] != 2 else 2
        return m * xw * ww, p["PE"] * p["ACC_BITS"] + m * (xw + ww)
    if st.module == "qnn_sumpool":
        return 0.0, st.in_width + 2 * st.out_width  # adders, the input register and the output buffer
    return None
