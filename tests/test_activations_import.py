"""Imported activations: hand-built QONNX files (onnx.helper) with each activation op or decomposition between an
accumulator (MatMul -> BatchNorm) and a quantizer, some written as old exporters did (opset 9, a legacy custom-op
domain with no opset import, initializers as graph inputs).

Each file: golden == qonnx's own execution (argmax identical on every vector, logits within float32 rounding) and
the activation became thresholds. One file chaining every activation: hls4ml C simulation == golden and RTL
simulation (Icarus) == golden, bit for bit. Refusals: an activation with no quantizer after it, and a GELU whose
quantized dip thresholds cannot represent, each one line naming the node.
"""
import numpy as np
import pytest
from qonnx_builders import GraphBuilder

from qnn.errors import QnnError
from qnn.evaluate import qonnx_logits
from qnn.export import graph_from_qonnx
from qnn.golden import predict
from qnn.ir import nodes as N

SQRT2 = float(np.sqrt(2.0))


def _gelu_erf(b, x):  # PyTorch before opset 20: (x * (1 + erf(x / sqrt2))) * 0.5
    e = b.node("Add", [b.node("Erf", [b.node("Div", [x, b.const(SQRT2)])]), b.const(1.0)])
    return b.node("Mul", [b.node("Mul", [x, e]), b.const(0.5)])


def _gelu_erf_half_first(b, x):  # (x * 0.5) * (1 + erf(x * (1 / sqrt2)))
    h = b.node("Mul", [x, b.const(0.5)])
    e = b.node("Add", [b.const(1.0), b.node("Erf", [b.node("Mul", [x, b.const(1 / SQRT2)])])])
    return b.node("Mul", [h, e])


def _silu(b, x):
    return b.node("Mul", [x, b.node("Sigmoid", [x])])


# name -> (activation builder, output quantizer (scale, signed), IR function, file style)
MODERN = {"opset": 20}
LEGACY = {"opset": 9, "legacy_domain": "onnx.brevitas", "inits_as_inputs": True}
PATTERNS = {
    "relu": (lambda b, x: b.node("Relu", [x]), (1 / 8, 0), None, MODERN),
    "sigmoid": (lambda b, x: b.node("Sigmoid", [x]), (1 / 16, 0), "sigmoid", MODERN),
    "tanh": (lambda b, x: b.node("Tanh", [x]), (1 / 8, 1), "tanh", MODERN),
    "hardsigmoid": (lambda b, x: b.node("HardSigmoid", [x], alpha=0.25, beta=0.5), (1 / 16, 0), "hardsigmoid",
                    MODERN),
    "clip": (lambda b, x: b.node("Clip", [x, b.const(-1.0), b.const(1.0)]), (1 / 8, 1), "clip", MODERN),
    "leakyrelu": (lambda b, x: b.node("LeakyRelu", [x], alpha=0.1), (1 / 8, 1), "leaky_relu", MODERN),
    "elu": (lambda b, x: b.node("Elu", [x], alpha=1.0), (1 / 8, 1), "elu", MODERN),
    "gelu": (lambda b, x: b.node("Gelu", [x]), (0.5, 1), "gelu", MODERN),
    "gelu_tanh": (lambda b, x: b.node("Gelu", [x], approximate="tanh"), (0.5, 1), "gelu_tanh", MODERN),
    "gelu_erf": (_gelu_erf, (0.5, 1), "gelu", MODERN),
    "gelu_erf_half_first": (_gelu_erf_half_first, (0.5, 1), "gelu", MODERN),
    "silu": (_silu, (1.0, 1), "silu", MODERN),
    # written as the old exporters did
    "clip_attr_legacy": (lambda b, x: b.node("Clip", [x], min=-1.0, max=1.0), (1 / 8, 1), "clip", LEGACY),
    "sigmoid_legacy": (lambda b, x: b.node("Sigmoid", [x]), (1 / 16, 0), "sigmoid", LEGACY),
    "gelu_erf_legacy": (_gelu_erf, (0.5, 1), "gelu", LEGACY),
    "silu_legacy": (_silu, (1.0, 1), "silu", LEGACY),
}


def _layer(b, x, n_in, n_out, act, quant, bits=4):
    h = b.bn(b.node("MatMul", [x, b.weight((n_in, n_out), 0.05, bits=4)]), n_out)
    return b.quant(act(b, h), quant[0], bits=bits, signed=quant[1])


def activation_model(path, names, seed=0, width=12, style=MODERN):
    """in [1, 16] -> Quant(uint8) -> [MatMul -> BatchNorm -> activation -> Quant(4 bits)] per name -> MatMul -> Add
    (float bias) -> 10."""
    b = GraphBuilder([1, 16], seed=seed)
    x = b.quant("inp", 1 / 256, bits=8, signed=0)
    n_in = 16
    for name in names:
        act, quant, _, _ = PATTERNS[name]
        x = _layer(b, x, n_in, width, act, quant)
        n_in = width
    y = b.node("MatMul", [x, b.weight((n_in, 10), 0.05, bits=4)])
    y = b.node("Add", [y, b.const(b.rng.normal(0, 0.1, 10))])  # a float bias: no ties between classes
    return b.build(y, [1, 10], path, **style)


def _vectors(graph, n, seed=0):
    return np.random.default_rng(seed).uniform(-0.2, 1.2, size=(n, *graph.input_shape)).astype(np.float32)


@pytest.mark.parametrize("name", list(PATTERNS))
def test_golden_equals_qonnx(tmp_path, name):
    path = activation_model(tmp_path / f"{name}.onnx", [name], style=PATTERNS[name][3])
    from qnn.ir.from_qonnx import load_qonnx, read_qonnx

    raw = read_qonnx(load_qonnx(path))
    fn = PATTERNS[name][2]
    assert [n.fn for n in raw.nodes if isinstance(n, N.Activation)] == ([fn] if fn else [])
    graph = graph_from_qonnx(path)
    assert graph.is_streamlined
    assert [n.kind for n in graph.body][:2] == ["Dense", "MultiThreshold"]
    x = _vectors(graph, 100)
    ref = qonnx_logits(path, x, graph.input_layout)
    _, logits = predict(graph, x)
    assert np.array_equal(logits.argmax(1), ref.argmax(1))
    assert np.abs(logits - ref).max() <= 4 * np.finfo(np.float32).eps * max(1.0, np.abs(ref).max())


CHAIN = [n for n in PATTERNS if PATTERNS[n][3] is MODERN]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    path = activation_model(tmp_path_factory.mktemp("chain") / "chain.onnx", CHAIN, seed=3)
    return path, graph_from_qonnx(path)


def test_chain_of_every_activation_golden_equals_qonnx(chain):
    path, graph = chain
    assert sum(isinstance(n, N.MultiThreshold) for n in graph.body) == len(CHAIN)
    signed = [n.out_type.signed for n in graph.body if isinstance(n, N.MultiThreshold)]
    assert signed == [bool(PATTERNS[n][1][1]) for n in CHAIN]
    x = _vectors(graph, 40, seed=1)
    ref = qonnx_logits(path, x, graph.input_layout)
    _, logits = predict(graph, x)
    assert np.array_equal(logits.argmax(1), ref.argmax(1))
    assert np.abs(logits - ref).max() <= 4 * np.finfo(np.float32).eps * max(1.0, np.abs(ref).max())


def test_chain_hls4ml_csim_equals_golden(chain, tmp_path):
    from hls.hls4ml.flow import build_project, random_vectors
    from hls.hls4ml.options import HlsOptions

    _, graph = chain
    res = build_project(graph, HlsOptions(), tmp_path / "prj", random_vectors(graph, 300))
    assert res.csim.vectors == 300
    assert res.csim.bit_exact, res.csim.first_mismatch.describe()


def test_chain_rtl_equals_golden(chain, tmp_path):
    from hls.hls4ml.flow import random_vectors
    from hls.rtlgen import generate_rtl
    from sim.network import simulate
    from sim.tools import available

    if not available("icarus"):
        pytest.skip("iverilog not installed")
    _, graph = chain
    generate_rtl(graph, tmp_path / "rtl", target_cycles=64)
    res = simulate(tmp_path / "rtl", graph, random_vectors(graph, 40), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=4)
    assert res.vectors == 40 and res.exact == res.vectors, res.first_mismatch()


def test_activation_without_quantizer_is_refused(tmp_path):
    b = GraphBuilder([1, 16])
    x = b.quant("inp", 1 / 256, bits=8, signed=0)
    h = b.node("Tanh", [b.node("MatMul", [x, b.weight((16, 10), 0.05)])], name="final_tanh")
    path = b.build(h, [1, 10], tmp_path / "t.onnx")
    with pytest.raises(QnnError, match="node final_tanh .tanh.: an activation needs a quantizer after it") as e:
        graph_from_qonnx(path)
    assert len(str(e.value).splitlines()) == 1


def test_gelu_dip_below_one_step_is_refused(tmp_path):
    b = GraphBuilder([1, 16])
    x = b.quant("inp", 1 / 256, bits=8, signed=0)
    h = b.bn(b.node("MatMul", [x, b.weight((16, 12), 0.05)]), 12)
    h = b.quant(b.node("Gelu", [h], name="my_gelu"), 1 / 16, bits=4, signed=1)  # GELU's -0.17 dip is ~3 steps
    y = b.node("MatMul", [h, b.weight((12, 10), 0.05)])
    path = b.build(y, [1, 10], tmp_path / "g.onnx", opset=20)
    with pytest.raises(QnnError, match=r"node my_gelu \(gelu\): its quantized output is not monotonic .*scale "
                                       r"above 0\.340") as e:
        graph_from_qonnx(path)
    assert len(str(e.value).splitlines()) == 1


def _refused_files(tmp_path):
    b = GraphBuilder([1, 16])
    x = b.quant("inp", 1 / 256, bits=8, signed=0)
    tanh = b.build(b.node("Tanh", [b.node("MatMul", [x, b.weight((16, 10), 0.05)])], name="last_tanh"), [1, 10],
                   tmp_path / "tanh.onnx")
    b = GraphBuilder([1, 16])
    x = b.quant("inp", 1 / 256, bits=8, signed=0)
    h = b.bn(b.node("MatMul", [x, b.weight((16, 12), 0.05)]), 12)
    h = b.quant(b.node("HardSigmoid", [h], name="falling", alpha=-0.2), 1 / 16, bits=4, signed=0)
    hs = b.build(b.node("MatMul", [h, b.weight((12, 10), 0.05)]), [1, 10], tmp_path / "hs.onnx")
    return [(tanh, "node last_tanh (tanh): an activation needs a quantizer after it"),
            (hs, "node falling: HardSigmoid with alpha -0.2 <= 0 is not increasing")]


def test_cli_import_refusals_one_line_exit_2(tmp_path, capsys):
    from qnn.cli import main

    for i, (path, needle) in enumerate(_refused_files(tmp_path)):
        code = main(["import", str(path), "--name", str(tmp_path / f"run{i}"), "--dataset", "none"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("error: ") and needle in err and len(err.splitlines()) == 1, err
