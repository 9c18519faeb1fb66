"""Detection metrics for a keyword spotter: per-keyword ROC curves and the error rates at an operating threshold.

A keyword spotter can fail in two ways that accuracy mixes up: it fires on speech that is not the keyword
(false positive: a light switches on by itself) or misses the keyword (false negative). Each class is scored
one-vs-rest with its softmax probability: keyword k is *detected* in a clip when p_k >= threshold. Per class:

* ROC curve (false-positive rate vs true-positive rate over all thresholds), its AUC, and the equal error rate
  (EER: where FPR = FNR);
* at the operating threshold: FPR = FP / negatives, FNR = FN / positives.

Macro averages are over the keywords (class names not starting with "_": ``_silence_`` and ``_unknown_`` are
classes of the model but nothing a user asks to detect); their per-class numbers are reported all the same.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.errors import QnnError


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def roc(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) of one-vs-rest scores (scikit-learn's ``roc_curve``, all points kept)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(positive.astype(int), scores, drop_intermediate=False)
    return fpr, tpr, thr


def equal_error_rate(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """The error rate where the false-positive and false-negative rates cross (linear interpolation)."""
    fnr = 1 - tpr
    d = fpr - fnr  # rises from -1 to +1 along the curve
    i = int(np.searchsorted(d, 0.0))
    if i == 0:
        return float(fpr[0])
    if i >= len(d):
        return float(fnr[-1])
    w = -d[i - 1] / (d[i] - d[i - 1]) if d[i] != d[i - 1] else 0.0
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


def keywords_of(classes) -> list[int]:
    return [i for i, c in enumerate(classes) if not str(c).startswith("_")]


def detection_report(logits: np.ndarray, y: np.ndarray, classes, threshold: float = 0.5) -> dict:
    """Per-class AUC, EER and FPR/FNR at ``threshold`` from logits [N, C] and labels [N] (JSON-able)."""
    if not 0.0 <= threshold <= 1.0:
        raise QnnError(f"operating threshold {threshold} is not a probability in [0, 1]")
    probs = softmax(logits)
    y = np.asarray(y)
    if probs.shape != (len(y), len(classes)):
        raise QnnError(f"logits {probs.shape} do not match {len(y)} labels x {len(classes)} classes")
    per = {}
    for k, name in enumerate(classes):
        pos = y == k
        fired = probs[:, k] >= threshold
        n_pos, n_neg = int(pos.sum()), int((~pos).sum())
        entry = {
            "positives": n_pos, "negatives": n_neg,
            "tp": int((fired & pos).sum()), "fp": int((fired & ~pos).sum()),
            "fn": int((~fired & pos).sum()), "tn": int((~fired & ~pos).sum()),
        }
        entry["fpr"] = entry["fp"] / n_neg if n_neg else None
        entry["fnr"] = entry["fn"] / n_pos if n_pos else None
        if n_pos and n_neg:
            fpr, tpr, _ = roc(probs[:, k], pos)
            entry["auc"] = float(np.trapezoid(tpr, fpr))
            entry["eer"] = equal_error_rate(fpr, tpr)
        else:  # a class absent from this set (or the only one): no curve
            entry["auc"] = entry["eer"] = None
        per[str(name)] = entry
    kw = [str(classes[i]) for i in keywords_of(classes)]

    def mean(key):
        vals = [per[c][key] for c in kw if per[c][key] is not None]
        return float(np.mean(vals)) if vals else None

    return {"threshold": threshold, "per_class": per, "keywords": kw,
            "macro": {k: mean(k) for k in ("auc", "eer", "fpr", "fnr")}}


def plot_roc(logits: np.ndarray, y: np.ndarray, classes, path: str | Path, title: str,
             threshold: float = 0.5) -> Path:
    """Per-keyword ROC curves (log false-positive axis) with each keyword's operating point marked."""
    from qnn.metrics.plots import plt, save_figure

    probs = softmax(logits)
    y = np.asarray(y)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(classes), 2)))
    floor = 0.5 / max((y != y[0]).sum(), 1) if len(y) else 1e-3
    for k, name in enumerate(classes):
        pos = y == k
        if not pos.any() or pos.all():
            continue
        fpr, tpr, _ = roc(probs[:, k], pos)
        auc = float(np.trapezoid(tpr, fpr))
        style = "-" if not str(name).startswith("_") else ":"
        label = str(name).strip("_")  # matplotlib hides labels starting with "_"
        ax.plot(np.maximum(fpr, floor), tpr, style, color=colors[k], lw=1.4, label=f"{label} (AUC {auc:.3f})")
        fired = probs[:, k] >= threshold
        op_fpr = max((fired & ~pos).sum() / (~pos).sum(), floor)
        ax.plot([op_fpr], [(fired & pos).sum() / pos.sum()], "o", color=colors[k], ms=5)
    ax.set_xscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false-positive rate (log)")
    ax.set_ylabel("true-positive rate = 1 - false-negative rate")
    ax.set_title(f"{title}\n(dots: operating threshold p >= {threshold:g}; dotted: non-keyword classes)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, path)
