"""Training-time augmentation of 1 s clips: the Speech Commands authors' recipe plus speed, pitch and reverberation.

In the order applied (each drawn independently per copy, deterministic in the generator):

* speed: a random factor in [1 - ``speed``, 1 + ``speed``] (tempo and pitch together; 0 = off);
* pitch: a random shift in [-``pitch``, +``pitch``] semitones at the same duration (0 = off);
* reverberation: with probability ``reverb_prob`` a synthetic room (``qnn.audio.perturb.impulse_response``) of
  RT60 uniform in ``rt60`` seconds;
* time shift: a uniform random offset in [-shift, +shift] samples, zero-filled (100 ms);
* background noise: with probability ``noise_prob`` (0.8) a random excerpt of a noise recording is added, either at
  a uniform random volume in [0, ``noise_volume``] of its peak (the authors' way, ``snr_db`` None) or at a signal
  to noise ratio uniform in ``snr_db`` (dB, relative to the clip's RMS); then the sum is clipped to [-1, 1].
Silence clips are made from noise alone at a volume in [0, 1] (``silence_clip``).

Because a ``Dataset`` is a fixed array (features are cached), augmentation is done offline: each training clip
gets ``copies`` augmented versions. Masks on the MFCC (SpecAugment) and mixup are online, in ``qnn.train``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from qnn.audio.noise import random_crop
from qnn.audio.perturb import mix_at_snr, pitch, reverb, speed


@dataclass(frozen=True)
class AugmentConfig:
    copies: int = 1  # augmented versions of each training clip (0: train on the clean clips)
    time_shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_volume: float = 0.1
    snr_db: tuple[float, float] | None = None  # noise at a random SNR in [lo, hi] dB instead of a random volume
    speed: float = 0.0  # max relative speed change (0.1: 0.9x .. 1.1x)
    pitch: float = 0.0  # max pitch shift in semitones
    reverb_prob: float = 0.0
    rt60: tuple[float, float] = (0.1, 0.6)

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


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
    y = x
    if cfg.speed:
        y = speed(y, float(rng.uniform(1 - cfg.speed, 1 + cfg.speed)))
    if cfg.pitch:
        y = pitch(y, float(rng.uniform(-cfg.pitch, cfg.pitch)), sample_rate)
    if cfg.reverb_prob and rng.random() < cfg.reverb_prob:
        y = reverb(y, float(rng.uniform(*cfg.rt60)), rng, sample_rate)
    max_shift = int(cfg.time_shift_ms * sample_rate / 1000)
    y = time_shift(y, int(rng.integers(-max_shift, max_shift + 1))) if max_shift else y
    if noises and rng.random() < cfg.noise_prob:
        noise = random_crop(noises, len(x), rng)
        if cfg.snr_db is None:
            y = y + rng.uniform(0, cfg.noise_volume) * noise
        else:
            y = mix_at_snr(y, noise, float(rng.uniform(*cfg.snr_db)))
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def silence_clip(n: int, rng: np.random.Generator, noises: list[np.ndarray]) -> np.ndarray:
    return (rng.uniform(0, 1) * random_crop(noises, n, rng)).astype(np.float32)
