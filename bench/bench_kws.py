"""Keyword-spotting accuracy benchmark: KWS MLP w3a3 and CNN w4a4 with float baselines, trained on the real dev clips
(speaker-disjoint train split, with offline augmentation) plus synthetic espeak-ng keywords, tested on held-out real
speakers; each model within 20 minutes on 2 cores.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_kws.py [--only kws-mlp-w3a3]

Writes bench/results/kws.json and bench/results/kws.md (with per-keyword detection rates in the JSON).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from common import ROOT, load_rows, train_and_evaluate, write_rows

OPTIONS = {"mix_synthetic": True, "augment": 4}
MLP = dict(epochs=40, batch_size=128, lr=2e-3, val_fraction=0.0)
CNN = dict(epochs=40, batch_size=128, lr=2e-3, val_fraction=0.0)
MODELS = {
    "kws-mlp-w3a3": ("kws-mlp", 3, 3, MLP),
    "kws-mlp-float": ("kws-mlp", 32, 32, MLP),
    "kws-cnn-w4a4": ("kws-cnn", 4, 4, CNN),
    "kws-cnn-float": ("kws-cnn", 32, 32, CNN),
}
TIME_LIMIT_S = 20 * 60


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--reuse", action="store_true", help="keep trained checkpoints, redo export and evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs" / "kws"))
    args = ap.parse_args()
    rows = load_rows("kws")
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        preset, w, a, tcfg = MODELS[name]
        tcfg = dict(tcfg, epochs=max(1, round(tcfg["epochs"] * args.epochs_scale)), threads=args.threads)
        print(f"== {name}", flush=True)
        rows[name] = train_and_evaluate(name, Path(args.runs) / name, "kws", args.data, OPTIONS, preset, w, a, tcfg,
                                        TIME_LIMIT_S, reuse=rows.get(name) if args.reuse else None)
        print(write_rows("kws", [rows[k] for k in MODELS if k in rows], {"threads": args.threads, "options": OPTIONS}),
              flush=True)


if __name__ == "__main__":
    main()
