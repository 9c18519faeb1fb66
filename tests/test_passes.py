"""Each IR pass is checked by running the graph before and after it: outputs must be identical."""
import numpy as np
import pytest

from qnn.golden import execute
from qnn.ir import nodes as N
from qnn.ir.from_qonnx import load_qonnx, read_qonnx
from qnn.ir.passes import (
    fold_requant,
    move_maxpool_after_quantize,
    remove_redundant_relu,
    streamline,
    thresholds_to_shift,
)


def _inputs(graph, n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *graph.input_shape), dtype=np.float32)
    x[: n // 4] = np.round(x[: n // 4] * 4) / 4  # values on quantizer boundaries too
    return x


def _check_exact(before, after, x):
    a, b = execute(before, x), execute(after, x)
    assert a.dtype == b.dtype and np.array_equal(a, b)


CASES = [("tfc", 2, 2, {"hidden": (32, 16)}), ("tfc", 1, 1, {"hidden": (32, 16)}), ("tfc", 4, 4, {"batchnorm": False}),
         ("cnn", 4, 4, {"channels": (4, 8), "hidden": (16,)}), ("tfc", 8, 8, {"hidden": (24,)})]


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}-w{c[1]}a{c[2]}-{'-'.join(map(str, c[3].values()))}")
def raw_graph(request, trained):
    preset, w, a, kw = request.param
    _, _, _, path = trained(preset, w, a, **kw)
    return read_qonnx(load_qonnx(path))


def test_move_maxpool(raw_graph):
    after = move_maxpool_after_quantize(raw_graph)
    _check_exact(raw_graph, after, _inputs(raw_graph))
    for i, n in enumerate(after.nodes):
        if isinstance(n, N.MaxPool):
            assert isinstance(after.nodes[i - 1], N.Quantize)


def test_fold_requant(raw_graph):
    before = move_maxpool_after_quantize(raw_graph)
    after = fold_requant(before)
    _check_exact(before, after, _inputs(raw_graph))
    n_quant = sum(isinstance(n, N.Quantize) for n in before.nodes)
    assert sum(isinstance(n, N.MultiThreshold) for n in after.nodes) == n_quant - 1
    assert not any(isinstance(n, (N.Affine, N.Relu)) for n in after.nodes)


def test_thresholds_to_shift(raw_graph):
    before = fold_requant(move_maxpool_after_quantize(raw_graph))
    after = thresholds_to_shift(before)
    _check_exact(before, after, _inputs(raw_graph))


def test_remove_redundant_relu(raw_graph):
    before = thresholds_to_shift(fold_requant(move_maxpool_after_quantize(raw_graph)))
    after = remove_redundant_relu(before)
    _check_exact(before, after, _inputs(raw_graph))


def test_streamline_is_integer_and_exact(raw_graph):
    after = streamline(raw_graph)
    _check_exact(raw_graph, after, _inputs(raw_graph, seed=1))
    q, body, tail = after.split()
    assert all(n.is_integer for n in body) and all(isinstance(n, N.Dequant) for n in tail)


def test_shift_found_without_batchnorm(trained):
    """Power-of-two scales, integer biases and no BatchNorm: requantization is a plain shift."""
    _, _, graph, _ = trained("tfc", 4, 4, batchnorm=False)
    kinds = [n.kind for n in graph.nodes]
    assert "Shift" in kinds and "MultiThreshold" not in kinds


def test_negative_batchnorm_scale_flips_weights(trained):
    """A channel with negative BatchNorm gamma decreases: thresholds come with negated weights, still exact."""
    import torch

    from qnn.export import export_qonnx_file

    model, spec, _, path = trained("tfc", 2, 2, hidden=(32, 16))
    bn = model.layers[1]
    with torch.no_grad():
        bn.weight[:8] *= -1
    graph = export_qonnx_file(model, spec, path.with_name("flipped.onnx"))
    raw = read_qonnx(load_qonnx(path.with_name("flipped.onnx")))
    x = _inputs(raw)
    _check_exact(raw, graph, x)
    dense = graph.nodes[1]
    orig = raw.nodes[1]
    assert np.array_equal(dense.weight[:8], -orig.weight[:8]) and np.array_equal(dense.weight[8:], orig.weight[8:])
