"""DS-CNN IR nodes: DepthwiseConv2d and SumPool kernels against PyTorch, bounds, and lossless serialization."""
import numpy as np
import pytest
import torch

from qnn.golden import ops
from qnn.golden.execute import apply_node
from qnn.ir import nodes as N
from qnn.ir.bounds import output_bounds
from qnn.ir.graph import IntGraph
from qnn.ir.nodes import node_fields
from qnn.ir.serialize import load_graph, save_graph
from qnn.qtype import QType


@pytest.mark.parametrize("k,stride,pad", [((3, 3), (1, 1), (1, 1, 1, 1)), ((3, 2), (2, 1), (0, 1, 2, 0)),
                                          ((1, 1), (1, 1), (0, 0, 0, 0))])
def test_depthwise_matches_torch_grouped_conv(k, stride, pad):
    rng = np.random.default_rng(0)
    x = rng.integers(-8, 8, size=(3, 9, 7, 5))
    w = rng.integers(-7, 8, size=(5, *k))
    b = rng.integers(-100, 100, size=5)
    xt = torch.nn.functional.pad(torch.tensor(x, dtype=torch.float64).permute(0, 3, 1, 2),
                                 (pad[1], pad[3], pad[0], pad[2]))
    ref = torch.nn.functional.conv2d(xt, torch.tensor(w, dtype=torch.float64)[:, None], torch.tensor(b, dtype=torch.float64),
                                     stride=stride, groups=5).permute(0, 2, 3, 1).numpy()
    got = ops.depthwise_conv2d(x, w, b, stride, pad)
    assert got.dtype == np.int64 and np.array_equal(got, ref.astype(np.int64))
    node = N.DepthwiseConv2d("dw", weight=w, bias=b, in_type=QType(4, True), weight_type=QType(4, True, True),
                             stride=stride, pad=pad)
    lo, hi = node.acc_bounds
    assert np.all(got >= lo) and np.all(got <= hi)


def test_sumpool_windows_and_global():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 16, size=(4, 6, 5, 3))
    g = ops.sumpool(x, (6, 5), (6, 5))
    assert g.shape == (4, 1, 1, 3) and np.array_equal(g[:, 0, 0], x.sum(axis=(1, 2)))
    w = ops.sumpool(x, (2, 2), (2, 2))
    assert w.shape == (4, 3, 2, 3) and int(w[1, 2, 1, 2]) == int(x[1, 4:6, 2:4, 2].sum())
    node = N.SumPool("p", kernel=(6, 5), stride=(6, 5), in_type=QType(4, False), global_pool=True)
    assert node.divisor == 30 and node.out_type == QType.for_range(0, 15 * 30)
    # the mean as PyTorch computes it (sum, then divide), not sum * (1/N)
    xf = torch.tensor(x * 0.25, dtype=torch.float32).permute(0, 3, 1, 2)
    ref = torch.nn.functional.adaptive_avg_pool2d(xf, 1).permute(0, 2, 3, 1).numpy()
    mean = ops.divide(ops.dequant(g, np.float32(0.25)), 30)
    assert np.array_equal(mean, ref)


def test_bounds_and_serialization_roundtrip(tmp_path):
    rng = np.random.default_rng(2)
    dw = N.DepthwiseConv2d("dw", weight=rng.integers(-7, 8, size=(4, 3, 3)), bias=np.arange(4) - 2,
                           in_type=QType(4, False), weight_type=QType(4, True, True), stride=(1, 1), pad=(1, 1, 1, 1))
    mt = N.MultiThreshold("mt", thresholds=np.sort(rng.integers(-50, 50, size=(4, 15)), axis=1), in_type=dw.acc_type,
                          out_type=QType(4, False))
    pool = N.SumPool("pool", kernel=(5, 5), stride=(5, 5), in_type=QType(4, False), global_pool=True)
    graph = IntGraph((N.Quantize("q", scale=np.float32(1 / 16), quant_type=QType(4, False)), dw, mt, pool,
                      N.Dequant("d", scale=np.float32(0.5)), N.Divide("avg", divisor=25)), (1, 5, 5), "NCHW")
    b = output_bounds(graph)
    # unsigned 4-bit inputs: the worst case puts 15 on every positive (or every negative) weight of a channel
    w = dw.weight.reshape(4, -1)
    assert np.array_equal(b[1][0], 15 * np.minimum(w, 0).sum(axis=1) + dw.bias)
    assert np.array_equal(b[1][1], 15 * np.maximum(w, 0).sum(axis=1) + dw.bias)
    assert int(b[3][1]) == 15 * 25 and b[5] is None
    save_graph(graph, tmp_path)
    back = load_graph(tmp_path)
    for a, c in zip(graph.nodes, back.nodes):
        assert a.kind == c.kind
        for (k, va), vb in zip(node_fields(a).items(), node_fields(c).values()):
            if isinstance(va, np.ndarray):
                assert np.array_equal(va, vb), (a.name, k)
            else:
                assert va == vb, (a.name, k)
    x = rng.random((7, 1, 5, 5)).astype(np.float32)
    from qnn.golden import execute

    assert np.array_equal(execute(graph, x), execute(back, x))
    assert apply_node(back.nodes[3], np.ones((1, 5, 5, 4), np.int64)).shape == (1, 1, 1, 4)


@pytest.mark.parametrize("in_type", [QType(3, True), QType(2, False)])
def test_depthwise_bounds_are_the_brute_force_extremes(in_type):
    """output_bounds of a 2x2 depthwise node = the min/max of the golden kernel over every possible input window
    (3-bit signed: 8^4 windows; 2-bit unsigned: 4^4), attained, not just enclosing."""
    w = np.array([[[3, -2], [0, -4]], [[-1, -1], [2, 0]], [[0, 0], [0, 0]]])
    bias = np.array([5, -7, 2])
    dw = N.DepthwiseConv2d("dw", weight=w, bias=bias, in_type=in_type, weight_type=QType(3, True), stride=(1, 1),
                           pad=(0, 0, 0, 0))
    graph = IntGraph((N.Quantize("q", scale=np.float32(1), quant_type=in_type), dw), (3, 2, 2), "NCHW")
    levels = np.arange(in_type.min, in_type.max + 1)
    windows = np.stack(np.meshgrid(*[levels] * 4, indexing="ij"), axis=-1).reshape(-1, 2, 2)
    x = np.repeat(windows[..., None], 3, axis=-1)  # (n, 2, 2, 3): every window on every channel
    y = ops.depthwise_conv2d(x, w, bias, (1, 1), (0, 0, 0, 0)).reshape(len(x), 3)
    lo, hi = output_bounds(graph)[1]
    assert np.array_equal(lo, y.min(axis=0)) and np.array_equal(hi, y.max(axis=0))
