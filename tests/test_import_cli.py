"""`qnn import`: refusals with one-line errors naming the node, and FINN BNN-PYNQ models from brevitas_examples."""
import numpy as np
import pytest
import torch
from qonnx_builders import GraphBuilder

from qnn.cli import main
from qnn.evaluate import qonnx_logits
from qnn.golden import predict
from qnn.run import Run


def _import(capsys, path, run, *extra):
    code = main(["import", str(path), "--name", str(run), *extra])
    return code, capsys.readouterr().err.strip()


def test_refusals(tmp_path, capsys):
    # unsupported op, named
    b = GraphBuilder([1, 8])
    y = b.node("Tanh", [b.quant("inp", 0.5, bits=4)], name="my_tanh")
    code, err = _import(capsys, b.build(y, [1, 8], tmp_path / "tanh.onnx"), tmp_path / "r1")
    assert code == 2 and "node my_tanh: op Tanh is not supported" in err and len(err.splitlines()) == 1
    # dynamic batch is fine, dynamic feature size is not
    b = GraphBuilder(["N", "F"])
    y = b.node("MatMul", [b.quant("inp", 0.5, bits=4), b.weight((8, 4), 0.5)])
    code, err = _import(capsys, b.build(y, ["N", 4], tmp_path / "dyn.onnx"), tmp_path / "r2")
    assert code == 2 and "dynamic or unknown shape" in err
    # non-constant quantization parameter: the scale is computed from the input
    b = GraphBuilder([1, 8])
    s = b.node("ReduceMax", ["inp"], keepdims=0)
    y = b.node("Quant", ["inp", s, b.const(0.0), b.const(4.0)], "qonnx.custom_op.general", signed=1, narrow=0,
               rounding_mode="ROUND", name="q_dynamic")
    code, err = _import(capsys, b.build(y, [1, 8], tmp_path / "nc.onnx"), tmp_path / "r3")
    assert code == 2 and "q_dynamic" in err and "not a constant" in err
    # a float-only model
    b = GraphBuilder([1, 8])
    y = b.node("Relu", [b.node("MatMul", ["inp", b.const(np.ones((8, 3)))])])
    code, err = _import(capsys, b.build(y, [1, 3], tmp_path / "float.onnx"), tmp_path / "r4")
    assert code == 2 and "not quantized" in err
    # nothing was created for any refused model
    assert not any((tmp_path / f"r{i}").exists() for i in range(1, 5))


def _bnn_pynq(name, tmp_path, steps=4):
    from brevitas.export import export_qonnx
    from brevitas_examples.bnn_pynq.models import model_with_cfg

    torch.manual_seed(0)
    model, _ = model_with_cfg(name, pretrained=False)
    shape = (1, 1, 28, 28) if "fc" in name else (1, 3, 32, 32)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    model.train()
    for _ in range(steps):  # move BatchNorm statistics off their initial values
        loss = model(torch.rand(16, *shape[1:])).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    path = tmp_path / f"{name}.onnx"
    export_qonnx(model, input_t=torch.rand(shape), export_path=str(path), dynamo=False)
    return model, path, shape


@pytest.mark.parametrize("name", ["tfc_1w1a", "tfc_2w2a", "cnv_1w1a"])
def test_finn_bnn_pynq_models(tmp_path, capsys, name):
    model, path, shape = _bnn_pynq(name, tmp_path)
    assert main(["import", str(path), "--name", str(tmp_path / "run"), "--dataset", "none"]) == 0
    graph = Run(tmp_path / "run").graph()
    x = np.random.default_rng(0).random((12, *shape[1:]), dtype=np.float32)
    _, logits = predict(graph, x)
    ref = qonnx_logits(tmp_path / "run" / "model.onnx", x[:6], graph.input_layout)
    assert np.array_equal(logits[:6].argmax(1), ref.argmax(1))
    assert np.abs(logits[:6] - ref).max() <= 1e-5 * max(1.0, np.abs(ref).max())
    with torch.no_grad():
        brevitas = model(torch.from_numpy(x)).numpy()
    assert np.array_equal(logits.argmax(1), brevitas.argmax(1))
    assert np.abs(logits - brevitas).max() <= 1e-5 * max(1.0, np.abs(brevitas).max())
