"""MNIST accuracy benchmark: TFC-shaped MLP at w1a1 / w2a2 / w4a4, the CNN at w4a4, float baselines beside them.

Each model is trained on the full MNIST training set (60,000 images; 2 CPU cores, at most 15 minutes each), exported,
and evaluated on the 10,000 test images by the Brevitas model and the golden integer model in one run, so the speed
ratio golden : Brevitas is measured on the same machine state.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_mnist.py [--only tfc-w2a2,cnn-w4a4] [--epochs-scale 0.2]

Writes bench/results/mnist.json and bench/results/mnist.md.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from common import ROOT, load_rows, train_and_evaluate, write_rows

TFC = dict(epochs=30, batch_size=128, lr=3e-3, augment_shift=0, val_fraction=0.0)
CNN = dict(epochs=6, batch_size=128, lr=3e-3, augment_shift=1, val_fraction=0.0)
# name -> (preset, weight bits, act bits, target accuracy or None, training config)
MODELS = {
    "tfc-w1a1": ("tfc", 1, 1, 0.932, TFC),
    "tfc-w2a2": ("tfc", 2, 2, 0.966, TFC),
    "tfc-w4a4": ("tfc", 4, 4, 0.978, TFC),
    "tfc-float": ("tfc", 32, 32, None, TFC),
    "cnn-w4a4": ("cnn", 4, 4, 0.990, CNN),
    "cnn-float": ("cnn", 32, 32, None, CNN),
}
TIME_LIMIT_S = 15 * 60


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--reuse", action="store_true", help="keep trained checkpoints, redo export and evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs" / "mnist"))
    args = ap.parse_args()
    rows = load_rows("mnist")
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        preset, w, a, target, tcfg = MODELS[name]
        tcfg = dict(tcfg, epochs=max(1, round(tcfg["epochs"] * args.epochs_scale)), threads=args.threads)
        print(f"== {name}", flush=True)
        rows[name] = train_and_evaluate(name, Path(args.runs) / name, "mnist", args.data, {}, preset, w, a, tcfg,
                                        TIME_LIMIT_S, target, rows.get(name) if args.reuse else None)
        print(write_rows("mnist", [rows[k] for k in MODELS if k in rows], {"threads": args.threads}), flush=True)


if __name__ == "__main__":
    main()
