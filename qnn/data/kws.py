"""Keyword spotting data: ``load_kws(root, split, **options)`` -> MFCC ``Dataset`` of the 12 MLPerf Tiny classes.

``root`` is a data folder holding ``speech_commands*/`` (or a Speech Commands folder itself), or None for the
embedded synthetic set (``qnn.data.synthetic_kws``), which needs no download. Features: ``qnn.audio.mfcc``
(49 frames x 10 coefficients in [0, 1] by default), cached per split and configuration by
``qnn.data.feature_cache``, so only the first load of a split reads and transforms the audio.

Options (all JSON values, recorded in the run config so ``qnn predict`` rebuilds the same features):

    synthetic_per_class=300  size of the embedded set: clips per class in train, a fifth of it in val and test
    mix_synthetic=False      with real data: add the synthetic train split to the real train split
                             (val/test stay real, so metrics are on real speech)
    val_percent=10, test_percent=10      hash split by speaker when the folder has no list files
    silence_percent=10, unknown_percent=10  class balance for the full dataset layout (see speech_commands)
    augment=1                augmented copies of each real training clip (0: the clean clips);
    time_shift_ms=100, noise_prob=0.8, noise_volume=0.1  the augmentation (qnn.audio.augment)
    snr_db=None              [lo, hi]: noise at a random SNR (dB) instead of a random volume
    speed=0, pitch=0         speed perturbation (max relative change), pitch shift (max semitones)
    reverb_prob=0, rt60=[0.1, 0.6]   synthetic reverberation: probability, RT60 range in seconds
    cv_folds=0, cv_fold=0    k-fold cross-validation by speaker (``qnn.data.speaker_folds``) over the clips of
                             the train + val hash splits: "train" is the other folds (augmented), "val" and
                             "test" are fold ``cv_fold`` (clean); the hash test split is never read
    seed=0                   every random choice (balancing, silence, augmentation, synthesis)
    subdir=None              which speech_commands*/ folder, when the data root has several
    espeak="auto"            speech synthesizer for the synthetic set: auto | lib (wheel) | cli (Debian binary)
    features={}              MFCC configuration overrides (qnn.audio.mfcc.MfccConfig fields)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from qnn.audio.augment import AugmentConfig, augment_clip, silence_clip
from qnn.audio.mfcc import MfccConfig, features
from qnn.audio.noise import background_noises
from qnn.audio.wav import load_clip
from qnn.data.base import Dataset
from qnn.data.feature_cache import cached, files_fingerprint
from qnn.data.speaker_folds import speaker_folds
from qnn.data.speech_commands import (
    CLASSES,
    KEYWORDS,
    NOISE_DIR,
    SILENCE,
    Clip,
    balance,
    find_folder,
    has_silence_folder,
    list_clips,
)
from qnn.data.synthetic_kws import SynthConfig, generate
from qnn.errors import QnnError

SPLITS = ("train", "val", "test")
CHUNK = 1024  # clips read and transformed at a time: bounds memory on the full dataset (~100k clips)
VERSION = 1  # bump when the real-data pipeline changes: part of the cache key


@dataclass(frozen=True)
class KwsOptions:
    synthetic_per_class: int = 300
    mix_synthetic: bool = False
    val_percent: float = 10.0
    test_percent: float = 10.0
    silence_percent: float = 10.0
    unknown_percent: float = 10.0
    augment: int = 1
    time_shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_volume: float = 0.1
    snr_db: tuple | None = None
    speed: float = 0.0
    pitch: float = 0.0
    reverb_prob: float = 0.0
    rt60: tuple = (0.1, 0.6)
    cv_folds: int = 0
    cv_fold: int = 0
    seed: int = 0
    subdir: str | None = None
    espeak: str = "auto"
    features: dict = field(default_factory=dict)

    @staticmethod
    def parse(options: dict) -> KwsOptions:
        known = {f.name for f in fields(KwsOptions)}
        bad = sorted(set(options) - known)
        if bad:
            raise QnnError(f"unknown kws dataset option(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
        for k in ("snr_db", "rt60"):
            if isinstance(options.get(k), list):
                options = {**options, k: tuple(options[k])}
        opts = KwsOptions(**options)
        if opts.cv_folds and not (opts.cv_folds >= 2 and 0 <= opts.cv_fold < opts.cv_folds):
            raise QnnError(f"kws options: cv_folds must be >= 2 and 0 <= cv_fold < cv_folds, got cv_folds="
                           f"{opts.cv_folds}, cv_fold={opts.cv_fold}")
        for k in ("snr_db", "rt60"):
            v = getattr(opts, k)
            if v is not None and (len(v) != 2 or v[0] > v[1]):
                raise QnnError(f"kws options: {k} must be [lo, hi] with lo <= hi, got {list(v)}")
        if opts.synthetic_per_class < 1 or opts.augment < 0:
            raise QnnError("kws options: synthetic_per_class must be >= 1 and augment >= 0")
        if not (0 <= opts.val_percent and 0 <= opts.test_percent and opts.val_percent + opts.test_percent < 100):
            raise QnnError("kws options: val_percent and test_percent must be >= 0 and add up to less than 100")
        return opts

    @property
    def mfcc(self) -> MfccConfig:
        return MfccConfig.from_dict(self.features)

    @property
    def augmentation(self) -> AugmentConfig:
        return AugmentConfig(self.augment, self.time_shift_ms, self.noise_prob, self.noise_volume, self.snr_db,
                              self.speed, self.pitch, self.reverb_prob, self.rt60)

    @property
    def synth(self) -> SynthConfig:
        return SynthConfig(per_class=self.synthetic_per_class, seed=self.seed, backend=self.espeak)


def feature_config(options: dict | None) -> MfccConfig:
    """The MFCC configuration a run's dataset options describe (what ``qnn predict`` must use)."""
    return KwsOptions.parse(dict(options or {})).mfcc


def load_kws(root: Path | None, split: str, **options) -> Dataset:
    if split not in SPLITS:
        raise QnnError(f"unknown split {split!r}: use train, val or test")
    opts = KwsOptions.parse(options)
    if root is None:
        x, y = synthetic_features(split, opts)
        return Dataset("kws", split, x, y, CLASSES, f"synthetic keywords (espeak-ng, {len(y)} clips)")
    folder = find_folder(Path(root), opts.subdir)
    x, y, desc = real_features(folder, split, opts)
    if opts.mix_synthetic and split == "train":
        xs, ys = synthetic_features(split, opts)
        x, y = np.concatenate([x, xs]), np.concatenate([y, ys])
        desc += f" + {len(ys)} synthetic clips"
    return Dataset("kws", split, x, y, CLASSES, desc)


def synthetic_features(split: str, opts: KwsOptions) -> tuple[np.ndarray, np.ndarray]:
    cfg, mf = opts.synth, opts.mfcc
    if (cfg.sample_rate, cfg.num_samples) != (mf.sample_rate, mf.num_samples):
        cfg = SynthConfig(cfg.per_class, cfg.seed, cfg.backend, mf.sample_rate, mf.num_samples)
    parts = {"what": "synthetic", "split": split, "synth": cfg.to_dict(), "mfcc": mf.to_dict()}

    def build():
        audio, y = generate(split, cfg)
        return {"x": features(audio, mf), "y": y}

    arrays, _ = cached("kws", parts, build)
    return arrays["x"], arrays["y"]


@dataclass(frozen=True)
class _Item:
    """One clip of the split as it will be made: a file (maybe augmented) or a silence clip cut from noise."""
    clip: Clip | None
    copy: int  # -1: as recorded; >= 0: augmented copy number


NEW_OPTION_DEFAULTS = {"snr_db": None, "speed": 0.0, "pitch": 0.0, "reverb_prob": 0.0, "rt60": (0.1, 0.6),
                       "cv_folds": 0, "cv_fold": 0}  # left out of the cache key at these values (older keys hold)


def plan(folder: Path, split: str, opts: KwsOptions) -> tuple[list[_Item], list[Clip], np.ndarray | None, str]:
    """(the items to make in order, the files they read, which items the split keeps (None: all), cache label).

    Under cross-validation the items are those of the whole pool (train + val hash splits), made and cached once
    for every fold; the fold's split is then a selection of them."""
    cv = opts.cv_folds > 0
    if cv:
        clips = [c for s in ("train", "val") for c in list_clips(folder, s, opts.val_percent, opts.test_percent)]
        label = "cv-train" if split == "train" else "cv-clean"
    else:
        clips = list_clips(folder, split, opts.val_percent, opts.test_percent)
        label = split
    if not clips:
        raise QnnError(f"{folder}: no clips fall in the {split} split (val_percent={opts.val_percent}, "
                       f"test_percent={opts.test_percent}, and the list files if any)")
    rng = np.random.default_rng([opts.seed, SPLITS.index(split) if not cv else 3, 1])
    synthetic_silence = not has_silence_folder(folder)
    if synthetic_silence:
        clips = balance(clips, opts.unknown_percent, rng)
    copies = opts.augment if split == "train" and opts.augment > 0 else 0
    items = [_Item(c, k) for k in (range(copies) if copies else [-1]) for c in clips]
    if synthetic_silence:
        n_known = sum(c.label < len(KEYWORDS) for c in clips)
        items += [_Item(None, i) for i in range(int(np.ceil(n_known * opts.silence_percent / 100)))]
    if not cv:
        return items, clips, None, label
    fold_of = dict(zip([c.speaker for c in clips], speaker_folds([c.speaker for c in clips], opts.cv_folds)))
    folds = np.array([fold_of[it.clip.speaker] if it.clip else it.copy % opts.cv_folds for it in items])
    keep = folds != opts.cv_fold if split == "train" else folds == opts.cv_fold
    return items, clips, keep, label


def _cache_options(opts: KwsOptions, clean: bool) -> dict:
    skip = {"synthetic_per_class", "mix_synthetic", "espeak", "features", "subdir", "cv_fold"}
    d = {k: v for k, v in asdict(opts).items() if k not in skip}
    d = {k: v for k, v in d.items() if k not in NEW_OPTION_DEFAULTS or v != NEW_OPTION_DEFAULTS[k]}
    if clean and opts.cv_folds:  # the clean pool does not depend on the augmentation
        d = {k: v for k, v in d.items() if k in ("seed", "val_percent", "test_percent", "silence_percent",
                                                  "unknown_percent", "cv_folds")}
    return d


def real_features(folder: Path, split: str, opts: KwsOptions) -> tuple[np.ndarray, np.ndarray, str]:
    from tqdm import tqdm

    mf = opts.mfcc
    items, clips, keep, label = plan(folder, split, opts)
    noise_files = sorted((folder / NOISE_DIR).glob("*.wav")) if (folder / NOISE_DIR).is_dir() else []
    parts = {"what": "speech_commands", "version": VERSION, "folder": str(folder.resolve()), "split": label,
             "files": files_fingerprint([c.path for c in clips] + noise_files), "n_items": len(items),
             "options": _cache_options(opts, label == "cv-clean"), "mfcc": mf.to_dict()}

    def build():
        noises, _ = background_noises(folder / NOISE_DIR, opts.seed, mf.sample_rate)
        aug = opts.augmentation
        split_i = {"cv-train": 3, "cv-clean": 4}.get(label) or SPLITS.index(split)
        x = np.empty((len(items), *mf.shape), np.float32)
        y = np.empty(len(items), np.int64)
        for start in tqdm(range(0, len(items), CHUNK), desc=f"MFCC {folder.name} ({label})", unit="chunk",
                          leave=False):
            chunk = items[start : start + CHUNK]
            audio = np.empty((len(chunk), mf.num_samples), np.float32)
            for j, it in enumerate(chunk):
                rng = np.random.default_rng([opts.seed, split_i, start + j])
                if it.clip is None:
                    audio[j] = silence_clip(mf.num_samples, rng, noises)
                    y[start + j] = CLASSES.index(SILENCE)
                    continue
                a = load_clip(it.clip.path, sample_rate=mf.sample_rate, num_samples=mf.num_samples)
                audio[j] = a if it.copy < 0 else augment_clip(a, rng, noises, aug, mf.sample_rate)
                y[start + j] = it.clip.label
            x[start : start + len(chunk)] = features(audio, mf)
        return {"x": x, "y": y}

    arrays, _ = cached("kws", parts, build)
    x, y = arrays["x"], arrays["y"]
    if keep is not None:
        x, y = x[keep], y[keep]
        items = [it for it, k in zip(items, keep) if k]
        clips = sorted({it.clip for it in items if it.clip}, key=lambda c: str(c.path))
    n_sil = sum(it.clip is None for it in items)
    split_how = "list files" if (folder / "validation_list.txt").is_file() else "speaker-hash split"
    if opts.cv_folds:
        split_how = f"speaker fold {opts.cv_fold} of {opts.cv_folds}" + (" held out" if split != "train" else
                                                                           " held out, the other folds")
    desc = (f"{folder.name} ({len(clips)} clips, {split_how}"
            + (f", {opts.augment} augmented copies" if split == "train" and opts.augment else "")
            + (f", {n_sil} silence clips from noise" if n_sil else "") + ")")
    return x, y, desc
