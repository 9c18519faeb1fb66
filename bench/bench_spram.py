"""TFC w2a2 (784-64-64-64-10) on the iCE40 UP5K with its first layer's weights in SPRAM (issue 14, build item 3).

    .venv/bin/python bench/bench_spram.py [--vectors 1000] [--icarus 100] [--redo]

The model is bench_board's (`qnn train RUN --model tfc -w 2 -a 2 --epochs 1`, embedded MNIST digits), copied to
bench/runs/spram/tfc-w2a2. Steps, each kept when its result is on disk (rerunning resumes; --redo redoes all):
`qnn rtl RUN --fit up5k` (the folding and memory styles the fit chooses), `qnn sim RUN -n 1000` (Verilator,
random gaps and backpressure, the weights loaded through the harness first), `qnn sim RUN -n 100 --simulator
icarus`, `qnn synth RUN --target ice40 --device up5k --freq 50` (Yosys LUT/FF/EBR/SPRAM, nextpnr-ice40 fmax).
Results: bench/results/spram.json; the section "UP5K with SPRAM" of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.doc_section import machine_load, replace_section  # noqa: E402
from qnn.cli import main as qnn  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

MODEL = ROOT / "bench" / "runs" / "board" / "tfc-w2a2"
RUN = ROOT / "bench" / "runs" / "spram" / "tfc-w2a2"
RESULTS = ROOT / "bench" / "results" / "spram.json"
HEADING = "## TFC w2a2 on the iCE40 UP5K, weights in SPRAM (issue 14, bench/bench_spram.py)"


def ensure_run() -> Path:
    if not (MODEL / "ir" / "graph.json").is_file():
        assert qnn(["train", str(MODEL), "--model", "tfc", "-w", "2", "-a", "2", "--epochs", "1", "--quiet",
                    "--force", "--threads", "1"]) == 0
        assert qnn(["export", str(MODEL)]) == 0
    if not (RUN / "ir" / "graph.json").is_file():
        shutil.copytree(MODEL, RUN, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("board", "rtl", "sim", "synth", "hls"))
    return RUN


def _step(cmd: list[str], result: Path, redo: bool) -> dict:
    if redo or not result.is_file():
        assert qnn(cmd) == 0, cmd
    return json.loads(result.read_text())


def measure(vectors: int, icarus: int, redo: bool) -> dict:
    run = ensure_run()
    rtl_cmd = ["rtl", str(run), "--fit", "up5k"]
    d = _step(rtl_cmd, run / "rtl" / "design.json", redo)
    styles = {s["layer"]: {1: "bram", 2: "lut", 3: "spram"}.get(s["params"]["MEM_STYLE"], "auto")
              for s in d["stages"] if s["module"] == "qnn_mvu"}
    out = {"rtl": {"command": "qnn " + " ".join(rtl_cmd), "folding": d["folding"], "ideal_cycles": d["ideal_cycles"],
                   "memory": styles, "weight_load_words": d.get("weight_load_words", 0)}}
    keep = ("vectors", "exact", "throughput_exact", "latency_cycles", "cycles_per_inference", "ideal_cycles", "gap",
            "backpressure")
    for sim, n in (("verilator", vectors), ("icarus", icarus)):
        cmd = ["sim", str(run), "--simulator", sim, "--vectors", str(n)]
        p = run / "sim" / sim / "result.json"
        r = json.loads(p.read_text()) if p.is_file() else {}
        if redo or r.get("vectors", 0) < n:
            assert qnn(cmd) == 0, cmd
            r = json.loads(p.read_text())
        out[sim] = {"command": "qnn " + " ".join(cmd), **{k: r.get(k) for k in keep}}
    scmd = ["synth", str(run), "--target", "ice40", "--device", "up5k", "--freq", "50"]
    rep = _step(scmd, run / "synth" / "ice40" / "synth_ice40.json", redo)
    out["synth"] = {"command": "qnn " + " ".join(scmd),
                    **{k: rep.get(k) for k in ("lut", "ff", "bram", "spram", "dsp", "fmax_mhz", "inferences_per_s",
                                               "latency_us", "critical_path", "fits", "capacity")}}
    out["load"] = machine_load()
    return out


def markdown(o: dict) -> str:
    r, s, v, i = o["rtl"], o["synth"], o["verilator"], o["icarus"]
    fold = ", ".join(f"{k} {f['pe']}x{f['simd']}" for k, f in r["folding"].items())
    mem = ", ".join(f"{k} {m}" for k, m in r["memory"].items())
    cp = s.get("critical_path") or {}
    cap = s.get("capacity") or {}
    ips = s.get("inferences_per_s")
    lines = [
        f"Commands: `{r['command']}`, `{v['command']}`, `{i['command']}`, `{s['command']}` (bench/runs/spram/tfc-w2a2: "
        "the bench_board TFC, trained 1 epoch on the embedded MNIST digits). Machine: 2 shared cores "
        f"(other benchmarks beside it); `uptime` at the end: {o['load']}.",
        "",
        "| design | folding (PE x SIMD) | weight memories | cycles/inference | LUT | FF | EBR | SPRAM | fmax MHz "
        "(nextpnr-ice40) | inferences/s | Verilator | Icarus |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| tfc-w2a2 --fit up5k | {fold} | {mem} | {v['cycles_per_inference']:g} (ideal {r['ideal_cycles']}) | "
        f"{s['lut']} / {cap.get('lut')} | {s['ff']} | {s['bram']:g} / {cap.get('bram')} | {s.get('spram')} / "
        f"{cap.get('spram')} | {s['fmax_mhz']} | {ips:,.0f} | {v['exact']}/{v['vectors']} bit-exact | "
        f"{i['exact']}/{i['vectors']} bit-exact |" if ips else "| tfc-w2a2 --fit up5k | (no fmax) |",
        "",
        f"- Without SPRAM the TFC fits the UP5K in no folding (the fit model: >= 36 block RAMs of 30). `--fit up5k` "
        f"now moves the largest weight memory into SPRAM when block RAMs run out: the first layer's 100,352 bits "
        f"as {r['weight_load_words']:,} 16-bit load words in the four SB_SPRAM256KA (64 bits read a cycle), the "
        "others stay in EBR. 1568 cycles/inference is the fastest folding whose first layer reads at most 64 "
        "weight bits a cycle (4 SPRAMs x 16 bits); the next faster one needs 8 SPRAMs.",
        "- SPRAM cannot be initialised by the bitstream: the simulations load the weights through qnn_top's load "
        "port first (the harness, with random idle cycles), so the load path is what is checked; on the board the "
        "host sends them in one UART frame (docs/board.md).",
        (f"- Critical path (nextpnr): {cp.get('delay_ns')} ns from `{cp.get('start')}` to `{cp.get('end')}`"
         ) if cp else "",
    ]
    return "\n".join(x for x in lines if x is not None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=1000)
    ap.add_argument("--icarus", type=int, default=100)
    ap.add_argument("--redo", action="store_true")
    a = ap.parse_args()
    o = measure(a.vectors, a.icarus, a.redo)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(o, indent=2))
    replace_section(HEADING, markdown(o))
    print(markdown(o))
    print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
