"""Activations trained here, and the logreg / perceptron presets.

Each ``--activation`` at w2a2 and w4a4 (a few optimizer steps on the embedded digits): the export streamlines to
integer nodes only, and the golden logits equal Brevitas' on every test image, to the bit. The monotonic check for
GELU/SiLU and the refusal of an activation with no quantizer are tested by running the pass. logreg / perceptron go
through training (cross-entropy / hinge), export and golden; the CLI takes ``--activation`` and refuses bad names
with one line.
"""
import numpy as np
import pytest
from train_helpers import quick_train

from qnn.data import load_dataset
from qnn.errors import QnnError
from qnn.golden import predict
from qnn.golden.execute import execute
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.ir.passes import fold_requant
from qnn.models import build_model, spec_from_preset
from qnn.models.activations import ACTIVATIONS
from qnn.qtype import QType
from qnn.train import predict_logits


@pytest.fixture(scope="module")
def digits():
    return load_dataset("mnist", "train"), load_dataset("mnist", "test")


def _exact(model, graph, x):
    ref = predict_logits(model, x)
    _, logits = predict(graph, x)
    return float((logits.argmax(1) == ref.argmax(1)).mean()), float(np.abs(logits - ref).max())


@pytest.mark.parametrize("act,bits", [(a, 2) for a in ACTIVATIONS] +
                         [pytest.param(a, 4, marks=pytest.mark.slow) for a in ACTIVATIONS])
def test_trained_activation_golden_equals_brevitas(tmp_path, digits, act, bits):
    from qnn.export import export_qonnx_file

    train, test = digits
    spec = spec_from_preset("tfc", in_shape=(1, 28, 28), num_classes=10, hidden=(16, 16), weight_bits=bits,
                            act_bits=bits, activation=act)
    model = quick_train(spec, train, steps=20)
    graph = export_qonnx_file(model, spec, tmp_path / "m.onnx")
    assert graph.is_streamlined
    assert not any(isinstance(n, (N.Activation, N.Affine, N.Relu)) for n in graph.body)
    assert sum(isinstance(n, (N.MultiThreshold, N.Shift)) for n in graph.body) == 2
    if act not in ("relu", "sigmoid"):  # signed activations: the thresholds emit signed levels
        assert any(isinstance(n, N.MultiThreshold) and n.out_type.signed for n in graph.body)
    assert _exact(model, graph, test.x) == (1.0, 0.0)


def test_old_checkpoints_default_to_relu():
    d = spec_from_preset("tfc", in_shape=(1, 28, 28), num_classes=10).to_dict()
    del d["activation"], d["output"]
    from qnn.models.spec import ModelSpec

    spec = ModelSpec.from_dict(d)
    assert spec.activation == "relu" and spec.output == "linear"
    with pytest.raises(QnnError, match="unknown activation 'swish'"):
        spec.with_(activation="swish")


def test_one_bit_activation_is_the_sign():
    spec = spec_from_preset("tfc", in_shape=(1, 28, 28), num_classes=10, hidden=(8,), weight_bits=1, act_bits=1,
                            activation="sigmoid")
    assert "sigmoid" not in str(build_model(spec)).lower()


# ---- the pass on hand-made segments ------------------------------------------------------------------
def _segment_graph(act: N.Activation, out_scale: float, signed: bool = True, n_in: int = 6, seed: int = 0):
    """Quantize -> Dense -> Dequant -> Affine (BN) -> act -> Quantize(4 bits) -> Dense -> Dequant."""
    rng = np.random.default_rng(seed)
    w1 = rng.integers(-7, 8, size=(5, n_in))
    w2 = rng.integers(-7, 8, size=(3, 5))
    in_t = QType(4, False)
    nodes = (N.Quantize("in", scale=np.float32(1 / 16), quant_type=in_t),
             N.Dense("d1", weight=w1, bias=rng.integers(-20, 20, 5), in_type=in_t, weight_type=QType(4, True)),
             N.Dequant("d1_deq", scale=np.float32(1 / 64)),
             N.Affine("bn", mul=rng.uniform(0.5, 2, 5).astype(np.float32) * np.array([1, -1, 1, 1, -1], np.float32),
                      add=rng.normal(0, 0.5, 5).astype(np.float32)),
             act,
             N.Quantize("q", scale=np.float32(out_scale), quant_type=QType(4, signed)),
             N.Dense("d2", weight=w2, bias=np.zeros(3, np.int64), in_type=QType(4, signed), weight_type=QType(4, True)),
             N.Dequant("out", scale=np.float32(0.01)))
    return IntGraph(nodes, input_shape=(n_in,), input_layout="NC")


@pytest.mark.parametrize("fn,alpha,beta,scale,signed", [
    ("sigmoid", 0, 0, 1 / 16, False), ("tanh", 0, 0, 1 / 8, True), ("clip", -1, 1, 1 / 8, True),
    ("hardsigmoid", 0.2, 0.5, 1 / 16, False), ("leaky_relu", 0.1, 0, 1 / 8, True), ("elu", 1.0, 0, 1 / 8, True),
    ("gelu", 0, 0, 0.5, True), ("gelu_tanh", 0, 0, 0.5, True), ("silu", 0, 0, 1.0, True),
    ("leaky_relu", -0.01, 0, 1.0, True),  # a V shape: monotonic once quantized (the left arm stays below 0.5)
])
def test_fold_activation_exact_on_every_input(fn, alpha, beta, scale, signed):
    g = _segment_graph(N.Activation("act", fn=fn, alpha=alpha, beta=beta), scale, signed)
    x = np.random.default_rng(1).uniform(-0.1, 1.1, size=(4000, 6)).astype(np.float32)
    x[:16] = np.arange(16)[:, None] / 16  # the input grid's corners too
    before = execute(g, x)
    folded = fold_requant(g)
    assert [n.kind for n in folded.nodes] == ["Quantize", "Dense", "MultiThreshold", "Dense", "Dequant"]
    assert np.array_equal(execute(folded, x), before)


@pytest.mark.parametrize("fn", ["gelu", "silu"])
def test_non_monotonic_quantized_activation_is_refused(fn):
    g = _segment_graph(N.Activation("my_act", fn=fn), 1 / 8)  # the dip reaches level -1 or -2
    with pytest.raises(QnnError, match=r"node my_act \(" + fn + r"\): its quantized output is not monotonic.*levels "
                                       r"-?\d, -\d, \d+ out of q .*scale above 0\.\d+"):
        fold_requant(g)
    g = _segment_graph(N.Activation("v", fn="leaky_relu", alpha=-0.5), 1.0)  # a V whose left arm reaches level 1
    with pytest.raises(QnnError, match=r"node v \(leaky_relu\): .*not monotonic.*use a monotonic activation"):
        fold_requant(g)


def test_activation_without_quantizer_is_refused():
    g = _segment_graph(N.Activation("tail_tanh", fn="tanh"), 1 / 8)
    nodes = g.nodes[:5]  # ... -> tanh, no quantizer after
    with pytest.raises(QnnError, match="node tail_tanh .tanh.: an activation needs a quantizer after it"):
        fold_requant(g.with_nodes(nodes))


# ---- logreg / perceptron ------------------------------------------------------------------------------
@pytest.mark.parametrize("preset,bits", [("logreg", 4), ("perceptron", 4)] +
                         [pytest.param(p, b, marks=pytest.mark.slow) for p in ("logreg", "perceptron") for b in (8, 2)])
def test_linear_presets_train_export_golden(tmp_path, digits, preset, bits):
    from qnn.export import export_qonnx_file
    from qnn.run import Run
    from qnn.train import TrainConfig, train

    tr, test = digits
    spec = spec_from_preset(preset, in_shape=(1, 28, 28), num_classes=10, weight_bits=bits, act_bits=bits,
                            input_bits=bits)
    model, hist = train(Run(tmp_path / "r"), spec, TrainConfig(epochs=1, val_fraction=0.0), tr, quiet=True)
    graph = export_qonnx_file(model, spec, tmp_path / "m.onnx")
    assert graph.body[0].kind == "Dense" and graph.body[0].weight.shape == (10, 784)
    assert _exact(model, graph, test.x) == (1.0, 0.0)
    ints, logits = predict(graph, test.x)
    acc = float((logits.argmax(1) == test.y).mean())
    if preset == "logreg":
        assert len(graph.body) == 1 and acc > 0.6
    else:
        assert [n.kind for n in graph.body] == ["Dense", "MultiThreshold"]
        assert graph.body[1].out_type.bipolar and set(np.unique(ints)) <= {-1, 1}
        assert acc > 0.3 and hist[0]["train_loss"] < 1.0  # the hinge loss fell below its start (1.0 at w = 0)
        assert ((ints > 0).sum(1) == 1).mean() > 0.04  # some images make exactly one unit fire


def test_cli_train_activation(tmp_path, capsys):
    from qnn.cli import main
    from qnn.run import Run

    code = main(["train", str(tmp_path / "r"), "--activation", "elu", "--hidden", "8", "-w", "2", "-a", "2",
                 "--epochs", "1", "--limit-train", "256", "--quiet"])
    run = Run(tmp_path / "r")
    assert code == 0 and run.checkpoint.is_file() and run.config["model"]["activation"] == "elu"
    assert [h["epoch"] for h in run.metrics["train"]] == [1]
    code = main(["train", str(tmp_path / "r2"), "--activation", "swish"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: unknown activation 'swish'") and len(err.splitlines()) == 1


@pytest.mark.parametrize("preset", ["logreg", "perceptron"])
def test_linear_presets_hls4ml_and_rtl_equal_golden(tmp_path, preset):
    from hls_helpers import small_graph

    from hls.hls4ml.flow import build_project, random_vectors
    from hls.hls4ml.options import HlsOptions
    from hls.rtlgen import generate_rtl
    from sim.network import simulate
    from sim.tools import available

    graph = small_graph(tmp_path, preset, 4, 4, in_shape=(1, 8, 8))
    assert [n.kind for n in graph.body] == (["Dense"] if preset == "logreg" else ["Dense", "MultiThreshold"])
    q = random_vectors(graph, 200)
    res = build_project(graph, HlsOptions(), tmp_path / "prj", q)
    assert res.csim.vectors == 200 and res.csim.bit_exact, res.csim.first_mismatch.describe()
    if not available("icarus"):
        pytest.skip("iverilog not installed")
    generate_rtl(graph, tmp_path / "rtl", target_cycles=16)
    sim = simulate(tmp_path / "rtl", graph, q[:30], simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=4)
    assert sim.vectors == 30 and sim.exact == sim.vectors, sim.first_mismatch()
