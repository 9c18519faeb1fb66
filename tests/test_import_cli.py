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
    y = b.node("LRN", [b.quant("inp", 0.5, bits=4)], name="my_lrn", size=3)
    code, err = _import(capsys, b.build(y, [1, 8], tmp_path / "lrn.onnx"), tmp_path / "r1")
    assert code == 2 and "node my_lrn: op LRN is not supported" in err and len(err.splitlines()) == 1
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
    # a float-only model: the input gets a type, the float weights do not
    b = GraphBuilder([1, 8])
    y = b.node("Relu", [b.node("MatMul", ["inp", b.const(np.ones((8, 3)))], name="fc")])
    code, err = _import(capsys, b.build(y, [1, 3], tmp_path / "float.onnx"), tmp_path / "r4")
    assert code == 2 and "node fc (MatMul): the weights are not a quantized constant" in err
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


def _refusal_models(tmp_path):
    """(file, extra CLI args, what the one-line error must say: the node and what would make it work)."""
    import qonnx_builders_legacy as L

    cases = []
    b = GraphBuilder([1, 8])
    h = b.node("Relu", [b.node("MatMul", [b.quant("inp", 0.5, bits=4), b.weight((8, 6), 0.5)])], name="act0")
    y = b.node("MatMul", [h, b.weight((6, 3), 0.5)], name="fc1")
    cases.append((b.build(y, [1, 3], tmp_path / "noq.onnx"), [], "node fc1 (MatMul): its input from act0 is not "
                  "quantized; float layers are not supported: put a Quant node after act0"))
    cases.append((L.gemm_mlp(tmp_path / "q.onnx"), ["--input-type", "fixed<8,3>"],
                  "the model quantizes its input itself (node Quant"))
    cases.append((L.float_input_mlp(tmp_path / "f.onnx"), ["--input-type", "fixed<8>"],
                  "input type 'fixed<8>': give the integer bits, e.g. fixed<8,4>"))
    b = GraphBuilder([1, 12])
    y = b.node("Gemm", [b.quant("inp", 0.25, bits=4), b.weight((1, 16), 0.5)], name="gemm_t", transA=1)
    cases.append((b.build(y, [12, 16], tmp_path / "ta.onnx"), [], "node gemm_t: Gemm with transA=1 on a row vector"))
    b = GraphBuilder([1, 4])
    y = b.node("MatMul", [b.node("Div", ["inp", b.const([3.0, 7.0, 1.1, 0.3])]), b.weight((4, 2), 0.5)], name="fc")
    cases.append((b.build(y, [1, 2], tmp_path / "n.onnx"), ["--input-type", "fixed<8,3>"],
                  "node fc (MatMul): the preprocessing in front of it"))
    b = GraphBuilder([1, 4])
    x = b.quant("inp", np.array([[0.5, 0.25, 0.5, 0.125]]), bits=4)
    y = b.node("MatMul", [x, b.weight((4, 2), 0.5)], name="fc_pc")
    cases.append((b.build(y, [1, 2], tmp_path / "pc.onnx"), [], "node fc_pc: a per-channel activation scale before "
                  "MatMul is not supported; quantize its input with one scale per tensor"))
    b = GraphBuilder([1, 2, 6, 6])
    y = b.node("MaxPool", [b.quant("inp", 0.5, bits=4)], name="pool", kernel_shape=[2, 2], pads=[1, 1, 1, 1])
    cases.append((b.build(y, [1, 2, 4, 4], tmp_path / "mp.onnx"), [], "node pool: MaxPool with padding or ceil_mode "
                  "is not supported; use pads=0 and ceil_mode=0"))
    b = GraphBuilder([1, 8])
    x = b.quant("inp", 0.5, bits=4)
    y = b.node("Add", [b.node("Relu", [x], name="left"), b.node("Neg", [x], name="right")], name="join")
    cases.append((b.build(y, [1, 8], tmp_path / "br.onnx"), [], "node join: its input Relu_0_out0 is not quantized "
                  "(it comes from left); quantize both inputs of the add"))  # a residual add of float tensors
    b = GraphBuilder([1, 8])
    x = b.quant("inp", 0.5, bits=4)
    y = b.node("Mul", [b.node("Relu", [x], name="left"), b.node("Neg", [x], name="right")], name="join")
    cases.append((b.build(y, [1, 8], tmp_path / "mul.onnx"), [], "only chains are supported: remove the branch"))
    cases.append((L.annotated_mlp(tmp_path / "s.onnx", "SCALEDINT<8>"), [],
                  "model input global_in: input annotation finn_datatype=SCALEDINT<8> is not supported (BIPOLAR"))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not protobuf at all")
    cases.append((bad, [], "is not a valid ONNX model"))
    return cases


def test_every_refusal_is_one_line_exit_2(tmp_path, capsys):
    for i, (path, extra, needle) in enumerate(_refusal_models(tmp_path)):
        code, err = _import(capsys, path, tmp_path / f"run{i}", *extra)
        assert code == 2, (path, err)
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
        assert needle in err, (needle, err)
        assert not (tmp_path / f"run{i}").exists()


def test_float_input_notice_and_input_type(tmp_path, capsys):
    import json

    import qonnx_builders_legacy as L

    path = L.jet_tagging(tmp_path / "jet.onnx")
    assert main(["import", str(path), "--name", str(tmp_path / "r1")]) == 0
    out = capsys.readouterr().out
    notice = [line for line in out.splitlines() if line.startswith("notice:")]
    assert notice == ["notice: the model input is float and not annotated: using hls4ml's default input type "
                      "fixed<16,6> (give another with --input-type)"]
    assert main(["import", str(path), "--name", str(tmp_path / "r2"), "--input-type", "ufixed<8,0>"]) == 0
    out = capsys.readouterr().out
    assert "notice:" not in out and "input type ufixed<8,0> (--input-type)" in out
    cfg = json.loads((tmp_path / "r2" / "config.json").read_text())
    assert cfg["imported"]["input_type"]["spec"] == "ufixed<8,0>"
    g = Run(tmp_path / "r2").graph()
    assert g.input_quant.quant_type.name == "UINT8" and float(g.input_quant.scale) == 2.0**-8
    assert Run(tmp_path / "r2").metrics["import_check"]["ok"]


def test_float_input_mnist_eval_against_qonnx_on_the_grid(tmp_path, capsys):
    """A float-input MLP on MNIST: `qnn eval` compares golden with qonnx on inputs rounded to ufixed<8,0>."""
    b = GraphBuilder([1, 784], seed=9)
    h = b.quant(b.node("Relu", [b.node("MatMul", ["inp", b.weight((784, 32), 2.0**-5, bits=4)])]), 0.25, bits=4,
                signed=0)
    y = b.node("MatMul", [h, b.weight((32, 10), 0.125, bits=4)])
    path = b.build(y, [1, 10], tmp_path / "m.onnx")
    run = tmp_path / "run"
    assert main(["import", str(path), "--name", str(run), "--dataset", "mnist", "--input-type", "ufixed<8,0>"]) == 0
    assert main(["eval", str(run), "--limit", "100"]) == 0
    res = Run(run).metrics["eval"]["golden_vs_qonnx"]
    assert res["argmax_mismatches"] == 0 and res["max_abs_diff"] == 0.0


def test_published_qonnx_files_refused_at_the_node_they_need(tmp_path, capsys):
    """Real files shipped in the qonnx wheel: Brevitas' ESPCN super-resolution nets are read up to the op the IR
    lacks (DepthToSpace / Resize), the ONNX model zoo's float MNIST net at its float weights; one line each."""
    from importlib.resources import files

    data = files("qonnx.data") / "onnx"
    cases = [("bsd300x3-espcn/subpixel/quant_model.onnx", "node DepthToSpace_42: op DepthToSpace is not supported"),
             ("bsd300x3-espcn/nn_resize/quant_model.onnx", "node Resize_42: op Resize is not supported"),
             ("mnist-conv/model.onnx", "node Convolution28 (Conv): the weights are not a quantized constant")]
    for i, (rel, needle) in enumerate(cases):
        path = data / rel
        if not path.is_file():
            pytest.skip(f"{rel} not in this qonnx wheel")
        code, err = _import(capsys, path, tmp_path / f"r{i}")
        assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1 and needle in err, err
