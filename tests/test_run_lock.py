"""One writer per run: a second writer fails at once naming the holder; a killed holder's lock is taken over."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from qnn.cli import main
from qnn.errors import RunLocked
from qnn.flow import FlowConfig, Step, load_record, run_flow
from qnn.run import Run
from qnn.run_lock import LOCK_NAME, hold, holder

QNN = str(Path(sys.executable).parent / "qnn")
HOLD = ("import sys; from qnn.run import Run\n"
        "with Run(sys.argv[1]).lock('qnn flow runs/x --holder'):\n"
        "    print('held', flush=True); sys.stdin.read()\n")


def _holder_process(path: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_second_writer_fails_at_once_naming_the_holder(tmp_path, capsys):
    run = tmp_path / "run"
    p = _holder_process(run)
    try:
        for args in (["export", str(run)], ["flow", str(run), "--epochs", "1"], ["report", str(run)],
                     ["sweep", str(run)], ["rtl", str(run)]):
            t = time.perf_counter()
            assert main(args) == 2, args
            err = capsys.readouterr().err.strip()
            assert time.perf_counter() - t < 5  # at once, no waiting
            assert err == (f"error: run {run} is being written by pid {p.pid} (qnn flow runs/x --holder, since "
                           f"{holder(run)['since']}): wait for it to finish or stop it"), err
        with pytest.raises(RunLocked, match=f"pid {p.pid}"):
            run_flow(run, FlowConfig())
        assert sorted(x.name for x in run.iterdir()) == [LOCK_NAME]  # the refused writers wrote nothing
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert not (run / LOCK_NAME).exists()  # released on exit


def test_stale_lock_of_a_killed_holder_is_taken_over(tmp_path):
    run = tmp_path / "run"
    p = _holder_process(run)
    p.kill()  # SIGKILL: no clean-up ran, the lock file still names the dead process
    p.wait(timeout=30)
    assert holder(run)["pid"] == p.pid
    with hold(run, "qnn export run"):
        assert holder(run)["pid"] != p.pid and holder(run)["command"] == "qnn export run"
    assert not (run / LOCK_NAME).exists()
    # a lock file written by hand for a process that is gone (no flock held) is stale too
    (run / LOCK_NAME).write_text('{"pid": 999999999, "command": "qnn flow old", "host": "h", "since": "x"}')
    with hold(run):
        pass
    assert not (run / LOCK_NAME).exists()


def test_lock_is_reentrant_released_on_exceptions_and_leaves_no_empty_folder(tmp_path):
    run = tmp_path / "new"
    with pytest.raises(ValueError):
        with hold(run, "outer"):
            with hold(run, "inner"):  # the same process: a flow's report step inside the flow
                assert holder(run)["command"] == "outer"
            assert (run / LOCK_NAME).exists()
            raise ValueError("boom")
    assert not run.exists()  # created by the lock, still empty: removed
    assert main(["export", str(run)]) == 2 and not run.exists()  # a refused command leaves nothing behind


def test_flow_killed_with_sigkill_mid_training_resumes_and_takes_over_the_lock(tmp_path):
    run = tmp_path / "run"
    cmd = [QNN, "flow", str(run), "--model", "mlp", "--hidden", "16", "--epochs", "3", "--limit-train", "1500",
           "--eval-limit", "100", "--check-vectors", "100", "--threads", "1", "--skip", "hls,rtl,sim,synth,report"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not (run / "checkpoint.pt").is_file():  # written right after epoch 1's checkpoint
            assert p.poll() is None and time.time() < deadline, "the flow ended before its first epoch"
            time.sleep(0.05)
        p.kill()
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    h = holder(run)
    assert h["pid"] == p.pid and h["command"].startswith("qnn flow ")
    assert load_record(Run(run))["steps"]["train"]["status"] == "running"
    cfg = FlowConfig(model="mlp", hidden=(16,), epochs=3, limit_train=1500, eval_limit=100, check_vectors=100,
                     threads=1, skip=frozenset({Step.hls, Step.rtl, Step.sim, Step.synth, Step.report}))
    s = run_flow(run, cfg)
    assert {o.step.value: o.status for o in s.outcomes} == {"train": "done", "export": "done", "golden": "done"}
    assert s.result(Step.train)["resumed"] is True and s.result(Step.train)["epochs"] == 3
    assert s.result(Step.golden)["golden_vs_brevitas"] == 1.0
    assert not (run / LOCK_NAME).exists()
