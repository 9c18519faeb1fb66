"""Training-time augmentation of 1 s clips, as the Speech Commands authors' training script does it.

* time shift: the clip moves by a uniform random offset in [-shift, +shift] samples, zero-filled (100 ms);
* background noise: with probability ``noise_prob`` (0.8) a random excerpt of a noise recording is added at a
  uniform random volume in [0, ``noise_volume``] (0.1), then the sum is clipped to [-1, 1].
Silence clips are made from noise alone at a volume in [0, 1] (``silence_clip``).

Because a ``Dataset`` is a fixed array (features are cached), augmentation is done offline: each training clip
gets ``copies`` augmented versions, deterministic in the seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnn.audio.noise import random_crop


@dataclass(frozen=True)
class AugmentConfig:
    copies: int = 1  # augmented versions of each training clip (0: train on the clean clips)
    time_shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_volume: float = 0.1


def time_shift(x: np.ndarray, shift: int) -> np.ndarray:
    """Move a clip by ``shift`` samples (positive = later), zero-filled, same length."""
    if shift == 0:
        return x
    out = np.zeros_like(x)
    if shift > 0:
        out[shift:] = x[:-shift]
    else:
        out[:shift] = x[-shift:]
    return out


def augment_clip(x: np.ndarray, rng: np.random.Generator, noises: list[np.ndarray], cfg: AugmentConfig,
                 sample_rate: int = 16000) -> np.ndarray:
    max_shift = int(cfg.time_shift_ms * sample_rate / 1000)
    y = time_shift(x, int(rng.integers(-max_shift, max_shift + 1))) if max_shift else x
    if noises and rng.random() < cfg.noise_prob:
        y = y + rng.uniform(0, cfg.noise_volume) * random_crop(noises, len(x), rng)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def silence_clip(n: int, rng: np.random.Generator, noises: list[np.ndarray]) -> np.ndarray:
    return (rng.uniform(0, 1) * random_crop(noises, n, rng)).astype(np.float32)
