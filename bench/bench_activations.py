"""Activations benchmark on full MNIST: a TFC-shaped MLP (3 x 64, BatchNorm) with each hidden activation at w4a4 and
w2a2, and the first models of a course, logistic regression and the perceptron, at 8/4/2 bits.

Every model is trained on the 60,000 training images (``--epochs`` 3 for the TFC models, ``--linear-epochs`` 10 for
the linear ones: ~1.5 min per model on one thread), exported to QONNX, streamlined to the integer IR and run by the
golden model on all 10,000 test images beside Brevitas' own float forward: the golden logits must equal Brevitas'
exactly (argmax equal 1.0, max diff 0). Resumable: each finished model keeps its row in
bench/runs/activations/<name>/e<epochs>/row.json and is skipped on re-runs (an interrupted training resumes from its
last epoch).

    QNN_DATA=../shared/data nice -n 10 .venv/bin/python bench/bench_activations.py --threads 1 [--only tfc-gelu-w2a2]

Writes bench/results/activations.json and bench/results/activations.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qnn.data import load_dataset  # noqa: E402
from qnn.export import export_qonnx, graph_from_qonnx  # noqa: E402
from qnn.golden import predict  # noqa: E402
from qnn.ir.serialize import save_graph  # noqa: E402
from qnn.models import spec_from_preset  # noqa: E402
from qnn.models.activations import ACTIVATIONS  # noqa: E402
from qnn.run import Run  # noqa: E402
from qnn.train import TrainConfig, predict_logits, train  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TFC = dict(batch_size=128, lr=3e-3, val_fraction=0.0)
LINEAR = dict(batch_size=128, lr=3e-3, val_fraction=0.0)
# name -> (preset, activation, weight bits, act bits, input bits, train config)
MODELS: dict[str, tuple] = {}
for _act in ACTIVATIONS:
    for _b in (4, 2):
        MODELS[f"tfc-{_act}-w{_b}a{_b}"] = ("tfc", _act, _b, _b, 8, TFC)
for _p in ("logreg", "perceptron"):
    for _b in (8, 4, 2):
        MODELS[f"{_p}-w{_b}-in{_b}"] = (_p, "relu", _b, _b, _b, LINEAR)


def bench_one(name: str, run_dir: Path, data_dir: str, epochs: int, threads: int) -> dict:
    preset, act, w, a, inb, tcfg = MODELS[name]
    train_ds = load_dataset("mnist", "train", data_dir)
    spec = spec_from_preset(preset, in_shape=train_ds.in_shape, num_classes=10, weight_bits=w, act_bits=a,
                            input_bits=inb, activation=act)
    cfg = TrainConfig(**tcfg, epochs=epochs, threads=threads)
    run = Run(run_dir)
    run.write_config({"dataset": {"name": "mnist", "data_dir": data_dir, "options": {}}, "model": spec.to_dict(),
                      "train": asdict(cfg), "limit_train": None})
    model, hist = train(run, spec, cfg, train_ds, resume=True, quiet=not sys.stdout.isatty())
    train_s = sum(h["seconds"] for h in hist)  # the epochs' own times (a resumed run keeps the earlier ones)
    export_qonnx(model, spec, run.onnx)
    graph = graph_from_qonnx(run.onnx)
    with run.step("ir") as tmp:
        save_graph(graph, tmp)
    test = load_dataset("mnist", "test", data_dir)
    ref = predict_logits(model, test.x)
    _, logits = predict(graph, test.x)
    row = {"model": name, "preset": preset, "activation": act, "weight_bits": w, "act_bits": a, "input_bits": inb,
           "epochs": epochs, "train_samples": len(train_ds), "test_samples": len(test),
           "train_seconds": round(train_s, 1),
           "accuracy": float((logits.argmax(1) == test.y).mean()),
           "brevitas_accuracy": float((ref.argmax(1) == test.y).mean()),
           "argmax_equal": float((logits.argmax(1) == ref.argmax(1)).mean()),
           "max_abs_diff": float(np.abs(logits - ref).max()),
           "ir": [n.describe() for n in graph.body]}
    if spec.output == "sign":  # the same weights read as scores (argmax before the sign), for reference
        import torch

        with torch.no_grad():
            scores = model.scores(torch.from_numpy(test.x)).numpy()
        row["score_accuracy"] = float((scores.argmax(1) == test.y).mean())
        row["one_unit_fires"] = float(((logits > 0).sum(1) == 1).mean())
    return row


def write_results(rows: dict, meta: dict) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ordered = [rows[k] for k in MODELS if k in rows]
    atomic_write_text(RESULTS / "activations.json", json.dumps({**meta, "rows": ordered}, indent=2))
    lines = ["| activation | w4a4 golden acc | w2a2 golden acc | golden == Brevitas (argmax, max diff) | epochs |",
             "|---|---|---|---|---|"]
    for act in ACTIVATIONS:
        r4, r2 = rows.get(f"tfc-{act}-w4a4"), rows.get(f"tfc-{act}-w2a2")
        if not (r4 or r2):
            continue
        acc = lambda r: f"{r['accuracy']:.2%}" if r else "-"  # noqa: E731
        agree = "; ".join(f"{r['argmax_equal']:.4f}, {r['max_abs_diff']:g}" for r in (r4, r2) if r)
        lines.append(f"| {act}{' (baseline)' if act == 'relu' else ''} | {acc(r4)} | {acc(r2)} | {agree} | "
                     f"{(r4 or r2)['epochs']} |")
    lines += ["", "| model | bits (w = a = input) | golden acc | golden == Brevitas (argmax, max diff) | epochs | note |",
              "|---|---|---|---|---|---|"]
    for k in MODELS:
        r = rows.get(k)
        if r is None or r["preset"] == "tfc":
            continue
        note = (f"scores argmax (no sign) {r['score_accuracy']:.2%}; exactly one unit fires on {r['one_unit_fires']:.1%}"
                if "score_accuracy" in r else "softmax regression")
        lines.append(f"| {r['preset']} | {r['weight_bits']} | {r['accuracy']:.2%} | {r['argmax_equal']:.4f}, "
                     f"{r['max_abs_diff']:g} | {r['epochs']} | {note} |")
    text = "\n".join(lines) + "\n"
    atomic_write_text(RESULTS / "activations.md", text)
    return text


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="activations / logreg / perceptron benchmark on MNIST")
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--epochs", type=int, default=3, help="epochs per TFC model")
    ap.add_argument("--linear-epochs", type=int, default=10, help="epochs per logreg / perceptron model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs" / "activations"))
    args = ap.parse_args(argv)
    rows = {}
    for name in MODELS:
        epochs = args.epochs if MODELS[name][0] == "tfc" else args.linear_epochs
        f = Path(args.runs) / name / f"e{epochs}" / "row.json"
        if f.is_file():
            rows[name] = json.loads(f.read_text())
    meta = {"threads": args.threads, "epochs_tfc": args.epochs, "epochs_linear": args.linear_epochs}
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        if name in rows:
            continue
        print(f"== {name}", flush=True)
        epochs = args.epochs if MODELS[name][0] == "tfc" else args.linear_epochs
        run_dir = Path(args.runs) / name / f"e{epochs}"  # one run per epoch count (each with its own LR schedule)
        row = bench_one(name, run_dir, args.data, epochs, args.threads)
        atomic_write_text(run_dir / "row.json", json.dumps(row, indent=2))
        rows[name] = row
        print(write_results(rows, meta), flush=True)
    print(write_results(rows, meta), flush=True)


if __name__ == "__main__":
    main()
