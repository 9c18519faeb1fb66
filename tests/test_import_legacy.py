"""Models written the way the older exporters wrote them import, and their golden model equals qonnx's execution:
legacy custom-op domains with no opset import, initializers listed as graph inputs, opsets 9 to current, dynamic
Shape -> Gather -> Unsqueeze -> Concat -> Reshape flattens, Gemm with transA/transB/alpha/beta, TensorNorm tails."""
import numpy as np
import onnx
import pytest
import qonnx_builders_legacy as L

from qnn.export import graph_from_qonnx
from qnn.ir import nodes as N
from qnn.ir.qonnx import load_qonnx
from qnn.ir.qonnx.load import QONNX_DOMAIN

OPSETS = [9, 11, 13, 17, onnx.defs.onnx_opset_version()]


def _check(path, n=24, seed=0):
    graph = graph_from_qonnx(path)
    assert graph.is_streamlined
    x = np.random.default_rng(seed).random((n, *graph.input_shape), dtype=np.float32)
    L.assert_close(*L.golden_vs_qonnx(path, graph, x))
    return graph


def test_legacy_file_is_what_old_exporters_wrote(tmp_path):
    """The test file itself: no opset import for the custom domain, initializers as inputs, opset 9, and
    onnx.checker refuses it as it stands (which is why validation now runs after qonnx's cleanup)."""
    m = onnx.load(L.tfc_legacy(tmp_path / "t.onnx"))
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 9)]
    assert {n.domain for n in m.graph.node if n.op_type in ("Quant", "BipolarQuant")} == {"onnx.brevitas"}
    assert len(m.graph.input) == 1 + len(m.graph.initializer)
    assert {"Shape", "Gather", "Unsqueeze", "Concat"} <= {n.op_type for n in m.graph.node}
    with pytest.raises(onnx.checker.ValidationError, match="onnx.brevitas"):
        onnx.checker.check_model(m)
    cleaned = load_qonnx(tmp_path / "t.onnx").model
    assert {n.domain for n in cleaned.graph.node if n.op_type in ("Quant", "BipolarQuant")} == {QONNX_DOMAIN}
    assert not {"Shape", "Gather", "Unsqueeze", "Concat"} & {n.op_type for n in cleaned.graph.node}


@pytest.mark.parametrize("domain", L.LEGACY_DOMAINS)
def test_legacy_domains_tfc(tmp_path, domain):
    g = _check(L.tfc_legacy(tmp_path / "t.onnx", domain=domain))
    assert g.input_quant.out_type.bipolar and [type(n) for n in g.front] == [N.Affine, N.Affine, N.Quantize]
    assert [n.kind for n in g.body] == ["Dense", "MultiThreshold", "Dense", "MultiThreshold", "Dense"]
    assert isinstance(g.tail[-1], N.Affine)  # the TensorNorm tail stays a float affine after the integer body


@pytest.mark.parametrize("opset", OPSETS)
def test_opsets(tmp_path, opset):
    _check(L.tfc_legacy(tmp_path / "t.onnx", opset=opset, inits_as_inputs=opset < 11))


@pytest.mark.parametrize("opset", [9, 13])
def test_dynamic_flatten_between_layers(tmp_path, opset):
    g = _check(L.cnn_dynamic_flatten(tmp_path / "c.onnx", opset=opset))
    assert [n.kind for n in g.body] == ["Conv2d", "Shift", "Flatten", "Dense"]


@pytest.mark.parametrize("kw", [{"trans_b": True}, {"trans_b": False}, {"trans_a": True}, {"alpha": 0.5, "beta": 2.0},
                                {"opset": 9}], ids=["transB1", "transB0", "transA1", "alpha-beta", "opset9"])
def test_gemm_layouts(tmp_path, kw):
    g = _check(L.gemm_mlp(tmp_path / "g.onnx", **kw))
    assert [n.kind for n in g.body] == ["Dense", "MultiThreshold", "Dense"]


def _first_gemm_integer_weight(path) -> tuple[np.ndarray, int]:
    """From the file itself: the first Gemm's weight as Quant defines it (round half to even, narrow 4-bit clip)
    and its transB."""
    m = onnx.load(path)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in m.graph.initializer}
    gemm = next(n for n in m.graph.node if n.op_type == "Gemm")
    quant = next(n for n in m.graph.node if n.output[0] == gemm.input[1])
    w, scale, _, bits = (inits[i] for i in quant.input)
    assert int(bits) == 4
    trans_b = next((a.i for a in gemm.attribute if a.name == "transB"), 0)
    return np.clip(np.round(w / scale), -7, 7).astype(np.int64), trans_b


@pytest.mark.parametrize("kw", [{"trans_b": True}, {"trans_b": False}, {"trans_a": True}],
                         ids=["transB1", "transB0", "transA1"])
def test_gemm_layouts_give_the_files_integer_weights(tmp_path, kw):
    """The Dense weight is [out, in] whatever the layout: the stored [in, out] matrix of transB=0 transposed, value
    by value, against the integers computed from the file's float weight and scale."""
    path = L.gemm_mlp(tmp_path / "g.onnx", **kw)
    stored, trans_b = _first_gemm_integer_weight(path)
    assert trans_b == int(kw.get("trans_b", True)) and stored.shape == ((16, 12) if trans_b else (12, 16))
    w = graph_from_qonnx(path).body[0].weight
    assert w.shape == (16, 12) and np.array_equal(w, stored if trans_b else stored.T)
    assert len(np.unique(w)) >= 10  # varied enough that a reshape in place of the transpose would differ
    assert trans_b or not np.array_equal(stored.reshape(16, 12), stored.T)
