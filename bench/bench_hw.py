"""Hardware benchmark (issue 14): the RTL before and after the pipelined cores, side by side.

    .venv/bin/python bench/bench_hw.py [--phase before,after,calib,cores] [--only NAME,...] [--vectors N] [--publish]

Models are trained 1 epoch on the embedded MNIST data (hardware cost hardly depends on accuracy) and kept
under bench/runs/hw/.  For every design (a model at a folding, a device):
- before: the generator and cores of commit BEFORE (``git archive``), Yosys + nextpnr on the same device;
- after: `qnn rtl RUN --target-cycles T`, `qnn sim RUN` on Verilator (random gaps and backpressure) and
  Icarus, `qnn synth RUN --target F --device D --freq MHz`: LUT/FF/BRAM/DSP, fmax, inferences/s;
- cores: each core alone (a few sizes) through Yosys + nextpnr on ECP5 (25k: the same fabric as the 85k), so a
  regression shows per core.
Results: bench/results/hw.json and hw.md.  Finished entries are kept; rerunning resumes.

The parts: hw_designs.py (models, designs, the before/after flows), hw_cores.py (each core alone),
hw_calib.py (the resource model against Yosys), hw_doc.py (hw.md and the docs section).
"""
from __future__ import annotations

import argparse
import json
import time

from hw_calib import calibrate
from hw_cores import CORE_SIZES, before_sources, core_fmax
from hw_designs import BEFORE, BEFORE_NO_PNR, DESIGNS, RESULTS, ROOT, RUNS, after, generate_before, synth_dir
from hw_doc import markdown, publish

from qnn.util.atomic import atomic_write_text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", default="before,after,cores")
    ap.add_argument("--only", default="", help="comma-separated design names")
    ap.add_argument("--vectors", type=int, default=1000, help="Verilator vectors per design (Icarus: a tenth)")
    ap.add_argument("--only-cores", default="", help="comma-separated core sizes (CORE_SIZES)")
    ap.add_argument("--calib-existing", action="store_true", help="calib: refit on the points at hand, no Yosys runs")
    ap.add_argument("--publish", action="store_true", help="write the tables into docs/benchmarks.md")
    ap.add_argument("--redo", action="store_true", help="recompute finished entries")
    ap.add_argument("--reuse", action="store_true", help="after: keep a run's RTL/synthesis/simulation results")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    res_path = RESULTS / "hw.json"
    out = json.loads(res_path.read_text()) if res_path.is_file() else {}
    out.setdefault("before_commit", BEFORE)
    out.setdefault("designs", {})
    out.setdefault("cores", {})
    names = [n for n in DESIGNS if not args.only or n in args.only.split(",")]
    phases = args.phase.split(",")

    touched: set[tuple[str, str, str]] = set()  # (section, name, phase) this process computed

    def save():
        # merge into what is on disk: several bench processes (phases) may run at once
        disk = json.loads(res_path.read_text()) if res_path.is_file() else {}
        for sec in ("designs", "cores"):
            disk.setdefault(sec, {})
            for n, ph in [(n, ph) for s_, n, ph in touched if s_ == sec]:
                row = disk[sec].setdefault(n, {})
                row.update({k: v for k, v in out[sec][n].items() if k not in ("before", "after")})
                row[ph] = out[sec][n][ph]
        disk["before_commit"] = BEFORE
        disk["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        for k, v in disk.items():  # keep this process's own section objects (rows are referenced)
            if k not in ("designs", "cores"):
                out[k] = v
        atomic_write_text(res_path, json.dumps(disk, indent=2))
        atomic_write_text(RESULTS / "hw.md", markdown(disk))

    for name in names:
        model, tc, family, device, freq = DESIGNS[name]
        entry = out["designs"].setdefault(name, {"model": model, "target_cycles": tc, "family": family,
                                                  "device": device, "freq_goal_mhz": freq})
        if "before" in phases and (args.redo or "before" not in entry):
            rtl = generate_before(name)
            print(f"== {name}: before ({BEFORE[:7]}), {family} {device}", flush=True)
            entry["before"] = synth_dir(rtl, family, device, freq, rtl.parent / "synth", pnr=name not in BEFORE_NO_PNR)
            entry["before"]["design"] = json.loads((rtl / "design.json").read_text())["layers"]
            touched.add(("designs", name, "before"))
            save()
        if "after" in phases and (args.redo or "after" not in entry):
            print(f"== {name}: after, {family} {device}", flush=True)
            entry["after"] = after(name, args.vectors, args.reuse)
            touched.add(("designs", name, "after"))
            save()
    if "calib" in phases:
        out["calibration"] = calibrate(args.redo, new_runs=not args.calib_existing)
        disk = json.loads(res_path.read_text()) if res_path.is_file() else {}
        disk["calibration"] = out["calibration"]
        atomic_write_text(res_path, json.dumps(disk, indent=2))
    if "cores" in phases:
        with before_sources() as before_rtl:
            for cname in CORE_SIZES:
                if args.only_cores and cname not in args.only_cores.split(","):
                    continue
                row = out["cores"].setdefault(cname, {})
                for label, src in (("before", before_rtl), ("after", ROOT / "hls" / "rtl")):
                    if args.redo or label not in row:
                        print(f"== core {cname}: {label}", flush=True)
                        row[label] = core_fmax(cname, src, RUNS / "cores" / label / cname)
                        touched.add(("cores", cname, label))
                        save()
    save()
    if args.publish:
        publish(json.loads(res_path.read_text()))



if __name__ == "__main__":
    main()
