"""Golden == qonnx's own execution of the exported file (the format's reference executor)."""
import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnn.export import graph_from_qonnx
from qnn.golden import predict


@pytest.mark.parametrize("preset,bits,kw", [("tfc", 2, {"hidden": (32, 16)}), ("tfc", 1, {"hidden": (32, 16)}),
                                            ("cnn", 4, {"channels": (4, 8), "hidden": (16,)})])
def test_golden_equals_qonnx_execution(trained, mnist_small, preset, bits, kw):
    _, _, _, path = trained(preset, bits, bits, **kw)
    graph = graph_from_qonnx(path, batchnorm="onnx")  # BatchNorm rounded as onnxruntime, the executor here
    model = ModelWrapper(str(path))
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    x = mnist_small[1].x[:24]
    ref = np.concatenate([execute_onnx(model, {iname: x[i : i + 1]})[oname] for i in range(len(x))])
    _, logits = predict(graph, x)
    assert np.array_equal(logits.argmax(1), ref.argmax(1))
    assert np.array_equal(logits, ref)
