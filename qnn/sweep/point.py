"""One grid point: its flow, run in ``SWEEP/points/<id>/``, boiled down to one row of the results table.

``run_point`` is a plain top-level function of JSON-able arguments so that a process pool and Ray can ship
it; it pins PyTorch to one thread first -- with several points per machine, torch's default of one thread per
core oversubscribes the CPU and trains an order of magnitude slower.
"""
from __future__ import annotations

import os
import time
from pathlib import Path


def limit_threads() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def run_point(sweep_dir: str, spec: dict, point: dict) -> dict:
    """Run (or resume) the point's flow and return its row; never raises for a failing step (the row says)."""
    limit_threads()
    from qnn.flow import run_flow
    from qnn.sweep.grid import Point, SweepSpec

    sp = SweepSpec.from_dict(spec)
    pt = Point(**point)
    run_dir = Path(sweep_dir) / "points" / pt.id
    t0 = time.perf_counter()
    summary = run_flow(run_dir, sp.flow_config(pt))
    row = row_from_summary(summary, pt)
    row.update(seconds=round(time.perf_counter() - t0, 1), key=sp.point_key(pt),
               run=str(Path("points") / pt.id))
    return row


def row_from_summary(summary, pt) -> dict:
    from qnn.flow import Step

    g, rtl, sim, syn = (summary.result(s) for s in (Step.golden, Step.rtl, Step.sim, Step.synth))
    row = {"id": pt.id, "preset": pt.preset, "weight_bits": pt.weight_bits, "act_bits": pt.act_bits,
           "accuracy": g.get("accuracy"), "brevitas_accuracy": g.get("brevitas_accuracy"),
           "golden_vs_brevitas": g.get("golden_vs_brevitas"), "macs": g.get("macs"), "bops": g.get("bops"),
           "lut": syn.get("lut"), "ff": syn.get("ff"), "bram": syn.get("bram"), "dsp": syn.get("dsp"),
           "fits": syn.get("fits"), "fmax_mhz": syn.get("fmax_mhz"), "ideal_cycles": rtl.get("ideal_cycles"),
           "cycles_per_inference": sim.get("cycles_per_inference"),
           "sim_exact": f"{sim['exact']}/{sim['vectors']}" if sim else None,
           "bit_exact": sim.get("ok") if sim else None,
           "steps": {o.step.value: o.status for o in summary.outcomes}}
    bad = summary.failed
    skipped = [o for o in summary.outcomes if o.status == "skipped"]
    if bad:
        row["status"] = "check failed" if bad[0].status == "check failed" else "failed"
        row["message"] = f"{bad[0].step.value}: {bad[0].line}"
    else:
        row["status"] = "ok"
        row["message"] = "; ".join(f"{o.step.value} skipped: {o.line}" for o in skipped) or None
    return row
