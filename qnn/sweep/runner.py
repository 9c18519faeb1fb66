"""``run_sweep(folder, spec)``: every grid point's flow, on an executor, into one growing results table.

``SWEEP/`` holds ``sweep.json`` (the spec), ``results.json`` + ``results.csv`` (one row per finished point,
rewritten atomically after each), ``points/<id>/`` (each point's run directory, with its own ``flow.json``)
and ``plots/``. Re-running the same command skips points whose row is complete for the same recipe and
resumes the others where their flows stopped (a half-trained point continues from its last epoch). The sweep
holds the folder's write lock while it runs (a second sweep on it fails at once); each point's flow holds its own.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qnn.errors import QnnError
from qnn.sweep.executors import make_executor
from qnn.sweep.grid import SweepSpec
from qnn.sweep.point import run_point
from qnn.sweep.table import ResultsTable
from qnn.util.atomic import atomic_write_text

SPEC_FILE = "sweep.json"


@dataclass
class SweepResult:
    folder: Path
    rows: list[dict]
    ran: list[str]  # point ids run (or resumed) now
    reused: list[str]  # point ids whose stored row was kept
    errors: dict[str, str]
    plots: list[Path]


def load_spec(folder: str | Path) -> SweepSpec:
    p = Path(folder) / SPEC_FILE
    if not p.is_file():
        raise QnnError(f"{folder} is not a sweep folder (no {SPEC_FILE}): run `qnn sweep {folder}` first")
    return SweepSpec.from_dict(json.loads(p.read_text())["spec"])


def run_sweep(folder: str | Path, spec: SweepSpec, executor: str = "local", workers: int | None = None,
              address: str | None = None, on_point: Callable[[str, dict | None, int, int], None] | None = None,
              plots: bool = True) -> SweepResult:
    """Run the points of ``spec`` not yet complete; ``on_point(id, row, done, total)`` after each."""
    from qnn.run_lock import hold

    folder = Path(folder)
    with hold(folder):
        return _run(folder, spec, executor, workers, address, on_point, plots)


def _run(folder: Path, spec: SweepSpec, executor, workers, address, on_point, plots) -> SweepResult:
    atomic_write_text(folder / SPEC_FILE, json.dumps({"spec": spec.to_dict()}, indent=2))
    table = ResultsTable(folder)
    points = spec.points()
    order = [p.id for p in points]
    todo = [p for p in points if not table.is_complete(p.id, spec.point_key(p))]
    reused = [p.id for p in points if p not in todo]
    for pid in list(table.rows):  # rows of points no longer in the grid stay out of the table
        if pid not in order:
            del table.rows[pid]
    table.save(order)
    ex = make_executor(executor, workers, address)
    jobs = [(str(folder.resolve()), spec.to_dict(), p.to_dict()) for p in todo]
    errors: dict[str, str] = {}
    done = 0
    for i, row, err in ex.run(run_point, jobs):
        done += 1
        pid = todo[i].id
        if err is not None:  # the worker itself died (a failing step is a row with status "failed")
            errors[pid] = f"{type(err).__name__}: {err}"
            row = {"id": pid, "preset": todo[i].preset, "weight_bits": todo[i].weight_bits,
                   "act_bits": todo[i].act_bits, "status": "failed", "message": errors[pid].splitlines()[0],
                   "key": spec.point_key(todo[i])}
        elif row.get("status") != "ok":
            errors[pid] = row.get("message") or "failed"
        table.upsert(row, order)
        if on_point:
            on_point(pid, row, done, len(todo))
    rows = table.ordered(order)
    made = []
    if plots:
        from qnn.sweep.plots import sweep_plots

        made = sweep_plots(rows, folder / "plots", folder.name)
    return SweepResult(folder, rows, [p.id for p in todo], reused, errors, made)
