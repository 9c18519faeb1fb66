"""WAV reading and validation: every bad input is a clear QnnError or a documented conversion."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from kws_helpers import tone

from qnn.audio.wav import fit_length, load_clip, load_long, read_wav, write_wav
from qnn.errors import QnnError


def test_round_trip_16k_mono(tmp_path):
    x = tone(440)
    p = write_wav(tmp_path / "a.wav", x)
    y = load_clip(p)
    assert y.shape == (16000,) and y.dtype == np.float32
    assert np.abs(y - x).max() < 1 / 32768 + 1e-6  # 16-bit PCM


def test_short_clip_is_zero_padded_centred(tmp_path):
    p = write_wav(tmp_path / "short.wav", np.full(8000, 0.5, np.float32))
    y = load_clip(p)
    assert y.shape == (16000,)
    assert (y[:4000] == 0).all() and (y[12000:] == 0).all() and np.allclose(y[4000:12000], 0.5, atol=1e-4)


def test_too_short_and_empty_are_errors(tmp_path):
    p = write_wav(tmp_path / "tiny.wav", np.zeros(800, np.float32))  # 50 ms
    with pytest.raises(QnnError, match="too short"):
        load_clip(p)
    p = write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32))
    with pytest.raises(QnnError, match="too short"):
        load_clip(p)


def test_long_clip_error_or_loudest_window(tmp_path):
    x = np.zeros(40000, np.float32)
    x[30000:31000] = 0.5
    p = write_wav(tmp_path / "long.wav", x)
    with pytest.raises(QnnError, match="longer than"):
        load_clip(p)
    y = load_clip(p, crop=True)
    assert y.shape == (16000,) and np.isclose(np.abs(y).sum(), 500, atol=1)  # the burst is inside the window


def test_wrong_rate_error_or_resample(tmp_path):
    p = tmp_path / "8k.wav"
    sf.write(p, 0.3 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000), 8000, subtype="PCM_16")
    with pytest.raises(QnnError, match="8000 Hz.*--resample"):
        load_clip(p)
    y = load_clip(p, resample=True)
    assert y.shape == (16000,)
    spec = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spec) - 300) <= 1  # 1 s at 16 kHz: bin k is k Hz; the tone kept its pitch


def test_stereo_error_or_mixdown(tmp_path):
    p = tmp_path / "st.wav"
    x = tone(500)
    sf.write(p, np.stack([x, 0 * x], 1), 16000, subtype="PCM_16")
    with pytest.raises(QnnError, match="2 channels"):
        load_clip(p)
    y = load_clip(p, mixdown=True)
    assert np.allclose(y, x / 2, atol=1e-4)


def test_corrupt_truncated_missing_nan(tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(QnnError, match="cannot read"):
        read_wav(tmp_path / "junk.wav")
    good = write_wav(tmp_path / "good.wav", tone(400)).read_bytes()
    (tmp_path / "trunc.wav").write_bytes(good[: len(good) // 2])
    with pytest.raises(QnnError, match="truncated"):
        load_clip(tmp_path / "trunc.wav")
    with pytest.raises(QnnError, match="no such"):
        load_clip(tmp_path / "missing.wav")
    x = tone(400)
    x[100] = np.nan
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    with pytest.raises(QnnError, match="NaN"):
        load_clip(tmp_path / "nan.wav")


def test_fit_length_and_long_noise(tmp_path):
    assert fit_length(np.ones(10, np.float32), 10, crop=False).shape == (10,)
    with pytest.raises(QnnError):
        fit_length(np.ones(11, np.float32), 10, crop=False)
    p = tmp_path / "n.wav"
    sf.write(p, np.random.default_rng(0).standard_normal((44100 * 2, 2)) * 0.1, 44100, subtype="PCM_16")
    noise = load_long(p)  # noise is converted (rate, channels): it is only mixed in at a random volume
    assert noise.ndim == 1 and abs(len(noise) - 32000) <= 1
    with pytest.raises(QnnError, match="shorter than one clip"):
        load_long(write_wav(tmp_path / "short_noise.wav", np.zeros(1000, np.float32)))
