"""hls4ml benchmark: C-simulation compile time, vectors/s of C simulation vs the golden model, bit-exactness.

For each model (TFC-shaped MLP 784-64-64-64-10 at w1a1/w2a2/w4a4/w8a8 with BatchNorm, i.e. MultiThreshold
requantization; TFC w4a4 without BatchNorm, i.e. Shift requantization; the CNN at w4a4 in io_stream), the run
trained by bench_mnist.py is used when it exists (bench/runs/<name>), else a 1-epoch run is trained here
(bench/runs/hls-<name>): bit-exactness does not need a good model, only a real one. Then ``qnn hls`` runs on the
whole MNIST test set (10,000 vectors).

    QNN_DATA=../shared/data .venv/bin/python bench/bench_hls.py [--only tfc-w2a2,cnn-w4a4] [--vectors N]

Writes bench/results/hls.json and bench/results/hls.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hls.hls4ml.flow import hls_step  # noqa: E402
from hls.hls4ml.options import HlsOptions  # noqa: E402
from qnn.run import Run  # noqa: E402
from qnn.util.atomic import atomic_write_text  # noqa: E402

# name -> (preset, weight bits, act bits, batchnorm, io type)
MODELS = {
    "tfc-w1a1": ("tfc", 1, 1, True, "io_parallel"),
    "tfc-w2a2": ("tfc", 2, 2, True, "io_parallel"),
    "tfc-w4a4": ("tfc", 4, 4, True, "io_parallel"),
    "tfc-w8a8": ("tfc", 8, 8, True, "io_parallel"),
    "tfc-w4a4-nobn": ("tfc", 4, 4, False, "io_parallel"),
    "cnn-w4a4": ("cnn", 4, 4, True, "io_stream"),
}


def ensure_run(name: str, runs: Path, data: str) -> Run:
    """bench_mnist's trained run if there is one, else a 1-epoch run trained here."""
    trained = Run(runs / name)
    if (trained.ir_dir / "graph.json").is_file():
        return trained
    run = Run(runs / f"hls-{name}")
    if (run.ir_dir / "graph.json").is_file():
        return run
    from qnn.data import load_dataset
    from qnn.export import export_qonnx, graph_from_qonnx
    from qnn.ir.serialize import save_graph
    from qnn.models import spec_from_preset
    from qnn.train import TrainConfig, train

    preset, w, a, bn, _ = MODELS[name]
    tcfg = dict(epochs=1, batch_size=128, lr=3e-3, val_fraction=0.0, threads=2)
    train_ds = load_dataset("mnist", "train", data)
    spec = spec_from_preset(preset, in_shape=train_ds.in_shape, num_classes=10, weight_bits=w, act_bits=a,
                            batchnorm=bn)
    run.write_config({"dataset": {"name": "mnist", "data_dir": data, "options": {}}, "model": spec.to_dict(),
                      "train": tcfg, "limit_train": None})
    model, _ = train(run, spec, TrainConfig(**tcfg), train_ds, quiet=True)
    export_qonnx(model, spec, run.onnx)
    with run.step("ir") as tmp:
        save_graph(graph_from_qonnx(run.onnx), tmp)
    return run


def bench_one(name: str, runs: Path, data: str, vectors: int | None) -> dict:
    preset, w, a, bn, io_type = MODELS[name]
    run = ensure_run(name, runs, data)
    t0 = time.time()
    res = hls_step(run, HlsOptions(io_type=io_type), vectors=vectors, data_dir=data,
                   status=lambda m: print(f"  {m}", flush=True))
    c = res.csim
    kinds = sorted({n.kind for n in run.graph().body})
    return {"model": name, "run": str(run.path.relative_to(ROOT)) if run.path.is_relative_to(ROOT) else str(run.path),
            "io_type": io_type, "batchnorm": bn, "layers": kinds, "vectors": c.vectors, "exact_vectors": c.exact_vectors,
            "bit_exact": c.bit_exact, "compile_s": round(c.compile_s, 1), "compile_cpu_s": round(c.compile_cpu_s, 1),
            "csim_vectors_per_s": round(c.csim_vps),
            "golden_vectors_per_s": round(c.golden_vps), "golden_over_csim": round(c.golden_vps / c.csim_vps, 2),
            "total_s": round(time.time() - t0, 1)}


def write_results(rows: list[dict], res_dir: Path) -> None:
    res_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(res_dir / "hls.json", json.dumps({"rows": rows}, indent=2))
    lines = ["| model | io type | requantization | bit-exact vectors | C-sim compile (wall / g++ CPU) | C-sim vectors/s | "
             "golden vectors/s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        req = "thresholds" if "MultiThreshold" in r["layers"] else "shift"
        lines.append(f"| {r['model']} | {r['io_type']} | {req} | {r['exact_vectors']}/{r['vectors']} | "
                     f"{r['compile_s']} s / {r['compile_cpu_s']} s | {r['csim_vectors_per_s']:,} | {r['golden_vectors_per_s']:,} |")
    atomic_write_text(res_dir / "hls.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--vectors", type=int, default=None, help="test vectors (default: all 10,000)")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--runs", default=str(ROOT / "bench" / "runs"))
    args = ap.parse_args()
    res_dir = ROOT / "bench" / "results"
    old = {}
    if (res_dir / "hls.json").is_file():
        old = {r["model"]: r for r in json.loads((res_dir / "hls.json").read_text())["rows"]}
    for name in args.only.split(","):
        if name not in MODELS:
            sys.exit(f"error: unknown benchmark model {name!r}; choose from {', '.join(MODELS)}")
        print(f"== {name}", flush=True)
        old[name] = bench_one(name, Path(args.runs), args.data, args.vectors)
        write_results([old[k] for k in MODELS if k in old], res_dir)
    if not all(r["bit_exact"] for r in old.values()):
        sys.exit("error: some C simulations differ from the golden model")


if __name__ == "__main__":
    main()
