"""The one-command flow: steps in order, resumable by input fingerprints, failures and missing tools reported."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from qnn.errors import QnnError
from qnn.flow import FlowConfig, Step, load_record, run_flow
from qnn.flow.fingerprint import hash_path
from qnn.flow.steps import STEPS
from qnn.run import Run

HARDWARE = frozenset({Step.hls, Step.rtl, Step.sim, Step.synth})


def tiny(**kw) -> FlowConfig:
    """Seconds per flow: a 16-unit MLP, 2 epochs on 600 embedded digits (about 65 % on the test digits: it
    learns), 100 test digits."""
    base = dict(model="mlp", hidden=(16,), weight_bits=2, act_bits=2, epochs=2, batch_size=32, lr=1e-2,
                limit_train=600, eval_limit=100, check_vectors=100, threads=1, skip=HARDWARE)
    return FlowConfig(**{**base, **kw})


def statuses(summary) -> dict:
    return {o.step.value: o.status for o in summary.outcomes}


def test_software_flow_then_rerun_is_cached_and_a_changed_input_redoes_only_its_steps(tmp_path):
    run = Run(tmp_path / "run")
    s1 = run_flow(run, tiny())
    assert statuses(s1) == {"train": "done", "export": "done", "golden": "done", "report": "done"}
    assert s1.ok
    g = s1.result(Step.golden)
    assert g["accuracy"] > 0.4 and g["n"] == 100  # chance is 10 %: the training learned something
    assert g["golden_vs_brevitas"] == 1.0  # the integer model is the Brevitas model
    assert s1.result(Step.export)["check"]["exact"] is True  # ... to the bit, on the export's check vectors
    assert g["bops"] == (784 * 16 * 2 * 8 + 16 * 10 * 2 * 2)  # first layer sees the 8-bit input
    rec = load_record(run)
    assert rec["steps"]["train"]["status"] == "done" and rec["config"]["epochs"] == 2
    assert (run.path / "report.md").is_file() and (run.path / "report.html").is_file()
    ckpt = hash_path(run.checkpoint)

    s2 = run_flow(run, tiny())
    assert statuses(s2) == {"train": "cached", "export": "cached", "golden": "cached", "report": "done"}
    assert hash_path(run.checkpoint) == ckpt
    assert s2.result(Step.golden)["accuracy"] == g["accuracy"]

    s3 = run_flow(run, tiny(eval_limit=50))  # only the evaluation's input changed
    assert statuses(s3)["train"] == "cached" and statuses(s3)["export"] == "cached"
    assert statuses(s3)["golden"] == "done" and s3.result(Step.golden)["n"] == 50

    s4 = run_flow(run, tiny(eval_limit=50), force=(Step.export,))  # same checkpoint -> same IR content
    assert statuses(s4)["export"] == "done" and statuses(s4)["golden"] == "cached"


def test_interrupted_training_resumes_and_loses_nothing(tmp_path, monkeypatch):
    import qnn.train as qtrain

    real = qtrain.predict_logits
    calls = {"n": 0}

    def killed_in_epoch_2(*a, **kw):  # validation runs once per epoch: die in the second one
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    run = Run(tmp_path / "run")
    monkeypatch.setattr(qtrain, "predict_logits", killed_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run_flow(run, tiny(skip=HARDWARE | {Step.report}))
    monkeypatch.setattr(qtrain, "predict_logits", real)
    assert load_record(run)["steps"]["train"]["status"] == "running"
    assert (run.checkpoints / "epoch_001.pt").is_file() and not (run.checkpoints / "epoch_002.pt").is_file()

    s = run_flow(run, tiny(skip=HARDWARE | {Step.report}))
    assert statuses(s) == {"train": "done", "export": "done", "golden": "done"}
    assert s.result(Step.train)["resumed"] is True

    fresh = Run(tmp_path / "fresh")
    f = run_flow(fresh, tiny(skip=HARDWARE | {Step.report}))
    a, b = (torch.load(r.checkpoint, weights_only=False)["model"] for r in (run, fresh))
    assert all(torch.equal(a[k], b[k]) for k in a)  # the resumed training is the uninterrupted one
    assert s.result(Step.golden)["accuracy"] == f.result(Step.golden)["accuracy"]


def test_failed_step_keeps_earlier_steps_and_a_rerun_does_only_the_rest(tmp_path, monkeypatch):
    run = Run(tmp_path / "run")

    def broken(run, cfg):
        raise QnnError("evaluation exploded")

    monkeypatch.setitem(STEPS, Step.golden, replace(STEPS[Step.golden], fn=broken))
    s1 = run_flow(run, tiny())
    assert statuses(s1)["golden"] == "failed" and not s1.ok
    assert s1.failed[0].line == "evaluation exploded"
    assert load_record(run)["steps"]["golden"]["status"] == "failed"
    monkeypatch.undo()
    s2 = run_flow(run, tiny())
    assert statuses(s2) == {"train": "cached", "export": "cached", "golden": "done", "report": "done"}


def test_a_step_result_ok_false_stops_the_flow_like_a_failed_check(tmp_path, monkeypatch):
    """A step that returns {"ok": False} (a disagreement reported in its result, no CheckFailed raised) is a
    "check failed": recorded with its result, nothing after it built but the report, never reused on a rerun."""
    run = Run(tmp_path / "run")
    disagreeing = {"ok": False, "summary": "golden vs Brevitas: 3 of 100 vectors differ", "exact": 97}
    export = STEPS[Step.export]

    def export_then_disagree(run, cfg):
        export.fn(run, cfg)  # the artifacts are written, the result says they disagree
        return dict(disagreeing)

    monkeypatch.setitem(STEPS, Step.export, replace(export, fn=export_then_disagree))
    s1 = run_flow(run, tiny())
    assert statuses(s1) == {"train": "done", "export": "check failed", "golden": "skipped", "report": "done"}
    assert not s1.ok and s1.check_failed.step == Step.export and s1.failed == [s1.check_failed]
    assert s1.check_failed.line == disagreeing["summary"] and s1.result(Step.export) == disagreeing
    assert {o.step: o for o in s1.outcomes}[Step.golden].line == "not run: the export check failed"
    rec = load_record(run)["steps"]
    assert rec["export"]["status"] == "check failed" and rec["export"]["result"] == disagreeing
    assert "golden" not in rec
    monkeypatch.undo()
    s2 = run_flow(run, tiny())
    assert statuses(s2) == {"train": "cached", "export": "done", "golden": "done", "report": "done"} and s2.ok


def test_missing_tools_are_skipped_with_the_reason_and_dependants_skipped(tmp_path, monkeypatch):
    import qnn.flow.steps as steps_mod
    import sim.tools

    run = Run(tmp_path / "run")
    run_flow(run, tiny(skip=HARDWARE | {Step.report}))
    monkeypatch.setattr(steps_mod.shutil, "which", lambda name: None)

    def no_sim(simulator):
        raise QnnError(f"{simulator} not found: install it")

    monkeypatch.setattr(sim.tools, "simulator_env", no_sim)
    s = run_flow(run, tiny(skip={Step.report}))
    st = {o.step.value: o for o in s.outcomes}
    assert st["hls"].status == "skipped" and "g++ not found" in st["hls"].line
    assert st["rtl"].status == "done" and (run.rtl_dir / "design.json").is_file()
    assert st["sim"].status == "skipped" and "verilator not found" in st["sim"].line
    assert st["synth"].status == "skipped" and "yosys not found" in st["synth"].line
    assert load_record(run)["steps"]["synth"]["status"] == "skipped"

    def broken_rtl(run, cfg):
        raise QnnError("no RTL today")

    monkeypatch.setitem(STEPS, Step.rtl, replace(STEPS[Step.rtl], fn=broken_rtl))
    monkeypatch.setattr(steps_mod.shutil, "which", lambda name: "/usr/bin/" + name)
    s = run_flow(run, tiny(skip={Step.report, Step.hls}), force=(Step.rtl,))
    st = {o.step.value: o for o in s.outcomes}
    assert st["rtl"].status == "failed"
    assert st["sim"].status == "skipped" and st["sim"].line == "needs rtl, which did not finish"
    assert st["synth"].status == "skipped"


def test_config_errors_are_one_line():
    with pytest.raises(QnnError, match="unknown simulator 'modelsim'"):
        FlowConfig(simulator="modelsim")
    with pytest.raises(QnnError, match="cannot skip"):
        FlowConfig(skip={"nap"})
    with pytest.raises(QnnError, match="--epochs must be at least 1"):
        FlowConfig(epochs=0)
    cfg = FlowConfig(weight_bits=32, act_bits=32)
    assert cfg.steps() == [Step.train, Step.golden, Step.report]  # float: no IR, no hardware
    assert FlowConfig.from_dict(json.loads(json.dumps(tiny().to_dict()))) == tiny()


def test_ir_fingerprint_ignores_npz_timestamps(tmp_path):
    import time

    from rtl_helpers import make_graph

    from qnn.ir.serialize import save_graph

    graph, _ = make_graph(tmp_path / "g", hidden=(8,))
    save_graph(graph, tmp_path / "a")
    time.sleep(2.1)  # zip entries carry a 2-second resolution time stamp
    save_graph(graph, tmp_path / "b")
    assert hash_path(tmp_path / "a") == hash_path(tmp_path / "b")
    assert hash_path(tmp_path / "missing") == "missing"



def test_a_new_toolkit_version_redoes_the_steps_whose_sources_changed(tmp_path, monkeypatch):
    """The hardware steps hash the toolkit sources they run: changed core Verilog redoes rtl (and so sim/synth,
    which hash rtl/), not export; compiled __pycache__ files do not count."""
    from qnn.flow import steps
    from qnn.flow.runner import step_fingerprint

    for d in ("hls/rtl", "hls/rtlgen", "qnn/ir", "sim", "hls/synth", "hls/hls4ml", "qnn/golden"):
        (tmp_path / "src" / d).mkdir(parents=True)
    (tmp_path / "src/hls/rtl/qnn_mvu.v").write_text("module qnn_mvu; endmodule\n")
    (tmp_path / "src/qnn/export.py").write_text("")
    monkeypatch.setattr(steps, "_SOURCES", tmp_path / "src")
    run, cfg = Run(tmp_path / "run"), tiny()
    before = {s: step_fingerprint(run, cfg, s) for s in (Step.export, Step.rtl, Step.hls)}
    (tmp_path / "src/hls/rtl/__pycache__").mkdir()
    (tmp_path / "src/hls/rtl/__pycache__/x.pyc").write_bytes(b"\0")
    assert step_fingerprint(run, cfg, Step.rtl) == before[Step.rtl]
    (tmp_path / "src/hls/rtl/qnn_mvu.v").write_text("module qnn_mvu; wire w; endmodule\n")
    assert step_fingerprint(run, cfg, Step.rtl) != before[Step.rtl]
    assert step_fingerprint(run, cfg, Step.export) == before[Step.export]
    assert step_fingerprint(run, cfg, Step.hls) == before[Step.hls]

@pytest.mark.rtl
def test_whole_flow_to_verified_hardware(tmp_path):
    """train -> ... -> synth on a tiny MLP: every step runs (`make setup` installs g++, Verilator, Yosys), bit-exact.
    The board step runs only with --board (tests/test_board_build.py, tests/test_wheel.py)."""
    run = Run(tmp_path / "run")
    s = run_flow(run, tiny(skip=frozenset(), hls_vectors=20, sim_vectors=10, pnr=False, target_cycles=400))
    assert statuses(s) == {step.value: "done" for step in Step if step is not Step.board}, s.outcomes
    assert s.ok and s.result(Step.golden)["golden_vs_brevitas"] == 1.0
    r = s.result(Step.sim)
    assert r["ok"] and r["simulator"] == "verilator" and r["exact"] == r["vectors"] == 10
    assert r["cycles_per_inference"] <= 1.1 * r["ideal_cycles"]
    h = s.result(Step.hls)
    assert h["bit_exact"] and h["exact_vectors"] == h["vectors"] == 20
    assert s.result(Step.synth)["lut"] > 0 and s.result(Step.synth)["fits"]
    html = (run.path / "report.html").read_text()
    assert "Bit-exactness" in html and "data:image/png;base64," in html


def test_rtl_and_verilator_simulation_in_the_default_suite(tmp_path):
    """The flow's default simulator in `make test`: a small network through rtl + sim on Verilator, bit-exact."""
    run = Run(tmp_path / "run")
    s = run_flow(run, tiny(hidden=(8,), skip=frozenset({Step.hls, Step.synth, Step.report}), sim_vectors=20,
                           sim_throughput_vectors=4, target_cycles=800))
    assert statuses(s) == {"train": "done", "export": "done", "golden": "done", "rtl": "done", "sim": "done"}
    r = s.result(Step.sim)
    assert r["simulator"] == "verilator" and r["ok"] and r["exact"] == r["vectors"] == 20
    assert r["throughput_exact"] == r["throughput_vectors"] == 4
