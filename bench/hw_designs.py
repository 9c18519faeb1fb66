"""Hardware benchmark (issue 14), the designs: models, the before generator (commit BEFORE), and the after flow
(`qnn rtl`, `qnn sim` on Verilator and Icarus, `qnn synth`) per design."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qnn.cli import main as qnn  # noqa: E402

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


def sim_result(run: Path, simulator: str, n: int, reuse: bool = False) -> dict:
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
    res["verilator"] = sim_result(run, "verilator", vectors, reuse)
    # Icarus runs ~200 cycles/s on these designs under load: 100 vectors of an MLP, 10 of the CNN (14,112 cycles each)
    res["icarus"] = sim_result(run, "icarus", 10 if model.startswith("cnn") else max(10, vectors // 10), reuse)
    if res["synth"].get("fmax_mhz"):  # latency in microseconds from the simulated latency
        lat = res["verilator"].get("latency_cycles")
        res["synth"]["latency_cycles"] = lat
        res["synth"]["latency_us"] = lat / res["synth"]["fmax_mhz"] if lat else None
    return res

