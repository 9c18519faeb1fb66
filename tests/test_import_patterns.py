"""Models from elsewhere: each hand-built QONNX pattern imports, streamlines, and its golden model equals qonnx's own
execution of the file (argmax identical on every vector, logits within float32 rounding)."""
import numpy as np
import pytest
from qonnx_builders import BUILDERS

from qnn.evaluate import qonnx_logits
from qnn.export import graph_from_qonnx
from qnn.golden import predict
from qnn.ir import nodes as N


def _inputs(graph, n, seed=0):
    rng = np.random.default_rng(seed)
    shape = graph.input_shape
    return rng.uniform(-0.2, 1.2, size=(n, *shape)).astype(np.float32)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_golden_equals_qonnx(tmp_path, name):
    path = BUILDERS[name](tmp_path / f"{name}.onnx")
    graph = graph_from_qonnx(path)
    assert graph.is_streamlined
    x = _inputs(graph, 40)
    ref = qonnx_logits(path, x, graph.input_layout)
    ints, logits = predict(graph, x)
    assert np.array_equal(logits.argmax(1), ref.argmax(1))
    assert np.abs(logits - ref).max() <= 4 * np.finfo(np.float32).eps * max(1.0, np.abs(ref).max())


def test_patterns_become_integer_nodes(tmp_path):
    g = graph_from_qonnx(BUILDERS["mlp_bipolar"](tmp_path / "b.onnx"))
    assert [type(n) for n in g.front] == [N.Affine, N.Affine, N.Quantize]  # 2x - 1 runs on the host
    assert g.input_quant.out_type.bipolar
    assert all(isinstance(n, (N.Dense, N.MultiThreshold)) for n in g.body)
    assert len(g.tail) == 5  # Dequant + TensorNorm-style Sub/Div/Mul/Add
    g = graph_from_qonnx(BUILDERS["mlp_nonpow2_zeropoint"](tmp_path / "z.onnx"))
    assert g.input_quant.out_type.name == "INT9"  # uint8 minus zero point 37: -37..218
    g = graph_from_qonnx(BUILDERS["qkeras_style"](tmp_path / "k.onnx"))
    assert g.input_layout == "NHWC" and not any(isinstance(n, N.Affine) for n in g.body)


def test_nchw_flatten_permutes_dense_columns(tmp_path):
    """ONNX flattens (c, h, w); the IR is channels-last: the Dense columns are reordered, outputs stay equal."""
    path = BUILDERS["cnn_nchw"](tmp_path / "c.onnx")
    g = graph_from_qonnx(path)
    kinds = [n.kind for n in g.body]
    assert kinds == ["Conv2d", "MultiThreshold", "MaxPool", "Conv2d", "Shift", "Flatten", "Dense"] or \
        kinds == ["Conv2d", "MultiThreshold", "MaxPool", "Conv2d", "MultiThreshold", "Flatten", "Dense"]
