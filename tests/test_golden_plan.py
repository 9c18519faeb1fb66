"""The compiled golden plan (qnn.golden.plan) == the int64 reference kernels, on every path it can take.

Each graph is built by hand so that one test reaches one kind of step; the reference runs every node with int64
arithmetic only (``force_int64``). The bound tests sit on the edge of float32 exactness: they fail if a bound is
off by one or missing (checked by loosening the bound and watching the results go wrong).
"""
import numpy as np
import pytest

from qnn.golden import fused, plan
from qnn.golden.execute import apply_node, quantize_input
from qnn.golden.plan import compile_plan
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.qtype import QType

U8, U4 = QType(8, False), QType(4, False)


def reference(graph: IntGraph, x: np.ndarray) -> np.ndarray:
    q = quantize_input(graph, x)
    for node in graph.body:
        q = apply_node(node, q, force_int64=True)
    return q


def mt(name, thresholds, out_type):
    return N.MultiThreshold(name, thresholds=np.asarray(thresholds, dtype=np.int64), in_type=QType(32, True),
                            out_type=out_type)


def dense(name, w, b, in_type):
    return N.Dense(name, weight=np.asarray(w, np.int64), bias=np.asarray(b, np.int64), in_type=in_type,
                   weight_type=QType(8, True))


def graph(*body, shape=(20,), layout="NC", quant=U8):
    nodes = (N.Quantize("q", scale=np.float32(1 / 256), zero_point=np.float32(0), quant_type=quant), *body,
             N.Dequant("deq", scale=np.float32(0.5)))
    return IntGraph(nodes, shape, layout)


def check(g: IntGraph, x: np.ndarray, kinds=None, batch=None):
    p = compile_plan(g)
    got = p.predict(x, batch=batch, threads=1)
    assert got.dtype == np.int64
    assert np.array_equal(got, reference(g, x))
    if kinds is not None:
        assert p.kinds == kinds
    return p


def sorted_thresholds(rng, channels, n, lo, hi):
    return np.sort(rng.integers(lo, hi, size=(channels, n)), axis=1)


@pytest.mark.parametrize("n_thr,span,kind", [(1, 4000, "compare"), (3, 4000, "compare"), (7, 10**6, "compare"),
                                             (15, 4000, "lut"), (15, 10**6, "compare"), (63, 4000, "lut"),
                                             (63, 10**7, "search")])
def test_dense_threshold_kinds(n_thr, span, kind):
    rng = np.random.default_rng(n_thr)
    w = rng.integers(-127, 128, size=(24, 20))
    b = rng.integers(-5000, 5000, size=24)
    out_t = QType(int(n_thr).bit_length(), False)
    t = sorted_thresholds(rng, 24, n_thr, -span, span)
    t[0, :] = 10**12  # unreachable and ...
    t[1, :] = -10**12  # ... always reached: clipped to the proven range, still exact
    g = graph(dense("d0", w, b, U8), mt("t0", t, out_t), dense("d1", rng.integers(-3, 4, (5, 24)), np.zeros(5), out_t))
    check(g, rng.random((300, 20), dtype=np.float32), [f"linear-f32+threshold-{kind}", "linear-f32+bias"])


def test_bipolar_and_signed_levels_and_shared_thresholds():
    rng = np.random.default_rng(1)
    g = graph(dense("d0", rng.integers(-1, 2, (16, 20)), np.zeros(16), U8), mt("t0", [[40]], QType.bipolar_type()),
              dense("d1", rng.choice([-1, 1], (16, 16)), rng.integers(-3, 3, 16), QType.bipolar_type()),
              mt("t1", sorted_thresholds(rng, 16, 15, -12, 12), QType(4, True)),
              dense("d2", rng.integers(-7, 8, (4, 16)), np.zeros(4), QType(4, True)))
    check(g, rng.random((257, 20), dtype=np.float32), batch=64)


def test_conv_pool_shift_paths_match_reference():
    """One-channel conv with padding (transposed patches), MaxPool after the thresholds (moved before them),
    strided conv with a Shift, overlapping 3x3/2 pooling on odd sizes, then flatten and dense."""
    rng = np.random.default_rng(2)
    c1 = N.Conv2d("c1", weight=rng.integers(-7, 8, (6, 3, 3, 1)), bias=rng.integers(-40, 40, 6), in_type=U8,
                  weight_type=QType(4, True), pad=(1, 1, 1, 1))
    c2 = N.Conv2d("c2", weight=rng.integers(-7, 8, (5, 3, 2, 6)), bias=rng.integers(-40, 40, 5), in_type=U4,
                  weight_type=QType(4, True), stride=(2, 1), pad=(0, 1, 2, 1))
    g = graph(c1, mt("t1", sorted_thresholds(rng, 6, 15, -3000, 3000), U4), N.MaxPool("p1", (2, 2), (2, 2)),
              c2, N.Shift("s2", shift=3, in_type=QType(16, True), out_type=QType(5, True)),
              N.MaxPool("p2", (3, 3), (2, 2)), N.Flatten("f"),
              dense("d", rng.integers(-7, 8, (3, 1 * 2 * 5)), rng.integers(-9, 9, 3), QType(5, True)),
              shape=(1, 15, 11), layout="NCHW")
    p = check(g, rng.random((70, 1, 15, 11), dtype=np.float32), batch=16)
    assert p.kinds == ["linear-f32+threshold-lut+maxpool", "linear-f32+shift+maxpool", "flatten", "linear-f32+bias"]
    assert p.steps[0].names == ("c1", "t1", "p1")


def test_standalone_threshold_pool_and_shift():
    rng = np.random.default_rng(3)
    c = N.Conv2d("c", weight=rng.integers(-7, 8, (4, 2, 2, 3)), bias=np.zeros(4, np.int64), in_type=U8,
                 weight_type=QType(4, True))
    g = graph(c, N.Flatten("f"), mt("t", sorted_thresholds(rng, 1, 3, -500, 500), QType(2, False)),
              N.Shift("s", shift=-2, in_type=QType(2, False), out_type=QType(3, False)), shape=(3, 5, 4),
              layout="NCHW")
    check(g, rng.random((40, 3, 5, 4), dtype=np.float32),
          ["linear-f32+bias", "flatten", "threshold-compare", "shift-f32"])


def edge_graph(total: int) -> IntGraph:
    """A dense layer whose worst-case accumulator is exactly ``total`` (all inputs 255): 255 * sum(w) == total."""
    s = total // 255
    k = -(-s // 127)
    w = np.full((2, k), 127, np.int64)
    w[:, -1] -= 127 * k - s
    w[1] = -w[1]
    return graph(dense("d", w, [0, 0], U8), shape=(k,))


@pytest.mark.parametrize("total,kind", [(255 * 65793, "linear-f32+bias"), (255 * 65794, "reference")])
def test_float32_bound_edge(total, kind):
    """255 * 65793 < 2**24 <= 255 * 65794: the largest exact layer runs in float32, the next one in int64;
    the worst-case input (every value 255) reaches the bound exactly."""
    g = edge_graph(total)
    x = np.ones((3, g.input_shape[0]), np.float32)  # quantizes to 255 everywhere
    x[1] = 0.5
    p = check(g, x, [kind])
    assert p.predict(x)[0].tolist() == [total, -total]


def test_loosened_bound_would_be_caught(monkeypatch):
    """The tests above can fail: without the float32 bound, an odd accumulator above 2**24 rounds."""
    monkeypatch.setattr(plan, "F32_EXACT", 1 << 40)
    g = graph(dense("d", np.full((1, 2), 65793, np.int64) + [[0, 1]], [0], U8), shape=(2,))
    x = np.ones((1, 2), np.float32)
    assert compile_plan(g).kinds == ["linear-f32+bias"]
    assert not np.array_equal(compile_plan(g).predict(x), reference(g, x))  # 255 * (2 * 65793 + 1) is odd


def test_threads_and_chunks_do_not_change_results():
    rng = np.random.default_rng(4)
    g = graph(dense("d0", rng.integers(-7, 8, (32, 20)), rng.integers(-99, 99, 32), U8),
              mt("t0", sorted_thresholds(rng, 32, 15, -3000, 3000), U4),
              dense("d1", rng.integers(-7, 8, (10, 32)), np.zeros(10), U4))
    x = rng.random((1000, 20), dtype=np.float32)
    p = compile_plan(g)
    one = p.predict(x, batch=1000, threads=1)
    assert np.array_equal(one, reference(g, x))
    assert np.array_equal(p.predict(x, batch=37, threads=2), one)
    assert plan.plan_for(g) is plan.plan_for(g)
    assert p.predict(x[:0]).shape == (0, 10)


def test_thresholds_edges_of_the_range():
    """Thresholds at lo, hi + 1, duplicated and beyond the range; every input value of the range."""
    lo, hi = np.array([-5, 0]), np.array([5, 9])
    t = np.array([[-5, -5, 0, 6, 10**9], [-10**9, 0, 1, 9, 10]])
    x = np.stack([np.r_[np.arange(-5, 6), [5] * 5], np.arange(0, 16) % 10], axis=1).astype(np.float32)
    ref = (x[:, :, None].astype(np.int64) >= t[None]).sum(-1)
    for n in (5, 9, 17):
        tt = np.repeat(t, -(-n // 5), axis=1)[:, :n]
        tt.sort(axis=1)
        thr = fused.Thresholds(tt, 0, lo, hi, QType(5, False), 2)
        assert np.array_equal(thr(x.copy()), (x[:, :, None] >= tt[None]).sum(-1)), thr.kind
    assert np.array_equal(fused.Thresholds(t, 0, lo, hi, QType(3, False), 2)(x.copy()), ref)


def test_huge_weights_run_the_int64_reference_and_so_does_what_follows():
    """Accumulators near 2**52: beyond float32 (and the float64 BLAS of ops needs its own bound); the threshold
    after such a layer cannot be proven exact in float32 either, the next small layer can again."""
    rng = np.random.default_rng(5)
    w = rng.integers(-(1 << 40), 1 << 40, size=(8, 20))
    t = np.sort(rng.integers(-(1 << 48), 1 << 48, size=(8, 3)), axis=1)
    g = graph(dense("d0", w, rng.integers(-(1 << 40), 1 << 40, 8), U8), mt("t0", t, QType(2, False)),
              dense("d1", rng.integers(-3, 4, (4, 8)), np.zeros(4), QType(2, False)))
    x = rng.random((50, 20), dtype=np.float32)
    check(g, x, ["reference", "reference", "linear-f32+bias"])
    assert len(np.unique(reference(g, x)[:, 0])) > 1  # not a constant output: the thresholds are reached


@pytest.mark.parametrize("cin,stride,pad,pool", [(1, (1, 1), (1, 1, 1, 1), 2), (4, (1, 2), (0, 1, 2, 1), 2),
                                                 (3, (2, 1), (1, 0, 0, 2), 3), (1, (2, 2), (0, 0, 1, 1), 3)])
def test_pool_computed_in_gemm_blocks(cin, stride, pad, pool):
    """A non-overlapping pool after a conv (and its thresholds) is taken over the GEMM's row blocks; odd sizes
    leave conv outputs that the pool's floor drops (never computed)."""
    rng = np.random.default_rng(cin + pool)
    c = N.Conv2d("c", weight=rng.integers(-7, 8, (5, 3, 3, cin)), bias=rng.integers(-30, 30, 5), in_type=U8,
                 weight_type=QType(4, True), stride=stride, pad=pad)
    g = graph(c, mt("t", sorted_thresholds(rng, 5, 3, -2000, 2000), QType(2, False)),
              N.MaxPool("p", (pool, pool), (pool, pool)), N.Flatten("f"), shape=(cin, 17, 13), layout="NCHW")
    p = check(g, rng.random((23, cin, 17, 13), dtype=np.float32), batch=8)
    assert p.kinds[0] == "linear-f32+threshold-compare+maxpool"
