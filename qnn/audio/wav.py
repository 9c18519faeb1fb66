"""Reading WAV clips for keyword spotting, with every check that keeps a bad file from becoming a wrong feature.

The frontend expects exactly ``num_samples`` mono float samples at ``sample_rate`` (1 s at 16 kHz). What this
module does with other input, so that nothing is silently wrong:

* unreadable, corrupt or truncated files (the RIFF header promises more data than the file holds) -> error;
* a different sample rate -> error, or with ``resample=True`` a documented resample (soxr via librosa);
* more than one channel -> error, or with ``mixdown=True`` the mean of the channels;
* shorter than ``num_samples`` -> zero-padded equally on both sides, as the Speech Commands clips shorter than
  1 s are by the dataset's authors (a clip shorter than ``min_seconds`` is an error: it holds no word);
* longer -> error, or with ``crop=True`` the ``num_samples`` window of highest energy (where the word is);
* NaN / infinite samples (float WAVs) -> error.

All errors are ``QnnError`` naming the file and what to do.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from qnn.errors import QnnError

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000
MIN_SECONDS = 0.1


def _declared_data_bytes(path: Path) -> tuple[int, int] | None:
    """(bytes the RIFF/WAVE 'data' chunk declares, bytes actually present after it), or None if not a plain WAV.

    libsndfile quietly shortens a truncated file to what is there; this walk over the chunk headers is how a
    truncation is told apart from a short recording. Streaming writers put 0 or 0xFFFFFFFF in the size: unknown.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = path.stat().st_size
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, clen = struct.unpack("<4sI", f.read(8))
            if cid == b"data":
                if clen in (0, 0xFFFFFFFF):
                    return None
                return clen, size - pos - 8
            pos += 8 + clen + (clen & 1)
    return None


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """All samples of a WAV file as float32 [frames, channels] in [-1, 1], and its sample rate."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise QnnError(f"{path}: no such WAV file")
    try:
        declared = _declared_data_bytes(path)
        x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, struct.error, ValueError) as e:
        raise QnnError(f"{path}: cannot read as audio ({e}); the file is corrupt or not a WAV") from None
    if declared is not None:
        want, have = declared
        if have < want:
            raise QnnError(f"{path}: truncated, the header declares {want} bytes of audio but the file holds {have} "
                           f"({have / max(want, 1):.0%}); the file is damaged, replace it")
    if x.size and not np.isfinite(x).all():
        raise QnnError(f"{path}: contains NaN or infinite samples (a broken float WAV)")
    return x, int(sr)


def _loudest_window(x: np.ndarray, n: int) -> np.ndarray:
    energy = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    start = int(np.argmax(energy[n:] - energy[:-n]))
    return x[start : start + n]


def fit_length(x: np.ndarray, n: int, *, crop: bool, where: str = "clip") -> np.ndarray:
    """Pad (centred, zeros) or crop (loudest window, only with ``crop``) a mono signal to exactly ``n`` samples."""
    if len(x) == n:
        return x
    if len(x) > n:
        if not crop:
            raise QnnError(f"{where}: {len(x)} samples is longer than the {n} the model takes; trim it to 1 s, "
                           "or pass --crop to use the loudest 1 s window")
        return _loudest_window(x, n)
    pad = n - len(x)
    return np.pad(x, (pad // 2, pad - pad // 2))


def load_clip(path: str | Path, *, sample_rate: int = SAMPLE_RATE, num_samples: int = CLIP_SAMPLES,
              resample: bool = False, mixdown: bool = False, crop: bool = False,
              min_seconds: float = MIN_SECONDS) -> np.ndarray:
    """One clip as float32 [num_samples] mono at ``sample_rate``, validated (see the module docstring)."""
    path = Path(path)
    x, sr = read_wav(path)
    frames, channels = x.shape
    if channels != 1:
        if not mixdown:
            raise QnnError(f"{path}: {channels} channels; the model takes mono audio. Convert it "
                           "(sox in.wav -c 1 out.wav) or pass --mixdown to average the channels")
        x = x.mean(axis=1, keepdims=True)
    x = x[:, 0]
    if sr != sample_rate:
        if not resample:
            raise QnnError(f"{path}: sample rate {sr} Hz, the model takes {sample_rate} Hz. Convert it "
                           f"(sox in.wav -r {sample_rate} out.wav) or pass --resample")
        import librosa

        x = librosa.resample(x, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq").astype(np.float32)
    if len(x) < min_seconds * sample_rate:
        raise QnnError(f"{path}: only {len(x) / sample_rate * 1000:.0f} ms of audio, too short to hold a word "
                       f"(at least {min_seconds * 1000:.0f} ms; shorter clips up to 1 s are zero-padded)")
    return fit_length(x, num_samples, crop=crop, where=str(path)).astype(np.float32, copy=False)


def load_long(path: str | Path, *, sample_rate: int = SAMPLE_RATE, min_samples: int = CLIP_SAMPLES) -> np.ndarray:
    """A long mono recording (background noise) at ``sample_rate``; other rates are resampled, channels averaged.

    Noise is only ever mixed in at a random volume, so converting it is harmless; it must hold a full clip.
    """
    path = Path(path)
    x, sr = read_wav(path)
    x = x.mean(axis=1)
    if sr != sample_rate:
        import librosa

        x = librosa.resample(x, orig_sr=sr, target_sr=sample_rate, res_type="soxr_hq").astype(np.float32)
    if len(x) < min_samples:
        raise QnnError(f"{path}: background noise of {len(x)} samples is shorter than one clip ({min_samples})")
    return x.astype(np.float32, copy=False)


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write mono float audio as 16-bit PCM (the Speech Commands format), atomically."""
    import soundfile as sf

    from qnn.util.atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        sf.write(str(tmp), np.clip(x, -1, 1), sample_rate, subtype="PCM_16", format="WAV")
    return path
