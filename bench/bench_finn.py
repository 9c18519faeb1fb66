"""FINN's BNN-PYNQ MNIST settings trained here: TFC (3 x 64, BatchNorm) at w1a1 with a 1-bit input, w1a2 and w2a2
with a 2-bit input, and w2a2 with a 1-bit input, on the full MNIST (60,000 training images); each checked golden ==
Brevitas on all 10,000 test images, its accuracy beside FINN's published figure.

A 1-bit input is FINN's: the bipolar sign of 2x - 1 (pixel >= 0.5 -> +1); a 2-bit input is unsigned x in [0, 1] with
scale 1/4 (FINN's 2-bit input is signed on 2x - 1; same number of levels, not the same grid).

    QNN_DATA=../shared/data nice -n 10 .venv/bin/python bench/bench_finn.py [--only tfc-w1a1-in1] [--epochs 30]

Resumable: finished models (a row in bench/results/finn.json and a checkpoint in bench/runs/finn/<name>/) are kept;
an interrupted training continues from its last epoch checkpoint. Writes bench/results/finn.json and finn.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import torch
from common import RESULTS, ROOT, train_and_evaluate

from qnn.run import Run
from qnn.util.atomic import atomic_write_text

# name -> (weight bits, act bits, input bits, FINN's published BNN-PYNQ accuracy or None)
MODELS = {
    "tfc-w1a1-in1": (1, 1, 1, 0.9317),
    "tfc-w1a2-in2": (1, 2, 2, 0.9479),
    "tfc-w2a2-in2": (2, 2, 2, 0.9660),
    "tfc-w2a2-in1": (2, 2, 1, None),
}
TRAIN = dict(batch_size=128, lr=3e-3, augment_shift=0, val_fraction=0.0)
TOPIC = "finn"


def exact(row: dict) -> bool:
    return row.get("argmax_equal") == 1.0 and row.get("max_abs_diff") == 0.0


def table(rows: list[dict]) -> str:
    lines = ["| model | input (IR type) | epochs | test acc (golden) | Brevitas acc | FINN BNN-PYNQ | golden == Brevitas "
             "(10,000 images) | train time |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['input_bits']} | {r['epochs']} | error: {r['error']} | | | | |")
            continue
        finn = f"{r['finn_accuracy']:.2%}" if r.get("finn_accuracy") else "-"
        agree = (f"{'exact' if exact(r) else 'DIFFERS'}: argmax {r['argmax_equal']:.2%}, max diff "
                 f"{r['max_abs_diff']:.3g}, n = {r['test_samples']}")
        lines.append(f"| {r['model']} | {r['input_bits']} bit ({r.get('input_type', '?')}) | {r['epochs']} | "
                     f"{r['accuracy']:.2%} | "
                     f"{r['brevitas_accuracy']:.2%} | {finn} | {agree} | {r['train_seconds'] / 60:.1f} min |")
    return "\n".join(lines) + "\n"


def load_rows() -> dict:
    f = RESULTS / f"{TOPIC}.json"
    return {r["model"]: r for r in json.loads(f.read_text())["rows"]} if f.is_file() else {}


def write(name: str, row: dict, meta: dict) -> str:
    """Add one model's row to the results, re-reading them first (several models may train at once)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = load_rows()
    rows[name] = row
    ordered = [rows[k] for k in MODELS if k in rows]
    atomic_write_text(RESULTS / f"{TOPIC}.json", json.dumps({**meta, "rows": ordered}, indent=2))
    text = table(ordered)
    atomic_write_text(RESULTS / f"{TOPIC}.md", text)
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--redo", action="store_true", help="retrain even models that already have a result")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs" / TOPIC))
    args = ap.parse_args(argv)
    rows = load_rows()
    meta = {"threads": args.threads, "dataset": "mnist", "data": args.data}
    failed = False
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        w, a, ib, finn = MODELS[name]
        run_dir = Path(args.runs) / name
        old = rows.get(name)
        if (old and "error" not in old and old.get("epochs") == args.epochs and not args.redo
                and (run_dir / "checkpoint.pt").is_file()):
            print(f"== {name}: kept ({old['accuracy']:.2%})", flush=True)
            continue
        print(f"== {name}", flush=True)
        tcfg = dict(TRAIN, epochs=args.epochs, threads=args.threads)
        t0 = time.time()
        try:
            row = train_and_evaluate(name, run_dir, "mnist", args.data, {}, "tfc", w, a, tcfg, float("inf"),
                                     input_bits=ib, resume=not args.redo)
            row["input_type"] = Run(run_dir).graph().input_quant.out_type.name  # what the hardware receives
            history = torch.load(run_dir / "checkpoint.pt", weights_only=False)["history"]
            row["train_seconds"] = round(sum(h["seconds"] for h in history), 1)  # all epochs, resumed ones too
            if row["input_type"] != ("BIPOLAR" if ib == 1 else f"UINT{ib}"):
                raise AssertionError(f"{name}: the IR's input is {row['input_type']}, not {ib}-bit")
        except Exception as e:  # a failed check is a result: record it, go on with the next model
            traceback.print_exc()
            row = {"model": name, "epochs": args.epochs, "error": f"{type(e).__name__}: {e}".splitlines()[0]}
        row.update(input_bits=ib, finn_accuracy=finn, wall_seconds=round(time.time() - t0, 1))
        failed |= "error" in row or not exact(row)
        print(write(name, row, meta), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
