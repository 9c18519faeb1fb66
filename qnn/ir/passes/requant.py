"""Fold each requantization (integer -> float ops -> quantizer) into per-channel integer thresholds.

Pattern: an integer node P, then ``Dequant``, any ``Affine``/``Relu``, then ``Quantize``. Per channel the float
segment is a non-decreasing (or, with a negative multiplier, non-increasing) map g from P's integers to the
quantizer's levels. A MultiThreshold with ``T[c, k] = min{a : level(g_c(a)) >= k + 1}`` gives the same value for
every integer a in P's worst-case range, and that is how it is computed: by bisection over that range, on the very
float32 segment being replaced. So the pass is exact by construction, whatever the scales (power of two or not),
BatchNorm, biases or zero points.

Channels whose map decreases have their row of weights and bias negated in P (a Dense or Conv2d), which turns
them increasing (as FINN does).

The segment may hold an ``Activation`` (sigmoid, tanh, hardtanh as clip, leaky ReLU, ELU, GELU, SiLU, ...): any
monotonic function followed by a quantizer is again such a map. GELU and SiLU are not monotonic (they dip to a
minimum, then rise), but their *quantized* output often is: per channel, the accumulator range splits at the
activation's turning point into a falling and a rising piece, each monotonic; the quantized map is non-decreasing
exactly when the falling piece holds one level, no higher than where the rising piece starts. That is checked at the
pieces' ends on the float32 segment, and a model where it fails is refused naming the node (thresholds cannot
represent a dip). An activation with no quantizer after it is refused too.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import QnnError
from qnn.golden.activations import is_decreasing, turning_point
from qnn.golden.execute import apply_node
from qnn.ir import nodes as N
from qnn.ir.bounds import output_bounds
from qnn.ir.graph import IntGraph
from qnn.qtype import QType

_FLOAT_SEGMENT = (N.Affine, N.Relu, N.Activation, N.Divide)  # Divide: an average pool's 1/N


def thresholds_for(fn, lo: np.ndarray, hi: np.ndarray, n_levels: int) -> np.ndarray:
    """T[c, k] = min{a in [lo_c, hi_c] : fn(a)[c] >= k+1}, or hi_c + 1 if none; fn maps int64 [..., C] ->
    levels [..., C] and must be non-decreasing per channel. Returns int64 [C, n_levels - 1]."""
    c = lo.shape[0]
    k = np.arange(1, n_levels, dtype=np.int64)[:, None]  # [K, 1]
    a = np.broadcast_to(lo, (n_levels - 1, c)).astype(np.int64).copy()
    b = np.broadcast_to(hi + 1, (n_levels - 1, c)).astype(np.int64).copy()
    while np.any(a < b):
        mid = (a + b) // 2
        ok = fn(mid) >= k
        b = np.where(ok, mid, b)
        a = np.where(ok, a, mid + 1)
    return a.T.copy()


def _level(quant: N.Quantize, v: np.ndarray) -> np.ndarray:
    t = quant.out_type
    return (v + 1) // 2 if t.bipolar else v - t.min


def _channels(*arrays) -> int:
    return max([np.asarray(x).size for x in arrays] + [1])


def fold_requant(graph: IntGraph) -> IntGraph:
    nodes = list(graph.nodes)
    j = 1
    while j < len(nodes):
        quant = nodes[j]
        if not isinstance(quant, N.Quantize):
            j += 1
            continue
        i = j - 1
        while i > 0 and isinstance(nodes[i], _FLOAT_SEGMENT):
            i -= 1
        if i < 1 or not isinstance(nodes[i], N.Dequant):
            j += 1
            continue
        p_idx = i - 1
        producer = nodes[p_idx]
        bounds = output_bounds(graph.with_nodes(nodes))[p_idx]
        if bounds is None:
            j += 1
            continue
        segment = nodes[i:j]
        params = [np.asarray(getattr(n, f)) for n in segment for f in ("scale", "mul", "add") if hasattr(n, f)]
        params += [np.asarray(quant.scale), np.asarray(quant.zero_point)]
        n_ch = _channels(bounds[0], *params)
        if isinstance(producer, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
            n_ch = producer.channels
        lo = np.broadcast_to(bounds[0], (n_ch,)).astype(np.int64)
        hi = np.broadcast_to(bounds[1], (n_ch,)).astype(np.int64)

        sign = np.ones(n_ch)
        for n in segment:
            if isinstance(n, N.Dequant):
                sign = sign * np.sign(np.broadcast_to(n.scale, (n_ch,)))
            elif isinstance(n, N.Affine):
                sign = sign * np.sign(np.broadcast_to(n.mul, (n_ch,)))
            elif isinstance(n, N.Activation) and is_decreasing(n.fn, n.alpha):
                sign = -sign
        flip = sign < 0
        if flip.any():
            if not isinstance(producer, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
                raise QnnError(f"node {quant.name}: a decreasing requantization after {producer.name} "
                               f"({producer.kind}) cannot be made into thresholds")
            f = np.where(flip, -1, 1)
            w_shape = (-1,) + (1,) * (producer.weight.ndim - 1)
            producer = producer.with_(weight=producer.weight * f.reshape(w_shape), bias=producer.bias * f)
            nodes[p_idx] = producer
            lo, hi = producer.acc_bounds
        else:
            f = np.ones(n_ch, dtype=np.int64)

        def fn(a, segment=segment, quant=quant, f=f):
            x = a * f
            for n in segment:
                x = apply_node(n, x)
            return _level(quant, apply_node(quant, x))

        _check_monotonic(segment, quant, producer, fn, f, lo, hi)
        t = thresholds_for(fn, lo, hi, quant.out_type.levels)
        if n_ch > 1 and np.all(t == t[:1]) and not isinstance(producer, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
            t = t[:1]
        in_type = QType.for_range(int(np.min(lo)), int(np.max(hi)))
        mt = N.MultiThreshold(quant.name, thresholds=t, in_type=in_type, out_type=quant.out_type)
        nodes[i : j + 1] = [mt]
        j = i + 1
    for n in nodes:
        if isinstance(n, N.Activation):
            raise QnnError(f"node {n.name} ({n.fn}): an activation needs a quantizer after it to become integer "
                           "thresholds; add a Quant node after it (Brevitas: a QuantIdentity after the activation, "
                           "or QuantSigmoid/QuantTanh/QuantHardTanh)")
    return graph.with_nodes(nodes)


def _check_monotonic(segment, quant, producer, level_fn, f, lo, hi) -> None:
    """Refuse a segment whose quantized output is not non-decreasing on [lo, hi] because of a non-monotonic
    activation (GELU, SiLU, ...); see the module docstring. ``level_fn``: int64 [..., C] -> levels [..., C]."""
    turning = [(k, n) for k, n in enumerate(segment)
               if isinstance(n, N.Activation) and turning_point(n.fn, n.alpha) is not None]
    if not turning:
        return
    if len(turning) > 1:
        raise QnnError(f"node {quant.name}: more than one non-monotonic activation before one quantizer "
                       f"({', '.join(n.name for _, n in turning)}) is not supported")
    k, act = turning[0]
    z_star = np.float32(turning_point(act.fn, act.alpha))

    def pre(a):
        x = a * f
        for n in segment[:k]:
            x = apply_node(n, x)
        return np.broadcast_to(x, a.shape)

    rising = pre(hi[None])[0] >= pre(lo[None])[0]  # the pre-activation is monotonic in a, per channel
    a_s = thresholds_for(lambda a: np.where(rising, pre(a) >= z_star, pre(a) <= z_star).astype(np.int64),
                         lo, hi, 2)[:, 0]  # first a on the rising piece (hi + 1 if none)
    at = lambda a: level_fn(np.clip(a, lo, hi)[None])[0]  # noqa: E731
    has_fall, has_rise = a_s > lo, a_s <= hi
    ok = ~has_fall | (at(lo) == at(a_s - 1))
    ok &= ~(has_fall & has_rise) | (at(a_s - 1) <= at(a_s))
    ok &= ~has_rise | (at(a_s) <= at(hi))
    if not ok.all():
        c = int(np.flatnonzero(~ok)[0])
        levels = [int(at(v)[c]) + quant.out_type.min for v in (lo, np.minimum(a_s, hi), hi)]  # output values
        dip = float(apply_node(act, np.array([z_star], np.float32))[0])
        hint = (f"give {quant.name} a scale above {-2 * dip:.3f} (the dip then rounds to 0), or use a monotonic "
                "activation" if dip < 0 else "use a monotonic activation")
        raise QnnError(f"node {act.name} ({act.fn}): its quantized output is not monotonic over the reachable range "
                       f"of {producer.name} (channel {c}: levels {levels[0]}, {levels[1]}, {levels[2]} out of {quant.name} "
                       f"at the low end, the turning point and the high end), so thresholds cannot represent it; "
                       + hint)
