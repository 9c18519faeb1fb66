"""Test audio for keyword spotting in a stream, from held-out speakers (the hash "test" split, never in the
cross-validation pool): ``make_stream`` for detection and ``make_keyword_free`` for choosing the threshold.

make_stream: background noise (random excerpts of the dataset's ``_background_noise_`` recordings, cross-faded,
at a constant RMS of ``noise_rms``) in slots of ``slot_s`` seconds; each slot holds a keyword clip (65 %), an
unknown word (20 %) or nothing, at a random offset, its speech scaled to an SNR drawn from ``snrs`` (dB, RMS of the
active speech, frames within 30 dB of the loudest, against the noise). Returns the audio and the events (start,
end, label, kind, SNR, file).

make_keyword_free: the same, with no keywords: unknown words and silence clips of held-out speakers over
*synthetic* noise (``qnn.audio.noise.synthetic_noises``: noise the models never trained on when the real
recordings are present): held-out audio for setting the threshold at a target false-alarm rate.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.audio.noise import background_noises, synthetic_noises
from qnn.audio.wav import load_clip
from qnn.data.speech_commands import KEYWORDS, NOISE_DIR, SILENCE, UNKNOWN, find_folder, list_clips
from qnn.errors import QnnError

SR = 16000
SNRS = (20.0, 10.0, 5.0, 0.0)


def active_rms(x: np.ndarray, frame: int = 320) -> float:
    n = len(x) // frame * frame
    e = (x[:n].reshape(-1, frame).astype(np.float64) ** 2).mean(1)
    if not e.size or e.max() == 0:
        return 0.0
    return float(np.sqrt(e[e >= e.max() * 1e-3].mean()))


def noise_bed(noises: list[np.ndarray], n: int, rng: np.random.Generator, rms: float, piece_s: float = 8.0) -> np.ndarray:
    """``n`` samples of cross-faded random excerpts of the recordings, each excerpt scaled to ``rms``."""
    out = np.zeros(n, np.float32)
    piece, fade = int(piece_s * SR), int(0.25 * SR)
    ramp = np.linspace(0, 1, fade, dtype=np.float32)
    pos = 0
    while pos < n:
        x = noises[rng.integers(len(noises))]
        m = min(piece + fade, len(x))
        s = rng.integers(0, len(x) - m + 1)
        seg = x[s : s + m].astype(np.float32)
        seg = seg * (rms / (np.sqrt(np.mean(seg.astype(np.float64) ** 2)) + 1e-12))
        seg[:fade] *= ramp[: len(seg[:fade])]
        seg[-fade:] *= ramp[::-1][: len(seg[-fade:])]
        end = min(n, pos + len(seg))
        out[pos:end] += seg[: end - pos]
        pos += len(seg) - fade
    return out


def _held_out(folder: Path):
    clips = list_clips(folder, "test")
    kw = [c for c in clips if c.label < len(KEYWORDS)]
    unk = [c for c in clips if c.label == 11]
    sil = [c for c in clips if c.label == 10]
    if not kw:
        raise QnnError(f"{folder}: no keyword clips of held-out (test split) speakers")
    return kw, unk, sil


def _compose(noise: np.ndarray, slots: list, rng: np.random.Generator, slot_s: float, snrs) -> tuple[np.ndarray, list]:
    audio = noise.copy()
    events = []
    for i, (kind, clip) in enumerate(slots):
        if clip is None:
            continue
        x = load_clip(clip.path)
        start = int((i * slot_s + rng.uniform(0.3, slot_s - 1.3)) * SR)
        snr = float(snrs[rng.integers(len(snrs))])
        local = np.sqrt(np.mean(noise[start : start + SR].astype(np.float64) ** 2)) + 1e-12
        gain = local * 10 ** (snr / 20) / (active_rms(x) + 1e-12)
        audio[start : start + SR] += gain * x
        label = clip.path.parent.name if kind == "keyword" else (UNKNOWN if kind == "unknown" else SILENCE)
        events.append({"start": start / SR, "end": (start + SR) / SR, "label": label, "kind": kind, "snr_db": snr,
                       "file": f"{clip.path.parent.name}/{clip.path.name}"})
    peak = np.abs(audio).max()
    if peak > 0.99:
        audio *= 0.99 / peak
    return audio.astype(np.float32), events


def make_stream(data_root: str | Path, minutes: float = 10.0, seed: int = 0, snrs=SNRS, slot_s: float = 3.0,
                noise_rms: float = 0.01) -> tuple[np.ndarray, list[dict]]:
    folder = find_folder(Path(data_root))
    kw, unk, _ = _held_out(folder)
    rng = np.random.default_rng([seed, 13])
    noises, _ = background_noises(folder / NOISE_DIR, seed)
    n_slots = int(minutes * 60 / slot_s)
    slots = []
    for _ in range(n_slots):
        r = rng.random()
        if r < 0.65:
            slots.append(("keyword", kw[rng.integers(len(kw))]))
        elif r < 0.85 and unk:
            slots.append(("unknown", unk[rng.integers(len(unk))]))
        else:
            slots.append(("none", None))
    noise = noise_bed(noises, int(n_slots * slot_s * SR), rng, noise_rms)
    return _compose(noise, slots, rng, slot_s, snrs)


def make_keyword_free(data_root: str | Path, minutes: float = 10.0, seed: int = 1, snrs=SNRS, slot_s: float = 3.0,
                      noise_rms: float = 0.01) -> tuple[np.ndarray, list[dict]]:
    folder = find_folder(Path(data_root))
    _, unk, sil = _held_out(folder)
    rng = np.random.default_rng([seed, 17])
    n_slots = int(minutes * 60 / slot_s)
    pool = [("unknown", c) for c in unk] + [("silence", c) for c in sil]
    slots = [pool[rng.integers(len(pool))] if pool and rng.random() < 0.7 else ("none", None) for _ in range(n_slots)]
    noise = noise_bed(synthetic_noises(seed + 100, seconds=60.0), int(n_slots * slot_s * SR), rng, noise_rms)
    return _compose(noise, slots, rng, slot_s, snrs)
