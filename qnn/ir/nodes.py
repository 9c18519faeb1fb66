"""Nodes of the integer IR.

Every node is a frozen dataclass holding NumPy constants. A graph is a chain of nodes; each node maps one
tensor to one tensor. Tensors are ``[N, C]`` vectors or ``[N, H, W, C]`` images: channels-last everywhere,
per-channel constants always apply to the last axis.

Two families live side by side so that every stage of streamlining stays executable:

- integer nodes (``Dense``, ``Conv2d``, ``DepthwiseConv2d``, ``MultiThreshold``, ``Shift``, ``MaxPool``,
  ``SumPool``, ``Flatten``) take and give int64 tensors holding the values of their ``QType``;
- float nodes (``Dequant``, ``Affine``, ``Relu``, ``Divide``) are what a QONNX graph has between an accumulator and the next
  quantizer, computed in float32 in the order PyTorch computes them.

``Quantize`` turns float into int (the network input, or an activation quantizer before streamlining). A fully
streamlined graph is ``Quantize``, integer nodes, then a float tail (``Dequant`` and perhaps ``Affine``) that turns
the integer output into logits.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

import numpy as np

from qnn.qtype import QType


@dataclass(frozen=True, eq=False)
class Node:
    name: str
    is_integer: ClassVar[bool] = True  # consumes and produces integers

    def with_(self, **changes) -> Node:
        return replace(self, **changes)

    @property
    def kind(self) -> str:
        return type(self).__name__

    def describe(self) -> str:
        return self.kind


# --- float -> int ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Quantize(Node):
    """q = clip(round(x / scale + zero_point)) - zero_point, as a QONNX ``Quant`` (or ``BipolarQuant``).

    The emitted integer has the zero point already removed, so ``value = q * scale``; ``out_type`` is the type
    of that shifted integer. ``scale``/``zero_point`` are scalars or per-channel vectors (last axis).
    """

    scale: np.ndarray = field(default_factory=lambda: np.float32(1.0))
    zero_point: np.ndarray = field(default_factory=lambda: np.float32(0.0))
    quant_type: QType = QType(8, False)  # type before removing the zero point (QONNX bit width/signed/narrow)
    rounding: str = "ROUND"
    is_integer: ClassVar[bool] = False

    @property
    def out_type(self) -> QType:
        if self.quant_type.bipolar:
            return self.quant_type
        zp = np.asarray(self.zero_point, dtype=np.float64)
        return QType.for_range(int(self.quant_type.min - zp.max()), int(self.quant_type.max - zp.min()))

    def describe(self) -> str:
        return f"Quantize({self.quant_type}, scale={_fmt(self.scale)})"


# --- integer compute ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dense(Node):
    """acc[n, o] = sum_i x[n, i] * weight[o, i] + bias[o]."""

    weight: np.ndarray = None  # int64 [out, in]
    bias: np.ndarray = None  # int64 [out]
    in_type: QType = None
    weight_type: QType = None

    @property
    def acc_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return _acc_bounds(self.weight.reshape(self.weight.shape[0], -1), self.bias, self.in_type)

    @property
    def acc_type(self) -> QType:
        lo, hi = self.acc_bounds
        return QType.for_range(lo.min(), hi.max())

    @property
    def out_type(self) -> QType:
        return self.acc_type

    @property
    def channels(self) -> int:
        return self.weight.shape[0]

    @property
    def macs(self) -> int:
        return int(np.prod(self.weight.shape))

    def describe(self) -> str:
        return f"Dense({self.weight.shape[1]}->{self.weight.shape[0]}, w={self.weight_type}, acc={self.acc_type})"


@dataclass(frozen=True, eq=False)
class Conv2d(Node):
    """2D convolution, channels-last: x [N, H, W, Cin], weight [Cout, KH, KW, Cin], zero padding."""

    weight: np.ndarray = None  # int64 [out, kh, kw, in]
    bias: np.ndarray = None  # int64 [out]
    in_type: QType = None
    weight_type: QType = None
    stride: tuple[int, int] = (1, 1)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right

    acc_bounds = Dense.acc_bounds
    acc_type = Dense.acc_type
    out_type = Dense.out_type
    channels = Dense.channels

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weight.shape[1]), int(self.weight.shape[2])

    def describe(self) -> str:
        o, kh, kw, i = self.weight.shape
        return f"Conv2d({i}->{o}, {kh}x{kw}, s={self.stride}, w={self.weight_type}, acc={self.acc_type})"


@dataclass(frozen=True, eq=False)
class DepthwiseConv2d(Node):
    """Depthwise 2D convolution (ONNX ``Conv`` with ``group == channels``), channels-last, zero padding:
    acc[n, y, x, c] = sum_{i, j} xin[n, y*sy + i - top, x*sx + j - left, c] * weight[c, i, j] + bias[c]."""

    weight: np.ndarray = None  # int64 [C, kh, kw]
    bias: np.ndarray = None  # int64 [C]
    in_type: QType = None
    weight_type: QType = None
    stride: tuple[int, int] = (1, 1)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right

    acc_bounds = Dense.acc_bounds
    acc_type = Dense.acc_type
    out_type = Dense.out_type
    channels = Dense.channels

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weight.shape[1]), int(self.weight.shape[2])

    def describe(self) -> str:
        c, kh, kw = self.weight.shape
        return f"DepthwiseConv2d({c}ch, {kh}x{kw}, s={self.stride}, w={self.weight_type}, acc={self.acc_type})"


@dataclass(frozen=True, eq=False)
class SumPool(Node):
    """Sum pooling over [N, H, W, C] (no padding, floor): the integer sum of each window, per channel.

    Average pooling is this sum followed by a division by ``divisor`` (kernel area) in float32 (``Divide``), which
    streamlining folds with the next quantizer into thresholds on the sum, so the 1/N costs nothing and stays exact.
    ``global_pool``: the window is the whole image (ONNX ``GlobalAveragePool``); kernel and stride then equal the
    input's (H, W) and the output is [N, 1, 1, C]."""

    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    in_type: QType = None
    global_pool: bool = False

    @property
    def divisor(self) -> int:
        return int(self.kernel[0]) * int(self.kernel[1])

    @property
    def out_type(self) -> QType:
        return QType.for_range(self.in_type.min * self.divisor, self.in_type.max * self.divisor)

    def describe(self) -> str:
        what = "global" if self.global_pool else f"{self.kernel[0]}x{self.kernel[1]}, s={self.stride}"
        return f"SumPool({what}, {self.in_type}->{self.out_type})"


@dataclass(frozen=True, eq=False)
class MultiThreshold(Node):
    """out = out_type.from_level(number of thresholds t with x >= t), per channel (FINN MultiThreshold).

    thresholds: int64 [C or 1, levels-1], each row ascending. Represents any monotonic non-decreasing map from
    integers to ``out_type`` exactly (BatchNorm + activation + quantizer)."""

    thresholds: np.ndarray = None
    in_type: QType = None
    out_type: QType = None

    def describe(self) -> str:
        return f"MultiThreshold({self.in_type}->{self.out_type}, {self.thresholds.shape[0]}ch)"


@dataclass(frozen=True, eq=False)
class Shift(Node):
    """out = clip(round_half_even(x / 2**shift), out_type): requantization with power-of-two scales."""

    shift: int = 0
    in_type: QType = None
    out_type: QType = None

    def describe(self) -> str:
        return f"Shift({self.in_type}>>{self.shift}->{self.out_type})"


@dataclass(frozen=True, eq=False)
class MaxPool(Node):
    """Max pooling over [N, H, W, C] (no padding); works on integers or floats."""

    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)


@dataclass(frozen=True, eq=False)
class Flatten(Node):
    """[N, H, W, C] -> [N, H*W*C] in channels-last order (the next Dense's columns are ordered to match)."""


# --- float nodes (before streamlining, and the output tail) ---------------------------------------
@dataclass(frozen=True, eq=False)
class Dequant(Node):
    """y = float32(x) * scale (scalar or per-channel)."""

    scale: np.ndarray = None
    is_integer: ClassVar[bool] = False

    def describe(self) -> str:
        return f"Dequant(scale={_fmt(self.scale)})"


@dataclass(frozen=True, eq=False)
class Affine(Node):
    """y = x * mul + add in float32 (BatchNorm in inference form, Mul/Div/Add by constants); with ``fma`` in one
    rounding (a fused multiply-add, as PyTorch's BatchNorm: ``qnn.ir.float_semantics``)."""

    mul: np.ndarray = None
    add: np.ndarray = None
    fma: bool = False
    is_integer: ClassVar[bool] = False


@dataclass(frozen=True, eq=False)
class Divide(Node):
    """y = x / divisor in float32 (the mean of an average pool, computed as PyTorch does: sum, then divide)."""

    divisor: int = 1
    is_integer: ClassVar[bool] = False

    def describe(self) -> str:
        return f"Divide({self.divisor})"


@dataclass(frozen=True, eq=False)
class Relu(Node):
    is_integer: ClassVar[bool] = False


@dataclass(frozen=True, eq=False)
class Activation(Node):
    """y = fn(x) elementwise in float32 (``qnn.golden.activations.FUNCTIONS``: sigmoid, tanh, hardsigmoid, clip,
    leaky_relu, elu, gelu, silu; ``alpha``/``beta`` are the op's constants). Between an accumulator and a quantizer,
    streamlining folds it into thresholds; one with no quantizer after it cannot be made integer."""

    fn: str = "sigmoid"
    alpha: float = 0.0
    beta: float = 0.0
    is_integer: ClassVar[bool] = False

    def describe(self) -> str:
        return f"Activation({self.fn})"


@dataclass(frozen=True, eq=False)
class Residual(Node):
    """A residual block: two sub-chains on one input, added exactly on a common integer grid,
    ``y = mul_a * branch(x) + mul_b * skip(x)``.

    ``skip`` may be empty (the identity). Each sub-chain is a chain of nodes like the graph's own (streamlined: integer
    nodes only) ending in integers at scales ``s_a`` and ``s_b``; ``mul_a``/``mul_b`` are the integers with
    ``s_a = mul_a * s`` and ``s_b = mul_b * s`` for the output scale ``s`` (exact: float32 scales are integers times
    powers of two), scalars or per-channel vectors (last axis). ``out_type`` holds every reachable sum."""

    branch: tuple = ()
    skip: tuple = ()
    mul_a: np.ndarray = field(default_factory=lambda: np.int64(1))
    mul_b: np.ndarray = field(default_factory=lambda: np.int64(1))
    out_type: QType = None

    @property
    def is_integer(self) -> bool:  # type: ignore[override]
        return all(n.is_integer for n in (*self.branch, *self.skip))

    def describe(self) -> str:
        return (f"Residual(branch {len(self.branch)} nodes, skip {len(self.skip) or 'identity'}, "
                f"x{_fmt(self.mul_a)} + x{_fmt(self.mul_b)} -> {self.out_type})")


NODE_TYPES: dict[str, type[Node]] = {
    t.__name__: t for t in (Quantize, Dense, Conv2d, MultiThreshold, Shift, MaxPool, Flatten, Dequant, Affine, Relu,
                             Activation, DepthwiseConv2d, SumPool, Divide, Residual)
}


def node_fields(node: Node) -> dict:
    return {f.name: getattr(node, f.name) for f in fields(node)}


def _acc_bounds(w: np.ndarray, b: np.ndarray, in_type: QType) -> tuple[np.ndarray, np.ndarray]:
    """Exact worst-case accumulator range per output channel."""
    lo_x, hi_x = in_type.min, in_type.max
    w = w.astype(np.int64)
    hi = np.maximum(w * lo_x, w * hi_x).sum(axis=1)
    lo = np.minimum(w * lo_x, w * hi_x).sum(axis=1)
    if b is not None:
        hi, lo = hi + b, lo + b
    return lo, hi


def _fmt(a) -> str:
    a = np.asarray(a)
    return f"{float(a):g}" if a.size == 1 else f"[{a.size} per-channel]"
