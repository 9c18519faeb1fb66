"""Shared pieces of the accuracy benchmarks: train -> export -> IR -> evaluate one model, and the results table."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from qnn.data import load_dataset  # noqa: E402
from qnn.evaluate import evaluate_run  # noqa: E402
from qnn.export import export_qonnx, graph_from_qonnx  # noqa: E402
from qnn.ir.serialize import save_graph  # noqa: E402
from qnn.models import spec_from_preset  # noqa: E402
from qnn.run import Run  # noqa: E402
from qnn.train import TrainConfig, predict_logits, train  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402


def train_and_evaluate(name: str, run_dir: Path, dataset: str, data_dir: str | None, options: dict, preset: str,
                       w: int, a: int, tcfg: dict, time_limit_s: float, target: float | None = None,
                       reuse: dict | None = None, input_bits: int = 8, resume: bool = False) -> dict:
    """Train on the dataset's train split, then evaluate golden / Brevitas (or the float model) on its test split.

    ``reuse``: the row of an earlier benchmark of this run; its trained checkpoint is kept (and its training time
    reported) and only export and evaluation are redone. ``resume``: continue an interrupted training from its last
    epoch checkpoint."""
    train_ds = load_dataset(dataset, "train", data_dir, **options)
    spec = spec_from_preset(preset, in_shape=train_ds.in_shape, num_classes=train_ds.num_classes, weight_bits=w,
                            act_bits=a, input_bits=input_bits)
    run = Run(run_dir)
    run.write_config({"dataset": {"name": dataset, "data_dir": data_dir, "options": options}, "model": spec.to_dict(),
                      "train": tcfg, "limit_train": None})
    if reuse and run.checkpoint.is_file():
        from qnn.train import load_model

        model, train_s = load_model(run), reuse["train_seconds"]
    else:
        t0 = time.time()
        model, _ = train(run, spec, TrainConfig(**tcfg), train_ds, resume=resume, quiet=not sys.stdout.isatty())
        train_s = time.time() - t0
    row = {"model": name, "weight_bits": w, "act_bits": a, "epochs": tcfg["epochs"], "train_samples": len(train_ds),
           "train_seconds": round(train_s, 1), "target": target}
    if spec.is_float:
        test = load_dataset(dataset, "test", data_dir, **options)
        row["accuracy"] = float((predict_logits(model, test.x).argmax(1) == test.y).mean())
        row["test_samples"] = len(test)
        return row
    export_qonnx(model, spec, run.onnx)
    graph = graph_from_qonnx(run.onnx)
    with run.step("ir") as tmp:
        save_graph(graph, tmp)
    ev = evaluate_run(run, "test", data_dir, plots=True)
    agree = ev["golden_vs_brevitas"]
    row.update(accuracy=ev["golden"]["accuracy"], brevitas_accuracy=ev["brevitas"]["accuracy"], test_samples=ev["n"],
               argmax_equal=agree["argmax_equal"], max_abs_diff=agree["max_abs_diff"],
               golden_seconds=round(ev["golden_seconds"], 4), brevitas_seconds=round(ev["brevitas_seconds"], 4),
               golden_speedup=round(ev["golden_speedup"], 2))
    if "detection" in ev:
        row["detection"] = {k: ev["detection"][k] for k in ev["detection"] if k != "per_class"}
    if target is not None:
        row["meets_target"] = row["accuracy"] >= target and train_s <= time_limit_s
    return row


def load_rows(topic: str) -> dict:
    f = RESULTS / f"{topic}.json"
    return {r["model"]: r for r in json.loads(f.read_text())["rows"]} if f.is_file() else {}


def write_rows(topic: str, rows: list[dict], meta: dict) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / f"{topic}.json", json.dumps({**meta, "rows": rows}, indent=2))
    lines = ["| model | test acc (golden) | Brevitas acc | target | golden == Brevitas (argmax, max diff) | train time | "
             "epochs | golden / Brevitas speed |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tgt = f">= {r['target']:.1%}" if r.get("target") else "-"
        agree = f"{r['argmax_equal']:.2%}, {r['max_abs_diff']:.2g}" if "argmax_equal" in r else "-"
        speed = (f"{r['golden_speedup']}x ({r['golden_seconds']} s vs {r['brevitas_seconds']} s)"
                 if "golden_speedup" in r else "-")
        brev = f"{r['brevitas_accuracy']:.2%}" if "brevitas_accuracy" in r else "-"
        lines.append(f"| {r['model']} | {r['accuracy']:.2%} | {brev} | {tgt} | {agree} | "
                     f"{r['train_seconds'] / 60:.1f} min | {r['epochs']} | {speed} |")
    text = "\n".join(lines) + "\n"
    atomic_write_text(RESULTS / f"{topic}.md", text)
    return text


def run_benchmark(topic: str, dataset: str, models: dict, options: dict, time_limit_s: float, argv=None) -> None:
    """The command line shared by the accuracy benchmarks. ``models``: name -> (preset, w, a, target, train config)."""
    import argparse
    import os

    ap = argparse.ArgumentParser(description=f"{topic} accuracy benchmark")
    ap.add_argument("--only", default=",".join(models))
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--reuse", action="store_true", help="keep trained checkpoints, redo export and evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs" / topic))
    args = ap.parse_args(argv)
    rows = load_rows(topic)
    for name in args.only.split(","):
        if name not in models:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(models)}")
        preset, w, a, target, tcfg = models[name]
        tcfg = dict(tcfg, epochs=max(1, round(tcfg["epochs"] * args.epochs_scale)), threads=args.threads)
        print(f"== {name}", flush=True)
        rows[name] = train_and_evaluate(name, Path(args.runs) / name, dataset, args.data, options, preset, w, a, tcfg,
                                        time_limit_s, target, rows.get(name) if args.reuse else None)
        meta = {"threads": args.threads, "options": options}
        print(write_rows(topic, [rows[k] for k in models if k in rows], meta), flush=True)
