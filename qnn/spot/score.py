"""Detections against known events: hits, misses per SNR, false alarms per hour, the DET curve, the threshold.

A keyword event [start, end) is hit by a detection of the same keyword whose time lies in [start - 0.5 s,
end + 0.5 s] (the window centres of the windows that contain the whole clip, with their smoothing delay); each
event takes at most one detection and each detection one event. Every other detection is a false alarm: on
unknown words, in noise, or naming the wrong keyword. False alarms per hour = false alarms / the recording's hours.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.spot.stream import Detection, Posteriors, detect

TOLERANCE_S = 0.5
THRESHOLDS = np.round(np.concatenate([np.arange(0.30, 0.90, 0.02), np.arange(0.90, 0.995, 0.005)]), 4)


def score(dets: list[Detection], events: list[dict], duration_s: float) -> dict:
    kws = sorted((e for e in events if e["kind"] == "keyword"), key=lambda e: e["start"])
    used = [False] * len(kws)
    hits = np.zeros(len(kws), bool)
    fa = 0
    for d in dets:
        for j, e in enumerate(kws):
            if not used[j] and e["label"] == d.keyword and e["start"] - TOLERANCE_S <= d.time <= e["end"] + TOLERANCE_S:
                used[j] = hits[j] = True
                break
        else:
            fa += 1
    per_snr = {}
    for snr in sorted({e["snr_db"] for e in kws}, reverse=True):
        sel = [j for j, e in enumerate(kws) if e["snr_db"] == snr]
        per_snr[f"{snr:g}"] = {"events": len(sel), "misses": int((~hits[sel]).sum()),
                               "miss_rate": float((~hits[sel]).mean())}
    hours = duration_s / 3600
    return {"keywords": len(kws), "detections": len(dets), "hits": int(hits.sum()),
            "miss_rate": float((~hits).mean()) if len(kws) else None, "false_alarms": fa,
            "false_alarms_per_hour": fa / hours if hours else None, "hours": hours, "miss_rate_per_snr": per_snr}


def false_alarms_per_hour(post: Posteriors, threshold: float, duration_s: float) -> float:
    """On keyword-free audio every detection is a false alarm."""
    return len(detect(post, threshold)) / (duration_s / 3600)


def choose_threshold(post_free: Posteriors, duration_s: float, target_fa_per_hour: float,
                     thresholds=THRESHOLDS) -> tuple[float, float]:
    """(lowest threshold whose false alarms per hour on the keyword-free audio are <= target, that rate)."""
    for t in thresholds:
        fa = false_alarms_per_hour(post_free, float(t), duration_s)
        if fa <= target_fa_per_hour:
            return float(t), fa
    t = float(thresholds[-1])
    return t, false_alarms_per_hour(post_free, t, duration_s)


def det_curve(post: Posteriors, events: list[dict], duration_s: float, post_free: Posteriors | None = None,
              free_s: float | None = None, thresholds=THRESHOLDS) -> list[dict]:
    """Per threshold: miss rate (overall and per SNR) on the stream, false alarms per hour on the stream and on
    the keyword-free audio."""
    rows = []
    for t in thresholds:
        s = score(detect(post, float(t)), events, duration_s)
        row = {"threshold": float(t), "miss_rate": s["miss_rate"], "fa_per_hour": s["false_alarms_per_hour"],
               "miss_rate_per_snr": {k: v["miss_rate"] for k, v in s["miss_rate_per_snr"].items()}}
        if post_free is not None:
            row["fa_per_hour_keyword_free"] = false_alarms_per_hour(post_free, float(t), free_s)
        rows.append(row)
    return rows


def plot_det_stream(rows: list[dict], path: str | Path, title: str, chosen: float | None = None) -> Path:
    """Miss rate against false alarms per hour (log), overall and per SNR, over the thresholds."""
    from qnn.metrics.plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(7, 5.5))
    fa = np.array([max(r["fa_per_hour"], 0.5) for r in rows])
    ax.plot(fa, [r["miss_rate"] for r in rows], "k-", lw=2, label="all keywords")
    for snr in rows[0]["miss_rate_per_snr"]:
        ax.plot(fa, [r["miss_rate_per_snr"][snr] for r in rows], lw=1.2, label=f"SNR {snr} dB")
    if "fa_per_hour_keyword_free" in rows[0]:
        ax.plot([max(r["fa_per_hour_keyword_free"], 0.5) for r in rows], [r["miss_rate"] for r in rows], "k:",
                lw=1.2, label="all keywords vs false alarms on keyword-free audio")
    if chosen is not None:
        r = min(rows, key=lambda r: abs(r["threshold"] - chosen))
        ax.plot([max(r["fa_per_hour"], 0.5)], [r["miss_rate"]], "ro", label=f"threshold {chosen:g}")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("false alarms per hour (log; 0 drawn at 0.5)")
    ax.set_ylabel("miss rate")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
