"""Benchmark of the open RTL flow: bit-exactness, cycles per inference, simulator speed, synthesis.

    .venv/bin/python bench/bench_rtl.py [--runs-dir runs] [--quick]

For TFC-shaped MLPs (784-64-64-64-10: w1a1, w2a2, w4a4) and the CNN w4a4 (conv 16, conv 32, dense 128)
trained briefly on MNIST (`qnn train ... --epochs 3`, then `qnn export`; reused when present):
- `qnn rtl` + `qnn sim --simulator verilator`: 1,000 test vectors per MLP, 200 for the CNN, with random
  input gaps and output backpressure, all compared with the golden model; latency and steady-state
  cycles per inference against ceil(MACs / (PE*SIMD)) of the slowest layer;
- the same w2a2 design on Icarus (fewer vectors): vectors/s of both simulators;
- the w2a2 MLP at a second folding (cycles/inference again);
- `qnn synth` (Yosys + nextpnr) of the w2a2 MLP at both foldings and the CNN: LUT/FF/BRAM/DSP/fmax.
Results: bench/results/rtl.json and rtl.md (with the command behind every figure).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qnn.cli import main as qnn  # noqa: E402

MODELS = {  # name -> qnn train arguments
    "tfc-w1a1": ["--model", "tfc", "-w", "1", "-a", "1"],
    "tfc-w2a2": ["--model", "tfc", "-w", "2", "-a", "2"],
    "tfc-w4a4": ["--model", "tfc", "-w", "4", "-a", "4"],
    "cnn-w4a4": ["--model", "cnn", "-w", "4", "-a", "4"],
}


def ensure_run(runs: Path, name: str) -> Path:
    run = runs / name
    if not (run / "ir" / "graph.json").is_file():
        assert qnn(["train", str(run), *MODELS[name], "--epochs", "3", "--quiet", "--force"]) == 0
        assert qnn(["export", str(run)]) == 0
    return run


def sim(run: Path, simulator: str, n: int, tput: int = 16) -> dict:
    cmd = ["sim", str(run), "--simulator", simulator, "--vectors", str(n), "--throughput-vectors", str(tput)]
    rc = qnn(cmd)
    res = json.loads((run / "sim" / simulator / "result.json").read_text())
    res["command"] = "qnn " + " ".join(cmd)
    res["rc"] = rc
    return res


def rtl(run: Path, target: int | None = None) -> dict:
    cmd = ["rtl", str(run)] + (["--target-cycles", str(target)] if target else [])
    assert qnn(cmd) == 0
    d = json.loads((run / "rtl" / "design.json").read_text())
    return {"command": "qnn " + " ".join(cmd), "folding": d["folding"], "ideal_cycles": d["ideal_cycles"]}


def synth(run: Path, target: str, pnr: bool) -> dict:
    cmd = ["synth", str(run), "--target", target] + ([] if pnr else ["--no-pnr"])
    rc = qnn(cmd)
    rep = json.loads((run / "synth" / target / f"synth_{target}.json").read_text())
    rep.pop("cell_types", None)
    rep["command"] = "qnn " + " ".join(cmd)
    rep["rc"] = rc
    return rep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-dir", default=str(ROOT / "runs" / "bench"))
    ap.add_argument("--quick", action="store_true", help="fewer vectors, no place and route")
    ap.add_argument("--targets", default="ice40,ecp5,xilinx")
    ap.add_argument("--synth-only", action="store_true", help="keep the simulation results, redo synthesis")
    args = ap.parse_args()
    runs = Path(args.runs_dir)
    quick = args.quick
    out = {"sim": [], "folding": [], "speed": {}, "synth": [], "started": time.strftime("%Y-%m-%d %H:%M")}
    targets = args.targets.split(",")
    prev = ROOT / "bench" / "results" / "rtl.json"
    if args.synth_only and prev.is_file():
        out = json.loads(prev.read_text())
        out["synth"] = []

    def save():
        res_dir = ROOT / "bench" / "results"
        res_dir.mkdir(parents=True, exist_ok=True)
        (res_dir / "rtl.json").write_text(json.dumps(out, indent=2))
        (res_dir / "rtl.md").write_text(markdown(out))

    # 1. bit-exactness on Verilator (default folding: 64 multipliers in the slowest layer)
    for name in [] if args.synth_only else MODELS:
        run = ensure_run(runs, name)
        g = rtl(run)
        n = (20 if quick else 200) if name.startswith("cnn") else (100 if quick else 1000)
        r = sim(run, "verilator", n, tput=6 if name.startswith("cnn") else 16)
        out["sim"].append({"model": name, **g, **{k: r[k] for k in (
            "simulator", "vectors", "exact", "mismatched", "throughput_vectors", "throughput_exact", "latency_cycles",
            "cycles_per_inference", "efficiency", "vectors_per_s", "sim_s", "build_s", "command")}})
        save()
        if name == "tfc-w2a2":  # 2. Icarus on the same design: simulator speed
            ri = sim(run, "icarus", 20 if quick else 100)
            out["speed"] = {"design": f"{name} {g['folding']}", "verilator_vectors_per_s": r["vectors_per_s"],
                            "icarus_vectors_per_s": ri["vectors_per_s"],
                            "ratio": r["vectors_per_s"] / ri["vectors_per_s"], "icarus_exact": ri["exact"],
                            "icarus_vectors": ri["vectors"], "command": ri["command"]}
            out["sim"].append({"model": name, **g, **{k: ri[k] for k in (
                "simulator", "vectors", "exact", "mismatched", "throughput_vectors", "throughput_exact", "latency_cycles",
                "cycles_per_inference", "efficiency", "vectors_per_s", "sim_s", "build_s", "command")}})
            save()

    # 3. the w2a2 MLP at two foldings: cycles per inference and synthesis
    run = ensure_run(runs, "tfc-w2a2")
    for target in (1600, 200):
        g = rtl(run, target)
        if args.synth_only:
            for t in targets:
                out["synth"].append({"model": "tfc-w2a2", "target_cycles": target, "folding": g["folding"],
                                     **synth(run, t, pnr=not quick)})
                save()
            continue
        r = sim(run, "verilator", 40, tput=24)
        out["folding"].append({"model": "tfc-w2a2", "target_cycles": target, **g,
                               "cycles_per_inference": r["cycles_per_inference"], "latency_cycles": r["latency_cycles"],
                               "efficiency": r["efficiency"], "exact": r["exact"], "vectors": r["vectors"],
                               "command": r["command"]})
        for t in targets:
            out["synth"].append({"model": "tfc-w2a2", "target_cycles": target, "folding": g["folding"],
                                 **synth(run, t, pnr=not quick)})
            save()
    run = ensure_run(runs, "cnn-w4a4")
    g = rtl(run)
    for t in targets:
        out["synth"].append({"model": "cnn-w4a4", "target_cycles": None, "folding": g["folding"],
                             **synth(run, t, pnr=not quick)})
        save()
    out["finished"] = time.strftime("%Y-%m-%d %H:%M")
    save()
    print(markdown(out))


def markdown(o: dict) -> str:
    L = ["# RTL benchmark", "", "## Bit-exactness and cycles per inference", "",
         "| model | simulator | vectors | bit-exact | latency (cycles) | cycles/inference | ideal | efficiency | vectors/s |",
         "|---|---|---|---|---|---|---|---|---|"]
    for s in o["sim"]:
        cpi = f"{s['cycles_per_inference']:.1f}" if s["cycles_per_inference"] else "n/a"
        eff = f"{100 * s['efficiency']:.1f} %" if s["efficiency"] else "n/a"
        L.append(f"| {s['model']} | {s['simulator']} | {s['vectors']} | {s['exact']}/{s['vectors']} | "
                 f"{s['latency_cycles']} | {cpi} | {s['ideal_cycles']} | {eff} | {s['vectors_per_s']:.1f} |")
    L += ["", "Commands: " + "; ".join(f"`{s['command']}`" for s in o["sim"]), ""]
    if o["speed"]:
        sp = o["speed"]
        L += [f"Simulation speed ({sp['design']}): Verilator {sp['verilator_vectors_per_s']:.1f} vectors/s, "
              f"Icarus {sp['icarus_vectors_per_s']:.2f} vectors/s: ratio {sp['ratio']:.1f}x", ""]
    if o["folding"]:
        L += ["## Two foldings (tfc-w2a2)", "", "| target | folding | ideal | cycles/inference | efficiency | latency |",
              "|---|---|---|---|---|---|"]
        for f in o["folding"]:
            fold = ", ".join(f"{k}: {v['pe']}x{v['simd']}" for k, v in f["folding"].items())
            L.append(f"| {f['target_cycles']} | {fold} | {f['ideal_cycles']} | {f['cycles_per_inference']:.1f} | "
                     f"{100 * f['efficiency']:.1f} % | {f['latency_cycles']} |")
        L.append("")
    if o["synth"]:
        L += ["## Synthesis (Yosys 0.23; fmax from nextpnr where a device model exists)", "",
              "| model | folding (PE x SIMD) | target | device | LUT | FF | BRAM | DSP | LUTRAM | fmax MHz | fits | command |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in o["synth"]:
            fold = ", ".join(f"{v['pe']}x{v['simd']}" for v in s["folding"].values())
            fm = f"{s['fmax_mhz']:.1f}" if s.get("fmax_mhz") else "n/a"
            L.append(f"| {s['model']} | {fold} | {s['target']} | {s['device']} | {s['lut']} | {s['ff']} | {s['bram']:g} | "
                     f"{s['dsp']} | {s['lutram']} | {fm} | {'yes' if s['fits'] else 'no: ' + s['fit_message']} | `{s['command']}` |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
