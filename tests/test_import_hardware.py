"""Imported models on hardware: hls4ml C simulation == golden and RTL simulation == golden, bit for bit, for the
input types the reader now accepts (a 16-bit signed fixed<16,6> float input, BIPOLAR/BINARY/TERNARY/FIXED
annotations with host preprocessing, the UNSW-NB15-style MLP). Fast: the QKeras jet tagger on both; the rest
carry the ``hls`` / ``rtl`` markers."""
import pytest
import qonnx_builders_legacy as L

from hls.hls4ml.flow import build_project, random_vectors
from hls.hls4ml.options import HlsOptions
from hls.rtlgen import generate_rtl
from qnn.export import graph_from_qonnx
from sim.network import simulate
from sim.tools import available

MODELS = {
    "jet-fixed16": (L.jet_tagging, None),
    "jet-ufixed8": (L.jet_tagging, "ufixed<8,0>"),
    "unsw-bipolar": (lambda p: L.unsw_nb15_mlp(p, n_in=120, hidden=(32, 16)), None),
    "binary-2x-1": (lambda p: L.annotated_mlp(p, "BINARY", "2x-1"), None),
    "ternary": (lambda p: L.annotated_mlp(p, "TERNARY"), None),
    "fixed8-4": (lambda p: L.annotated_mlp(p, "FIXED<8,4>"), None),
    "tfc-legacy": (L.tfc_legacy, None),
}
SLOW = [pytest.param(k, marks=pytest.mark.hls) for k in MODELS if k != "jet-fixed16"]
SLOW_RTL = [pytest.param(k, marks=pytest.mark.rtl) for k in MODELS if k != "jet-fixed16"]
needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")


def _graph(tmp_path, name):
    build, input_type = MODELS[name]
    return graph_from_qonnx(build(tmp_path / f"{name}.onnx"), input_type=input_type)


@pytest.mark.parametrize("name", ["jet-fixed16", *SLOW])
def test_hls_csim_equals_golden(tmp_path, name):
    graph = _graph(tmp_path, name)
    q = random_vectors(graph, 200)  # over the input type's whole range
    res = build_project(graph, HlsOptions(), tmp_path / "prj", q)
    assert res.csim.vectors == 200
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()


@needs_icarus
@pytest.mark.parametrize("name", ["jet-fixed16", *SLOW_RTL])
def test_rtl_equals_golden(tmp_path, name):
    graph = _graph(tmp_path, name)
    generate_rtl(graph, tmp_path / "rtl", target_cycles=200)
    res = simulate(tmp_path / "rtl", graph, random_vectors(graph, 24), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=6, gap=0.3, backpressure=0.4)
    assert res.vectors == 24 and res.exact == res.vectors, res.first_mismatch()


def test_input_quantizer_is_the_hardware_input_type(tmp_path):
    """fixed<16,6>: the hardware receives signed 16-bit integers (the IR input type hls4ml and RTL size from)."""
    g = _graph(tmp_path, "jet-fixed16")
    assert g.input_quant.out_type.name == "INT16" and g.body[0].in_type.name == "INT16"
