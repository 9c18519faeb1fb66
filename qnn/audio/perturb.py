"""Speed and pitch perturbation, and synthetic reverberation, of 1 s clips (training-time augmentation).

* speed: the clip is resampled by a factor r (linear interpolation): r > 1 plays faster and higher, as
  Kaldi's 3-way speed perturbation (0.9 / 1.0 / 1.1) does; the result is zero-padded / centre-cropped to the
  clip length;
* pitch: a shift by s semitones at the same duration (librosa's phase vocoder + resample);
* reverberation: a synthetic room impulse response, Gaussian noise under an exponential decay that falls by
  60 dB in RT60 seconds, after a unit direct path; the wet clip is rescaled to the dry clip's peak.
"""
from __future__ import annotations

import numpy as np


def fit_center(x: np.ndarray, n: int) -> np.ndarray:
    """Zero-pad equally on both sides, or crop the centre, to ``n`` samples."""
    if len(x) == n:
        return x
    if len(x) > n:
        s = (len(x) - n) // 2
        return x[s : s + n]
    out = np.zeros(n, x.dtype)
    s = (n - len(x)) // 2
    out[s : s + len(x)] = x
    return out


def speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (and higher), same number of samples."""
    if factor == 1.0:
        return x
    m = max(2, int(round(len(x) / factor)))
    y = np.interp(np.linspace(0, len(x) - 1, m), np.arange(len(x)), x)
    return fit_center(y.astype(np.float32), len(x))


def pitch(x: np.ndarray, semitones: float, sample_rate: int = 16000) -> np.ndarray:
    """Shift ``x`` by ``semitones`` keeping its duration."""
    if semitones == 0:
        return x
    import librosa

    y = librosa.effects.pitch_shift(x.astype(np.float32), sr=sample_rate, n_steps=semitones, n_fft=512,
                                    hop_length=128, res_type="soxr_qq")
    return fit_center(y.astype(np.float32), len(x))


def impulse_response(rt60: float, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    """A random exponential-decay room impulse response of ``rt60`` seconds (direct path 1)."""
    n = max(2, int(rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    ir = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000): -60 dB at t = rt60
    ir[0] = 0.0
    ir *= rng.uniform(0.2, 0.6) / (np.sqrt((ir**2).sum()) + 1e-12)  # reverberant energy below the direct path
    ir[0] = 1.0
    return ir.astype(np.float32)


def reverb(x: np.ndarray, rt60: float, rng: np.random.Generator, sample_rate: int = 16000) -> np.ndarray:
    from scipy.signal import fftconvolve

    y = fftconvolve(x, impulse_response(rt60, rng, sample_rate))[: len(x)]
    peak = np.abs(x).max()
    return (y * (peak / (np.abs(y).max() + 1e-12))).astype(np.float32)


def mix_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``x`` plus ``noise`` scaled to ``snr_db`` below the clip's RMS (speech power / noise power)."""
    ps = float(np.mean(x.astype(np.float64) ** 2))
    pn = float(np.mean(noise.astype(np.float64) ** 2)) + 1e-12
    if ps == 0:
        return x
    return (x + noise * np.sqrt(ps / pn / 10 ** (snr_db / 10))).astype(np.float32)
