"""Golden model speed: the NumPy golden model against Brevitas' eval forward on every benchmarked model.

The models are those of bench_mnist.py (TFC w1a1 / w2a2 / w4a4, CNN w4a4) and bench_kws.py (KWS MLP w3a3, KWS CNN
w4a4), each trained briefly (speed does not depend on accuracy; a few hundred steps give realistic weights, BatchNorm
statistics and activation scales), exported to QONNX and streamlined into the IR. Inputs: the 10,000 MNIST test
images; for keyword spotting 10,000 random MFCC feature maps of the right shape (1x49x10 in [0, 1]).

Each thread count runs in its own subprocess, with OMP/OpenBLAS/MKL thread counts set before NumPy and PyTorch load
and ``torch.set_num_threads``. Both models are warmed up, then timed back to back, interleaved (golden first on even
repeats, Brevitas first on odd ones), and every repeat checks bit-exactness: argmax equal == 1.0 and max |diff| == 0.
The reported time is the median over repeats; the load (``uptime``) is recorded before and after.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_golden.py [--only tfc-w2a2,kws-cnn-w4a4] [--repeats 7]

Trained models are kept under bench/runs/golden/ (rerun reuses them; --retrain rebuilds). Writes
bench/results/golden_speed.json and bench/results/golden_speed.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RUNS = ROOT / "bench" / "runs" / "golden"
sys.path.insert(0, str(ROOT))

# name -> (dataset, preset, weight bits, act bits)
MODELS = {
    "tfc-w1a1": ("mnist", "tfc", 1, 1),
    "tfc-w2a2": ("mnist", "tfc", 2, 2),
    "tfc-w4a4": ("mnist", "tfc", 4, 4),
    "cnn-w4a4": ("mnist", "cnn", 4, 4),
    "kws-mlp-w3a3": ("kws", "kws-mlp", 3, 3),
    "kws-cnn-w4a4": ("kws", "kws-cnn", 4, 4),
}
KWS_SHAPE, KWS_CLASSES = (1, 49, 10), 12
N_TEST = 10_000
TRAIN_SAMPLES = 6_000  # one epoch on this many samples (47 steps of 128)


def inputs(dataset: str, split: str, data_dir: str | None, n: int, seed: int):
    """(x float32 [n, C, H, W] in [0, 1], y int64 [n], class count)."""
    import numpy as np

    if dataset == "mnist":
        from qnn.data import load_dataset

        ds = load_dataset("mnist", split, data_dir)
        return ds.x[:n], ds.y[:n], ds.num_classes
    rng = np.random.default_rng(seed)
    return rng.random((n, *KWS_SHAPE), dtype=np.float32), rng.integers(0, KWS_CLASSES, n), KWS_CLASSES


def build(name: str, data_dir: str | None, retrain: bool) -> Path:
    """Train one model for one short epoch, export it and save its IR under bench/runs/golden/NAME."""
    from qnn.data.base import Dataset
    from qnn.export import export_qonnx, graph_from_qonnx
    from qnn.ir.serialize import save_graph
    from qnn.models import spec_from_preset
    from qnn.run import Run
    from qnn.train import TrainConfig, train

    run = Run(RUNS / name)
    if not retrain and (run.ir_dir / "graph.json").is_file() and run.checkpoint.is_file():
        return run.path
    dataset, preset, w, a = MODELS[name]
    x, y, ncls = inputs(dataset, "train", data_dir, TRAIN_SAMPLES, seed=1)
    ds = Dataset(dataset, "train", x, y, tuple(str(i) for i in range(ncls)), "bench_golden")
    spec = spec_from_preset(preset, in_shape=ds.in_shape, num_classes=ncls, weight_bits=w, act_bits=a)
    run.write_config({"dataset": {"name": dataset, "data_dir": data_dir, "options": {}}, "model": spec.to_dict(),
                      "train": {"epochs": 1}, "limit_train": TRAIN_SAMPLES})
    model, _ = train(run, spec, TrainConfig(epochs=1, val_fraction=0.0, threads=2), ds, quiet=True)
    export_qonnx(model, spec, run.onnx)
    with run.step("ir") as tmp:
        save_graph(graph_from_qonnx(run.onnx), tmp)
    return run.path


def worker(names: list[str], threads: int, repeats: int, data_dir: str | None) -> list[dict]:
    """Time golden and Brevitas on each model at ``threads`` threads (the env vars were set by the parent)."""
    import numpy as np
    import torch

    from qnn.golden import predict
    from qnn.run import Run
    from qnn.train import load_model, predict_logits

    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_info

        pools = sorted({f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()})
    except ImportError:
        pools = []
    rows = []
    for name in names:
        run = Run(RUNS / name)
        graph, model = run.graph(), load_model(run)
        x, _, _ = inputs(MODELS[name][0], "test", data_dir, N_TEST, seed=2)
        predict(graph, x[:2048]), predict_logits(model, x[:2048])  # warm-up
        g_times, b_times, exact = [], [], []
        for r in range(repeats):
            order = ("golden", "brevitas") if r % 2 == 0 else ("brevitas", "golden")
            for which in order:
                t = time.perf_counter()
                if which == "golden":
                    g = predict(graph, x)[1]
                    g_times.append(time.perf_counter() - t)
                else:
                    b = predict_logits(model, x)
                    b_times.append(time.perf_counter() - t)
            exact.append(float((g.argmax(1) == b.argmax(1)).mean()) == 1.0 and float(np.abs(g - b).max()) == 0.0)
        g_s, b_s = statistics.median(g_times), statistics.median(b_times)
        rows.append({"model": name, "threads": threads, "n": len(x), "repeats": repeats,
                     "golden_s": round(g_s, 4), "brevitas_s": round(b_s, 4), "speedup": round(b_s / g_s, 2),
                     "speedup_of_minima": round(min(b_times) / min(g_times), 2),
                     "golden_all_s": [round(v, 4) for v in g_times], "brevitas_all_s": [round(v, 4) for v in b_times],
                     "bit_exact_every_repeat": all(exact), "thread_pools": pools})
        print(f"  {name} @ {threads} thread(s): golden {g_s:.3f} s, Brevitas {b_s:.3f} s = {b_s / g_s:.2f}x, "
              f"bit-exact {all(exact)}", file=sys.stderr, flush=True)
    return rows


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def table(rows: list[dict]) -> str:
    lines = ["| model | threads | golden (s, 10k) | Brevitas (s, 10k) | golden / Brevitas speed (medians) | of minima "
             "| bit-exact every repeat | measured (load after) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mins = f"{r['speedup_of_minima']:.2f}x" if "speedup_of_minima" in r else "-"
        lines.append(f"| {r['model']} | {r['threads']} | {r['golden_s']:.3f} | {r['brevitas_s']:.3f} | "
                     f"**{r['speedup']:.2f}x** | {mins} | {'yes' if r['bit_exact_every_repeat'] else 'NO'} "
                     f"({r['repeats']} repeats) | {r.get('measured', '?')} ({r.get('load', '?').strip(' :')}) |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="golden model vs Brevitas speed benchmark")
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument("--omp-passive", action="store_true",
                    help="OMP_WAIT_POLICY=PASSIVE: PyTorch's OpenMP threads sleep instead of spinning (fairer to "
                         "Brevitas at 2 threads on a loaded machine)")
    ap.add_argument("--out", default="golden_speed", help="results file stem under bench/results/")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = args.only.split(",")
    bad = [n for n in names if n not in MODELS]
    if bad:
        sys.exit(f"error: unknown model(s) {', '.join(bad)}; choose from {', '.join(MODELS)}")
    data = args.data if Path(args.data).is_dir() else None
    if args.worker:
        print(json.dumps(worker(names, args.worker, args.repeats, data)))
        return 0
    for name in names:
        print(f"== build {name}", flush=True)
        build(name, data, args.retrain)
    load_before, rows = uptime(), []
    for t in [int(v) for v in args.threads.split(",")]:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
        if args.omp_passive:
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        print(f"== time at {t} thread(s)", flush=True)
        out = subprocess.run([sys.executable, __file__, "--worker", str(t), "--only", ",".join(names), "--repeats",
                              str(args.repeats), "--data", args.data], env=env, check=True, capture_output=False,
                             stdout=subprocess.PIPE, text=True).stdout
        rows += [dict(r, measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load=uptime().split("load")[-1])
                 for r in json.loads(out)]
    done = {(r["model"], r["threads"]) for r in rows}  # rows of earlier runs not redone here are kept
    if (RESULTS / f"{args.out}.json").is_file():
        old = json.loads((RESULTS / f"{args.out}.json").read_text())
        rows += [dict(r, measured=r.get("measured", old.get("date"))) for r in old["rows"]
                 if (r["model"], r["threads"]) not in done and r["model"] in MODELS]
    rows.sort(key=lambda r: (list(MODELS).index(r["model"]), r["threads"]))
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_before": load_before,
            "load_after": uptime(), "command": "bench/bench_golden.py " + " ".join(argv or sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta["omp_wait_policy"] = "PASSIVE" if args.omp_passive else os.environ.get("OMP_WAIT_POLICY", "default")
    (RESULTS / f"{args.out}.json").write_text(json.dumps({**meta, "rows": rows}, indent=2))
    md = table(rows) + f"\nLoad before: `{meta['load_before']}`; after: `{meta['load_after']}`.\n"
    (RESULTS / f"{args.out}.md").write_text(md)
    print(md)
    return 0 if all(r["bit_exact_every_repeat"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
