"""A compiled execution plan for the golden model: the integers of ``execute``, several times faster.

``compile_plan(graph)`` walks the integer body once, tracks the proven value range of every tensor (from the
input quantizer's type, the weights, the thresholds' levels) and turns each layer into a step:

- ``linear-f32``: Dense/Conv2d as one float32 GEMM (``fused.gemm``, im2col for convolutions) when the range proves
  every partial sum below 2**24, fused with what follows it: a MaxPool (moved before the activation: thresholds
  and shifts are non-decreasing per channel, so ``max(f(a), f(b)) == f(max(a, b))``, and a per-channel bias
  commutes with the maximum too), then a MultiThreshold (bias folded into its thresholds) or a Shift, or the
  bias alone;
- ``depthwise-f32``: a DepthwiseConv2d tap by tap in float32 (``plan_depthwise.py``), fused with its MultiThreshold;
- ``threshold-f32``, ``shift-f32``, ``maxpool``, ``flatten``: the same kernels standing alone;
- ``reference``: anything not proven exact in float32 (huge weights or ranges, unknown nodes) runs the int64
  reference kernel of ``qnn.golden.ops`` through ``execute.apply_node``.

Tensors between steps are float32 (integers below 2**24, exact) or int64 after a reference step. The output is
int64, equal to ``run_integer`` on every input (tests/test_golden_plan.py checks each path, with weights at the
bounds' edges). Plans are cached per graph object.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qnn.golden import fused
from qnn.golden.fused import F32, F32_EXACT, Thresholds
from qnn.golden.ops import quantize_values
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph

BUDGET_BYTES = 1 << 20  # largest float32 intermediate of one chunk (im2col patches included): about the L2 cache
MIN_BATCH = 64  # but chunks of at least this many samples, so that per-call overhead stays small


@dataclass(frozen=True)
class _Layout:
    input_shape: tuple[int, ...]
    input_layout: str


@dataclass
class Step:
    kind: str
    names: tuple[str, ...]  # the IR nodes this step computes
    fn: Callable[[np.ndarray], np.ndarray]
    elems: int  # float32 elements of the largest array it makes, per sample


@dataclass
class Plan:
    layout: _Layout  # the graph's input description (not the graph: the plan cache must not keep graphs alive)
    front: tuple[N.Node, ...]  # host-side float preprocessing and the input quantizer
    steps: list[Step] = field(default_factory=list)
    batch: int = 256
    out_shape: tuple[int, ...] = ()

    @property
    def kinds(self) -> list[str]:
        return [s.kind for s in self.steps]

    def run(self, x: np.ndarray) -> np.ndarray:
        """Float model input (one chunk) -> integer output, int64."""
        from qnn.golden.execute import apply_node, to_channels_last

        x = to_channels_last(self.layout, x)
        for node in self.front[:-1]:  # host-side float preprocessing
            x = apply_node(node, x)
        q = self.front[-1]
        x = quantize_values(x, q.scale, q.zero_point, q.quant_type)
        for step in self.steps:
            x = step.fn(x)
        return np.asarray(x).astype(np.int64)

    def predict(self, x: np.ndarray, batch: int | None = None, threads: int | None = None) -> np.ndarray:
        """Integer outputs of a whole float input batch, in chunks of ``batch`` samples (cache-sized by default).

        With ``threads`` > 1 (default: the BLAS library's thread count) the chunks run in parallel, each with
        single-threaded BLAS: NumPy releases the GIL in its kernels, and every step, not only the GEMMs, is
        spread over the cores. The result does not depend on it (the chunks are independent and exact)."""
        if len(x) == 0:
            return np.zeros((0, *self.out_shape), dtype=np.int64)
        batch = batch or self.batch
        bounds = [(i, min(i + batch, len(x))) for i in range(0, len(x), batch)]
        if len(bounds) <= 1:
            return self.run(x)
        threads = min(threads or blas_threads(), len(bounds))
        if threads <= 1:
            return np.concatenate([self.run(x[a:b]) for a, b in bounds])
        from concurrent.futures import ThreadPoolExecutor

        with _blas().limit(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
            return np.concatenate(list(pool.map(lambda ab: self.run(x[ab[0] : ab[1]]), bounds)))


_CONTROLLER: list = []


def _blas():
    """threadpoolctl's controller, made once (finding the loaded libraries takes milliseconds)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def blas_threads() -> int:
    """The thread count NumPy's BLAS runs with now (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, threadpoolctl limits)."""
    try:
        libs = _blas().select(user_api="blas").lib_controllers
    except ImportError:
        return 1
    return max([1] + [int(lib.num_threads or 1) for lib in libs])


def _wrange(w2d: np.ndarray, lo: int, hi: int):
    """For w2d [K, O] and inputs in [lo, hi]: per-output (min, max) of sum_k w x, and the bound of every partial
    sum's magnitude, max_o sum_k |w| * max|x|; None when that bound may not fit int64 (first estimated in float64,
    which cannot overflow; the int64 sums are then exact)."""
    xabs = max(abs(int(lo)), abs(int(hi)))
    if float(np.abs(w2d.astype(np.float64)).sum(axis=0).max(initial=0)) * xabs >= 2.0**62:
        return None
    hi_c = np.maximum(w2d * lo, w2d * hi).sum(axis=0)
    lo_c = np.minimum(w2d * lo, w2d * hi).sum(axis=0)
    return lo_c, hi_c, int(np.abs(w2d).sum(axis=0).max(initial=0)) * xabs


def _exact(*values) -> bool:
    """Every integer of magnitude below 2**24 (and 2**24 itself) is exact in float32."""
    return all(int(np.max(np.abs(v), initial=0)) < F32_EXACT for v in values)


def _f32(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == F32 else x.astype(F32)


def _reference(node: N.Node) -> Callable:
    from qnn.golden.execute import apply_node

    return lambda x: apply_node(node, np.asarray(x).astype(np.int64))


def _post_levels(node, lo, hi):
    """Output range of a MultiThreshold / Shift."""
    if isinstance(node, N.MultiThreshold):
        levels = node.out_type.from_level(np.arange(node.thresholds.shape[-1] + 1))
        return int(levels.min()), int(levels.max())
    return node.out_type.min, node.out_type.max


def _linear(nodes: list, i: int, shape: tuple, lo: int, hi: int):
    """A linear layer at ``nodes[i]`` with what it fuses; None when float32 is not proven exact."""
    node = nodes[i]
    w = np.asarray(node.weight, dtype=np.int64)
    o = w.shape[0]
    w2d = w.reshape(o, -1).T
    ranges = _wrange(w2d, lo, hi)
    if ranges is None or ranges[2] >= F32_EXACT or not _exact(lo, hi):
        return None
    acc_lo, acc_hi, _ = ranges
    bias = np.zeros(o, np.int64) if node.bias is None else np.asarray(node.bias, dtype=np.int64).reshape(o)
    j, pool, post = i + 1, None, None
    if j < len(nodes) and isinstance(nodes[j], N.MaxPool) and len(shape) == 3:
        pool, j = nodes[j], j + 1
    if j < len(nodes) and isinstance(nodes[j], (N.MultiThreshold, N.Shift)):
        post, j = nodes[j], j + 1
        if pool is None and j < len(nodes) and isinstance(nodes[j], N.MaxPool) and len(shape) == 3:
            pool, j = nodes[j], j + 1
    if isinstance(post, N.Shift) and (abs(post.shift) >= 100 or not _exact(acc_lo + bias, acc_hi + bias)):
        return None  # the layer and its shift run the reference kernels
    w32 = w2d.astype(F32)
    if isinstance(node, N.Conv2d):
        (kh, kw), (sh, sw), (t, l_, b_, r) = node.kernel, node.stride, node.pad
        h, wd, c = shape
        out_shape = ((h + t + b_ - kh) // sh + 1, (wd + l_ + r - kw) // sw + 1, o)
        elems = max(out_shape[0] * out_shape[1] * kh * kw * c, int(np.prod(out_shape)))

        fuse_pool = pool is not None and tuple(pool.kernel) == tuple(pool.stride)  # pooled in the GEMM's blocks
        pool_arg = tuple(pool.kernel) if fuse_pool else None

        def lin(x, node=node):
            cols, (b, n, ho, wo) = fused.im2col(_f32(x), node.kernel, node.stride, node.pad, pool_arg)
            return fused.pool_blocks(fused.gemm(cols, w32), b).reshape(n, ho, wo, o)
    else:
        out_shape, elems, fuse_pool = (o,), max(int(np.prod(shape)), o), False
        w32 = np.ascontiguousarray(w32)  # row-major [K, O]: a few % faster in OpenBLAS for dense layers

        def lin(x):
            return fused.gemm(_f32(x).reshape(len(x), -1), w32)
    if pool is not None:
        (pkh, pkw), (psh, psw) = pool.kernel, pool.stride
        out_shape = ((out_shape[0] - pkh) // psh + 1, (out_shape[1] - pkw) // psw + 1, o)
    names = tuple(n.name for n in nodes[i:j])
    if isinstance(post, N.MultiThreshold):
        thr = Thresholds(post.thresholds, bias, acc_lo, acc_hi, post.out_type, o)
        finish, kind, rng = thr, f"linear-f32+threshold-{thr.kind}", _post_levels(post, 0, 0)
    elif isinstance(post, N.Shift):
        finish = lambda y, s=post.shift, t=post.out_type: fused.shift(y, s, bias, t)  # noqa: E731
        kind, rng = "linear-f32+shift", _post_levels(post, 0, 0)
    elif _exact(acc_lo + bias, acc_hi + bias):
        b32 = bias.astype(F32)
        finish, kind = (lambda y: np.add(y, b32, out=y)), "linear-f32+bias"
        rng = (int((acc_lo + bias).min()), int((acc_hi + bias).max()))
    else:
        finish, kind = (lambda y: y.astype(np.int64) + bias), "linear-f32+bias-int64"
        rng = (int((acc_lo + bias).min()), int((acc_hi + bias).max()))
    pool_fn = (lambda y: fused.maxpool(y, pool.kernel, pool.stride)) if pool is not None and not fuse_pool else (
        lambda y: y)

    def fn(x):
        return finish(pool_fn(lin(x)))

    return Step(kind + ("+maxpool" if pool is not None else ""), names, fn, elems), j, out_shape, rng


def compile_plan(graph: IntGraph, budget_bytes: int = BUDGET_BYTES) -> Plan:
    q, body, _ = graph.split()
    nodes = list(body)
    shapes = _shapes(graph)
    shape, (lo, hi) = shapes[0], (q.out_type.min, q.out_type.max)
    layout = _Layout(tuple(graph.input_shape), graph.input_layout)
    plan, i, known = Plan(layout, tuple(graph.front), out_shape=tuple(shapes[-1])), 0, True
    while i < len(nodes):
        node = nodes[i]
        got = _linear(nodes, i, shape, lo, hi) if known and isinstance(node, (N.Dense, N.Conv2d)) else None
        if known and isinstance(node, N.DepthwiseConv2d):  # float32 taps where proven exact (plan_depthwise.py)
            from qnn.golden.plan_depthwise import depthwise_step

            got = depthwise_step(nodes, i, shape, lo, hi)
        if got is not None:
            step, i, shape, rng = got
            plan.steps.append(step)
            lo, hi = rng
            continue
        out_shape = shapes[i + 1]
        elems = int(np.prod(out_shape))
        if isinstance(node, N.Flatten):
            step = Step("flatten", (node.name,), lambda x: x.reshape(len(x), -1), elems)
            lo, hi = int(np.min(lo)), int(np.max(hi))
        elif isinstance(node, N.MaxPool):
            step = Step("maxpool", (node.name,), lambda x, nd=node: fused.maxpool(x, nd.kernel, nd.stride), elems)
        elif isinstance(node, N.MultiThreshold) and known and _exact(lo, hi):
            thr = Thresholds(node.thresholds, 0, lo, hi, node.out_type, out_shape[-1])
            step = Step(f"threshold-{thr.kind}", (node.name,), lambda x, thr=thr: thr(_f32(x).copy()), elems)
            lo, hi = _post_levels(node, lo, hi)
        elif isinstance(node, N.Shift) and known and _exact(lo, hi) and abs(node.shift) < 100:
            step = Step("shift-f32", (node.name,), lambda x, nd=node: fused.shift(_f32(x).copy(), nd.shift, 0,
                                                                                 nd.out_type), elems)
            lo, hi = _post_levels(node, lo, hi)
        else:
            step = Step("reference", (node.name,), _reference(node), 2 * elems)  # int64: twice the bytes
            known, lo, hi = _reference_range(node, lo, hi, known)
        plan.steps.append(step)
        shape, i = out_shape, i + 1
    largest = max([int(np.prod(shapes[0]))] + [s.elems for s in plan.steps])
    plan.batch = int(np.clip(budget_bytes // (4 * largest), MIN_BATCH, 8192))
    return plan


def _shapes(graph: IntGraph) -> list[tuple[int, ...]]:
    """Per-sample shapes: the integer body's input, then each body node's output (one zero sample run)."""
    from qnn.golden.execute import quantize_input, run_integer

    x = quantize_input(graph, np.zeros((1, *graph.input_shape), dtype=np.float32))
    return [x.shape[1:]] + [y.shape[1:] for y in run_integer(graph, x, trace=True)]


def _reference_range(node, lo, hi, known):
    """Range after a reference step: from the node's own output type or weights; unknown otherwise."""
    if isinstance(node, (N.MultiThreshold, N.Shift)):
        return (True, *_post_levels(node, lo, hi))
    if isinstance(node, N.SumPool) and known:  # a window sum: the range times the window size
        return True, int(np.min(lo)) * node.divisor, int(np.max(hi)) * node.divisor
    if isinstance(node, (N.Dense, N.Conv2d, N.DepthwiseConv2d)) and known:
        w = np.asarray(node.weight, dtype=np.int64)
        ranges = _wrange(w.reshape(w.shape[0], -1).T, int(np.min(lo)), int(np.max(hi)))
        b = np.zeros(1, np.int64) if node.bias is None else np.asarray(node.bias, dtype=np.int64).reshape(-1)
        if ranges is not None and np.abs(b.astype(np.float64)).max() < 2.0**61:
            return True, int((ranges[0] + b).min()), int((ranges[1] + b).max())
    return False, 0, 0


_PLANS: dict[int, tuple[weakref.ref, Plan]] = {}


def plan_for(graph: IntGraph) -> Plan:
    """The cached plan of ``graph`` (compiled on first use)."""
    hit = _PLANS.get(id(graph))
    if hit is not None and hit[0]() is graph:
        return hit[1]
    plan = compile_plan(graph)
    for k in [k for k, (ref, _) in _PLANS.items() if ref() is None]:
        del _PLANS[k]
    _PLANS[id(graph)] = (weakref.ref(graph), plan)
    return plan
