"""k-fold cross-validation folds by speaker: no speaker's clips in two folds, folds of about equal clip counts.

``speaker_folds(speakers, k)`` assigns each distinct speaker id to one of ``k`` folds: speakers in order of
descending clip count (ties broken by the SHA-1 of the id, so the order does not depend on file order), each to
the fold with the fewest clips so far (greedy bin packing). Deterministic: the same clips give the same folds
on every machine, and a ``salt`` gives another, equally valid, assignment.
"""
from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

from qnn.errors import QnnError


def speaker_folds(speakers: list[str], k: int, salt: str = "") -> np.ndarray:
    """The fold (0..k-1) of each entry of ``speakers`` (one id per clip)."""
    if k < 2:
        raise QnnError(f"cross-validation needs at least 2 folds, got {k}")
    counts = Counter(speakers)
    if len(counts) < k:
        raise QnnError(f"{len(counts)} speakers cannot fill {k} speaker-disjoint folds")
    order = sorted(counts, key=lambda s: (-counts[s], hashlib.sha1((salt + s).encode()).hexdigest()))
    load = [0] * k
    fold_of: dict[str, int] = {}
    for s in order:
        f = min(range(k), key=lambda i: (load[i], i))
        fold_of[s] = f
        load[f] += counts[s]
    return np.array([fold_of[s] for s in speakers], np.int64)
