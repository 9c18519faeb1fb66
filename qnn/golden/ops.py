"""Golden reference kernels: plain NumPy functions, integer in, integer out (int64).

Axes: vectors are [N, C]; images are channels-last [N, H, W, C]; per-channel constants index the last axis.
Float kernels (``dequant``, ``affine``, ``quantize``) compute in float32 in PyTorch's order, so that a graph
before streamlining behaves as the Brevitas model did.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from qnn.ir.float_semantics import fma32
from qnn.qtype import QType

_F32_EXACT = 1 << 24  # every integer of smaller magnitude is exact in float32
_F64_EXACT = 1 << 53


def exact_matmul(x: np.ndarray, w: np.ndarray, bound: int) -> np.ndarray:
    """x [M, K] @ w [K, O] on integers, exactly.

    NumPy has no BLAS for integers, so when ``bound`` (an upper bound of sum_k |x_mk * w_ko|, hence of every
    partial sum) proves float32 or float64 arithmetic exact, the product runs in that type and converts back;
    otherwise it runs in int64. The result is the same integer either way (tests check both paths)."""
    if bound < _F32_EXACT:
        return (x.astype(np.float32) @ w.astype(np.float32)).astype(np.int64)
    if bound < _F64_EXACT:
        return (x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    return x.astype(np.int64) @ w.astype(np.int64)


def _bound(w2d: np.ndarray, in_type: QType) -> float:
    """max over outputs of sum_k |w_ko| * max|x| for w2d [K, O], in float64 (no int64 overflow for huge weights),
    rounded up: float64 sums of integers below 2**53 are exact, and a larger bound picks int64 anyway."""
    xmax = max(abs(in_type.min), abs(in_type.max))
    return float(np.abs(w2d.astype(np.float64)).sum(axis=0).max(initial=0)) * xmax * (1 + 1e-12)


def dense(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, in_type: QType, force_int64: bool = False) -> np.ndarray:
    """x [N, I] int, weight [O, I], bias [O] -> acc [N, O]."""
    wt = weight.T
    bound = 1 << 62 if force_int64 else _bound(wt, in_type)
    return exact_matmul(x, wt, bound) + bias


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pad: tuple[int, int, int, int]) -> np.ndarray:
    """[N, H, W, C] -> patches [N, Ho, Wo, KH*KW*C], patch order (kh, kw, c) to match weight [O, KH, KW, C]."""
    top, left, bottom, right = pad
    if any(pad):
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw = kernel
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, :: stride[0], :: stride[1]]  # [N, Ho, Wo, C, KH, KW]
    win = win.transpose(0, 1, 2, 4, 5, 3)  # [N, Ho, Wo, KH, KW, C]
    n, ho, wo = win.shape[:3]
    return win.reshape(n, ho, wo, -1)


def conv2d(x, weight, bias, in_type: QType, stride, pad, force_int64: bool = False) -> np.ndarray:
    """x [N, H, W, C] int, weight [O, KH, KW, C] -> acc [N, Ho, Wo, O]."""
    o, kh, kw, _ = weight.shape
    wt = weight.reshape(o, -1).T
    bound = 1 << 62 if force_int64 else _bound(wt, in_type)
    if bound < _F32_EXACT:  # build the patches in float32 directly: half the memory traffic of int64 patches
        cols = im2col(np.asarray(x, dtype=np.float32), (kh, kw), stride, pad)
        n, ho, wo, k = cols.shape
        acc = (cols.reshape(-1, k) @ wt.astype(np.float32)).astype(np.int64)
    else:
        cols = im2col(x, (kh, kw), stride, pad)
        n, ho, wo, k = cols.shape
        acc = exact_matmul(cols.reshape(-1, k), wt, bound)
    return (acc + bias).reshape(n, ho, wo, o)


_LUT_MAX = 1 << 22  # entries of a per-channel lookup table worth building


def multithreshold(x: np.ndarray, thresholds: np.ndarray, out_type: QType) -> np.ndarray:
    """Count, per element, the thresholds of its channel (last axis) that it reaches: x >= t.

    Three equivalent ways, by cost: one comparison pass per threshold (few thresholds); a per-channel lookup table
    over the values actually present (narrow accumulators, e.g. after convolutions); binary search per channel."""
    x = np.asarray(x, dtype=np.int64)
    n_ch, n_thr = x.shape[-1], thresholds.shape[-1]
    t = np.broadcast_to(thresholds, (n_ch, n_thr))
    lo, hi = (int(x.min()), int(x.max())) if x.size else (0, 0)
    span = hi - lo + 1
    if n_thr <= 4 or x.size < 4 * n_ch * span or n_ch * span > _LUT_MAX:
        if n_thr <= 32:
            count = np.zeros(x.shape, dtype=np.int64)
            for k in range(n_thr):
                count += x >= t[:, k]
        else:
            count = np.empty(x.shape, dtype=np.int64)
            for c in range(n_ch):
                count[..., c] = np.searchsorted(t[c], x[..., c], side="right")
    else:
        values = np.arange(lo, hi + 1)
        lut = np.stack([np.searchsorted(t[c], values, side="right") for c in range(n_ch)])  # [C, span]
        count = lut.reshape(-1)[(x - lo) + np.arange(n_ch) * span]
    return out_type.from_level(count)


def shift(x: np.ndarray, s: int, out_type: QType) -> np.ndarray:
    """clip(round_half_even(x / 2**s)); a negative s shifts left."""
    x = np.asarray(x, dtype=np.int64)
    if s <= 0:
        y = x << (-s)
    else:
        q = x >> s  # floor
        rem = x - (q << s)
        half = 1 << (s - 1)
        y = q + ((rem > half) | ((rem == half) & ((q & 1) == 1)))
    return np.clip(y, out_type.min, out_type.max)


def maxpool(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """[N, H, W, C] -> [N, Ho, Wo, C], no padding (floor)."""
    (kh, kw), (sh, sw) = kernel, stride
    n, h, w, c = x.shape
    if (kh, kw) == (sh, sw):  # non-overlapping windows: a reshape, no window copies
        ho, wo = h // kh, w // kw
        return x[:, : ho * kh, : wo * kw].reshape(n, ho, kh, wo, kw, c).max(axis=(2, 4))
    win = sliding_window_view(x, kernel, axis=(1, 2))[:, ::sh, ::sw]  # [N, Ho, Wo, C, KH, KW]
    return win.max(axis=(-2, -1))


def flatten(x: np.ndarray) -> np.ndarray:
    """[N, H, W, C] -> [N, H*W*C] (channels-last order)."""
    return x.reshape(x.shape[0], -1)


def quantize(x: np.ndarray, scale, zero_point, quant_type: QType) -> np.ndarray:
    """QONNX Quant in float32 (x / scale + zp, round half to even, clip), zero point removed; BipolarQuant."""
    return quantize_values(x, scale, zero_point, quant_type).astype(np.int64)


def quantize_values(x: np.ndarray, scale, zero_point, quant_type: QType) -> np.ndarray:
    """``quantize`` before its int64 conversion: the integers as float32 values.

    In place on one float32 temporary; dividing by a power of two is done as the (exact) multiplication by its
    inverse, which is the same float32 result and several times faster."""
    x = np.asarray(x, dtype=np.float32)
    if quant_type.bipolar:
        return np.where(x >= 0, np.float32(1), np.float32(-1))
    scale = np.asarray(scale, dtype=np.float32)
    zp = np.asarray(zero_point, dtype=np.float32)
    mant, _ = np.frexp(scale)
    if np.all(mant == 0.5):
        y = np.multiply(x, np.float32(1) / scale, dtype=np.float32)
    else:
        y = np.divide(x, scale, dtype=np.float32)
    if np.any(zp):
        y += zp
    np.rint(y, out=y)
    np.clip(y, quant_type.min, quant_type.max, out=y)
    if np.any(zp):
        y -= zp
    return y


def dequant(x: np.ndarray, scale) -> np.ndarray:
    return np.asarray(x).astype(np.float32) * np.asarray(scale, dtype=np.float32)


def affine(x: np.ndarray, mul, add, fma: bool = False) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if fma:
        return fma32(x, mul, add)
    return x * np.asarray(mul, dtype=np.float32) + np.asarray(add, dtype=np.float32)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0).astype(x.dtype)


def depthwise_conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride, pad) -> np.ndarray:
    """x [N, H, W, C] int, weight [C, KH, KW] -> acc [N, Ho, Wo, C]: one product per tap, summed in int64
    (exact for any widths; a depthwise layer has few taps, so there is no BLAS to win)."""
    top, left, bottom, right = pad
    x = np.asarray(x, dtype=np.int64)
    if any(pad):
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    c, kh, kw = weight.shape
    (sh, sw), (h, w) = stride, x.shape[1:3]
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    acc = np.zeros((x.shape[0], ho, wo, c), dtype=np.int64)
    wt = np.asarray(weight, dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += x[:, i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw] * wt[:, i, j]
    return acc + np.asarray(bias, dtype=np.int64)


def sumpool(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """[N, H, W, C] int -> [N, Ho, Wo, C], the integer sum of each window (no padding, floor)."""
    x = np.asarray(x, dtype=np.int64)
    (kh, kw), (sh, sw) = kernel, stride
    n, h, w, c = x.shape
    if (kh, kw) == (h, w):
        return x.sum(axis=(1, 2), keepdims=True)
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # [N, Ho, Wo, C, KH, KW]
    return win.sum(axis=(-2, -1))


def divide(x: np.ndarray, divisor: int) -> np.ndarray:
    """float32 x / divisor, correctly rounded (PyTorch's and onnxruntime's average pool: sum, then divide)."""
    return np.divide(np.asarray(x, dtype=np.float32), np.float32(divisor), dtype=np.float32)
