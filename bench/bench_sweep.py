"""Sweep throughput per executor, and what a resumed sweep costs.

A small grid (MLP 32, w x a over {1,2,4} x {2,4} + float, embedded MNIST, 1 epoch on 1,000 samples, steps
train/export/golden/rtl) run with the serial, local (process pool) and -- if installed -- Ray executors, each
into its own folder; then the local sweep is re-run to time a resume where every point is already complete.
The tables of all executors must agree (same seeds, one torch thread per point).

    .venv/bin/python bench/bench_sweep.py [--grid small|tiny]

Results: bench/results/sweep.json and sweep.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qnn.flow import Step  # noqa: E402
from qnn.sweep import SweepSpec, run_sweep  # noqa: E402
from qnn.sweep.executors import default_workers  # noqa: E402

GRIDS = {"small": ((1, 2, 4), (2, 4)), "tiny": ((1, 2), (2,))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", choices=GRIDS, default="small")
    ap.add_argument("--workers", type=int, default=default_workers())
    args = ap.parse_args()
    os.environ.pop("QNN_DATA", None)  # embedded data: the same everywhere
    wb, ab = GRIDS[args.grid]
    spec = SweepSpec(presets=("mlp",), hidden=(32,), weight_bits=wb, act_bits=ab, include_float=True, epochs=1,
                     limit_train=1000, steps=(Step.train, Step.export, Step.golden, Step.rtl))
    executors = ["serial", "local"]
    try:
        import ray  # noqa: F401

        executors.append("ray")
    except ImportError:
        pass
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    out: dict = {"grid": spec.to_dict(), "points": len(spec.points()), "workers": args.workers, "runs": {}}
    tables = {}
    try:
        for ex in executors:
            t0 = time.perf_counter()
            res = run_sweep(work / ex, spec, executor=ex, workers=args.workers, plots=False)
            secs = time.perf_counter() - t0
            tables[ex] = [(r["id"], r["accuracy"], r["bops"]) for r in res.rows]
            out["runs"][ex] = {"seconds": round(secs, 1), "seconds_per_point": round(secs / len(res.rows), 2),
                               "errors": res.errors}
            print(f"{ex}: {secs:.1f} s for {len(res.rows)} points", flush=True)
        t0 = time.perf_counter()
        again = run_sweep(work / "local", spec, executor="local", workers=args.workers, plots=False)
        out["resume_all_complete_s"] = round(time.perf_counter() - t0, 2)
        out["resume_ran"] = again.ran
        out["tables_agree"] = all(t == tables["serial"] for t in tables.values())
        out["table"] = tables["serial"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / "sweep.json").write_text(json.dumps(out, indent=2))
    md = [f"# Sweep executors ({out['points']} points, {args.workers} workers)", "",
          "| executor | seconds | s/point |", "|---|---|---|"]
    md += [f"| {k} | {v['seconds']} | {v['seconds_per_point']} |" for k, v in out["runs"].items()]
    md += ["", f"Re-run of a complete sweep: {out['resume_all_complete_s']} s, points re-run: {out['resume_ran']}.",
           f"Tables identical across executors: {out['tables_agree']}.", "",
           "| point | accuracy | BOPs |", "|---|---|---|"]
    md += [f"| {i} | {a:.4f} | {b:,} |" for i, a, b in out["table"]]
    (res_dir / "sweep.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
