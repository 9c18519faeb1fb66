"""Benchmark of RTL simulation at simulator speed: whole MNIST test sets through the harness, bit-exact.

    .venv/bin/python bench/bench_rtl_sim.py [--runs-dir runs/bench-sim] [--data-dir /work/shared/data]
                                            [--icarus-vectors NAME=N,...] [--only NAME,...] [--simulators verilator,icarus] [--force]
                                            [--jobs N]

Designs (trained briefly: `qnn train --epochs 2` on full MNIST for the TFC, 1 epoch on the first 10,000 training
images for the CNN, then `qnn export`; kept under the runs folder and reused; tested on all 10,000 test images):
- TFC w2a2 (784-64-64-64-10) at `qnn rtl RUN --target-cycles 784`;
- CNN w4a4 (conv 16, conv 32, dense 128) at `--target-cycles 7056`: the first convolution has one input
  channel, so 16 PE x 1 SIMD (784 pixels x 9 taps = 7,056 cycles) is as fast as it can be folded.
For each: `qnn sim RUN -n all` on Verilator (all 10,000 test vectors, random input gaps 0.2 and output
backpressure 0.3) and `qnn sim RUN -n 1000 --simulator icarus --jobs N` (N parallel simulator processes, each a
contiguous shard of the vectors; default 1); simulation wall time, cycles/s, vectors/s, and the simulators' CPU
time (the development machine is shared: wall time depends on its load).
A result is kept (resumable) until the hardware sources (hls/rtl, hls/rtlgen, sim) change commit, or --force.
Results: bench/results/rtl_sim.json and rtl_sim.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qnn.cli import main as qnn  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DESIGNS = {  # name -> (qnn train arguments, epochs, qnn rtl arguments)
    "tfc-w2a2": (["--model", "tfc", "-w", "2", "-a", "2"], 2, ["--target-cycles", "784"]),
    "cnn-w4a4": (["--model", "cnn", "-w", "4", "-a", "4", "--limit-train", "10000"], 1, ["--target-cycles", "7056"]),
}
ICARUS_VECTORS = {"tfc-w2a2": 1000, "cnn-w4a4": 1000}  # --icarus-vectors NAME=N overrides
KEEP = ("simulator", "engine", "vectors", "exact", "mismatched", "throughput_exact", "throughput_vectors",
        "latency_cycles", "cycles_per_inference", "ideal_cycles", "sim_cycles", "exact_s", "exact_cpu_s", "sim_s", "cycles_per_s",
        "vectors_per_s", "build_s", "build_cached", "gap", "backpressure", "ok", "jobs", "shards")


def hw_commit() -> str:
    p = subprocess.run(["git", "log", "-1", "--format=%h", "--", "hls/rtl", "hls/rtlgen", "sim"], cwd=ROOT,
                       capture_output=True, text=True)
    d = subprocess.run(["git", "status", "--porcelain", "--", "hls/rtl", "hls/rtlgen", "sim"], cwd=ROOT,
                       capture_output=True, text=True)
    return p.stdout.strip() + ("+dirty" if d.stdout.strip() else "")


def ensure_run(runs: Path, name: str, data_dir: str) -> Path:
    run = runs / name
    args, epochs, _ = DESIGNS[name]
    if not (run / "ir" / "graph.json").is_file():
        assert qnn(["train", str(run), *args, "--epochs", str(epochs), "--data-dir", data_dir, "--quiet",
                    "--force"]) == 0
        assert qnn(["export", str(run)]) == 0
    return run


def simulate(run: Path, simulator: str, n: str, data_dir: str, jobs: int = 1) -> dict:
    cmd = ["sim", str(run), "--simulator", simulator, "-n", n, "--data-dir", data_dir]
    if jobs != 1:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    rc = qnn(cmd)
    wall = time.perf_counter() - t0
    res = json.loads((run / "sim" / simulator / "result.json").read_text())
    row = {k: res.get(k) for k in KEEP}
    row.update(rc=rc, command="qnn " + " ".join(cmd), command_s=round(wall, 1), load=os.getloadavg()[0])
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-dir", default=str(ROOT / "runs" / "bench-sim"))
    ap.add_argument("--data-dir", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--icarus-vectors", default="", help="NAME=N,...: Icarus vectors per design (default 1,000)")
    ap.add_argument("--force", action="store_true", help="rerun results already recorded for this commit")
    ap.add_argument("--only", default="", help="comma-separated design names (default: all)")
    ap.add_argument("--simulators", default="verilator,icarus")
    ap.add_argument("--jobs", type=int, default=1, help="parallel simulator processes for the Icarus runs (qnn sim --jobs)")
    args = ap.parse_args()
    runs = Path(args.runs_dir)
    out_file = RESULTS / "rtl_sim.json"
    out = json.loads(out_file.read_text()) if out_file.is_file() else {"rows": []}
    commit = hw_commit()

    mine: set[tuple[str, str]] = set()  # rows this process measured: another --only run may share the file

    def save():
        RESULTS.mkdir(parents=True, exist_ok=True)
        disk = json.loads(out_file.read_text())["rows"] if out_file.is_file() else []
        out["rows"] = [r for r in disk if (r["model"], r["simulator"]) not in mine] + \
            [r for r in out["rows"] if (r["model"], r["simulator"]) in mine]
        out["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        out_file.write_text(json.dumps(out, indent=2))
        (RESULTS / "rtl_sim.md").write_text(markdown(out))

    for name, (_, _, rtl_args) in DESIGNS.items():
        if args.only and name not in args.only.split(","):
            continue
        run = ensure_run(runs, name, args.data_dir)
        icarus = dict(ICARUS_VECTORS, **{k: int(v) for k, v in (kv.split("=") for kv in args.icarus_vectors.split(",") if kv)})
        for simulator, n in (("verilator", "all"), ("icarus", str(icarus[name]))):
            if simulator not in args.simulators.split(","):
                continue
            old = next((r for r in out["rows"] if r["model"] == name and r["simulator"] == simulator), None)
            if old and old["hw_commit"] == commit and not args.force:
                continue
            assert qnn(["rtl", str(run), *rtl_args]) == 0
            design = json.loads((run / "rtl" / "design.json").read_text())
            row = {"model": name, "rtl_command": f"qnn rtl {run} {' '.join(rtl_args)}", "folding": design["folding"],
                   "hw_commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   **simulate(run, simulator, n, args.data_dir, args.jobs if simulator == "icarus" else 1)}
            out["rows"] = [r for r in out["rows"] if r is not old] + [row]
            mine.add((name, simulator))
            save()
            print(f"{name} {simulator}: {row['exact']}/{row['vectors']} bit-exact in {row['exact_s']} s, "
                  f"{row['cycles_per_s']:,.0f} cycles/s, {row['vectors_per_s']:,.1f} vectors/s")
    save()
    print(markdown(out))


def markdown(o: dict) -> str:
    L = ["# RTL simulation speed (harness inside the simulator)", "",
         f"Updated {o.get('updated', '?')}. Exactness pass: random input gaps 0.2, output backpressure 0.3, every "
         "output compared with the golden model, drained for extra words; wall time of the simulator process.", "",
         "| model | folding (PE x SIMD) | cycles/inference (ideal) | simulator | processes | vectors | bit-exact "
         "| simulation wall s | cycles/s | vectors/s | simulator CPU s | cycles/CPU-s | build s | load | hw commit |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(o["rows"], key=lambda r: (r["model"], r["simulator"] != "verilator")):
        fold = ", ".join(f"{v['pe']}x{v['simd']}" for v in r["folding"].values())
        cpi = f"{r['cycles_per_inference']:.0f} ({r['ideal_cycles']})" if r["cycles_per_inference"] else "n/a"
        build = "cached" if r["build_cached"] else f"{r['build_s']:.0f}"
        L.append(f"| {r['model']} | {fold} | {cpi} | {r['simulator']} | {r.get('jobs') or 1} | {r['vectors']} | "
                 f"{r['exact']}/{r['vectors']} | "
                 f"{r['exact_s']:.1f} | {r['cycles_per_s']:,.0f} | {r['vectors_per_s']:,.1f} | {r['exact_cpu_s']:.1f} | "
                 f"{r['cycles_per_s'] * r['exact_s'] / max(r['exact_cpu_s'], 1e-9):,.0f} | {build} | "
                 f"{r['load']:.1f} | {r['hw_commit']} |")
    L += ["", "Commands:", ""] + [f"- `{r['rtl_command']}` then `{r['command']}`" for r in o["rows"]]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
