"""The embedded synthetic keyword set (eSpeak NG): audio, determinism, disjoint voices, the default loader."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from qnn.audio.espeak import Espeak
from qnn.data.kws import load_kws
from qnn.data.speech_commands import CLASSES
from qnn.data.synthetic_kws import SynthConfig, generate, voices_for


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("backend", ["lib", "cli"])
def test_espeak_backends_speak(backend):
    if backend == "cli" and not shutil.which("espeak-ng"):
        pytest.skip("Debian espeak-ng not installed")
    tts = Espeak(backend)
    a = tts.say("stop", "en-us+m3", rate=175, pitch=50, pitch_range=50, amplitude=100)
    b = tts.say("stop", "en-us+m3", rate=350, pitch=50, pitch_range=50, amplitude=100)
    assert tts.sample_rate == 22050 and 0.1 < len(a) / 22050 < 1.0 and np.abs(a).max() > 0.05
    assert len(b) < len(a)  # faster speech is shorter


def test_generate_is_balanced_deterministic_and_audible():
    cfg = SynthConfig(per_class=10, seed=3)
    audio, y = generate("val", cfg, progress=False)
    assert audio.shape == (12 * 2, 16000) and audio.dtype == np.float32
    assert (np.bincount(y) == 2).all()
    assert np.array_equal(audio, generate("val", cfg, progress=False)[0])
    assert not np.array_equal(audio, generate("val", SynthConfig(per_class=10, seed=4), progress=False)[0])
    rms = np.sqrt((audio**2).mean(1))
    assert (np.abs(audio) <= 1).all() and (rms[y < 10] > 1e-4).all()


def test_splits_use_disjoint_voices():
    v = {s: set(voices_for(s)) for s in ("train", "val", "test")}
    assert all(v.values()) and not v["train"] & v["val"] and not v["train"] & v["test"] and not v["val"] & v["test"]
    assert len(v["train"]) > 3 * len(v["test"])


def test_default_dataset_is_synthetic_and_cached(tmp_path):
    ds = load_kws(None, "test", synthetic_per_class=10)
    assert ds.x.shape == (24, 1, 49, 10) and ds.classes == CLASSES and "synthetic" in ds.source
    assert 0 <= ds.x.min() and ds.x.max() <= 1
    assert len(list((tmp_path / "cache" / "kws").glob("*.npz"))) == 1
    assert np.array_equal(load_kws(None, "test", synthetic_per_class=10).x, ds.x)


def test_mix_synthetic_into_real_train(tmp_path):
    from kws_helpers import make_layout

    make_layout(tmp_path, speakers=("aaaa1111", "bbbb2222"))
    real = load_kws(tmp_path, "train", val_percent=0, test_percent=0, augment=0)
    mixed = load_kws(tmp_path, "train", val_percent=0, test_percent=0, augment=0, mix_synthetic=True,
                     synthetic_per_class=5)
    assert len(mixed) == len(real) + 60 and "synthetic" in mixed.source
    assert np.array_equal(mixed.x[: len(real)], real.x)
    test = load_kws(tmp_path, "val", val_percent=50, test_percent=0, mix_synthetic=True, synthetic_per_class=5)
    assert "synthetic" not in test.source  # val/test stay real
