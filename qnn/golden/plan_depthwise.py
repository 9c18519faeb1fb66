"""The compiled plan's step for a ``DepthwiseConv2d`` (``plan.compile_plan`` calls ``depthwise_step``).

``depthwise-f32``: one multiply-add per tap over the whole padded batch in float32, when the tracked input range
proves every partial sum below 2**24 (each is a sum of some of the taps' products, so the bound of all of them,
max_c sum |w_c| * max|x|, covers it), fused with the MultiThreshold after it (bias folded into its thresholds, as
the linear steps do) or with its bias alone. Otherwise ``None``: the layer runs the int64 reference kernel.
"""
from __future__ import annotations

import numpy as np

from qnn.golden.fused import F32, F32_EXACT, Thresholds
from qnn.ir import nodes as N


def depthwise_f32(x: np.ndarray, w: np.ndarray, stride, pad) -> np.ndarray:
    """x [N, H, W, C] float32 integers, w [KH, KW, C] float32 -> [N, Ho, Wo, C] (exact under the bound above)."""
    top, left, bottom, right = pad
    if any(pad):
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _ = w.shape
    (sh, sw), (h, wd) = stride, x.shape[1:3]
    ho, wo = (h - kh) // sh + 1, (wd - kw) // sw + 1
    acc = np.zeros((x.shape[0], ho, wo, x.shape[3]), dtype=F32)
    tmp = np.empty_like(acc)
    for i in range(kh):
        for j in range(kw):
            np.multiply(x[:, i : i + (ho - 1) * sh + 1 : sh, j : j + (wo - 1) * sw + 1 : sw], w[i, j], out=tmp)
            acc += tmp
    return acc


def depthwise_step(nodes: list, i: int, shape: tuple, lo: int, hi: int):
    """(Step, next node index, output shape, output range) for ``nodes[i]``, or None when float32 is not proven."""
    from qnn.golden.plan import Step, _exact, _f32, _post_levels, _wrange

    node = nodes[i]
    w = np.asarray(node.weight, dtype=np.int64)
    c, kh, kw = w.shape
    ranges = _wrange(w.reshape(c, -1).T, lo, hi)
    if ranges is None or ranges[2] >= F32_EXACT or not _exact(lo, hi) or len(shape) != 3 or shape[-1] != c:
        return None
    acc_lo, acc_hi, _ = ranges
    bias = np.zeros(c, np.int64) if node.bias is None else np.asarray(node.bias, dtype=np.int64).reshape(c)
    (t, l_, b_, r), (sh, sw), (h, wd, _) = node.pad, node.stride, shape
    out_shape = ((h + t + b_ - kh) // sh + 1, (wd + l_ + r - kw) // sw + 1, c)
    w32 = np.ascontiguousarray(w.transpose(1, 2, 0)).astype(F32)  # [KH, KW, C]: channels on the last axis

    def lin(x):
        return depthwise_f32(_f32(x), w32, node.stride, node.pad)

    j, post = i + 1, None
    if j < len(nodes) and isinstance(nodes[j], N.MultiThreshold):
        post, j = nodes[j], j + 1
        finish, kind = Thresholds(post.thresholds, bias, acc_lo, acc_hi, post.out_type, c), "depthwise-f32+threshold"
        rng = _post_levels(post, 0, 0)
    elif _exact(acc_lo + bias, acc_hi + bias):
        b32 = bias.astype(F32)
        finish, kind = (lambda y: np.add(y, b32, out=y)), "depthwise-f32+bias"
        rng = (int((acc_lo + bias).min()), int((acc_hi + bias).max()))
    else:
        return None
    elems = int((h + t + b_) * (wd + l_ + r) * c + 2 * np.prod(out_shape))
    step = Step(kind, tuple(n.name for n in nodes[i:j]), lambda x: finish(lin(x)), elems)
    return step, j, out_shape, rng
