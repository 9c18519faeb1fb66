"""Keyword spotting in hardware (issue 13 item 5): the KWS models in RTL, bit-exact on real clips, cycles per
inference, Yosys/nextpnr cost and the real-time margin.

    .venv/bin/python bench/bench_kws_hw.py [--only NAME,...] [--vectors 300] [--redo] [--publish]

For every design (a trained KWS model at a folding, a device):
- the model's run is copied into bench/runs/kws-hw/<design>/ (config, checkpoint, model.onnx, ir/: the hardware
  outputs stay out of the training benchmark's runs); a model with no trained run is trained here;
- `qnn rtl RUN [--target-cycles T]`; `qnn sim RUN -n 300` on Verilator (random input gaps and output backpressure,
  every output compared with the golden model, then back to back for cycles per inference and latency);
- `qnn synth RUN --target F --device D --freq MHz`: LUT/FF/BRAM (Yosys), fmax (nextpnr);
- the real-time margin: one inference takes cycles / fmax; a 1 s window slid at the 20 ms frame hop needs one
  inference per hop, so margin = 20 ms / inference time (and the duty cycle = its inverse).
Results: bench/results/kws_hw.json and kws_hw.md; finished phases are kept (rerunning resumes).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from doc_section import machine_load, replace_section  # noqa: E402

from qnn.cli import main as qnn  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

RUNS = ROOT / "bench" / "runs" / "kws-hw"
RESULTS = ROOT / "bench" / "results"
DATA = "/work/shared/data"
HOP_MS = 20.0  # the MFCC frame hop: a streaming spotter running the 1 s window once per frame
SPOT_HOP_MS = 100.0  # `qnn spot`'s default hop between 1 s windows
# model -> (trained runs to take, first that exists; qnn train arguments otherwise)
MODELS = {
    "dscnn-w4a4": ([ROOT / "bench/runs/kws/dscnn-w4a4", ROOT / "runs/h13a-dscnn-w4a4"],
                   ["--model", "kws-dscnn", "-w", "4", "-a", "4", "--epochs", "25"]),
    "cnn-w4a4": ([ROOT / "bench/runs/kws/cnn-w4a4", ROOT / "bench/runs/kws/cnn-w4a4-baseline/folds/fold_0"],
                 ["--model", "kws-cnn", "-w", "4", "-a", "4", "--epochs", "20"]),
    "mlp-w3a3": ([ROOT / "bench/runs/kws/mlp-w3a3", ROOT / "bench/runs/kws/mlp-w3a3-baseline/folds/fold_0"],
                 ["--model", "kws-mlp", "-w", "3", "-a", "3", "--epochs", "20"]),
}
# design -> model, target cycles per inference (None: the generator's default, 64 multipliers in the slowest
# layer), family, device, nextpnr goal (MHz), place and route (False: Yosys figures only, to save time)
DESIGNS = {
    "dscnn-w4a4": ("dscnn-w4a4", None, "ecp5", "85k", 100, False),
    "dscnn-w4a4-64k": ("dscnn-w4a4", 64000, "ecp5", "85k", 100, True),
    "cnn-w4a4": ("cnn-w4a4", None, "ecp5", "85k", 100, False),
    "mlp-w3a3": ("mlp-w3a3", None, "ecp5", "85k", 100, False),
}
KEEP = ("config.json", "checkpoint.pt", "model.onnx", "ir", "metrics.json")


def design_run(design: str) -> tuple[Path, str]:
    """The design's own run folder (a copy of the model's trained run) and where the model came from."""
    model = DESIGNS[design][0]
    dst = RUNS / design
    srcs, train_args = MODELS[model]
    if (dst / "ir" / "graph.json").is_file():
        return dst, (dst / "source.txt").read_text().strip() if (dst / "source.txt").is_file() else "?"
    src = next((s for s in srcs if (s / "checkpoint.pt").is_file() and (s / "config.json").is_file()), None)
    dst.mkdir(parents=True, exist_ok=True)
    if src is not None:
        for k in KEEP:
            p = src / k
            if p.is_dir():
                shutil.copytree(p, dst / k, dirs_exist_ok=True)
            elif p.is_file():
                shutil.copyfile(p, dst / k)
        how = f"copied from {src.relative_to(ROOT)}"
    else:
        assert qnn(["train", str(dst), "--dataset", "kws", "--data-dir", DATA, *train_args, "--quiet", "--force"]) == 0
        how = "trained: qnn train RUN --dataset kws " + " ".join(train_args)
    if not (dst / "ir" / "graph.json").is_file():
        assert qnn(["export", str(dst)]) == 0
    atomic_write_text(dst / "source.txt", how + "\n")
    return dst, how


def phase_rtl(design: str, run: Path) -> dict:
    tc = DESIGNS[design][1]
    cmd = ["rtl", str(run.relative_to(ROOT))] + (["--target-cycles", str(tc)] if tc else [])
    t0 = time.perf_counter()
    assert qnn(cmd) == 0
    d = json.loads((run / "rtl" / "design.json").read_text())
    return {"command": "qnn " + " ".join(cmd), "wall_s": round(time.perf_counter() - t0, 1),
            "ideal_cycles": d["ideal_cycles"], "bottleneck": d["bottleneck"], "instances": len(d["stages"]),
            "layers": [{k: ly[k] for k in ("name", "kind", "n_in", "n_out", "vectors", "pe", "simd", "cycles")}
                       for ly in d["layers"]]}


def phase_sim(run: Path, n: int) -> dict:
    cmd = ["sim", str(run.relative_to(ROOT)), "--simulator", "verilator", "-n", str(n)]
    t0 = time.perf_counter()
    rc = qnn(cmd)
    r = json.loads((run / "sim" / "verilator" / "result.json").read_text())
    keep = ("vectors", "exact", "mismatched", "throughput_vectors", "throughput_exact", "latency_cycles",
            "cycles_per_inference", "ideal_cycles", "efficiency", "gap", "backpressure", "build_s", "sim_s")
    return {"command": "qnn " + " ".join(cmd), "rc": rc, "wall_s": round(time.perf_counter() - t0, 1),
            **{k: r.get(k) for k in keep}}


def phase_synth(design: str, run: Path) -> dict:
    _, _, family, device, freq, pnr = DESIGNS[design]
    cmd = ["synth", str(run.relative_to(ROOT)), "--target", family, "--device", device, "--freq", str(freq)]
    cmd += [] if pnr else ["--no-pnr"]
    t0 = time.perf_counter()
    rc = qnn(cmd)
    rep = json.loads((run / "synth" / family / f"synth_{family}.json").read_text())
    keep = ("device", "lut", "ff", "bram", "dsp", "lutram", "carry", "fits", "fit_message", "fmax_mhz", "pnr",
            "capacity", "inferences_per_s", "latency_us", "macs_per_inference", "macs_per_cycle_per_klut")
    out = {"command": "qnn " + " ".join(cmd), "rc": rc, "wall_s": round(time.perf_counter() - t0, 1),
           **{k: rep.get(k) for k in keep}}
    cp = rep.get("critical_path") or {}
    out["critical_path"] = {"delay_ns": cp.get("delay_ns"), "instances": cp.get("instances")}
    return out


def margin(row: dict) -> dict:
    """Inference time at fmax (from the measured cycles per inference) against the 20 ms hop."""
    sim, syn = row.get("sim") or {}, row.get("synth") or {}
    cpi = sim.get("cycles_per_inference") or (row.get("rtl") or {}).get("ideal_cycles")
    fmax = syn.get("fmax_mhz")
    if not cpi or not fmax:
        return {}
    t_us = cpi / fmax
    lat_us = sim["latency_cycles"] / fmax if sim.get("latency_cycles") else None
    return {"inference_us": round(t_us, 2), "latency_us": round(lat_us, 2) if lat_us else None,
            "hop_margin": round(HOP_MS * 1000 / t_us, 1), "duty_at_hop": round(t_us / (HOP_MS * 1000), 5),
            "spot_hop_margin": round(SPOT_HOP_MS * 1000 / t_us, 1),
            "inferences_per_s": round(fmax * 1e6 / cpi)}


def markdown(o: dict) -> str:
    lines = ["# KWS models in hardware (bench/bench_kws_hw.py)", "",
             f"Updated {o.get('updated', '?')}. Verilator with random input gaps (0.2) and output backpressure (0.3) "
             "on real Speech Commands test clips; cycles per inference back to back (steady state); Yosys LUT/FF/BRAM, "
             f"nextpnr fmax; inference time = cycles / fmax; margins = {HOP_MS:g} ms frame hop (and {SPOT_HOP_MS:g} ms, "
             "`qnn spot`'s hop between 1 s windows) / inference time.", "",
             "| design | model source | folding (slowest layer) | bit-exact | cycles/inf (ideal) | latency cycles | device | "
             "LUT | FF | BRAM | fmax MHz | inference us | margin 20 ms | margin 100 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in o.get("designs", {}).items():
        rtl, sim, syn, m = r.get("rtl") or {}, r.get("sim") or {}, r.get("synth") or {}, r.get("margin") or {}
        cpi = sim.get("cycles_per_inference")
        ex = f"{sim.get('exact')}/{sim.get('vectors')}" if sim else "-"
        fm = f"{syn['fmax_mhz']:.1f}" if syn.get("fmax_mhz") else (syn.get("pnr") or "-")[:40]
        lines.append(f"| {name} | {r.get('source', '-')} | {rtl.get('bottleneck', '-')} | {ex} | "
                     f"{cpi if cpi is not None else '-'} ({rtl.get('ideal_cycles', '-')}) | {sim.get('latency_cycles', '-')} | "
                     f"{syn.get('device', '-')} | {syn.get('lut', '-')} | {syn.get('ff', '-')} | {syn.get('bram', '-')} | {fm} | "
                     f"{m.get('inference_us', '-')} | {m.get('hop_margin', '-')}x | {m.get('spot_hop_margin', '-')}x |")
    lines += ["", *NOTES, "", "Commands:", ""]
    for name, r in o.get("designs", {}).items():
        for ph in ("rtl", "sim", "synth"):
            if (r.get(ph) or {}).get("command"):
                lines.append(f"- {name}: `{r[ph]['command']}` ({r[ph].get('wall_s', '?')} s)")
    lines += ["", "Per-layer folding:", ""]
    for name, r in o.get("designs", {}).items():
        lys = (r.get("rtl") or {}).get("layers") or []
        lines.append(f"- {name}: " + ", ".join(f"{ly['name']} {ly['kind']} PE {ly['pe']} x SIMD {ly['simd']} = "
                                              f"{ly['cycles']} cycles" for ly in lys))
    return "\n".join(lines) + "\n"


NOTES = [
    "Notes: the DS-CNN is `--model kws-dscnn -w 4 -a 4` (conv 10x4/2 to 64 channels, 4 depthwise-separable blocks, "
    "global average pool as an exact sum, dense to 12); vectors are the first clips of the run's test split (real "
    "Speech Commands clips from /work/shared/data); both foldings are at the "
    "ideal cycles per inference (the slowest pointwise layer; the depthwise layers run at pixels x C/PE x K).",
    "- dscnn-w4a4 (8,000 cycles, 64 multipliers in each pointwise layer): Yosys only (place and route of ~48k LUTs "
    "did not fit the session's time on 2 shared cores), so no measured fmax or margin; at the 64k design's fmax "
    "(same cores) one inference would take ~0.1 ms.",
    "- dscnn-w4a4-64k: 40 clips in RTL simulation (the 300-clip check is the 8,000-cycle design's: same model, same "
    "cores); nextpnr's critical path runs through the first layer's sliding window unit (`u_Conv_0_swu`), not "
    "the new cores.",
]

SECTION = "## Keyword spotting in hardware (issue 13, bench/bench_kws_hw.py)"


def publish(o: dict) -> None:
    """Replace this benchmark's own section of docs/benchmarks.md."""
    body = markdown(o).split("\n", 2)[2]
    replace_section(SECTION, f"{time.strftime('%Y-%m-%d', time.gmtime())}; `.venv/bin/python bench/bench_kws_hw.py`; "
                    f"machine load at publication: `{machine_load()}` (2 cores shared with other work).\n\n"
                    f"{body.strip()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated design names")
    ap.add_argument("--phases", default="rtl,sim,synth")
    ap.add_argument("--vectors", type=int, default=300)
    ap.add_argument("--redo", action="store_true", help="recompute finished phases")
    ap.add_argument("--publish", action="store_true", help="write the table into docs/benchmarks.md")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "kws_hw.json"
    out = json.loads(path.read_text()) if path.is_file() else {}
    out.setdefault("designs", {})

    touched: set[str] = set()  # designs this process computed: several bench processes may run at once

    def save():
        disk = json.loads(path.read_text()) if path.is_file() else {}
        for n, r in disk.get("designs", {}).items():
            if n not in touched:
                out["designs"][n] = r
        for r in out["designs"].values():
            r["margin"] = margin(r)
        out["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        atomic_write_text(path, json.dumps(out, indent=2))
        atomic_write_text(RESULTS / "kws_hw.md", markdown(out))

    names = [n for n in DESIGNS if not args.only or n in args.only.split(",")]
    for name in names:
        row = out["designs"].setdefault(name, {})
        run, row["source"] = design_run(name)
        for ph in args.phases.split(","):
            if row.get(ph) and not args.redo:
                continue
            if ph == "rtl":
                row["rtl"] = phase_rtl(name, run)
                row.pop("sim", None), row.pop("synth", None)  # a new design: simulate and synthesize it again
            elif ph == "sim":
                row["sim"] = phase_sim(run, args.vectors)
            elif ph == "synth":
                row["synth"] = phase_synth(name, run)
            touched.add(name)
            save()
            print(f"[bench_kws_hw] {name} {ph} done", flush=True)
    save()
    if args.publish:
        publish(out)


if __name__ == "__main__":
    main()
