"""``run_flow(run, cfg)``: the steps in order, each skipped when its inputs are unchanged since it last finished.

``RUN/flow.json`` records, per step: status (done / failed / skipped), the fingerprint of its inputs, its
result and how long it took. It is rewritten atomically after every step, so killing the flow at any moment
loses at most the step in progress -- whose own artifacts are written atomically too (``Run.step``), and a
training resumes from its last epoch checkpoint.

Statuses in the summary: ``done`` (ran now), ``cached`` (finished before with the same inputs), ``skipped``
(a tool is missing, or a step it needs did not finish: the reason is given), ``failed`` (the error is given;
later steps that need it are skipped), ``check failed`` (its verification disagreed: ``CheckFailed`` names the
first differing vector). A check failure stops the flow: every later step but the report is skipped, so no
hardware is built from a model that disagrees with itself. Only ``done`` steps are ever reused; a failed or
check-failed step runs again next time.

The flow holds the run's write lock (``Run.lock``) from start to end: a second flow on the same run fails at
once with the first one's pid and command.
"""
from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from qnn.errors import CheckFailed, QnnError
from qnn.flow.config import STEP_FIELDS, FlowConfig, Step
from qnn.flow.fingerprint import fingerprint
from qnn.flow.steps import STEPS
from qnn.run import Run
from qnn.util.atomic import atomic_write_text

FLOW_FILE = "flow.json"


@dataclass
class StepOutcome:
    step: Step
    status: str  # done | cached | skipped | failed | check failed
    seconds: float = 0.0
    result: dict = field(default_factory=dict)
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "cached")

    @property
    def line(self) -> str:
        return self.message or self.result.get("summary", "")


@dataclass
class FlowSummary:
    run: Run
    outcomes: list[StepOutcome]

    @property
    def failed(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "check failed")]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def check_failed(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if o.status == "check failed"), None)

    def rows(self) -> list[list[str]]:
        return [[o.step.value, o.status, f"{o.seconds:.1f}", o.line] for o in self.outcomes]

    def result(self, step: Step) -> dict:
        """The step's result (a check-failed step's figures too); {} when it did not run."""
        return next((o.result for o in self.outcomes if o.step == step and (o.finished or o.status == "check failed")),
                    {})


def load_record(run: Run) -> dict:
    p = run.path / FLOW_FILE
    if not p.is_file():
        return {"steps": {}}
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError:
        return {"steps": {}}  # written atomically, so only a hand-edited file gets here


def _save_record(run: Run, record: dict) -> None:
    run.path.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.path / FLOW_FILE, json.dumps(record, indent=2, default=str))


def step_fingerprint(run: Run, cfg: FlowConfig, step: Step) -> str:
    sd = STEPS[step]
    return fingerprint(cfg.slice(STEP_FIELDS[step]), sd.inputs(run, cfg))


def is_current(run: Run, cfg: FlowConfig, step: Step, record: dict) -> bool:
    """Finished before, from the same inputs, and its artifacts are still there."""
    sd = STEPS[step]
    rec = record.get("steps", {}).get(step.value)
    if sd.always or not rec or rec.get("status") != "done":
        return False
    marker = sd.done_marker(run, cfg)
    if marker is not None and not marker.exists():
        return False
    return rec.get("fingerprint") == step_fingerprint(run, cfg, step)


def run_flow(run: Run | str | Path, cfg: FlowConfig, *, force: tuple[Step, ...] = (),
             on_step: Callable[[Step, str], None] | None = None) -> FlowSummary:
    """Run ``cfg.steps()`` on ``run`` (created if new); ``force`` re-runs the given steps even when current.

    ``on_step(step, phase)`` is called with phase "start" / the outcome's status, for progress display."""
    run = run if isinstance(run, Run) else Run(run)
    with run.lock():
        return _run_steps(run, cfg, force, on_step or (lambda s, p: None))


def _run_steps(run: Run, cfg: FlowConfig, force: tuple[Step, ...], notify) -> FlowSummary:
    record = load_record(run)
    record["config"] = cfg.to_dict()
    record.setdefault("steps", {})
    outcomes: list[StepOutcome] = []
    planned = cfg.steps()
    by_step: dict[Step, StepOutcome] = {}
    stopped: StepOutcome | None = None  # the step whose check failed: nothing after it is built
    for step in planned:
        sd = STEPS[step]
        blocked = [n for n in sd.needs if n in by_step and not by_step[n].finished]
        if stopped is not None and not sd.always:
            o = StepOutcome(step, "skipped", message=f"not run: the {stopped.step.value} check failed")
        elif blocked:
            o = StepOutcome(step, "skipped", message=f"needs {blocked[0].value}, which did not finish")
        elif step not in force and is_current(run, cfg, step, record):
            rec = record["steps"][step.value]
            o = StepOutcome(step, "cached", 0.0, rec.get("result", {}))
        elif (why := sd.missing_tools(cfg)) is not None:
            o = StepOutcome(step, "skipped", message=why)
            record["steps"][step.value] = {"status": "skipped", "message": why, "at": _now()}
        else:
            o = _execute(run, cfg, step, record, notify)
        by_step[step] = o
        outcomes.append(o)
        if o.status == "check failed" and stopped is None:
            stopped = o
        notify(step, o.status)
        # the summary so far: the report step, last, shows every step before it
        record["last_summary"] = [{"step": x.step.value, "status": x.status, "seconds": round(x.seconds, 2),
                                   "line": x.line} for x in outcomes]
        _save_record(run, record)
    return FlowSummary(run, outcomes)


def _execute(run: Run, cfg: FlowConfig, step: Step, record: dict, notify) -> StepOutcome:
    notify(step, "start")
    # the fingerprint of what the step reads, taken before it runs (it may rewrite its own inputs' siblings)
    fp = step_fingerprint(run, cfg, step)
    record["steps"][step.value] = {"status": "running", "fingerprint": fp, "at": _now()}
    _save_record(run, record)
    t0 = time.perf_counter()
    try:
        result = STEPS[step].fn(run, cfg) or {}
    except CheckFailed as e:  # the step ran, its verification disagreed: recorded with its figures, never reused
        secs = time.perf_counter() - t0
        msg = str(e)
        record["steps"][step.value] = {"status": "check failed", "fingerprint": fp, "message": msg,
                                       "result": e.result, "seconds": round(secs, 2), "at": _now()}
        return StepOutcome(step, "check failed", secs, e.result, message=msg.splitlines()[0] if msg else "")
    except (QnnError, Exception) as e:  # noqa: BLE001 - a failed step is recorded, the flow reports it
        secs = time.perf_counter() - t0
        msg = f"{type(e).__name__}: {e}" if not isinstance(e, QnnError) else str(e)
        record["steps"][step.value] = {"status": "failed", "fingerprint": fp, "message": msg, "seconds": secs,
                                       "traceback": traceback.format_exc(limit=8), "at": _now()}
        return StepOutcome(step, "failed", secs, message=msg.splitlines()[0] if msg else type(e).__name__)
    secs = time.perf_counter() - t0
    status = "check failed" if result.get("ok") is False else "done"
    record["steps"][step.value] = {"status": status, "fingerprint": fp, "result": result, "seconds": round(secs, 2),
                                   "at": _now()}
    return StepOutcome(step, status, secs, result)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
