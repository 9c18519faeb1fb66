"""MNIST accuracy benchmark: TFC-shaped MLP at w1a1 / w2a2 / w4a4, the CNN at w4a4, float baselines beside them.

Each model is trained on the full MNIST training set (60,000 images; 2 CPU cores, at most 15 minutes each), exported,
and evaluated on the 10,000 test images by the float/Brevitas model and by the golden integer model, in one run so
the speed ratio golden : Brevitas is measured on the same machine state.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_mnist.py [--only tfc-w2a2,cnn-w4a4] [--epochs-scale 0.2]

Writes bench/results/mnist.json and bench/results/mnist.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qnn.data import load_dataset  # noqa: E402
from qnn.evaluate import evaluate_run  # noqa: E402
from qnn.export import export_qonnx, graph_from_qonnx  # noqa: E402
from qnn.ir.serialize import save_graph  # noqa: E402
from qnn.models import spec_from_preset  # noqa: E402
from qnn.run import Run  # noqa: E402
from qnn.train import TrainConfig, predict_logits, train  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

# name -> (preset, weight bits, act bits, target accuracy or None, training config)
TFC = dict(epochs=60, batch_size=128, lr=3e-3, augment_shift=2, val_fraction=0.0)
CNN = dict(epochs=12, batch_size=128, lr=3e-3, augment_shift=2, val_fraction=0.0)
MODELS = {
    "tfc-w1a1": ("tfc", 1, 1, 0.932, TFC),
    "tfc-w2a2": ("tfc", 2, 2, 0.966, TFC),
    "tfc-w4a4": ("tfc", 4, 4, 0.978, TFC),
    "tfc-float": ("tfc", 32, 32, None, TFC),
    "cnn-w4a4": ("cnn", 4, 4, 0.990, CNN),
    "cnn-float": ("cnn", 32, 32, None, CNN),
}
TIME_LIMIT_S = 15 * 60


def bench_one(name: str, out: Path, data: str, epochs_scale: float) -> dict:
    preset, w, a, target, tcfg = MODELS[name]
    tcfg = dict(tcfg, epochs=max(1, round(tcfg["epochs"] * epochs_scale)), threads=2)
    train_ds = load_dataset("mnist", "train", data)
    spec = spec_from_preset(preset, in_shape=train_ds.in_shape, num_classes=10, weight_bits=w, act_bits=a)
    run = Run(out / name)
    run.write_config({"dataset": {"name": "mnist", "data_dir": data, "options": {}}, "model": spec.to_dict(),
                      "train": tcfg, "limit_train": None})
    t0 = time.time()
    model, hist = train(run, spec, TrainConfig(**tcfg), train_ds, quiet=not sys.stdout.isatty())
    train_s = time.time() - t0
    row = {"model": name, "weight_bits": w, "act_bits": a, "epochs": tcfg["epochs"], "train_seconds": round(train_s, 1),
           "target": target}
    test = load_dataset("mnist", "test", data)
    if spec.is_float:
        row["accuracy"] = float((predict_logits(model, test.x).argmax(1) == test.y).mean())
        return row
    export_qonnx(model, spec, run.onnx)
    graph = graph_from_qonnx(run.onnx)
    with run.step("ir") as tmp:
        save_graph(graph, tmp)
    ev = evaluate_run(run, "test", data, plots=True)
    row.update(accuracy=ev["golden"]["accuracy"], brevitas_accuracy=ev["brevitas"]["accuracy"],
               argmax_equal=ev["golden_vs_brevitas"]["argmax_equal"], max_abs_diff=ev["golden_vs_brevitas"]["max_abs_diff"],
               golden_seconds=round(ev["golden_seconds"], 4), brevitas_seconds=round(ev["brevitas_seconds"], 4),
               golden_speedup=round(ev["golden_speedup"], 2))
    row["meets_target"] = row["accuracy"] >= target and train_s <= TIME_LIMIT_S
    return row


def write_results(rows: list[dict], res_dir: Path) -> None:
    res_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(res_dir / "mnist.json", json.dumps({"threads": torch.get_num_threads(), "rows": rows}, indent=2))
    lines = ["| model | test acc (golden) | Brevitas acc | target | golden == Brevitas (argmax, max diff) | train time | "
             "epochs | golden / Brevitas speed |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tgt = f">= {r['target']:.1%}" if r.get("target") else "-"
        agree = f"{r['argmax_equal']:.2%}, {r['max_abs_diff']:.2g}" if "argmax_equal" in r else "-"
        speed = f"{r['golden_speedup']}x ({r['golden_seconds']} s vs {r['brevitas_seconds']} s)" if "golden_speedup" in r else "-"
        brev = f"{r['brevitas_accuracy']:.2%}" if "brevitas_accuracy" in r else "-"
        lines.append(f"| {r['model']} | {r['accuracy']:.2%} | {brev} | {tgt} | {agree} | {r['train_seconds'] / 60:.1f} min | "
                     f"{r['epochs']} | {speed} |")
    atomic_write_text(res_dir / "mnist.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs"))
    args = ap.parse_args()
    res_dir = ROOT / "bench" / "results"
    old = {}
    if (res_dir / "mnist.json").is_file():
        old = {r["model"]: r for r in json.loads((res_dir / "mnist.json").read_text())["rows"]}
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        print(f"== {name}", flush=True)
        old[name] = bench_one(name, Path(args.runs), args.data, args.epochs_scale)
        write_results([old[k] for k in MODELS if k in old], res_dir)


if __name__ == "__main__":
    main()
