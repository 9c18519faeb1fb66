"""The MFCC frontend: shape, framing, fixed [0, 1] mapping, configuration checks."""
from __future__ import annotations

import numpy as np
import pytest
from kws_helpers import tone

from qnn.audio.mfcc import MfccConfig, calibrate, features, mfcc, to_unit
from qnn.errors import QnnError


def test_default_shape_range_and_determinism():
    audio = np.stack([tone(300 + 100 * i, seed=i) for i in range(3)])
    x = features(audio)
    assert x.shape == (3, 1, 49, 10) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    assert np.array_equal(x, features(audio))
    assert np.array_equal(x[1], features(audio[1:2])[0])  # batch-independent: predict == dataset


def test_digital_silence_is_the_c0_floor():
    m = mfcc(np.zeros(16000, np.float32))
    assert m.shape == (49, 10)
    assert np.allclose(m[:, 0], 40 * np.log(1e-6) / np.sqrt(40), atol=1e-3)
    assert np.allclose(m[:, 1:], 0, atol=1e-3)
    assert (to_unit(m)[:, 0] < 0.01).all()


def test_frames_are_where_tensorflow_puts_them():
    """Frame t covers samples [320 t, 320 t + 480): an impulse at 3300 lights frames 9 and 10 only."""
    x = np.zeros(16000, np.float32)
    x[3300] = 1.0
    c0 = mfcc(x)[:, 0]
    lit = np.flatnonzero(c0 > c0.min() + 1)
    assert list(lit) == [9, 10]


def test_c0_is_log_level_and_other_coefficients_ignore_it():
    """x10 in amplitude adds log(10) to every log-mel band: c0 grows by 40 log(10) / sqrt(40), c1.. stay."""
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.01
    quiet, loud = mfcc(noise), mfcc(10 * noise)
    assert np.allclose(loud[:, 0] - quiet[:, 0], 40 * np.log(10) / np.sqrt(40), atol=1e-2)
    assert np.allclose(loud[:, 1:], quiet[:, 1:], atol=1e-2)


def test_fixed_mapping_not_statistics():
    cfg = MfccConfig()
    lo, hi = cfg.bounds
    m = np.stack([lo, hi, (lo + hi) / 2])[None]
    u = to_unit(m, cfg)[0]
    assert np.allclose(u[0], 0) and np.allclose(u[1], 1) and np.allclose(u[2], 0.5)
    assert cfg.calibrated and not cfg.with_(n_mels=32).calibrated


def test_other_configs_and_checks():
    cfg = MfccConfig(n_mfcc=13, stride_ms=10)
    assert cfg.shape == (1, 98, 13) and features(tone(500), cfg).shape == (1, 1, 98, 13)
    assert MfccConfig(window_ms=40).fft_size == 1024
    with pytest.raises(QnnError, match="unknown MFCC option"):
        MfccConfig.from_dict({"n_mfc": 10})
    with pytest.raises(QnnError, match="n_mfcc"):
        MfccConfig(n_mfcc=50)
    with pytest.raises(QnnError, match="fmax"):
        MfccConfig(fmax=9000)
    with pytest.raises(QnnError, match="lo needs"):
        MfccConfig(lo=(0.0,) * 3)
    with pytest.raises(QnnError, match="samples"):
        mfcc(np.zeros(15000, np.float32))
    d = MfccConfig(lo=tuple(range(10)), hi=tuple(range(1, 11))).to_dict()
    assert MfccConfig.from_dict(d) == MfccConfig(lo=tuple(float(v) for v in range(10)),
                                                 hi=tuple(float(v) for v in range(1, 11)))


def test_calibrate_percentiles():
    m = np.random.default_rng(0).normal(size=(100, 49, 10)).astype(np.float32)
    lo, hi = calibrate(m, 1.0)
    assert len(lo) == 10 and all(-3 < a < -2 for a in lo) and all(2 < b < 3 for b in hi)
