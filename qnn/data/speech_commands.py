"""The Google Speech Commands folder layout (v0.01 / v0.02) in the 12-class protocol of MLPerf Tiny KWS.

Two layouts are read, both one folder per label with ``<speaker>_nohash_<n>.wav`` clips:

* the full dataset: a folder per word (30 words in v0.01, 35 in v0.02), ``_background_noise_/`` with long noise
  recordings, and ``validation_list.txt`` / ``testing_list.txt`` naming the val/test clips (the rest is train);
* the 12-class test-set layout (``speech_commands_test_set_v0.02``, and the dev set derived from it): folders
  for the ten keywords plus ``_silence_/`` (1 s noise clips) and ``_unknown_/`` (``<word>_<speaker>_nohash_<n>.wav``).

Labels: the ten keywords keep their names; every other word is ``_unknown_``. Splits come from the list files
when present, otherwise from the authors' ``which_set``: the SHA-1 of the speaker id (the file name up to
``_nohash_``; for ``_unknown_/<word>_<speaker>...`` the word prefix is dropped) picks train/val/test, so a
speaker's clips all land in one split and the split does not change when files are added. The 12-class
test-set layout holds only speakers that hash to "test", so there the id is salted first (``which_set``).

Without a ``_silence_`` folder, silence clips are cut from background noise (real, else synthesized) at a random
volume, ``silence_percent`` of the keyword clips of the split; the unknown words are subsampled to
``unknown_percent`` of them, as the authors' training script does.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnn.errors import QnnError

KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN = "_silence_", "_unknown_"
CLASSES = KEYWORDS + (SILENCE, UNKNOWN)
NOISE_DIR = "_background_noise_"
LIST_FILES = {"val": "validation_list.txt", "test": "testing_list.txt"}
TEST_SET_SALT = "qnn-12class:"
MAX_NUM_WAVS_PER_CLASS = 2**27 - 1  # from the authors' input_data.py: keeps the hash -> split mapping stable


@dataclass(frozen=True)
class Clip:
    path: Path
    label: int  # index into CLASSES
    speaker: str


def find_folder(root: Path, subdir: str | None = None) -> Path:
    """The Speech Commands folder: ``root`` itself if it holds keyword folders, else ``root/speech_commands*``."""
    if subdir:
        folder = root / subdir
        if not folder.is_dir():
            raise QnnError(f"{folder} does not exist")
        return folder
    if _is_speech_commands(root):
        return root
    found = sorted(p for p in root.glob("speech_commands*") if p.is_dir() and _is_speech_commands(p))
    if not found:
        raise QnnError(f"no Speech Commands data in {root}: expected keyword folders (yes/, no/, ...) there or in "
                       "a speech_commands*/ sub-folder")
    if len(found) > 1:
        raise QnnError(f"several Speech Commands folders in {root} ({', '.join(p.name for p in found)}): "
                       "choose one with the dataset option subdir=NAME")
    return found[0]


def _is_speech_commands(folder: Path) -> bool:
    return sum((folder / k).is_dir() for k in KEYWORDS) >= 2


def speaker_of(path: Path) -> str:
    """The speaker id: the file name up to ``_nohash_``, without the word prefix of ``_unknown_/`` clips."""
    stem = re.sub(r"_nohash_.*$", "", path.name)
    if path.parent.name == UNKNOWN and "_" in stem:
        stem = stem.split("_", 1)[1]
    return stem


def which_set(speaker: str, val_percent: float, test_percent: float, salt: str = "") -> str:
    """The authors' hash split (``input_data.which_set``): "train", "val" or "test" for a speaker id.

    With a ``salt`` the speaker id is prefixed before hashing: a different, equally stable speaker-disjoint
    split. Needed for the 12-class test-set layout, whose speakers were chosen as those the unsalted hash puts
    in "test" (10..20 %), so the authors' split would put every clip in the test split.
    """
    h = int(hashlib.sha1((salt + speaker).encode()).hexdigest(), 16)
    pct = (h % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)
    if pct < val_percent:
        return "val"
    if pct < val_percent + test_percent:
        return "test"
    return "train"


def _read_list(folder: Path, split: str) -> set[str] | None:
    f = folder / LIST_FILES[split]
    if not f.is_file():
        return None
    return {line.strip().replace("\\", "/") for line in f.read_text().splitlines() if line.strip()}


def label_folders(folder: Path) -> dict[str, int]:
    """Word folder name -> class index, checking that the ten keyword folders exist and hold clips."""
    words = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != NOISE_DIR and not p.name.startswith("."))
    missing = [k for k in KEYWORDS if k not in words]
    if missing:
        raise QnnError(f"{folder}: keyword folder(s) {', '.join(missing)} missing; a Speech Commands folder needs "
                       f"all of {', '.join(KEYWORDS)}")
    out = {}
    for w in words:
        if not any((folder / w).glob("*.wav")):
            raise QnnError(f"{folder / w}: class folder holds no .wav files; remove it or put the clips back")
        out[w] = CLASSES.index(w) if w in CLASSES else CLASSES.index(UNKNOWN)
    return out


def default_salt(folder: Path) -> str:
    """No salt (the authors' split) for the full layout; a salt for the pre-split 12-class layout."""
    return TEST_SET_SALT if has_silence_folder(folder) else ""


def list_clips(folder: Path, split: str, val_percent: float = 10.0, test_percent: float = 10.0,
               salt: str | None = None) -> list[Clip]:
    """Every clip of ``split`` in the folder (unknown words and silence not yet balanced), sorted by path."""
    salt = default_salt(folder) if salt is None else salt
    lists = {s: _read_list(folder, s) for s in LIST_FILES}
    use_lists = lists["val"] is not None or lists["test"] is not None
    clips = []
    for word, label in label_folders(folder).items():
        for path in sorted((folder / word).glob("*.wav")):
            speaker = speaker_of(path)
            if use_lists:
                rel = f"{word}/{path.name}"
                s = "val" if rel in (lists["val"] or ()) else "test" if rel in (lists["test"] or ()) else "train"
            else:
                s = which_set(speaker, val_percent, test_percent, salt)
            if s == split:
                clips.append(Clip(path, label, speaker))
    return clips


def balance(clips: list[Clip], unknown_percent: float, rng: np.random.Generator) -> list[Clip]:
    """Keep ``unknown_percent`` % (of the keyword clip count) of the unknown-word clips, chosen at random.

    Only for the full layout, where unknown words outnumber each keyword ~25 to 1; the 12-class layout is
    already balanced (call with ``unknown_percent=None`` there).
    """
    known = [c for c in clips if c.label < len(KEYWORDS)]
    unknown = [c for c in clips if c.label == CLASSES.index(UNKNOWN)]
    rest = [c for c in clips if c.label == CLASSES.index(SILENCE)]
    n = int(np.ceil(len(known) * unknown_percent / 100))
    pick = sorted(rng.permutation(len(unknown))[:n]) if n < len(unknown) else range(len(unknown))
    return known + [unknown[i] for i in pick] + rest


def has_silence_folder(folder: Path) -> bool:
    return (folder / SILENCE).is_dir()
