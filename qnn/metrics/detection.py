"""Detection metrics for a keyword spotter: per-keyword ROC curves and the error rates at an operating threshold.

A keyword spotter can fail in two ways that accuracy mixes up: it fires on speech that is not the keyword
(false positive: a light switches on by itself) or misses the keyword (false negative). Each class is scored
one-vs-rest with its softmax probability: keyword k is *detected* in a clip when p_k >= threshold. Per class:

* ROC curve (false-positive rate vs true-positive rate over all thresholds), its AUC, and the equal error rate
  (EER: where FPR = FNR);
* at the operating threshold: FPR = FP / negatives, FNR = FN / positives;
* the false-negative rate at a fixed false-positive rate (1 % and 5 %: the threshold set so that at most that
  fraction of the negatives fire), the figure a product team asks for; and the DET curve (FNR against FPR on
  normal-deviate axes, ``plot_det``), beside the ROC.

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


def fnr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, target: float) -> float:
    """The lowest false-negative rate among the thresholds whose false-positive rate is <= ``target``."""
    ok = fpr <= target + 1e-12
    return float(1 - tpr[ok].max()) if ok.any() else 1.0


FPR_TARGETS = (0.01, 0.05)


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
            entry["fnr_at_fpr"] = {f"{t:g}": fnr_at_fpr(fpr, tpr, t) for t in FPR_TARGETS}
        else:  # a class absent from this set (or the only one): no curve
            entry["auc"] = entry["eer"] = None
            entry["fnr_at_fpr"] = {f"{t:g}": None for t in FPR_TARGETS}
        per[str(name)] = entry
    kw = [str(classes[i]) for i in keywords_of(classes)]

    def mean(key):
        vals = [per[c][key] for c in kw if per[c][key] is not None]
        return float(np.mean(vals)) if vals else None

    macro = {k: mean(k) for k in ("auc", "eer", "fpr", "fnr")}
    vals = {t: [per[c]["fnr_at_fpr"][t] for c in kw if per[c]["fnr_at_fpr"][t] is not None]
            for t in (f"{t:g}" for t in FPR_TARGETS)}
    macro["fnr_at_fpr"] = {t: float(np.mean(v)) if v else None for t, v in vals.items()}
    return {"threshold": threshold, "per_class": per, "keywords": kw, "macro": macro}


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


def plot_det(logits: np.ndarray, y: np.ndarray, classes, path: str | Path, title: str) -> Path:
    """Per-keyword DET curves: false-negative rate against false-positive rate, both on normal-deviate (probit)
    axes, where a detector with Gaussian scores is a straight line; the 1 % and 5 % FPR points are marked."""
    from scipy.stats import norm

    from qnn.metrics.plots import plt, save_figure

    probs = softmax(logits)
    y = np.asarray(y)
    lim = (1e-3, 0.6)
    ticks = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]
    fig, ax = plt.subplots(figsize=(7.5, 6))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(classes), 2)))
    for k in keywords_of(classes):
        pos = y == k
        if not pos.any() or pos.all():
            continue
        fpr, tpr, _ = roc(probs[:, k], pos)
        fnr = 1 - tpr
        clip = lambda v: norm.ppf(np.clip(v, *lim))  # noqa: E731
        ax.plot(clip(fpr), clip(fnr), color=colors[k], lw=1.4, label=str(classes[k]))
        for t in FPR_TARGETS:
            ax.plot([clip(t)], [clip(fnr_at_fpr(fpr, tpr, t))], "o", color=colors[k], ms=4)
    for t in FPR_TARGETS:
        ax.axvline(norm.ppf(t), color="grey", ls=":", lw=1)
    ax.set_xticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks], rotation=45)
    ax.set_yticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_xlim(norm.ppf(lim[0]), norm.ppf(lim[1]))
    ax.set_ylim(norm.ppf(lim[0]), norm.ppf(lim[1]))
    ax.set_xlabel("false-positive rate (normal deviate scale)")
    ax.set_ylabel("false-negative rate (miss rate)")
    ax.set_title(f"{title}\n(dots: FNR at FPR 1 % and 5 %)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    return save_figure(fig, path)
