"""Sliding-window posteriors and detections over a long recording.

Window i covers samples [i * hop, i * hop + 1 s); its features are computed exactly as for one training clip
(``qnn.audio.mfcc.features``), so the model sees what it was trained on. Posteriors (softmax of the golden
model's logits) are smoothed by a causal moving average over ``smooth_ms``; a window fires for the keyword with the
highest smoothed posterior when that is >= the threshold. Consecutive firing windows of one keyword form one
detection at their peak (time = the window's centre); detections closer than ``refractory_s`` keep the best.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    time: float  # seconds, centre of the peak window
    keyword: str
    score: float


@dataclass
class Posteriors:
    times: np.ndarray  # [N] window centres, seconds
    probs: np.ndarray  # [N, classes] smoothed posteriors
    classes: tuple[str, ...]
    hop_s: float

    @property
    def keyword_ids(self) -> list[int]:
        return [i for i, c in enumerate(self.classes) if not c.startswith("_")]


def window_features(audio: np.ndarray, cfg, hop: int, chunk: int = 256):
    """Yield (first window index, features [n, 1, frames, coefficients]) over the whole recording."""
    from qnn.audio.mfcc import features

    n = cfg.num_samples
    count = max(1, (len(audio) - n) // hop + 1)
    if len(audio) < n:
        audio = np.pad(audio, (0, n - len(audio)))
    for s in range(0, count, chunk):
        idx = np.arange(s, min(count, s + chunk))
        frames = np.stack([audio[i * hop : i * hop + n] for i in idx])
        yield s, features(frames, cfg)


def smooth(probs: np.ndarray, width: int) -> np.ndarray:
    """Causal moving average over the last ``width`` windows (fewer at the start)."""
    if width <= 1:
        return probs
    c = np.cumsum(np.vstack([np.zeros((1, probs.shape[1])), probs]), axis=0)
    i = np.arange(1, len(probs) + 1)
    lo = np.maximum(0, i - width)
    return (c[i] - c[lo]) / (i - lo)[:, None]


def posteriors(graph, audio: np.ndarray, cfg, classes, hop_ms: float = 100.0, smooth_ms: float = 300.0,
               progress: bool = False) -> Posteriors:
    from qnn.golden import predict
    from qnn.metrics.detection import softmax

    hop = max(1, int(round(hop_ms * cfg.sample_rate / 1000)))
    count = max(1, (len(audio) - cfg.num_samples) // hop + 1)
    probs = np.empty((count, len(classes)))
    it = window_features(audio, cfg, hop)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=-(-count // 256), desc="windows", unit="chunk", leave=False)
    for s, x in it:
        probs[s : s + len(x)] = softmax(predict(graph, x)[1])
    width = max(1, int(round(smooth_ms / hop_ms)))
    times = (np.arange(count) * hop + cfg.num_samples / 2) / cfg.sample_rate
    return Posteriors(times, smooth(probs, width), tuple(classes), hop / cfg.sample_rate)


def detect(post: Posteriors, threshold: float, refractory_s: float = 1.0) -> list[Detection]:
    kw = post.keyword_ids
    if not kw:
        return []
    p = post.probs[:, kw]
    best = p.argmax(1)
    score = p[np.arange(len(p)), best]
    fire = score >= threshold
    dets: list[Detection] = []
    i = 0
    while i < len(p):
        if not fire[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(p) and fire[j + 1] and best[j + 1] == best[i]:
            j += 1
        k = i + int(score[i : j + 1].argmax())
        dets.append(Detection(float(post.times[k]), post.classes[kw[best[k]]], float(score[k])))
        i = j + 1
    kept: list[Detection] = []
    for d in dets:  # in time order: a detection within the refractory time of the last kept one competes with it
        if kept and d.time - kept[-1].time < refractory_s:
            if d.score > kept[-1].score:
                kept[-1] = d
            continue
        kept.append(d)
    return kept
