"""Models trained elsewhere, end to end: FINN's BNN-PYNQ TFC_1W1A and TFC_2W2A, built from the definitions that ship
in `brevitas_examples.bnn_pynq`, trained briefly on full MNIST, exported with Brevitas, then taken through the toolkit
by its CLI exactly as a user would: import -> eval (full MNIST test set) -> hls (C simulation) -> rtl -> sim -> synth.

Each export is also rewritten the way the older exporters wrote their files (the QONNX model zoo's BNN-PYNQ models,
finn-examples): custom ops in the legacy ``onnx.brevitas`` domain with no opset import for it, initializers listed as
graph inputs. That "legacy" file must import (onnx.checker alone refuses it), give the very same integer IR, and the
same golden accuracy.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_import.py [--only tfc_2w2a] [--epochs 5] [--no-hardware]

Resumable: a trained export under bench/runs/import/onnx is reused. Writes bench/results/import.json and .md.
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
    path, info = out / f"{name}.onnx", out / f"{name}.train.json"
    if path.is_file() and info.is_file() and json.loads(info.read_text())["epochs"] == epochs:
        return path, json.loads(info.read_text())["train_seconds"]  # resumed: the trained export is kept
    path, seconds = _train_bnn_pynq(name, data, epochs, out)
    atomic_write_text(info, json.dumps({"epochs": epochs, "train_seconds": seconds}))
    return path, seconds


def legacy_style(src: Path, dst: Path) -> Path:
    """The file as the older Brevitas/FINN exporters wrote it: custom ops in the ``onnx.brevitas`` domain with no
    opset import for it, and every initializer also listed as a graph input."""
    import onnx

    m = onnx.load(str(src))
    for n in m.graph.node:
        if n.domain.startswith("qonnx"):
            n.domain = "onnx.brevitas"
    keep = [onnx.helper.make_opsetid(o.domain, o.version) for o in m.opset_import if o.domain in ("", "ai.onnx")]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    names = {i.name for i in m.graph.input}
    m.graph.input.extend(onnx.helper.make_tensor_value_info(i.name, i.data_type, list(i.dims))
                         for i in m.graph.initializer if i.name not in names)
    onnx.save(m, str(dst))
    return dst


def checker_verdict(path: Path) -> str:
    import onnx

    try:
        onnx.checker.check_model(onnx.load(str(path)))
        return "valid"
    except onnx.checker.ValidationError as e:
        return (str(e).splitlines() or [""])[0][:120]


def same_ir(a, b) -> bool:
    """Two IR graphs with the same nodes, types and constants (names aside)."""
    import dataclasses

    import numpy as np

    if len(a.nodes) != len(b.nodes) or a.input_shape != b.input_shape:
        return False
    for x, y in zip(a.nodes, b.nodes):
        if type(x) is not type(y):
            return False
        for f in dataclasses.fields(x):
            if f.name != "name" and not np.array_equal(np.asarray(getattr(x, f.name)), np.asarray(getattr(y, f.name))):
                return False
    return True


def _train_bnn_pynq(name: str, data: str, epochs: int, out: Path) -> tuple[Path, float]:
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


def hardware(run_dir: Path, vectors: int) -> dict:
    qnn("hls", str(run_dir))
    hls = Run(run_dir).metrics.get("hls", {})
    qnn("rtl", str(run_dir))
    qnn("sim", str(run_dir), "-n", str(vectors))
    sim = json.loads((run_dir / "sim" / "verilator" / "result.json").read_text())
    sim = {k: v for k, v in sim.items() if not isinstance(v, list)}
    qnn("synth", str(run_dir), "--target", "ice40", "--no-pnr", allow_fail=True)  # exit 1: does not fit
    qnn("synth", str(run_dir), "--target", "xilinx", "--no-pnr", allow_fail=True)
    synth = {p.stem: json.loads(p.read_text()) for p in (run_dir / "synth").rglob("synth_*.json")}
    return {"hls": hls, "sim": sim, "synth": synth}


def markdown(rows: list[dict]) -> str:
    lines = ["| model | file | onnx.checker on the file as written | golden accuracy | golden vs qonnx | "
             "same IR as the current export | hls4ml C sim | RTL sim (Verilator) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        q = r.get("golden_vs_qonnx") or {}
        hls = r.get("hls") or {}
        csim = f"{hls.get('exact_vectors')} / {hls.get('vectors')} bit-exact" if hls else "-"
        sim = r.get("sim") or {}
        sim_text = f"{sim.get('exact')} / {sim.get('vectors')} exact" if sim else "-"
        lines.append(
            f"| {r['model']} | {r.get('variant', 'current')} | {r.get('checker_before_cleanup', 'valid')} | "
            f"{r['accuracy']:.2%} (n={r['n']}) | "
            f"{str(q.get('agreement', '-')).replace('|', '&#124;')} on {q.get('n', '-')} | "
            f"{'yes' if r.get('ir_identical', True) else 'NO'} | "
            f"{csim} | "
            f"{sim_text} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="tfc_1w1a,tfc_2w2a")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--vectors", type=int, default=1000, help="RTL simulation vectors")
    ap.add_argument("--no-hardware", action="store_true", help="import and eval only")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    args = ap.parse_args()
    torch.set_num_threads(2)
    runs = ROOT / "bench" / "runs" / "import"
    old = json.loads((RESULTS / "import.json").read_text()) if (RESULTS / "import.json").is_file() else []
    rows = [r for r in old if r["model"] not in args.only.split(",")]
    for name in args.only.split(","):
        onnx_path, train_s = train_bnn_pynq(name, args.data, args.epochs, runs / "onnx")
        files = {"current": onnx_path, "legacy": legacy_style(onnx_path, runs / "onnx" / f"{name}_legacy.onnx")}
        graphs = {}
        for variant, path in files.items():
            run_dir = runs / (name if variant == "current" else f"{name}_{variant}")
            qnn("import", str(path), "--name", str(run_dir), "--dataset", "mnist", "--data-dir", args.data, "--force")
            qnn("eval", str(run_dir), "--data-dir", args.data)
            ev, graphs[variant] = Run(run_dir).metrics["eval"], Run(run_dir).graph()
            row = {"model": name, "variant": variant, "epochs": args.epochs, "train_seconds": round(train_s, 1),
                   "accuracy": ev["golden"]["accuracy"], "n": ev["n"], "golden_vs_qonnx": ev.get("golden_vs_qonnx"),
                   "ir_identical": same_ir(graphs["current"], graphs[variant])}
            if variant == "legacy":  # what onnx.checker alone says of the file as written
                row["checker_before_cleanup"] = checker_verdict(path)
            if variant == "current" and not args.no_hardware:
                row |= hardware(run_dir, args.vectors)
            rows.append(row)
            RESULTS.mkdir(parents=True, exist_ok=True)
            atomic_write_text(RESULTS / "import.json", json.dumps(rows, indent=2, default=str))
            atomic_write_text(RESULTS / "import.md", markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    sys.exit(main())
