"""The dataset contract shared by every loader.

A ``Dataset`` holds float32 inputs in [0, 1] (what the input quantizer expects), shaped ``[N, C, H, W]``
(MNIST: 1x28x28; keyword spotting: 1x49x10 MFCC frames x coefficients), int64 labels and the class names.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnn.errors import QnnError


@dataclass(frozen=True)
class Dataset:
    name: str
    split: str
    x: np.ndarray  # float32 [N, C, H, W] in [0, 1]
    y: np.ndarray  # int64 [N]
    classes: tuple[str, ...]
    source: str  # where the samples came from, for reports

    def __len__(self) -> int:
        return len(self.y)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, n: int | None, seed: int = 0) -> Dataset:
        """The first ``n`` samples of a fixed shuffle (all of them if ``n`` is None)."""
        if n is None or n >= len(self):
            return self
        idx = np.random.default_rng(seed).permutation(len(self))[:n]
        return Dataset(self.name, self.split, self.x[idx], self.y[idx], self.classes, self.source)


def data_root(data_dir: str | Path | None) -> Path | None:
    """``--data-dir`` if given, else ``$QNN_DATA``, else None (embedded defaults)."""
    if data_dir:
        p = Path(data_dir)
        if not p.is_dir():
            raise QnnError(f"data directory {p} does not exist")
        return p
    env = os.environ.get("QNN_DATA")
    if env:
        p = Path(env)
        if not p.is_dir():
            raise QnnError(f"QNN_DATA={env} is not a directory; unset it or point it at the data")
        return p
    return None
