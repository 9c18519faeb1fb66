"""Board benchmark (issue 12): bitstreams for iCEBreaker and ULX3S, and the simulated board over the UART.

    .venv/bin/python bench/bench_board.py [--only NAME,...] [--vectors N]

Models: the `make demo` MLP (784-32-32-10 w2a2) and a TFC w2a2 (784-64-64-64-10), trained 1 epoch on the
embedded MNIST digits (hardware does not depend on accuracy), kept under bench/runs/board/.  For each
(model, board): `qnn board RUN --board B [--target-cycles N]` (fold to fit or for N cycles per inference,
Yosys, nextpnr at the PLL clock, pack) and
`qnn board-run RUN --board B --port sim -n N` (the Verilator model of the whole board top, bit-exact against
the golden model).  A build that does not fit is recorded with its one-line reason.  Results:
bench/results/board.json and board.md; finished entries are kept, rerunning resumes.
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
from qnn.util.atomic import atomic_write_text  # noqa: E402

RUNS = ROOT / "bench" / "runs" / "board"
RESULTS = ROOT / "bench" / "results"
MODELS = {
    "mlp-w2a2": ["--model", "mlp", "--hidden", "32,32", "-w", "2", "-a", "2"],  # the `make demo` network
    "tfc-w2a2": ["--model", "tfc", "-w", "2", "-a", "2"],
}
ENTRIES = {  # name -> model, board, cycles per inference (None: the fastest folding that fits)
    "mlp-icebreaker": ("mlp-w2a2", "icebreaker", None),
    "mlp-ulx3s-25f": ("mlp-w2a2", "ulx3s-25f", 1568),
    "tfc-icebreaker": ("tfc-w2a2", "icebreaker", None),  # --fit up5k: the first layer's weights in SPRAM
    "tfc-ulx3s-25f": ("tfc-w2a2", "ulx3s-25f", 784),
    "tfc-icebreaker-3mbaud": ("tfc-w2a2", "icebreaker", None),
}
BUILD_OPTIONS = {  # name -> build_board options beyond the defaults (115200 baud, the board's clock)
    "tfc-icebreaker-3mbaud": {"baud": 3000000, "freq_mhz": 24.0},  # 8 cycles per bit
}


def ensure_model(name: str, entry: str | None = None) -> Path:
    """The trained model's run; an entry with build options gets a copy of it (a run holds one build per board)."""
    run = RUNS / name
    if not (run / "ir" / "graph.json").is_file():
        assert qnn(["train", str(run), *MODELS[name], "--epochs", "1", "--quiet", "--force", "--threads", "1"]) == 0
        assert qnn(["export", str(run)]) == 0
    if entry in BUILD_OPTIONS:
        import shutil

        copy = RUNS / entry
        if not (copy / "ir" / "graph.json").is_file():
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(run, copy, ignore=shutil.ignore_patterns("board", "rtl", "sim", "synth", "hls"))
        return copy
    return run


def measure(name: str, vectors: int) -> dict:
    from hls.board.build import build_board, load_board
    from qnn.board.session import board_run
    from qnn.errors import QnnError
    from qnn.run import Run

    model, board, target = ENTRIES[name]
    run = Run(ensure_model(model, name))
    row = {"name": name, "model": model, "board": board}
    t0 = time.perf_counter()
    try:
        info = load_board(run, board) if (run.path / "board" / board / "board.json").is_file() else None
        if not info or not info.get("bitstream"):
            info = build_board(run, board, log=print, target_cycles=target, **BUILD_OPTIONS.get(name, {}))
    except QnnError as e:
        return {**row, "ok": False, "reason": str(e), "build_s": round(time.perf_counter() - t0, 1)}
    row.update({k: info.get(k) for k in ("device", "clock_mhz", "fmax_mhz", "resources", "utilization", "bitstream",
                                         "bitstream_bytes", "baud", "cycles_per_bit", "target_cycles", "program",
                                         "attempts", "pll")})
    t1 = time.perf_counter()
    res, _ = board_run(run, "sim", board, n=vectors)
    d = res.to_dict()
    row.update(ok=res.ok, vectors=res.vectors, exact=res.exact, sim_wall_s=round(time.perf_counter() - t1, 1),
               sim=d["sim"], host_vectors_per_s=d["vectors_per_s"], weight_load=d.get("weight_load") or None)
    return row


def markdown(rows: list[dict]) -> str:
    out = ["| design | board | UART baud | clock MHz (fmax) | LUT | FF | BRAM | SPRAM | placed cells | bitstream | "
           "simulated board | vectors/s at 115200 baud | vectors/s at 3 Mbaud |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if not r.get("bitstream"):
            out.append(f"| {r['model']} | {r['board']} | | does not build: {r.get('reason', '?')} | | | | | | | | | |")
            continue
        res, util = r["resources"], r.get("utilization") or {}
        lc = util.get("ICESTORM_LC") or util.get("TRELLIS_COMB") or util.get("TRELLIS_SLICE") or ["?", "?"]
        s = r.get("sim") or {}
        bits = s.get("uart_ms_per_vector", 0) / 1e3 * r.get("baud", 115200)  # UART bit times per vector
        comp = s.get("compute_us", 0) / 1e6
        at = [1 / (bits / b + comp) if bits else 0 for b in (115200, 3e6)]
        wl = r.get("weight_load")
        sim = f"{r['exact']}/{r['vectors']} bit-exact" + (f" after the {wl['bytes']:,}-byte weight load" if wl else "")
        out.append(f"| {r['model']} | {r['board']} | {r.get('baud', 115200):,} | {r['clock_mhz']:g} ({r['fmax_mhz']:.1f}) | "
                   f"{res['lut']} | {res['ff']} | {res['bram']:g} | {res.get('spram', 0)} | {lc[0]}/{lc[1]} | "
                   f"{r['bitstream_bytes']:,} B | {sim} | {at[0]:.1f} | {at[1]:.0f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(ENTRIES))
    ap.add_argument("--vectors", type=int, default=200)
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "board.json"
    done = json.loads(path.read_text()) if path.is_file() else {}
    for name in args.only.split(","):
        if name in done and (done[name].get("vectors", 0) >= args.vectors or not done[name].get("ok", True)):
            continue
        done[name] = measure(name, args.vectors)
        atomic_write_text(path, json.dumps(done, indent=2))
        print(name, json.dumps({k: done[name].get(k) for k in ("ok", "clock_mhz", "fmax_mhz", "exact", "reason")}))
    atomic_write_text(RESULTS / "board.md", markdown([done[n] for n in ENTRIES if n in done]))
    print(f"results: {path}, {RESULTS / 'board.md'}")


if __name__ == "__main__":
    main()
