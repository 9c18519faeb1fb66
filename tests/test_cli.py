"""The CLI: one-line errors with exit code 2, and runs that keep their artifacts when a step fails."""
import onnx
import pytest
from onnx import TensorProto, helper

from qnn.cli import main


def _err(capsys, args):
    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("args,needle", [
    (["train", "RUN", "-w", "9"], "weight bit width 9 is out of range"),
    (["train", "RUN", "-a", "0"], "activation bit width 0 is out of range"),
    (["train", "RUN", "--model", "resnet"], "unknown model 'resnet'"),
    (["train", "RUN", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["train", "RUN", "--data-dir", "/nonexistent/x"], "data directory /nonexistent/x does not exist"),
    (["train", "RUN", "--hidden", "64,x"], "--hidden must be comma-separated integers"),
    (["export", "NORUN"], "does not exist"),
    (["eval", "NORUN"], "does not exist"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, needle):
    args = [a.replace("NORUN", str(tmp_path / "none")).replace("RUN", str(tmp_path / "r")) for a in args]
    code, err = _err(capsys, args)
    assert code == 2
    assert needle in err and err.startswith("error: ") and len(err.splitlines()) == 1


def test_debug_shows_traceback(tmp_path):
    from qnn.errors import QnnError

    with pytest.raises(QnnError):
        main(["--debug", "export", str(tmp_path / "none")])


def _onnx_file(path, nodes, inits=(), shape=(1, 4)):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))], list(inits))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def test_corrupt_and_unsupported_onnx(tmp_path):
    from qnn.errors import QnnError, UnsupportedOp
    from qnn.export import graph_from_qonnx

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not protobuf")
    with pytest.raises(QnnError, match="not a valid ONNX model"):
        graph_from_qonnx(bad)
    erf = _onnx_file(tmp_path / "erf.onnx", [helper.make_node("Erf", ["x"], ["y"], name="act0")])
    with pytest.raises(UnsupportedOp, match="node act0: op Erf is not supported"):
        graph_from_qonnx(erf)
    flt = _onnx_file(tmp_path / "relu.onnx", [helper.make_node("Relu", ["x"], ["y"], name="r")])
    with pytest.raises(QnnError, match="float model"):
        graph_from_qonnx(flt)


def test_train_export_eval_and_failed_step_keeps_artifacts(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(run), "--hidden", "16", "-w", "2", "-a", "2", "--epochs", "1", "--limit-train", "500",
                 "--quiet"]) == 0
    assert main(["export", str(run), "--check", "100"]) == 0
    assert main(["eval", str(run), "--limit", "200"]) == 0
    out = capsys.readouterr().out
    assert "golden (integer)" in out and "argmax equal 100.00%" in out
    graph_json = (run / "ir" / "graph.json").read_text()
    onnx_bytes = (run / "model.onnx").read_bytes()
    # a second training without --resume/--force is refused: nothing is overwritten
    assert main(["train", str(run), "--epochs", "1"]) == 2
    # corrupt the checkpoint: export fails with a one-line error and the previous artifacts stay intact
    (run / "checkpoint.pt").write_bytes(b"broken")
    assert main(["export", str(run)]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert (run / "ir" / "graph.json").read_text() == graph_json
    assert (run / "model.onnx").read_bytes() == onnx_bytes
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary leftovers
