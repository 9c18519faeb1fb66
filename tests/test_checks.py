"""A mismatch is an error: a golden model that disagrees stops `qnn export` and `qnn flow` with exit code 1, names
the first differing vector and output, builds nothing downstream, and is never cached as done."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from qnn.checks import FLOAT32_REL, check_logits, tail_tolerance
from qnn.cli import main
from qnn.errors import CheckFailed
from qnn.flow import FlowConfig, Step, load_record, run_flow
from qnn.flow.steps import STEPS
from qnn.ir import nodes as N
from qnn.run import Run

DOWNSTREAM = ("hls", "rtl", "sim", "synth")


def test_check_logits_exact_tolerance_and_first_mismatch():
    ref = np.array([[1.0, 2.0, 3.0], [0.5, 0.25, 0.0]], dtype=np.float32)
    assert check_logits(ref, ref.copy(), "Brevitas")["exact"] is True
    bad = ref.copy()
    bad[1, 2] = 0.125
    with pytest.raises(CheckFailed, match=r"differ on 1 of 2 vectors: first vector 1, output 2: golden 0.125, "
                                          r"Brevitas 0 \(argmax equal 100.00%") as e:
        check_logits(bad, ref, "Brevitas")
    assert e.value.result["first_mismatch"] == {"vector": 1, "output": 2, "golden": 0.125, "reference": 0.0}
    assert e.value.exit_code == 1
    # float32 rounding of a non-power-of-two tail with identical argmax: a pass, reported as such
    near = ref * np.float32(1 + 2e-7)
    r = check_logits(near, ref, "qonnx execution", FLOAT32_REL)
    assert r["ok"] and not r["exact"] and r["agreement"].startswith("within float32 rounding")
    with pytest.raises(CheckFailed):  # ... but not in an exact check
        check_logits(near, ref, "Brevitas")
    swapped = ref[:, [0, 2, 1]] * np.float32(1 + 1e-9)  # argmax differs: never within tolerance
    with pytest.raises(CheckFailed, match="argmax equal 50.00%"):
        check_logits(swapped, ref, "qonnx execution", FLOAT32_REL)


def test_tail_tolerance_only_for_non_power_of_two_tails():
    deq = N.Dequant(name="d", scale=np.array([0.25, 0.5], np.float32))
    g = type("G", (), {"tail": (deq,)})
    assert tail_tolerance(g) == 0.0
    g.tail = (deq, N.Affine(name="a", mul=np.array([0.3], np.float32), add=np.zeros(1, np.float32)))
    assert tail_tolerance(g) == FLOAT32_REL


def _swap_last_rows(graph):
    """The integer IR with the last matrix layer's outputs 0 and 1 swapped: a golden model that disagrees."""
    nodes = list(graph.nodes)
    i = max(k for k, n in enumerate(nodes) if isinstance(n, N.Dense))
    d = nodes[i]
    w, b = np.array(d.weight), np.array(d.bias)
    w[[0, 1]], b[[0, 1]] = w[[1, 0]], b[[1, 0]]
    nodes[i] = replace(d, weight=w, bias=b)
    return graph.with_nodes(nodes)


@pytest.fixture
def corrupt_ir(monkeypatch):
    import qnn.export

    real = qnn.export.graph_from_qonnx
    monkeypatch.setattr(qnn.export, "graph_from_qonnx", lambda *a, **kw: _swap_last_rows(real(*a, **kw)))
    return monkeypatch


def test_export_and_flow_fail_with_exit_1_and_build_nothing_downstream(tmp_path, capsys, corrupt_ir):
    run = tmp_path / "run"
    assert main(["train", str(run), "--model", "mlp", "--hidden", "16", "-w", "2", "-a", "2", "--epochs", "1",
                 "--limit-train", "300", "--threads", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", str(run), "--check", "64"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("check failed: golden vs Brevitas differ on ") and len(err.splitlines()) == 1
    assert "of 64 test vectors: first vector " in err and ", output " in err
    assert not (run / "ir").exists() and not (run / "model.onnx").exists()  # nothing was kept
    assert json.loads((run / "metrics.json").read_text())["export_check"]["ok"] is False

    flow = tmp_path / "flow"
    args = ["flow", str(flow), "--model", "mlp", "--hidden", "16", "-w", "2", "-a", "2", "--epochs", "1",
            "--limit-train", "300", "--eval-limit", "100", "--check-vectors", "64", "--threads", "1", "--no-pnr"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("check failed: step export: golden vs Brevitas differ on ") and len(err.splitlines()) == 1
    assert not any((flow / d).exists() for d in ("ir", *DOWNSTREAM))
    rec = load_record(Run(flow))
    assert rec["steps"]["export"]["status"] == "check failed"
    assert rec["steps"]["export"]["result"]["first_mismatch"]["vector"] >= 0
    summary = {s["step"]: s for s in rec["last_summary"]}
    assert summary["export"]["status"] == "check failed"
    for step in ("golden", *DOWNSTREAM):
        assert summary[step]["status"] == "skipped" and summary[step]["line"] == "not run: the export check failed"
    report = (flow / "report.md").read_text()
    assert "Step export check failed: golden vs Brevitas differ" in report and "built nothing after it" in report

    corrupt_ir.undo()  # the check failure is not cached: the fixed export runs again and passes
    s = run_flow(Run(flow), FlowConfig(model="mlp", hidden=(16,), epochs=1, limit_train=300, eval_limit=100,
                                       check_vectors=64, threads=1, skip=frozenset(DOWNSTREAM)))
    st = {o.step.value: o.status for o in s.outcomes}
    assert st == {"train": "cached", "export": "done", "golden": "done", "report": "done"}
    assert s.result(Step.export)["check"]["exact"] is True and s.result(Step.golden)["golden_vs_brevitas"] == 1.0


def tiny(**kw) -> FlowConfig:
    base = dict(model="mlp", hidden=(8,), epochs=1, batch_size=64, limit_train=200, eval_limit=60,
                check_vectors=60, threads=1, plots=False, skip=frozenset({Step.hls, Step.synth}))
    return FlowConfig(**{**base, **kw})


def test_a_failed_check_stops_the_flow_and_reruns_next_time(tmp_path, monkeypatch):
    """The golden step's check (golden vs Brevitas on the test set) fails: rtl/sim are not built; a rerun redoes it."""
    run = Run(tmp_path / "run")

    def disagree(run, cfg):
        raise CheckFailed("golden vs Brevitas differ on 1 of 60 test vectors: first vector 7, output 3: golden 1, "
                          "Brevitas 2", {"ok": False})

    monkeypatch.setitem(STEPS, Step.golden, replace(STEPS[Step.golden], fn=disagree))
    s = run_flow(run, tiny())
    st = {o.step.value: o for o in s.outcomes}
    assert st["golden"].status == "check failed" and not s.ok and s.check_failed is st["golden"]
    assert "first vector 7, output 3" in st["golden"].line
    assert st["rtl"].status == st["sim"].status == "skipped"
    assert st["rtl"].line == "not run: the golden check failed" and not run.rtl_dir.exists()
    assert st["report"].status == "done"
    monkeypatch.undo()
    s2 = run_flow(run, tiny(skip=frozenset({Step.hls, Step.rtl, Step.sim, Step.synth})))
    assert {o.step.value: o.status for o in s2.outcomes} == {"train": "cached", "export": "cached", "golden": "done",
                                                            "report": "done"}


def test_hls_and_sim_mismatches_raise_check_failed_in_their_steps(tmp_path, monkeypatch):
    """The flow's hls and sim steps turn a C simulation / RTL result that is not bit-exact into CheckFailed."""
    import hls.hls4ml.flow
    import sim.network
    from qnn.flow import steps

    class Csim:
        bit_exact, vectors, exact_vectors, compile_s = False, 20, 19, 1.0
        first_mismatch = type("M", (), {"describe": lambda self: "vector 4, output 1: got 3, expected 5"})()

    monkeypatch.setattr(hls.hls4ml.flow, "hls_step", lambda *a, **kw: type("R", (), {"csim": Csim})())
    with pytest.raises(CheckFailed, match=r"C simulation differs from the golden model on 1 of 20 vectors "
                                          r"\(vector 4, output 1: got 3, expected 5\)") as e:
        steps.step_hls(Run(tmp_path), tiny())
    assert e.value.result["exact_vectors"] == 19

    class Sim:
        simulator, vectors, exact, mismatched, throughput_vectors, throughput_exact = "verilator", 10, 9, 1, 4, 4
        mismatches = [{"vector": 2}]
        cycles_per_inference, ideal_cycles, latency_cycles, efficiency, sim_s, ok = 100.0, 98, 300, 0.98, 1.0, False

        def first_mismatch(self):
            return "vector 2, output 0: got 1, expected 2"

        def to_dict(self):
            return {}

    run = Run(tmp_path / "r")
    run.write_config({"dataset": {"name": "none"}})
    (run.rtl_dir).mkdir(parents=True)
    (run.rtl_dir / "design.json").write_text("{}")
    monkeypatch.setattr(Run, "graph", lambda self: type("G", (), {"input_shape": (4,)})())
    monkeypatch.setattr(steps, "test_vectors", lambda *a: np.zeros((10, 4), np.int64))
    monkeypatch.setattr(sim.network, "simulate", lambda *a, **kw: Sim())
    with pytest.raises(CheckFailed, match=r"RTL simulation \(verilator\) differs from the golden model on 1 of 10 "
                                          r"vectors: vector 2, output 0: got 1, expected 2"):
        steps.step_sim(run, tiny())


def test_eval_and_import_fail_with_exit_1_on_a_disagreeing_ir(tmp_path, capsys, monkeypatch):
    import qnn.importer
    from qnn.ir.serialize import save_graph

    run = tmp_path / "run"
    assert main(["train", str(run), "--model", "mlp", "--hidden", "8", "-w", "2", "-a", "2", "--epochs", "1",
                 "--limit-train", "200", "--threads", "1", "--quiet"]) == 0
    assert main(["export", str(run), "--check", "32"]) == 0
    capsys.readouterr()
    good = Run(run).graph()
    save_graph(_swap_last_rows(good), run / "ir")  # an IR that no longer is the Brevitas model
    assert main(["eval", str(run), "--limit", "50"]) == 1
    cap = capsys.readouterr()
    assert "golden (integer)" in cap.out  # the figures are shown, then the check fails
    assert cap.err.startswith("check failed: golden vs Brevitas differ on ") and len(cap.err.strip().splitlines()) == 1
    assert Run(run).metrics["eval"]["golden_vs_brevitas"]["ok"] is False

    monkeypatch.setattr(qnn.importer, "graph_from_qonnx", lambda *a, **kw: _swap_last_rows(good))
    assert main(["import", str(run / "model.onnx"), "--name", str(tmp_path / "imp"), "--check", "16"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("check failed: golden vs qonnx execution differ on ") and "of 16 vectors" in err
    assert not (tmp_path / "imp").exists()  # nothing was created
    monkeypatch.undo()
    assert main(["import", str(run / "model.onnx"), "--name", str(tmp_path / "imp"), "--check", "16"]) == 0
    assert "golden vs qonnx execution on 16 vectors: exact" in capsys.readouterr().out
