"""Helpers for the keyword-spotting tests: tiny Speech Commands folders made of written WAV files."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.audio.wav import write_wav
from qnn.data.speech_commands import KEYWORDS

SHARED_KWS = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech_commands_dev"


def tone(freq: float, n: int = 16000, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    """A tone burst in the middle of the clip over a little noise: distinct, cheap 'words'."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    env = np.exp(-0.5 * ((t - n / 32000) / 0.12) ** 2)
    return (amp * env * np.sin(2 * np.pi * freq * t) + 0.003 * rng.standard_normal(n)).astype(np.float32)


def make_layout(root: Path, speakers=("aaaa1111", "bbbb2222", "cccc3333", "dddd4444"), clips_per_speaker: int = 1,
                extra_words=("bed", "cat"), noise: bool = False, lists: dict | None = None) -> Path:
    """A full-layout Speech Commands folder: one folder per word, ``<speaker>_nohash_<n>.wav`` tone clips."""
    folder = root / "speech_commands_v0.02"
    for w_i, word in enumerate(KEYWORDS + tuple(extra_words)):
        for s_i, spk in enumerate(speakers):
            for n in range(clips_per_speaker):
                write_wav(folder / word / f"{spk}_nohash_{n}.wav", tone(200 + 150 * w_i, seed=s_i * 100 + n))
    if noise:
        rng = np.random.default_rng(1)
        write_wav(folder / "_background_noise_" / "noise.wav", (0.2 * rng.standard_normal(3 * 16000)).astype(np.float32))
    for split, names in (lists or {}).items():
        (folder / {"val": "validation_list.txt", "test": "testing_list.txt"}[split]).write_text("\n".join(names) + "\n")
    return folder
