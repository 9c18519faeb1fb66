"""Speech Commands layouts, splits, balancing, augmentation, feature cache, and loader errors."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from kws_helpers import SHARED_KWS, make_layout, tone

from qnn.audio.wav import write_wav
from qnn.data import load_dataset
from qnn.data.kws import load_kws
from qnn.data.speech_commands import CLASSES, SILENCE, UNKNOWN, find_folder, list_clips, speaker_of, which_set
from qnn.errors import QnnError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))


def test_which_set_is_stable_speaker_disjoint_and_salted():
    speakers = [f"{i:08x}" for i in range(2000)]
    sets = [which_set(s, 10, 10) for s in speakers]
    share = {k: sets.count(k) / len(sets) for k in ("train", "val", "test")}
    assert 0.07 < share["val"] < 0.13 and 0.07 < share["test"] < 0.13
    assert sets == [which_set(s, 10, 10) for s in speakers]
    salted = [which_set(s, 10, 10, "qnn-12class:") for s in speakers]
    assert salted != sets and 0.07 < salted.count("test") / len(salted) < 0.13


def test_speaker_of_drops_word_prefix_in_unknown(tmp_path):
    assert speaker_of(tmp_path / "yes" / "0a7c2a8d_nohash_1.wav") == "0a7c2a8d"
    assert speaker_of(tmp_path / UNKNOWN / "bed_0a7c2a8d_nohash_1.wav") == "0a7c2a8d"


def test_full_layout_with_list_files(tmp_path):
    folder = make_layout(tmp_path, noise=True, lists={"val": ["yes/aaaa1111_nohash_0.wav"],
                                                      "test": ["no/bbbb2222_nohash_0.wav", "bed/cccc3333_nohash_0.wav"]})
    assert find_folder(tmp_path) == folder
    val = list_clips(folder, "val")
    assert [(c.path.name, CLASSES[c.label]) for c in val] == [("aaaa1111_nohash_0.wav", "yes")]
    test = list_clips(folder, "test")
    assert sorted(CLASSES[c.label] for c in test) == ["_unknown_", "no"]  # bed -> _unknown_
    assert len(list_clips(folder, "train")) == 12 * 4 - 3


def test_load_kws_full_layout_balances_and_makes_silence(tmp_path):
    make_layout(tmp_path, speakers=tuple(f"{i:08x}" for i in range(12)), noise=True)
    ds = load_kws(tmp_path, "train", augment=2, unknown_percent=10, silence_percent=20, val_percent=0,
                  test_percent=0)
    assert ds.x.shape[1:] == (1, 49, 10) and ds.x.dtype == np.float32 and ds.y.dtype == np.int64
    assert 0 <= ds.x.min() and ds.x.max() <= 1 and ds.classes == CLASSES
    counts = np.bincount(ds.y, minlength=12)
    assert (counts[:10] == 2 * 12).all()  # every keyword clip, twice (augmented copies)
    assert counts[CLASSES.index(UNKNOWN)] == 2 * 12  # 10 % of 120 keyword clips = 12 of the 24 unknown, x2
    assert counts[CLASSES.index(SILENCE)] == 24  # 20 % of 120, not augmented
    assert "1 recordings" not in ds.source and "augmented" in ds.source
    clean = load_kws(tmp_path, "train", augment=0, unknown_percent=10, silence_percent=20, val_percent=0,
                     test_percent=0)
    assert len(clean) == len(ds) // 2 + 12  # silence count does not double
    assert not np.allclose(clean.x[:5], ds.x[:5])  # augmentation changed the features


def test_twelve_class_layout_salted_split_and_cache(tmp_path):
    folder = tmp_path / "speech_commands_test_set_v0.02"
    for i, word in enumerate(CLASSES):
        for s in range(10):
            name = f"{s:04d}.wav" if word == SILENCE else (
                f"bed_{s:08x}_nohash_0.wav" if word == UNKNOWN else f"{s:08x}_nohash_0.wav")
            write_wav(folder / word / name, tone(200 + 100 * i, seed=s))
    splits = {s: load_kws(tmp_path, s, val_percent=20, test_percent=20) for s in ("train", "val", "test")}
    assert sum(len(d) for d in splits.values()) == 120  # nothing lost, no silence added, no augmentation copies
    assert all(len(d) > 0 for d in splits.values())
    spk = {s: {speaker_of(c.path) for c in list_clips(folder, s, 20, 20) if c.label < 10} for s in splits}
    assert not spk["train"] & spk["test"] and not spk["train"] & spk["val"]
    again = load_kws(tmp_path, "test", val_percent=20, test_percent=20)
    assert np.array_equal(again.x, splits["test"].x)
    cache = list((tmp_path / "cache" / "kws").glob("*.npz"))
    assert len(cache) == 3
    # a changed clip is a new cache key, never a stale hit
    victim = next(c.path for c in list_clips(folder, "test", 20, 20))
    write_wav(victim, tone(3000, seed=99))
    changed = load_kws(tmp_path, "test", val_percent=20, test_percent=20)
    assert not np.array_equal(changed.x, again.x)
    assert len(list((tmp_path / "cache" / "kws").glob("*.npz"))) == 4


def test_loader_errors(tmp_path):
    folder = make_layout(tmp_path, speakers=("aaaa1111",))
    for f in (folder / "up").glob("*.wav"):
        f.unlink()
    with pytest.raises(QnnError, match="up: class folder holds no .wav"):
        load_kws(tmp_path, "train")
    shutil.rmtree(folder / "up")
    with pytest.raises(QnnError, match="keyword folder.*up.*missing"):
        load_kws(tmp_path, "train")
    with pytest.raises(QnnError, match="no Speech Commands data"):
        load_kws(tmp_path / "speech_commands_v0.02" / "yes", "train")
    with pytest.raises(QnnError, match="unknown kws dataset option"):
        load_kws(None, "train", agument=1)
    with pytest.raises(QnnError, match="unknown split"):
        load_kws(None, "dev")


def test_bad_wav_in_dataset_names_the_file(tmp_path):
    import soundfile as sf

    folder = make_layout(tmp_path, speakers=("aaaa1111",))
    bad = folder / "yes" / "aaaa1111_nohash_0.wav"
    sf.write(bad, tone(300), 8000, subtype="PCM_16")
    with pytest.raises(QnnError, match=f"{bad}.*8000 Hz"):
        load_kws(tmp_path, "train", val_percent=0, test_percent=0)


@pytest.mark.skipif(not SHARED_KWS.is_dir(), reason="needs ../shared/data/speech_commands_dev")
def test_real_dev_clips():
    ds = load_dataset("kws", "test", SHARED_KWS.parent)
    assert ds.x.shape[1:] == (1, 49, 10) and len(ds) > 100
    assert set(np.unique(ds.y)) == set(range(12))
    assert "speech_commands_dev" in ds.source
