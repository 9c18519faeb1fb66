"""Keyword-spotting benchmark: 5-fold cross-validation by speaker on the real dev clips, and the ablation of the
training methods for little data on one fold (fold 0), each method on/off; defaults are chosen from these, never
from the hash test split.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_kws.py train cnn-float-full:0-4 cnn-w4a4-full:0
    .venv/bin/python bench/bench_kws.py golden cnn-w4a4-full     # export fold 0, golden == Brevitas on its clips
    .venv/bin/python bench/bench_kws.py spot cnn-w4a4-full       # qnn spot on the 10-minute test recording
    .venv/bin/python bench/bench_kws.py report                   # bench/results/kws_cv.* and kws_ablation.*

A job is CONFIG:FOLDS (``0``, ``0-4``, ``1,3``); configuration names are FAMILY-BITS-WHAT (``bench/kws_configs.py``):
``cnn-w4a4-baseline`` (none of the new methods), ``cnn-w4a4-plus-mixup`` (one added to the baseline),
``cnn-w4a4-full`` (every method), ``cnn-w4a4-no-pitch`` (one off from full); a suffix ``-eN`` trains N epochs
instead of the recipe's 20 (``dscnn-w4a4-baseline-e10``).
Runs live in bench/runs/kws/<config>/folds/fold_<i>/ (run directories ``qnn eval`` accepts); finished folds are
kept, interrupted ones resume, so the command can be re-run at will. Torch uses one thread per process.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kws_configs as C  # noqa: E402

RUNS = ROOT / "bench" / "runs" / "kws"
RESULTS = ROOT / "bench" / "results"
K = 5


def parse_name(name: str) -> dict:
    c = _parse_recipe(name)
    m = re.fullmatch(r".*-e(\d+)", name)
    if m:
        c["train"]["epochs"] = int(m.group(1))
    return c


def _parse_recipe(name: str) -> dict:
    name = re.sub(r"-e\d+$", "", name)
    family, bits, *rest = name.split("-")
    what = "-".join(rest)
    if family not in C.FAMILIES or not rest:
        raise SystemExit(f"error: bad configuration name {name!r} (FAMILY-BITS-WHAT, e.g. cnn-w4a4-full)")
    w, a = (32, 32) if bits == "float" else map(int, bits[1:].split("a"))
    if what in ("full", "baseline"):
        return C.config(family, w, a, baseline=what == "baseline")
    if what.startswith("plus-"):
        on = tuple(what[5:].split("-plus-"))
        bad = [m for m in on if m not in C.ON]
        if bad:
            raise SystemExit(f"error: unknown method(s) {bad}; known: {', '.join(C.ON)}")
        return C.config(family, w, a, on=on)
    if not what.startswith("no-"):
        raise SystemExit(f"error: bad configuration name {name!r}")
    off = tuple(what[3:].split("-no-"))
    bad = [m for m in off if m not in C.OFF]
    if bad:
        raise SystemExit(f"error: unknown method(s) {bad}; known: {', '.join(C.OFF)}")
    return C.config(family, w, a, off=off)


def parse_folds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def train_job(name: str, folds: list[int], data: str) -> dict:
    from qnn.models import spec_from_preset
    from qnn.train import TrainConfig
    from qnn.train_cv import cross_validate

    c = parse_name(name)
    tr = dict(c["train"], threads=1)
    if tr.get("distill") == "TEACHER":
        tr["distill"] = str(RUNS / C.TEACHER)
    if tr.get("distill") == "TEACHER_BASE":
        tr["distill"] = str(RUNS / C.TEACHER_BASE)
    ds_cfg = {"name": "kws", "data_dir": data, "options": c["options"]}

    def make_spec(ds):
        return spec_from_preset(c["preset"], in_shape=ds.in_shape, num_classes=ds.num_classes, weight_bits=c["w"],
                                act_bits=c["a"])

    return cross_validate(RUNS / name, K, ds_cfg, make_spec, TrainConfig(**tr), folds=folds, quiet=True,
                          log=lambda m: print(f"[{time.strftime('%H:%M:%S')}] {name}: {m}", flush=True))


def golden_job(name: str, fold: int = 0) -> dict:
    """Export a fold run (QONNX + IR) and evaluate golden / Brevitas on its held-out clips (bit-exact check)."""
    from qnn.evaluate import evaluate_run, export_run
    from qnn.run import Run
    from qnn.train_cv import fold_dir

    run = Run(fold_dir(RUNS / name, fold))
    export_run(run)
    ev = evaluate_run(run, "test", plots=True)
    row = {"config": name, "fold": fold, "n": ev["n"], "golden": ev["golden"]["accuracy"],
           "brevitas": ev["brevitas"]["accuracy"], "argmax_equal": ev["golden_vs_brevitas"]["argmax_equal"],
           "max_abs_diff": ev["golden_vs_brevitas"]["max_abs_diff"]}
    if "detection" in ev:
        row["fnr_at_fpr"] = ev["detection"].get("macro", {}).get("fnr_at_fpr")
    print(json.dumps(row), flush=True)
    return row


STREAM = RUNS / "streams" / "test10.wav"
DEFAULT_JOBS = ["cnn-w4a4-baseline:0-4", "mlp-w3a3-baseline:0-4", "cnn-w4a4-plus-specaugment:0-4",
                "dscnn-w4a4-baseline-e20:0-4", "dscnn-w4a4-plus-specaugment-e20:1",
                "dscnn-w4a4-baseline-e6:0-4", "dscnn-w4a4-plus-specaugment-e6:0",
                "cnn-float-baseline:0", "cnn-w4a4-plus-distill:0", "cnn-w4a4-plus-mixup:0", "cnn-w4a4-plus-snr-noise:0",
                "cnn-w4a4-plus-speed:0", "cnn-w4a4-plus-pitch:0", "cnn-w4a4-plus-reverb:0",
                "cnn-w4a4-plus-label-smoothing:0-4", "cnn-w4a4-plus-no-synthetic:0",
                "cnn-w3a3-baseline:0", "cnn-w8a8-baseline:0"]
SPOT_JOBS = ["cnn-w4a4-baseline", "cnn-w4a4-plus-distill", "cnn-w4a4-plus-snr-noise", "cnn-w4a4-plus-specaugment"]


def spot_job(name: str, fold: int = 0, data: str | None = None) -> dict:
    """`qnn spot` of a fold run on the 10-minute test recording (generated once, seed 0); bench/results/kws_spot.*"""
    from qnn.run import Run
    from qnn.spot.api import spot, write_stream
    from qnn.train_cv import fold_dir
    from qnn.util.atomic import atomic_write_text

    if not STREAM.is_file():
        write_stream(STREAM, data, 10.0, 0)
    run = Run(fold_dir(RUNS / name, fold))
    if not (run.ir_dir / "graph.json").is_file():
        golden_job(name, fold)
    t0 = time.time()
    res = spot(run, STREAM, data_dir=data)
    s = res["score"]
    row = {"config": name, "fold": fold, "threshold": res["threshold"], "calibration": res["calibration"],
           "keywords": s["keywords"], "hits": s["hits"], "miss_rate": s["miss_rate"],
           "false_alarms": s["false_alarms"], "false_alarms_per_hour": s["false_alarms_per_hour"],
           "miss_rate_per_snr": {k: v["miss_rate"] for k, v in s["miss_rate_per_snr"].items()},
           "miss_at_fa_per_hour": {f"{fa:g}": min((r["miss_rate"] for r in res["det"] if r["fa_per_hour"] <= fa),
                                                  default=1.0) for fa in (6, 30, 120)},
           "seconds": round(time.time() - t0, 1), "det_png": res.get("det_png"),
           "command": f"qnn spot {run.path.relative_to(ROOT)} {STREAM.relative_to(ROOT)}"}
    f = RESULTS / "kws_spot.json"
    rows = json.loads(f.read_text())["rows"] if f.is_file() else {}
    rows[name] = row
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(f, json.dumps({"stream": str(STREAM.relative_to(ROOT)), "rows": rows}, indent=2))
    snrs = list(row["miss_rate_per_snr"])
    lines = [f"`qnn spot` on {STREAM.relative_to(ROOT)} (10 min, {s['keywords']} keywords of held-out speakers), "
             "threshold calibrated for 1 false alarm/hour on 10 min of held-out keyword-free audio", "",
             "| model (fold 0) | threshold | miss rate | " + " | ".join(f"miss @ {k} dB" for k in snrs)
             + " | false alarms | per hour | DET: miss at <= 6 / 30 / 120 false alarms/h on the stream |",
             "|---" * (6 + len(snrs)) + "|"]
    for r in rows.values():
        lines.append(f"| {r['config']} | {r['threshold']:g} | {r['miss_rate']:.1%} | "
                     + " | ".join(f"{r['miss_rate_per_snr'].get(k, float('nan')):.1%}" for k in snrs)
                     + f" | {r['false_alarms']} | {r['false_alarms_per_hour']:.1f} | "
                     + " / ".join(f"{v:.1%}" for v in r.get("miss_at_fa_per_hour", {}).values()) + " |")
    atomic_write_text(RESULTS / "kws_spot.md", "\n".join(lines) + "\n")
    print(json.dumps(row), flush=True)
    return row


def collect() -> dict:
    out = {}
    for d in sorted(RUNS.glob("*/folds")):
        rows = []
        for f in sorted(d.glob("fold_*/metrics.json")):
            m = json.loads(f.read_text())
            if "cv" in m:
                rows.append(m["cv"])
        if rows:
            out[d.parent.name] = sorted(rows, key=lambda r: r["fold"])
    return out


def report() -> None:
    from qnn.train_cv import summarize
    from qnn.util.atomic import atomic_write_text

    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = collect()
    total = sum(r["train_seconds"] for rows in runs.values() for r in rows)
    load = os.getloadavg()
    meta = {"k": K, "total_train_seconds": round(total, 1), "threads_per_training": 1,
            "loadavg_at_report": [round(x, 2) for x in load], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    cv = {n: summarize(rows) for n, rows in runs.items() if len(rows) == K}
    abl = {n: next(r for r in rows if r["fold"] == 0) for n, rows in runs.items() if any(r["fold"] == 0 for r in rows)}
    for n, s in cv.items():
        s["config"] = parse_name(n)
    atomic_write_text(RESULTS / "kws_cv.json", json.dumps({**meta, "rows": cv}, indent=2))
    lines = [f"5-fold cross-validation by speaker on the dev clips outside the hash test split "
             f"(total training time of all benchmark runs {total / 60:.0f} min, 1 torch thread each)", "",
             "| config | mean acc | std | folds | train time / fold (mean, max) |", "|---|---|---|---|---|"]
    for n, s in sorted(cv.items(), key=lambda kv: -kv[1]["mean"]):
        ts = [f["train_seconds"] for f in s["folds"]]
        lines.append(f"| {n} | {s['mean']:.2%} | {s['std']:.2%} | "
                     + " ".join(f"{f['accuracy']:.1%}" for f in s["folds"])
                     + f" | {sum(ts) / len(ts) / 60:.1f} / {max(ts) / 60:.1f} min |")
    atomic_write_text(RESULTS / "kws_cv.md", "\n".join(lines) + "\n")
    ref = abl.get("cnn-w4a4-baseline", {}).get("accuracy")
    atomic_write_text(RESULTS / "kws_ablation.json", json.dumps({**meta, "fold": 0, "rows": abl}, indent=2))
    lines = [f"Single split: speaker fold 0 of {K} held out ({next(iter(abl.values()))['n'] if abl else 0} clips)",
             "", "| config | accuracy | vs cnn-w4a4-baseline | train samples | train time |", "|---|---|---|---|---|"]
    for n, r in sorted(abl.items()):
        d = f"{(r['accuracy'] - ref) * 100:+.1f} pt" if ref is not None else "-"
        lines.append(f"| {n} | {r['accuracy']:.2%} | {d} | {r['train_samples']} | {r['train_seconds'] / 60:.1f} min |")
    atomic_write_text(RESULTS / "kws_ablation.md", "\n".join(lines) + "\n")
    print((RESULTS / "kws_cv.md").read_text())
    print((RESULTS / "kws_ablation.md").read_text())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", nargs="?", default="all", choices=["all", "train", "golden", "spot", "report"],
                    help="all (default, what `make bench` runs): the published jobs, spotting, the report")
    ap.add_argument("jobs", nargs="*", help="CONFIG:FOLDS (train) or CONFIG (golden)")
    ap.add_argument("--data", default=os.environ.get("QNN_DATA", str(ROOT.parent / "shared" / "data")))
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    if args.cmd == "report":
        return report()
    if args.cmd == "all":  # finished folds are kept: a re-run only does what is missing
        for job in DEFAULT_JOBS:
            name, _, folds = job.partition(":")
            train_job(name, parse_folds(folds), args.data)
        for name in SPOT_JOBS:
            spot_job(name, 0, args.data)
        return report()
    for job in args.jobs:
        name, _, folds = job.partition(":")
        if args.cmd == "train":
            t0 = time.time()
            s = train_job(name, parse_folds(folds or "0-4"), args.data)
            print(f"== {name}: {s['mean']:.4f} +- {s['std']:.4f} over {s['k']} fold(s) ({time.time() - t0:.0f} s)",
                  flush=True)
        elif args.cmd == "spot":
            spot_job(name, int(folds or 0), args.data)
        else:
            golden_job(name, int(folds or 0))


if __name__ == "__main__":
    main()
