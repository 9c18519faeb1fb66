"""The MFCC frontend (librosa), configured by default like the MLPerf Tiny / finn-examples KWS features.

Defaults: 16 kHz, 1 s clips, 30 ms Hann window, 20 ms stride, |STFT| (magnitude, 512-point FFT), 40 HTK mel
bands from 20 Hz to 4 kHz, natural log (+1e-6), orthonormal DCT-II, first 10 coefficients: 49 frames x 10 = 490
values. The frames sit where TensorFlow's ``tf.signal.stft`` puts them (frame t = samples [t*stride,
t*stride+window)): librosa centres the window inside its FFT frame, so the signal is padded by that offset first.
Not bit-identical to TensorFlow (librosa's mel filters and DCT-0 scale differ slightly), same features otherwise.

``to_unit`` maps the coefficients to [0, 1] with fixed per-coefficient constants (``lo``/``hi``), never with
statistics of a split, so one WAV in ``qnn predict`` gets exactly the features training saw; the model's
8-bit input quantizer then takes round(x * 256) clipped to 255. The default constants cover the 0.1st to
99.9th percentile of each coefficient over the real Speech Commands dev clips (2,745) and 1,200 synthetic ones
together, rounded outwards (see ``calibrate``); for another number of coefficients a generic range is used
unless ``lo``/``hi`` are given.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from qnn.errors import QnnError

# Per-coefficient ranges for the default configuration (10 coefficients), from ``calibrate`` (see docstring).
# c0 = sum of the 40 log-mel values / sqrt(40): digital silence gives 40 * log(1e-6) / sqrt(40) = -87.4.
DEFAULT_LO = (-88.0, -12.0, -10.0, -10.0, -9.0, -7.0, -6.0, -5.0, -5.0, -4.0)
DEFAULT_HI = (22.0, 15.0, 11.0, 6.0, 6.0, 5.0, 5.0, 5.0, 4.0, 3.0)
GENERIC_ABS = 12.0  # other configurations: c0 from digital silence to a quarter of that above 0, others +-12


@dataclass(frozen=True)
class MfccConfig:
    sample_rate: int = 16000
    clip_ms: float = 1000.0
    window_ms: float = 30.0
    stride_ms: float = 20.0
    n_fft: int | None = None  # None: the next power of two >= window (TensorFlow's default)
    n_mels: int = 40
    n_mfcc: int = 10
    fmin: float = 20.0
    fmax: float = 4000.0
    log_offset: float = 1e-6
    lo: tuple[float, ...] | None = None  # per-coefficient value mapped to 0 (None: the defaults above)
    hi: tuple[float, ...] | None = None  # ... and to 1

    def __post_init__(self) -> None:
        if self.window > self.num_samples or self.hop < 1 or self.window < 1:
            raise QnnError(f"MFCC config: window {self.window_ms} ms / stride {self.stride_ms} ms do not fit "
                           f"a {self.clip_ms} ms clip")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise QnnError(f"MFCC config: need 0 <= fmin < fmax <= {self.sample_rate / 2:g} Hz")
        if not 1 <= self.n_mfcc <= self.n_mels:
            raise QnnError(f"MFCC config: n_mfcc={self.n_mfcc} must be between 1 and n_mels={self.n_mels}")
        if self.n_fft is not None and self.n_fft < self.window:
            raise QnnError(f"MFCC config: n_fft={self.n_fft} is shorter than the {self.window}-sample window")
        for name in ("lo", "hi"):
            v = getattr(self, name)
            if v is not None and len(v) != self.n_mfcc:
                raise QnnError(f"MFCC config: {name} needs {self.n_mfcc} values, got {len(v)}")
        lo, hi = self.bounds
        if not (hi > lo).all():
            raise QnnError("MFCC config: every hi must be larger than its lo")

    # derived sizes --------------------------------------------------------------------------------
    num_samples = property(lambda self: int(round(self.sample_rate * self.clip_ms / 1000)))
    window = property(lambda self: int(round(self.sample_rate * self.window_ms / 1000)))
    hop = property(lambda self: int(round(self.sample_rate * self.stride_ms / 1000)))
    fft_size = property(lambda self: self.n_fft or 1 << (self.window - 1).bit_length())
    n_frames = property(lambda self: 1 + (self.num_samples - self.window) // self.hop)
    shape = property(lambda self: (1, self.n_frames, self.n_mfcc))

    @property
    def calibrated(self) -> bool:
        """Whether ``DEFAULT_LO``/``DEFAULT_HI`` fit: the analysis that sets the MFCC scale is the default one."""
        keys = ("sample_rate", "window_ms", "n_fft", "n_mels", "n_mfcc", "fmin", "fmax", "log_offset")
        defaults = {f.name: f.default for f in fields(self)}
        return all(getattr(self, k) == defaults[k] for k in keys)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if self.lo is not None and self.hi is not None:
            return np.array(self.lo, np.float32), np.array(self.hi, np.float32)
        if self.calibrated:
            lo, hi = np.array(DEFAULT_LO, np.float32), np.array(DEFAULT_HI, np.float32)
        else:
            lo = np.full(self.n_mfcc, -GENERIC_ABS, np.float32)
            hi = np.full(self.n_mfcc, GENERIC_ABS, np.float32)
            lo[0] = np.log(self.log_offset) * np.sqrt(self.n_mels) - 1
            hi[0] = -0.25 * lo[0]
        if self.lo is not None:
            lo = np.array(self.lo, np.float32)
        if self.hi is not None:
            hi = np.array(self.hi, np.float32)
        return lo, hi

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("lo", "hi"):
            if d[k] is not None:
                d[k] = [float(v) for v in d[k]]
        return d

    @staticmethod
    def from_dict(d: dict | None) -> MfccConfig:
        d = dict(d or {})
        known = {f.name for f in fields(MfccConfig)}
        bad = sorted(set(d) - known)
        if bad:
            raise QnnError(f"unknown MFCC option(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
        for k in ("lo", "hi"):
            if d.get(k) is not None:
                d[k] = tuple(float(v) for v in d[k])
        return MfccConfig(**d)

    def with_(self, **kw) -> MfccConfig:
        return replace(self, **kw)


def mfcc(audio: np.ndarray, cfg: MfccConfig = MfccConfig(), batch: int = 512) -> np.ndarray:
    """Raw MFCCs: float32 audio [N, num_samples] (or [num_samples]) -> [N, n_frames, n_mfcc]."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    single = audio.ndim == 1
    audio = audio.reshape(-1, audio.shape[-1])
    if audio.shape[1] != cfg.num_samples:
        raise QnnError(f"MFCC: clips have {audio.shape[1]} samples, the frontend takes {cfg.num_samples}")
    n_fft = cfg.fft_size
    left = (n_fft - cfg.window) // 2
    mel_basis = librosa.filters.mel(sr=cfg.sample_rate, n_fft=n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin,
                                    fmax=cfg.fmax, htk=True, norm=None)
    out = np.empty((len(audio), cfg.n_frames, cfg.n_mfcc), np.float32)
    for i in range(0, len(audio), batch):
        y = np.pad(audio[i : i + batch], ((0, 0), (left, n_fft - cfg.window - left)))
        spec = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=cfg.hop, win_length=cfg.window, window="hann",
                                   center=False))  # [b, bins, frames]
        spec = spec[..., : cfg.n_frames]
        log_mel = np.log(np.matmul(mel_basis, spec) + cfg.log_offset)
        coef = librosa.feature.mfcc(S=log_mel, n_mfcc=cfg.n_mfcc, dct_type=2, norm="ortho")  # [b, n_mfcc, frames]
        out[i : i + batch] = coef.transpose(0, 2, 1)
    return out[0] if single else out


def to_unit(coefs: np.ndarray, cfg: MfccConfig = MfccConfig()) -> np.ndarray:
    """Raw MFCCs [..., n_mfcc] -> [0, 1] with the fixed per-coefficient constants (clipped outside them)."""
    lo, hi = cfg.bounds
    return np.clip((coefs - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def features(audio: np.ndarray, cfg: MfccConfig = MfccConfig()) -> np.ndarray:
    """Model input: audio [N, num_samples] -> float32 [N, 1, n_frames, n_mfcc] in [0, 1]."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1, cfg.num_samples)
    return to_unit(mfcc(audio, cfg), cfg)[:, None]


def calibrate(coefs: np.ndarray, q: float = 0.1) -> tuple[list[float], list[float]]:
    """Per-coefficient (lo, hi) = the q-th and (100-q)-th percentiles of raw MFCCs [N, frames, n_mfcc].

    How ``DEFAULT_LO``/``DEFAULT_HI`` were chosen (then rounded outwards); use it to make constants for
    another configuration and pass them as the ``lo``/``hi`` options.
    """
    flat = coefs.reshape(-1, coefs.shape[-1])
    return ([float(v) for v in np.percentile(flat, q, axis=0)],
            [float(v) for v in np.percentile(flat, 100 - q, axis=0)])
