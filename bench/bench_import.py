"""Models trained elsewhere, end to end: FINN's BNN-PYNQ TFC_1W1A and TFC_2W2A, built from the definitions that ship
in `brevitas_examples.bnn_pynq`, trained briefly on full MNIST, exported with Brevitas, then taken through the toolkit
by its CLI exactly as a user would: import -> eval (full MNIST test set) -> hls (C simulation) -> rtl -> sim -> synth.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_import.py [--only tfc_2w2a] [--epochs 5]

Writes bench/results/import.json and .md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from common import RESULTS, ROOT

from qnn.data import load_dataset
from qnn.run import Run
from qnn.util.atomic import atomic_write_text


def train_bnn_pynq(name: str, data: str, epochs: int, out: Path) -> tuple[Path, float]:
    from brevitas.export import export_qonnx
    from brevitas_examples.bnn_pynq.models import model_with_cfg

    torch.manual_seed(0)
    model, _ = model_with_cfg(name, pretrained=False)
    ds = load_dataset("mnist", "train", data)
    x, y = torch.from_numpy(ds.x), torch.from_numpy(ds.y)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * (len(x) // 100))
    t0 = time.time()
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x)).split(100):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            model.clip_weights(-1, 1)  # as BNN-PYNQ's trainer does
    model.eval()
    path = out / f"{name}.onnx"
    out.mkdir(parents=True, exist_ok=True)
    export_qonnx(model, input_t=torch.rand(1, 1, 28, 28), export_path=str(path), dynamo=False)
    return path, time.time() - t0


def qnn(*args: str, allow_fail: bool = False) -> str:
    res = subprocess.run([str(ROOT / ".venv" / "bin" / "qnn"), *args], capture_output=True, text=True, cwd=ROOT)
    print(res.stdout[-3000:], res.stderr[-2000:], flush=True)
    if res.returncode != 0 and not (allow_fail and res.returncode == 1):
        raise SystemExit(f"qnn {' '.join(args)} failed with exit code {res.returncode}")
    return res.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="tfc_1w1a,tfc_2w2a")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--vectors", type=int, default=1000, help="RTL simulation vectors")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    args = ap.parse_args()
    torch.set_num_threads(2)
    runs = ROOT / "bench" / "runs" / "import"
    old = json.loads((RESULTS / "import.json").read_text()) if (RESULTS / "import.json").is_file() else []
    rows = [r for r in old if r["model"] not in args.only.split(",")]
    for name in args.only.split(","):
        onnx_path, train_s = train_bnn_pynq(name, args.data, args.epochs, runs / "onnx")
        run_dir = runs / name
        qnn("import", str(onnx_path), "--name", str(run_dir), "--dataset", "mnist", "--data-dir", args.data, "--force")
        qnn("eval", str(run_dir), "--data-dir", args.data)
        ev = Run(run_dir).metrics["eval"]
        qnn("hls", str(run_dir))
        hls = Run(run_dir).metrics.get("hls", {})
        qnn("rtl", str(run_dir))
        qnn("sim", str(run_dir), "-n", str(args.vectors))
        sim = json.loads((run_dir / "sim" / "verilator" / "result.json").read_text())
        sim = {k: v for k, v in sim.items() if not isinstance(v, list)}
        qnn("synth", str(run_dir), "--target", "ice40", "--no-pnr", allow_fail=True)  # exit 1: does not fit
        qnn("synth", str(run_dir), "--target", "xilinx", "--no-pnr", allow_fail=True)
        synth = {p.stem: json.loads(p.read_text()) for p in (run_dir / "synth").rglob("synth_*.json")}
        rows.append({"model": name, "epochs": args.epochs, "train_seconds": round(train_s, 1),
                     "accuracy": ev["golden"]["accuracy"], "n": ev["n"], "golden_vs_qonnx": ev.get("golden_vs_qonnx"),
                     "hls": hls, "sim": sim, "synth": synth})
        RESULTS.mkdir(parents=True, exist_ok=True)
        atomic_write_text(RESULTS / "import.json", json.dumps(rows, indent=2, default=str))
    print(json.dumps(rows, indent=1, default=str)[:6000])


if __name__ == "__main__":
    sys.exit(main())
