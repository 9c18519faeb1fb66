"""DS-CNN hardware path on real clips (issue 13 item 1): the exactness checks of a trained kws-dscnn, end to end.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_dscnn.py [--run bench/runs/dscnn/kws-dscnn-w4a4]
        [--phases brevitas,qonnx,hls-io_stream] [--redo]

The run (default bench/runs/dscnn/kws-dscnn-w4a4) is trained here when it has no checkpoint, as
`qnn train RUN --model kws-dscnn --dataset kws -w 4 -a 4 --epochs 25 --threads 1` on the real clips, and exported.
Then, on the whole test split (every clip):
- brevitas: golden == Brevitas' float forward, bit for bit (`qnn eval`'s comparison), and the accuracy;
- qonnx: golden == qonnx's execution of model.onnx (one clip at a time, the file's batch is 1);
- hls-io_stream / hls-io_parallel: hls4ml C simulation == golden as integers (`qnn hls RUN --io-type ...`).
  hls-io_parallel is not in the default phases: at 64 channels g++ -O3 had not finished compiling the fully
  unrolled io_parallel kernels after 35 minutes (load 13 on 2 cores); io_parallel is covered by the small DS-CNNs
  of tests/test_dscnn_hls.py instead.
Each finished phase is kept in bench/results/dscnn.json (rerunning resumes; --redo reruns the phases given);
bench/results/dscnn.md is the table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qnn.util.atomic import atomic_write_text  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PHASES = ("brevitas", "qonnx", "hls-io_stream", "hls-io_parallel")
TRAIN = ["--model", "kws-dscnn", "--dataset", "kws", "-w", "4", "-a", "4", "--epochs", "25", "--threads", "1",
         "--quiet"]


def qnn(*args: str) -> float:
    """Run the CLI in a subprocess (as a user would); returns wall seconds, exits on failure."""
    t0 = time.time()
    cmd = [str(ROOT / ".venv" / "bin" / "qnn"), *args]
    print("$ qnn " + " ".join(args), flush=True)
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit(f"error: qnn {' '.join(args)} failed")
    return time.time() - t0


def ensure_run(run: Path, data: str) -> dict:
    info = {}
    if not (run / "checkpoint.pt").is_file():
        info["train_s"] = round(qnn("train", str(run), *TRAIN, "--data-dir", data), 1)
    if not (run / "ir" / "graph.json").is_file():
        info["export_s"] = round(qnn("export", str(run)), 1)
    hist = json.loads((run / "metrics.json").read_text()).get("train", [])
    info["epochs"], info["train_epoch_seconds"] = len(hist), round(sum(e["seconds"] for e in hist), 1)
    info["val_acc"] = hist[-1].get("val_acc") if hist else None
    return info


def phase(name: str, run: Path, data: str) -> dict:
    from qnn.data import load_dataset
    from qnn.run import Run

    r = Run(run)
    t0 = time.time()
    if name == "brevitas":
        from qnn.evaluate import compare_logits
        from qnn.golden import predict
        from qnn.train import load_model, predict_logits

        test = load_dataset("kws", "test", data)
        ref = predict_logits(load_model(r), test.x)
        _, logits = predict(r.graph(), test.x)
        agree = compare_logits(logits, ref)
        row = {"vectors": len(test), "exact_vectors": int((logits == ref).all(axis=1).sum()),
               "max_abs_diff": float(agree["max_abs_diff"]), "argmax_equal": float(agree["argmax_equal"]),
               "accuracy": float((logits.argmax(1) == test.y).mean())}
    elif name == "qonnx":
        from qnn.evaluate import check_qonnx

        test = load_dataset("kws", "test", data)
        res = check_qonnx(r.graph(), r.onnx, test.x)
        row = {"vectors": res["n"], "exact_vectors": res["n"] - res["mismatched_vectors"],
               "max_abs_diff": float(res["max_abs_diff"]), "argmax_equal": float(res["argmax_equal"])}
    else:
        io = name.split("-", 1)[1]
        qnn("hls", str(run), "--io-type", io, "--data-dir", data)
        c = json.loads((r.hls_dir / "csim.json").read_text())["csim"]
        row = {"vectors": c["vectors"], "exact_vectors": c["exact_vectors"], "compile_s": round(c["compile_s"], 1),
               "csim_vectors_per_s": round(c["csim_vectors_per_s"], 1)}
    row.update(phase=name, seconds=round(time.time() - t0, 1), bit_exact=row["exact_vectors"] == row["vectors"])
    return row


def write(doc: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / "dscnn.json", json.dumps(doc, indent=2))
    lines = ["# DS-CNN hardware path on real clips (bench/bench_dscnn.py)", "",
             f"Run {doc['run']} ({doc['prepare'].get('epochs')} epochs, {doc['prepare'].get('train_epoch_seconds')} s "
             f"of training); updated {doc['updated']}; machine load {doc.get('load', '?')}.", "",
             "| check | vectors (every test clip) | bit-exact | max abs diff | seconds | notes |",
             "|---|---|---|---|---|---|"]
    for name in PHASES:
        r = doc["phases"].get(name)
        if r is None:
            continue
        notes = (f"accuracy {r['accuracy']:.2%}" if "accuracy" in r else
                 f"g++ compile {r['compile_s']} s, {r['csim_vectors_per_s']} vectors/s" if "compile_s" in r else "")
        diff = r.get("max_abs_diff", "-")
        lines.append(f"| {name} | {r['vectors']} | {r['exact_vectors']}/{r['vectors']} | {diff} | {r['seconds']} | "
                     f"{notes} |")
    atomic_write_text(RESULTS / "dscnn.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=str(ROOT / "bench" / "runs" / "dscnn" / "kws-dscnn-w4a4"))
    ap.add_argument("--phases", default="brevitas,qonnx,hls-io_stream")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--redo", action="store_true")
    args = ap.parse_args()
    run = Path(args.run).resolve()
    old = json.loads((RESULTS / "dscnn.json").read_text()) if (RESULTS / "dscnn.json").is_file() else {}
    doc = {"run": str(run.relative_to(ROOT)) if run.is_relative_to(ROOT) else str(run),
           "phases": old.get("phases", {}) if old.get("run") in (None, str(run.relative_to(ROOT))) else {}}
    doc["prepare"] = {**old.get("prepare", {}), **ensure_run(run, args.data)}
    doc["load"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    for name in args.phases.split(","):
        if name not in PHASES:
            sys.exit(f"error: unknown phase {name!r}; choose from {', '.join(PHASES)}")
        if name in doc["phases"] and not args.redo:
            continue
        print(f"== {name}", flush=True)
        doc["phases"][name] = phase(name, run, args.data)
        doc["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        write(doc)
    doc["updated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    write(doc)
    if not all(r["bit_exact"] for r in doc["phases"].values()):
        sys.exit("error: a check differs from the golden model")


if __name__ == "__main__":
    main()
