"""Fast golden kernels on float32 carriers: the same integers as ``qnn.golden.ops``, held in float32.

Every integer tensor of magnitude below 2**24 is exact in float32, and so is every sum, product and comparison of
such integers whose result stays below 2**24. ``qnn.golden.plan`` proves those bounds per layer before it picks
these kernels (a layer whose bound fails runs the int64 reference kernel instead), so each function here is
exact on the inputs the plan gives it:

- ``gemm``: a float32 BLAS product; exact when ``max_o sum_k |w_ko| * max|x| < 2**24`` (every partial sum, in any
  summation order, is then an integer below 2**24);
- ``im2col``: patches by slice copies (no arithmetic);
- ``maxpool``: a separable maximum (no arithmetic);
- ``Thresholds``: a per-channel lookup table, comparisons or a binary search against thresholds clipped to the
  input's proven range (so they are exact in float32 too), the layer's bias folded into them (``x + b >= t`` is
  ``x >= t - b``);
- ``shift``: ``rint((x + b) * 2**-s)``: scaling by a power of two is exact and ``rint`` rounds half to even.

Axes as in ``ops``: vectors [N, C], images channels-last [N, H, W, C], per-channel constants on the last axis.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

F32_EXACT = 1 << 24
LUT_MAX = 1 << 20  # entries of a lookup table worth keeping (4 MiB of float32)
F32 = np.float32


def gemm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x [M, K] float32 @ w [K, O] float32 (integers; exact within the plan's bound)."""
    return np.matmul(x, w)


def pad_f32(x: np.ndarray, pad: tuple[int, int, int, int]) -> np.ndarray:
    top, left, bottom, right = pad
    if not any(pad):
        return np.ascontiguousarray(x)
    n, h, w, c = x.shape
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    xp[:, top : top + h, left : left + w] = x
    return xp


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pad: tuple[int, int, int, int],
           pool: tuple[int, int] | None = None):
    """[N, H, W, C] -> (patches [B*N*Ho*Wo, KH*KW*C] in (kh, kw, c) order, (B, N, Ho, Wo)).

    The KW*C values under one kernel row are contiguous in channels-last memory, so each kernel row is one copy
    from a strided view. With few channels (C * KW < 8, e.g. a one-channel image) the patches are built
    transposed, [KH*KW*C, rows], one shifted image per kernel tap (long contiguous rows), and returned as a
    transposed view (BLAS takes it as is).

    ``pool`` (a non-overlapping max-pool window that follows): the rows come in B = PH*PW blocks, block (dy, dx)
    holding the outputs (PH*i + dy, PW*j + dx) of every pooling window (i, j) (outputs the floor of the pooling
    drops are never computed), so that after the GEMM the pooling is B-1 maxima of whole contiguous blocks."""
    xp = pad_f32(x, pad)
    (kh, kw), (sh, sw) = kernel, stride
    n, hp, wp, c = xp.shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    ph, pw = pool or (1, 1)
    ho, wo, grid = ho // ph, wo // pw, (sh * ph, sw * pw)
    blocks = [(dy * sh, dx * sw) for dy in range(ph) for dx in range(pw)]
    if c * kw < 8:
        cols_t = np.empty((kh, kw, c, len(blocks), n, ho, wo), dtype=xp.dtype)
        for b, (oy, ox) in enumerate(blocks):
            _patches_t(xp, oy, ox, kernel, grid, (ho, wo), cols_t[:, :, :, b])
        return cols_t.reshape(kh * kw * c, -1).T, (len(blocks), n, ho, wo)
    cols = np.empty((len(blocks), n, ho, wo, kh, kw * c), dtype=xp.dtype)
    for b, (oy, ox) in enumerate(blocks):
        _patches(xp, oy, ox, kernel, grid, (ho, wo), cols[b])
    return cols.reshape(-1, kh * kw * c), (len(blocks), n, ho, wo)


def _patches(xp, oy, ox, kernel, grid, out_hw, out) -> None:
    """out [N, Ho, Wo, KH, KW*C] = the patches at rows oy + grid_y * i, columns ox + grid_x * j of xp."""
    (kh, kw), (gy, gx), (ho, wo) = kernel, grid, out_hw
    n, c = xp.shape[0], xp.shape[3]
    s_n, s_h, s_w, s_c = xp.strides
    for i in range(kh):
        src = as_strided(xp[:, oy + i :, ox:], shape=(n, ho, wo, kw * c), strides=(s_n, s_h * gy, s_w * gx, s_c),
                         writeable=False)
        out[:, :, :, i] = src


def _patches_t(xp, oy, ox, kernel, grid, out_hw, out) -> None:
    """The same patches transposed: out [KH, KW, C, N, Ho, Wo]."""
    (kh, kw), (gy, gx), (ho, wo) = kernel, grid, out_hw
    for i in range(kh):
        for j in range(kw):
            win = xp[:, oy + i : oy + i + gy * (ho - 1) + 1 : gy, ox + j : ox + j + gx * (wo - 1) + 1 : gx]
            out[i, j] = win.transpose(3, 0, 1, 2)


def pool_blocks(y: np.ndarray, blocks: int) -> np.ndarray:
    """[B*M, O] GEMM output of ``im2col(..., pool)`` -> [M, O], the maximum over the B blocks."""
    y = y.reshape(blocks, -1, y.shape[-1])
    m = y[0]
    for b in range(1, blocks):
        np.maximum(m, y[b], out=m)
    return m


def maxpool(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """[N, H, W, C] -> [N, Ho, Wo, C], no padding (floor): the maximum along W, then along H (any dtype)."""
    (kh, kw), (sh, sw) = kernel, stride
    _, h, w, _ = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    m = x[:, :, 0 : sw * (wo - 1) + 1 : sw]
    for j in range(1, kw):
        m = np.maximum(m, x[:, :, j : j + sw * (wo - 1) + 1 : sw])
    out = m[:, 0 : sh * (ho - 1) + 1 : sh]
    for i in range(1, kh):
        out = np.maximum(out, m[:, i : i + sh * (ho - 1) + 1 : sh])
    return np.ascontiguousarray(out)


class Thresholds:
    """MultiThreshold (count of thresholds reached, mapped by ``out_type.from_level``) on float32 integers.

    ``lo``/``hi``: proven per-channel range of the input ``x`` (before ``bias``); ``bias``: added to ``x`` first
    (folded into the thresholds). Thresholds are clipped to [lo, hi + 1], which changes no count for x in
    [lo, hi] and makes them exact in float32. Kind, by cost: ``lut`` (one gather from a table over each channel's
    thresholds' span; values outside are clipped to its ends, where the count is 0 or all), ``compare`` (one pass
    per threshold, when there are few or the table would be too big), ``search`` (binary search per channel)."""

    def __init__(self, thresholds: np.ndarray, bias, lo, hi, out_type, channels: int) -> None:
        t = np.broadcast_to(np.asarray(thresholds, dtype=np.int64), (channels, np.shape(thresholds)[-1]))
        lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (channels,))
        hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), (channels,))
        if max(np.abs(lo).max(initial=0), np.abs(hi).max(initial=0)) >= F32_EXACT:
            raise ValueError("threshold input range is not exact in float32")
        t = np.sort(t - np.asarray(bias, dtype=np.int64).reshape(-1, 1), axis=1)  # x + b >= t  <=>  x >= t - b
        t = np.clip(t, lo[:, None], hi[:, None] + 1)
        self.n_thr = t.shape[1]
        self.levels = out_type.from_level(np.arange(self.n_thr + 1)).astype(F32)  # count -> output value
        self.t = t.astype(F32)
        self.step = self.levels[1] - self.levels[0] if self.n_thr else F32(1)
        self.affine = bool(np.all(np.diff(self.levels) == self.step))
        span = (t[:, -1] - t[:, 0] + 2) if self.n_thr else np.ones(channels, np.int64)
        if 8 < self.n_thr and span.sum() <= LUT_MAX or self.n_thr > 16 and span.sum() <= 4 * LUT_MAX:
            self.kind = "lut"
            base = np.concatenate([[0], np.cumsum(span)[:-1]])
            dlo = t[:, 0] - 1  # count 0 at dlo, all at dlo + span - 1 = the last threshold
            self.dlo, self.dhi = dlo.astype(F32), (dlo + span - 1).astype(F32)
            self.offset = (base - dlo).astype(F32)  # clipped x + offset indexes the channel's slice of the table
            table = [np.searchsorted(t[c], np.arange(dlo[c], dlo[c] + span[c]), side="right") for c in range(channels)]
            self.table = self.levels[np.concatenate(table)]
        elif self.n_thr <= 16:
            self.kind = "compare"
            self.columns = [np.ascontiguousarray(self.t[:, k]) for k in range(self.n_thr)]
        else:
            self.kind = "search"
        self._tiles: dict = {}
        self._tiled_none = self._constants()

    def _tiled(self, per: int) -> dict:
        """The per-channel constants repeated over one sample's ``per`` values (channels-last: channel = index % C),
        so that each NumPy pass runs over whole samples, not over rows of C values."""
        if per not in self._tiles:
            reps = per // len(self.t)
            self._tiles[per] = {k: np.tile(v, reps) for k, v in self._constants().items()}
        return self._tiles[per]

    def _constants(self) -> dict:
        if self.kind == "lut":
            return {"dlo": self.dlo, "dhi": self.dhi, "offset": self.offset}
        return {f"t{k}": col for k, col in enumerate(getattr(self, "columns", []))}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x float32 [N, ..., C] (consumed: may be overwritten) -> float32 output values, same shape."""
        shape = x.shape
        x = x.reshape(shape[0], int(np.prod(shape[1:]))) if x.ndim > 2 else x
        const = self._tiled(x.shape[-1]) if x.shape[-1] != len(self.t) else self._tiled_none
        if self.kind == "lut":
            np.clip(x, const["dlo"], const["dhi"], out=x)
            x += const["offset"]
            return np.take(self.table, x.astype(np.intp)).reshape(shape)
        if self.kind == "compare":  # one comparison per threshold, counted in uint8 (n_thr <= 16)
            if self.n_thr == 0:
                return np.full(shape, self.levels[0], dtype=F32)
            hit = np.greater_equal(x, const["t0"])
            count = hit.view(np.uint8).copy() if self.n_thr > 1 else hit.view(np.uint8)
            for k in range(1, self.n_thr):
                np.greater_equal(x, const[f"t{k}"], out=hit)
                count += hit.view(np.uint8)
            count = count.astype(F32).reshape(shape)
        else:
            x = x.reshape(shape)
            count = np.empty(x.shape, dtype=F32)
            for c in range(x.shape[-1]):
                count[..., c] = np.searchsorted(self.t[c], x[..., c], side="right")
        if not self.affine:
            return np.take(self.levels, count.astype(np.intp))
        if self.step != 1:  # from_level is c + min, or 2c - 1 for bipolar
            count *= self.step
        if self.levels[0] != 0:
            count += self.levels[0]
        return count


def shift(x: np.ndarray, s: int, bias, out_type) -> np.ndarray:
    """clip(round_half_even((x + bias) / 2**s)) on float32 integers (x consumed)."""
    if np.any(bias):
        x += np.asarray(bias, dtype=F32)
    x *= F32(2.0**-s)
    np.rint(x, out=x)
    np.clip(x, F32(out_type.min), F32(out_type.max), out=x)
    return x

