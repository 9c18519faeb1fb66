"""The embedded keyword set: the 12 classes spoken by eSpeak NG, generated on the fly (no download).

Each clip varies the voice (8 English accents x 54 voice variants), speaking rate (110-260 words/min), pitch
and pitch range, then, on the 16 kHz audio: a random room (decaying-noise reverb, 30 % of the clips), a random
microphone tilt (first-order low- or high-pass, half of the clips), level (-20..-0.5 dBFS peak), placement in
the 1 s window (time shift), and background noise at 10-60 dB SNR (10 % of the clips zero-padded outside the
recording, as real clips shorter than 1 s are). Level and SNR ranges follow the real dev clips (peak -15..-1
dBFS, frame SNR 30-70 dB for 80 % of them). ``_silence_`` clips are noise alone, at a random
volume; ``_unknown_`` clips are the other 25 Speech Commands words plus a few common ones.

Splits use disjoint voices (accent+variant pairs, hashed like speaker ids), so val/test measure generalization
to unheard voices. Everything is deterministic in (split, seed, per-class count).
Generation costs ~2-3 ms per clip on one core, in worker processes; ``qnn.data.kws`` caches the features.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

import numpy as np

from qnn.audio.augment import time_shift
from qnn.audio.espeak import ACCENTS, VARIANTS, Espeak
from qnn.audio.noise import random_crop, synthetic_noises
from qnn.data.speech_commands import CLASSES, SILENCE, UNKNOWN
from qnn.errors import QnnError

VERSION = 1  # bump when the generator changes: it is part of the feature cache key
UNKNOWN_WORDS = ("backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward", "four", "happy",
                 "house", "learn", "marvin", "nine", "one", "seven", "sheila", "six", "three", "tree", "two",
                 "visual", "wow", "zero", "hello", "window", "music", "light", "water", "yellow", "open", "start")
SPLIT_SHARE = {"train": 0.7, "val": 0.15, "test": 0.15}


@dataclass(frozen=True)
class SynthConfig:
    per_class: int = 300  # clips per class in the train split; val and test get a fifth of it each
    seed: int = 0
    backend: str = "auto"  # espeak: auto | lib | cli (see qnn.audio.espeak)
    sample_rate: int = 16000
    num_samples: int = 16000

    def count(self, split: str) -> int:
        return self.per_class if split == "train" else max(1, self.per_class // 5)

    def to_dict(self) -> dict:
        return {**asdict(self), "version": VERSION}


def voices_for(split: str) -> list[str]:
    """The voices of one split: accent+variant pairs, assigned 70/15/15 by a hash of their name."""
    out = []
    for a in ACCENTS:
        for v in VARIANTS:
            name = f"{a}+{v}"
            u = int(hashlib.sha1(name.encode()).hexdigest(), 16) % 10000 / 10000
            s = "val" if u < SPLIT_SHARE["val"] else "test" if u < SPLIT_SHARE["val"] + SPLIT_SHARE["test"] else "train"
            if s == split:
                out.append(name)
    return out


def _reverb(x: np.ndarray, rng: np.random.Generator, sr: int) -> np.ndarray:
    from scipy.signal import fftconvolve

    rt60 = rng.uniform(0.1, 0.5)
    t = np.arange(int(rt60 * sr)) / sr
    ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    ir[0] = 1.0
    wet = fftconvolve(x, ir / np.sqrt((ir**2).sum()))[: len(x) + len(ir) // 4]
    mix = rng.uniform(0.1, 0.5)
    dry = np.pad(x, (0, len(wet) - len(x)))
    return (1 - mix) * dry + mix * wet


def _tilt(x: np.ndarray, rng: np.random.Generator, sr: int) -> np.ndarray:
    from scipy.signal import butter, lfilter

    if rng.random() < 0.5:
        b, a = butter(1, rng.uniform(1500, 6000), "lowpass", fs=sr)
    else:
        b, a = butter(1, rng.uniform(80, 400), "highpass", fs=sr)
    return lfilter(b, a, x)


def speak(word: str, voice: str, rng: np.random.Generator, cfg: SynthConfig) -> np.ndarray:
    """One spoken word, clean: 16 kHz, trimmed, at most ``num_samples`` long."""
    import librosa

    tts = Espeak(cfg.backend)
    x = tts.say(word, voice, rate=rng.uniform(110, 260), pitch=rng.integers(10, 90),
                pitch_range=rng.integers(10, 90), amplitude=100, seed=int(rng.integers(2**31)))
    x = librosa.resample(x, orig_sr=tts.sample_rate, target_sr=cfg.sample_rate, res_type="soxr_hq")
    x, _ = librosa.effects.trim(x, top_db=40)
    if not len(x) or not np.abs(x).max() > 0:
        raise QnnError(f"espeak-ng produced no audio for {word!r} with voice {voice}")
    limit = int(cfg.num_samples * 0.95)
    if len(x) > limit:  # a slow voice ran over 1 s: speed it up to fit
        x = librosa.resample(x, orig_sr=len(x), target_sr=limit, res_type="soxr_hq")
    return x


def render(word: str | None, voice: str, rng: np.random.Generator, noises: list[np.ndarray],
           cfg: SynthConfig) -> np.ndarray:
    """A 1 s clip: the word (None: silence) through room, microphone, level, placement and noise."""
    n, sr = cfg.num_samples, cfg.sample_rate
    noise = random_crop(noises, n, rng).astype(np.float64)
    if word is None:
        return (noise * 10 ** rng.uniform(-3, 0)).astype(np.float32)
    x = speak(word, voice, rng, cfg).astype(np.float64)
    if rng.random() < 0.3:
        x = _reverb(x, rng, sr)[:n]
    if rng.random() < 0.5:
        x = _tilt(x, rng, sr)
    x *= 10 ** (rng.uniform(-20, -0.5) / 20) / (np.abs(x).max() + 1e-9)
    clip = np.zeros(n)
    clip[: len(x)] = x
    clip = time_shift(clip, int(rng.integers(0, n - len(x) + 1)))
    speech_rms = np.sqrt((x**2).mean()) + 1e-9
    snr_db = rng.uniform(10, 60)
    noise *= speech_rms / (np.sqrt((noise**2).mean()) + 1e-12) * 10 ** (-snr_db / 20)
    if rng.random() < 0.1:  # a recording shorter than 1 s, zero-padded like the real clips
        keep = np.zeros(n)
        a, b = sorted(rng.integers(0, n, 2))
        keep[min(a, np.flatnonzero(clip)[0]) : max(b, np.flatnonzero(clip)[-1]) + 1] = 1
        noise *= keep
    clip += noise
    return np.clip(clip, -1, 1).astype(np.float32)


CHUNK = 1000  # clips synthesized per worker process (see qnn.audio.espeak on why each chunk gets a new process)


def _labels(split: str, cfg: SynthConfig) -> np.ndarray:
    return np.repeat(np.arange(len(CLASSES)), cfg.count(split)).astype(np.int64)


def render_chunk(split: str, cfg: SynthConfig, start: int, stop: int) -> np.ndarray:
    """Clips ``start..stop`` of a split; each from its own random stream, so chunks are independent."""
    split_index = ("train", "val", "test").index(split)
    noises = synthetic_noises(seed=cfg.seed * 3 + split_index)
    voices = voices_for(split)
    labels = _labels(split, cfg)
    audio = np.empty((stop - start, cfg.num_samples), np.float32)
    for i in range(start, stop):
        rng = np.random.default_rng([cfg.seed, split_index, i])
        name = CLASSES[labels[i]]
        word = None if name == SILENCE else str(rng.choice(UNKNOWN_WORDS)) if name == UNKNOWN else name
        audio[i - start] = render(word, str(rng.choice(voices)), rng, noises, cfg)
    return audio


def generate(split: str, cfg: SynthConfig = SynthConfig(), progress: bool = True,
             workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(audio float32 [N, num_samples], labels int64 [N]) of one split, balanced over the 12 classes.

    Chunks of ``CHUNK`` clips are synthesized in fresh worker processes (``spawn``, one chunk each), at most
    ``workers`` at a time (default: the CPU count, at most 4): the result does not depend on the worker count.
    """
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    labels = _labels(split, cfg)
    bounds = [(a, min(a + CHUNK, len(labels))) for a in range(0, len(labels), CHUNK)]
    workers = workers or min(len(bounds), os.cpu_count() or 1, 4)
    audio = np.empty((len(labels), cfg.num_samples), np.float32)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), max_tasks_per_child=1) as ex:
        futures = {ex.submit(render_chunk, split, cfg, a, b): (a, b) for a, b in bounds}
        with tqdm(total=len(labels), desc=f"synthesizing keywords ({split})", disable=not progress, unit="clip",
                  leave=False) as bar:
            for fut in futures:
                a, b = futures[fut]
                audio[a:b] = fut.result()
                bar.update(b - a)
    return audio, labels
