"""From the IR's integer body to hardware layers: what each core instance computes (before folding).

Rules (the streaming architecture of FINN): a ``Dense`` or ``Conv2d`` becomes one matrix-vector unit,
fused with the ``MultiThreshold``/``Shift`` that follows it; a ``Conv2d`` gets a sliding-window unit in
front; a ``DepthwiseConv2d`` becomes a vector-vector unit the same way and a ``SumPool`` a sum-pool core
(``depthwise.py``); ``MaxPool`` is a streaming max-pool (kernel = stride); ``Flatten`` is free, since streams are
already channels-last; the last layer outputs its accumulator.  A requantizer that follows no
matrix layer becomes a stand-alone threshold/shift unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hls.rtlgen.depthwise import DwLayer, SumPoolLayer, dw_layer, sumpool_layer
from hls.rtlgen.matrix import MatrixShape
from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.qtype import QType


@dataclass(frozen=True)
class ConvGeom:
    ifm_h: int
    ifm_w: int
    cin: int
    kh: int
    kw: int
    stride: tuple[int, int]
    pad: tuple[int, int, int, int]  # top, left, bottom, right

    @property
    def ofm(self) -> tuple[int, int]:
        t, lft, b, r = self.pad
        return ((self.ifm_h + t + b - self.kh) // self.stride[0] + 1, (self.ifm_w + lft + r - self.kw) // self.stride[1] + 1)

    @property
    def padded(self) -> bool:
        return any(self.pad)


@dataclass(frozen=True)
class MvuLayer(MatrixShape):
    name: str
    weight: np.ndarray  # [out, in]; for a convolution in = (kh, kw, cin) flattened
    bias: np.ndarray
    in_type: QType
    weight_type: QType
    acc_type: QType
    vectors: int  # matrix-vector products per inference (output pixels of a convolution)
    conv: ConvGeom | None = None
    requant: N.Node | None = None  # MultiThreshold or Shift, or None for the output layer

    @property
    def simd_limit(self) -> int:
        """SIMD must divide this: the input length, or the channels of one pixel for a convolution."""
        return self.conv.cin if self.conv else self.n_in


@dataclass(frozen=True)
class PoolLayer:
    name: str
    ifm: tuple[int, int, int]  # H, W, C
    kernel: tuple[int, int]


@dataclass(frozen=True)
class RequantLayer:
    name: str
    node: N.Node  # MultiThreshold or Shift
    channels: int


Layer = MvuLayer | PoolLayer | RequantLayer | DwLayer | SumPoolLayer


def _is_requant(n) -> bool:
    return isinstance(n, (N.MultiThreshold, N.Shift))


def hardware_layers(graph: IntGraph) -> tuple[list[Layer], QType, tuple[int, ...]]:
    """(layers, input type, input shape as H, W, C or (C,)) for a streamlined graph."""
    q, body, _ = graph.split()
    if not body:
        raise QnnError("the graph has an empty integer body: nothing to build")
    shape: tuple[int, ...]
    if graph.input_layout == "NCHW":
        c, h, w = graph.input_shape
        shape = (h, w, c)
    else:
        shape = (int(np.prod(graph.input_shape)),)
    in_shape = shape
    layers: list[Layer] = []
    i = 0
    while i < len(body):
        n = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else None
        # a requantizer right after a matrix layer is fused into it (nothing else consumes one)
        rq = nxt if _is_requant(nxt) and isinstance(n, (N.Dense, N.Conv2d, N.DepthwiseConv2d)) else None
        if isinstance(n, N.Dense):
            if len(shape) != 1:
                raise UnsupportedOp(f"{n.name}: Dense on an image needs a Flatten before it")
            layers.append(MvuLayer(n.name, n.weight.astype(np.int64), n.bias.astype(np.int64), n.in_type,
                                   n.weight_type, n.acc_type, 1, None, rq))
            shape = (n.channels,)
        elif isinstance(n, N.Conv2d):
            if len(shape) != 3:
                raise UnsupportedOp(f"{n.name}: Conv2d needs an image input")
            h, w, c = shape
            o, kh, kw, ci = n.weight.shape
            if ci != c:
                raise QnnError(f"{n.name}: weight has {ci} input channels, the stream has {c}")
            geom = ConvGeom(h, w, c, kh, kw, tuple(n.stride), tuple(n.pad))
            t, lft, b, r = geom.pad
            if t >= kh or b >= kh or lft >= kw or r >= kw:
                raise UnsupportedOp(f"{n.name}: padding must be smaller than the kernel")
            oh, ow = geom.ofm
            layers.append(MvuLayer(n.name, n.weight.reshape(o, -1).astype(np.int64), n.bias.astype(np.int64),
                                   n.in_type, n.weight_type, n.acc_type, oh * ow, geom, rq))
            shape = (oh, ow, o)
        elif isinstance(n, N.MaxPool):
            if len(shape) != 3:
                raise UnsupportedOp(f"{n.name}: MaxPool needs an image input")
            if tuple(n.kernel) != tuple(n.stride):
                raise UnsupportedOp(f"{n.name}: MaxPool with kernel {n.kernel} != stride {n.stride} is not supported in RTL")
            h, w, c = shape
            layers.append(PoolLayer(n.name, (h, w, c), tuple(n.kernel)))
            shape = (h // n.kernel[0], w // n.kernel[1], c)
        elif isinstance(n, N.DepthwiseConv2d):
            dw, shape = dw_layer(n, shape, rq, ConvGeom)
            layers.append(dw)
        elif isinstance(n, N.SumPool):
            sp, shape = sumpool_layer(n, shape)
            layers.append(sp)
        elif isinstance(n, N.Flatten):
            shape = (int(np.prod(shape)),)
        elif _is_requant(n):
            layers.append(RequantLayer(n.name, n, shape[-1]))
        elif isinstance(n, N.Residual):
            raise UnsupportedOp(f"{n.name}: a residual block has no RTL generation yet (the golden model and the hls4ml "
                                "flow build it: qnn eval, qnn hls)")
        else:
            raise UnsupportedOp(f"{n.name}: no RTL core for {n.kind}")
        i += 2 if rq is not None else 1
    return layers, q.out_type, in_shape
