"""Input types: finn_datatype annotations on the graph input (with constant preprocessing in front), float inputs
with --input-type in hls4ml's syntax or hls4ml's default fixed<16,6>; golden == qonnx's execution on inputs of
(rounded to) that type. Also the UNSW-NB15-style MLP (600 BIPOLAR inputs) and the QKeras jet tagger."""
import numpy as np
import pytest
import qonnx_builders_legacy as L

from qnn.errors import QnnError, UnsupportedOp
from qnn.export import graph_from_qonnx
from qnn.golden import predict
from qnn.ir.qonnx.inputs import finn_input_type, parse_input_type, random_inputs, round_to_grid
from qnn.qtype import QType

ANNOTATED = [  # (finn_datatype, preprocessing in front, IR input type after it, its scale)
    ("BIPOLAR", "none", "BIPOLAR", 1.0),
    ("BIPOLAR", "x+1/2", "UINT1", 1.0),  # FINN's UNSW-NB15 notebook: (x + 1) / 2
    ("BINARY", "none", "UINT1", 1.0),
    ("BINARY", "2x-1", "BIPOLAR", 1.0),  # FINN's 2x - 1
    ("TERNARY", "none", "INT2N", 1.0),
    ("UINT8", "none", "UINT8", 1.0),
    ("UINT8", "div", "UINT8", 0.25),
    ("UINT8", "per-channel", "INT11", 0.25),  # x * 2^-(0..2) - (0..4): -4 .. 255 on a 0.25 grid
    ("INT4", "none", "INT4", 1.0),
    ("INT4", "2x-1", "INT6", 1.0),  # 2x - 1 of -8..7: -17..13
    ("FIXED<8,4>", "none", "INT8", 2.0**-4),
]


@pytest.mark.parametrize("dtype,front,ir_type,scale", ANNOTATED, ids=[f"{a[0]}-{a[1]}" for a in ANNOTATED])
def test_annotated_inputs(tmp_path, dtype, front, ir_type, scale):
    path = L.annotated_mlp(tmp_path / "a.onnx", dtype, front)
    g = graph_from_qonnx(path)
    assert g.input_quant.quant_type.name == ir_type and float(g.input_quant.scale) == scale
    assert g.meta["input_type"]["source"] == "annotation" and g.meta["input_type"]["spec"] == dtype
    x = random_inputs(g.meta, g.input_shape, 40)
    assert set(np.unique(x)) <= set(finn_input_type(dtype).values().tolist())
    L.assert_close(*L.golden_vs_qonnx(path, g, x))


SYNTAX = [  # (--input-type, QType, scale)
    (None, QType(16, True), 2.0**-10),  # hls4ml's default fixed<16,6>
    ("fixed<16,6>", QType(16, True), 2.0**-10),
    ("fixed<8,3>", QType(8, True), 2.0**-5),
    ("ap_fixed<12,4>", QType(12, True), 2.0**-8),
    ("ufixed<8,0>", QType(8, False), 2.0**-8),
    ("int<8>", QType(8, True), 1.0),
    ("uint<8>", QType(8, False), 1.0),
    ("fixed<10,2,AP_RND_CONV,AP_SAT>", QType(10, True), 2.0**-8),
]


@pytest.mark.parametrize("spec,qtype,scale", SYNTAX, ids=[str(s[0]) for s in SYNTAX])
def test_float_input_types(tmp_path, spec, qtype, scale):
    path = L.float_input_mlp(tmp_path / "f.onnx")
    g = graph_from_qonnx(path, input_type=spec)
    assert g.input_quant.quant_type == qtype and float(g.input_quant.scale) == scale
    assert g.meta["input_type"]["source"] == ("default" if spec is None else "option")
    x = np.random.default_rng(0).uniform(-3, 3, (60, *g.input_shape)).astype(np.float32)
    L.assert_close(*L.golden_vs_qonnx(path, g, x))
    # rounding onto the grid is what the IR input quantizer does: golden on raw inputs == golden on rounded ones
    assert np.array_equal(predict(g, x)[0], predict(g, round_to_grid(g.meta, x))[0])
    xr = round_to_grid(g.meta, x)
    assert np.array_equal(xr / np.float32(scale), np.round(xr / np.float32(scale)))


def test_round_to_grid_ties_to_even_and_saturates():
    meta = {"input_type": parse_input_type("fixed<4,2>").to_meta()}  # -2 .. 1.75 in steps of 0.25
    x = np.array([0.125, 0.375, -0.125, 5.0, -5.0, 1.7], dtype=np.float32)
    assert np.array_equal(round_to_grid(meta, x), np.array([0.0, 0.5, 0.0, 1.75, -2.0, 1.75], dtype=np.float32))
    assert np.array_equal(round_to_grid({}, x), x)  # a model that quantizes its input itself


@pytest.mark.parametrize("text,needle", [
    ("fixd<8,3>", "not in hls4ml's syntax"), ("fixed<8>", "give the integer bits"), ("int<8,2>", "one width"),
    ("fixed<32,8>", "outside 1..24"), ("fixed<8,3,AP_TRN>", "mode AP_TRN is not supported"),
    ("fixed<1,1>", "at least 2 bits")])
def test_bad_input_type_syntax(text, needle):
    with pytest.raises(QnnError, match=needle):
        parse_input_type(text)


def test_input_type_refusals(tmp_path):
    with pytest.raises(QnnError, match=r"quantizes its input itself \(node Quant"):
        graph_from_qonnx(L.gemm_mlp(tmp_path / "q.onnx"), input_type="fixed<8,3>")
    with pytest.raises(QnnError, match="annotated finn_datatype=BIPOLAR; --input-type int<8> would contradict it"):
        graph_from_qonnx(L.annotated_mlp(tmp_path / "b.onnx", "BIPOLAR"), input_type="int<8>")
    with pytest.raises(QnnError, match="model input .*finn_datatype=SCALEDINT<8> is not supported"):
        graph_from_qonnx(L.annotated_mlp(tmp_path / "s.onnx", "SCALEDINT<8>"))


def test_unsw_nb15_style_mlp(tmp_path):
    path = L.unsw_nb15_mlp(tmp_path / "unsw.onnx")
    g = graph_from_qonnx(path)
    assert g.input_shape == (600,) and g.meta["input_type"]["spec"] == "BIPOLAR"
    assert g.input_quant.quant_type == QType(1, False)  # (x + 1) / 2 of a bipolar input: {0, 1}
    assert [n.kind for n in g.body] == ["Dense", "MultiThreshold"] * 3 + ["Dense"]
    x = random_inputs(g.meta, g.input_shape, 40)
    logits, ref = L.golden_vs_qonnx(path, g, x)
    assert logits.shape == (40, 1)
    assert np.abs(logits - ref).max() <= 4 * np.finfo(np.float32).eps * max(1.0, np.abs(ref).max())


@pytest.mark.parametrize("spec", [None, "fixed<16,6>", "ufixed<8,0>", "int<8>", "uint<8>"])
def test_qkeras_jet_tagger(tmp_path, spec):
    path = L.jet_tagging(tmp_path / "jet.onnx")
    g = graph_from_qonnx(path, input_type=spec)
    assert g.input_shape == (16,) and g.meta["input_type"]["spec"] == (spec or "fixed<16,6>")
    assert [n.kind for n in g.body] == ["Dense", "Shift"] * 3 + ["Dense"]
    x = np.random.default_rng(1).normal(0, 1.5, (60, 16)).astype(np.float32)
    L.assert_close(*L.golden_vs_qonnx(path, g, x))


def test_preprocessing_off_any_grid_is_refused(tmp_path):
    """A per-feature normalization of a 16-bit input in front of the first layer maps it onto no single grid."""
    from qonnx_builders import GraphBuilder

    b = GraphBuilder([1, 4])
    x = b.node("Div", ["inp", b.const([3.0, 7.0, 1.1, 0.3])], name="normalize")
    y = b.node("MatMul", [x, b.weight((4, 2), 0.5)], name="fc0")
    with pytest.raises(UnsupportedOp, match=r"node fc0 \(MatMul\): the preprocessing in front of it .* put a Quant"):
        graph_from_qonnx(b.build(y, [1, 2], tmp_path / "n.onnx"))
