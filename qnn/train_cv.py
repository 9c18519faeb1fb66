"""k-fold cross-validation by speaker: ``cross_validate(run_dir, ...)`` trains one run per fold and reports mean +- std.

Each fold is an ordinary run directory, ``RUN/folds/fold_<i>/``, trained on the other folds (dataset options
``cv_folds=k, cv_fold=i``: see ``qnn.data.kws``, no speaker in two folds) and scored on its held-out fold, which
is that run's "test" split, so ``qnn eval RUN/folds/fold_<i>`` evaluates it again. A finished fold (its metrics
hold ``cv`` for the same configuration) is kept; an interrupted one resumes from its last epoch checkpoint. The
summary goes to ``RUN/cv.json`` and ``RUN/metrics.json`` (``cv``): per-fold accuracy, mean and the sample
standard deviation over folds.

Accuracy per fold is the Brevitas (or float) model's on the held-out clips; golden == Brevitas is checked by
``qnn export`` / ``qnn eval`` on a fold run like on any other.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from qnn.errors import QnnError
from qnn.run import Run
from qnn.util.atomic import atomic_write_text


def fold_dir(run_dir: Path, fold: int) -> Path:
    return Path(run_dir) / "folds" / f"fold_{fold}"


def teacher_for_fold(teacher: str | None, fold: int) -> str | None:
    """A cross-validated teacher run gives each fold its own teacher (never trained on the fold's speakers)."""
    if not teacher:
        return None
    f = fold_dir(Path(teacher), fold)
    if (Path(teacher) / "folds").is_dir():
        if not (f / "checkpoint.pt").is_file():
            raise QnnError(f"teacher {teacher} is cross-validated but has no trained fold {fold} ({f})")
        return str(f)
    return teacher


def summarize(folds: list[dict]) -> dict:
    acc = np.array([f["accuracy"] for f in folds])
    return {"k": len(folds), "folds": folds, "mean": float(acc.mean()),
            "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "train_seconds": round(sum(f["train_seconds"] for f in folds), 1)}


def cross_validate(run_dir: Path, k: int, ds_cfg: dict, make_spec: Callable, cfg, *, folds: list[int] | None = None,
                   quiet: bool = False, log: Callable[[str], None] = print) -> dict:
    """Train and score the folds (all, or those in ``folds``); returns the summary of every finished fold.

    ``ds_cfg``: {"name", "data_dir", "options"} as in a run config; ``make_spec(train_dataset) -> ModelSpec``;
    ``cfg``: the TrainConfig (``distill`` may name a cross-validated teacher, see ``teacher_for_fold``)."""
    from qnn.data import load_dataset
    from qnn.train import predict_logits, train

    if ds_cfg["name"] != "kws":
        raise QnnError(f"--cv splits by speaker: only the kws dataset has speakers, not {ds_cfg['name']!r}")
    if k < 2:
        raise QnnError(f"--cv needs at least 2 folds, got {k}")
    results = []
    for i in range(k) if folds is None else folds:
        run = Run(fold_dir(run_dir, i))
        fcfg = replace(cfg, distill=teacher_for_fold(cfg.distill, i))
        fds = {**ds_cfg, "options": {**ds_cfg["options"], "cv_folds": k, "cv_fold": i}}
        done = run.metrics.get("cv")
        if done and run.config_file.is_file() and run.config.get("train") == asdict(fcfg) and \
                run.config.get("dataset") == fds:
            results.append(done)
            continue
        train_ds = load_dataset(fds["name"], "train", fds["data_dir"], **fds["options"])
        spec = make_spec(train_ds)
        resume = run.checkpoint.is_file() and run.config_file.is_file() and run.config.get("train") == asdict(fcfg)
        run.write_config({"dataset": fds, "model": spec.to_dict(), "train": asdict(fcfg), "limit_train": None,
                          "float_baseline": False})
        log(f"fold {i + 1}/{k}: {spec.tag} on {train_ds.source} ({len(train_ds)} samples)")
        t0 = time.time()
        model, hist = train(run, spec, fcfg, train_ds, resume=resume, quiet=quiet)
        seconds = time.time() - t0
        test = load_dataset(fds["name"], "test", fds["data_dir"], **fds["options"])
        acc = float((predict_logits(model, test.x).argmax(1) == test.y).mean())
        row = {"fold": i, "accuracy": acc, "n": len(test), "train_samples": len(train_ds),
               "train_seconds": round(seconds, 1), "source": test.source}
        run.update_metrics(train=hist, cv=row)
        log(f"fold {i + 1}/{k}: accuracy {acc:.4f} on {len(test)} held-out clips ({seconds:.0f} s)")
        results.append(row)
    summary = summarize(results)
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(run_dir) / "cv.json", json.dumps(summary, indent=2))
    Run(run_dir).update_metrics(cv=summary)
    return summary
