"""Little-data training methods: audio perturbation, SpecAugment, mixup, label smoothing, distillation, CV folds."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from kws_helpers import make_layout, tone

from qnn.audio.augment import AugmentConfig, augment_clip
from qnn.audio.perturb import fit_center, impulse_response, mix_at_snr, pitch, reverb, speed
from qnn.data.kws import KwsOptions, load_kws, plan
from qnn.data.speaker_folds import speaker_folds
from qnn.errors import QnnError
from qnn.train import TrainConfig
from qnn.train_methods import mixup_batch, soft_loss, spec_augment


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))


def test_speed_pitch_keep_length_and_move_energy():
    x = tone(1000)
    assert fit_center(np.ones(5, np.float32), 3).tolist() == [1, 1, 1]
    assert fit_center(np.ones(2, np.float32), 4).tolist() == [0, 1, 1, 0]
    for y in (speed(x, 1.1), speed(x, 0.9), pitch(x, 2.0)):
        assert y.shape == x.shape and y.dtype == np.float32
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    peak = lambda y: f[np.abs(np.fft.rfft(y)).argmax()]  # noqa: E731
    assert peak(speed(x, 1.1)) == pytest.approx(1100, abs=15)
    assert peak(pitch(x, 12.0)) == pytest.approx(2000, abs=30)  # one octave up
    assert np.array_equal(speed(x, 1.0), x) and np.array_equal(pitch(x, 0.0), x)


def test_reverb_and_snr():
    rng = np.random.default_rng(0)
    ir = impulse_response(0.3, rng)
    assert ir[0] == 1.0 and len(ir) == int(0.3 * 16000)
    assert np.abs(ir[-500:]).max() < 0.01 * np.abs(ir[1:500]).max()  # -60 dB at the end
    x = tone(500)
    y = reverb(x, 0.4, rng)
    assert y.shape == x.shape and np.abs(y).max() == pytest.approx(np.abs(x).max(), rel=1e-5)
    noise = np.random.default_rng(1).standard_normal(16000).astype(np.float32)
    mixed = mix_at_snr(x, noise, 6.0)
    snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean((mixed - x).astype(np.float64) ** 2))
    assert snr == pytest.approx(6.0, abs=1e-3)


def test_augment_clip_is_deterministic_and_uses_every_method():
    x = tone(700)
    noises = [np.random.default_rng(2).standard_normal(40000).astype(np.float32)]
    cfg = AugmentConfig(1, 100.0, 1.0, 0.1, (5.0, 5.0), 0.1, 2.0, 1.0)
    a = augment_clip(x, np.random.default_rng(3), noises, cfg)
    b = augment_clip(x, np.random.default_rng(3), noises, cfg)
    assert np.array_equal(a, b) and not np.allclose(a, x)
    assert cfg.to_dict()["snr_db"] == [5.0, 5.0]


def test_spec_augment_masks_bands_with_the_mean():
    cfg = TrainConfig(spec_time_masks=2, spec_time_width=5, spec_freq_masks=1, spec_freq_width=2)
    x = torch.rand(64, 1, 49, 10)
    y = spec_augment(x, cfg, torch.Generator().manual_seed(0))
    changed = y != x
    assert changed.any() and y.shape == x.shape
    for i in range(64):  # a masked value is the sample's mean; at most 2 x 5 rows + 2 columns per sample
        m = changed[i, 0]
        assert torch.allclose(y[i, 0][m], x[i].mean().expand(int(m.sum())))
        rows = m.all(1).sum()
        assert rows <= 10
    assert torch.equal(spec_augment(x, TrainConfig(), torch.Generator()), x)


def test_mixup_label_smoothing_and_distillation_losses():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 1, 4, 4), torch.arange(8) % 3
    xm, mix = mixup_batch(x, y, 0.4, gen)
    lam, y2 = mix
    assert 0 <= lam <= 1 and sorted(y2.tolist()) == sorted(y.tolist())
    logits = torch.randn(8, 3)
    plain = soft_loss(logits, y, None, TrainConfig(), None)
    assert plain == pytest.approx(float(torch.nn.functional.cross_entropy(logits, y)))
    mixed = soft_loss(logits, y, (0.25, y2), TrainConfig(), None)
    ce = torch.nn.functional.cross_entropy
    assert mixed == pytest.approx(float(0.25 * ce(logits, y) + 0.75 * ce(logits, y2)))
    assert soft_loss(logits, y, None, TrainConfig(label_smoothing=0.1), None) != plain
    cfg = TrainConfig(distill="t", distill_alpha=1.0, distill_temp=2.0)
    assert float(soft_loss(logits, y, None, cfg, logits.clone())) == pytest.approx(0.0, abs=1e-6)  # student == teacher
    with pytest.raises(QnnError):
        TrainConfig(label_smoothing=1.0)


def test_speaker_folds_are_disjoint_balanced_and_stable():
    rng = np.random.default_rng(0)
    speakers = [f"s{int(v)}" for v in rng.integers(0, 60, 600)]
    folds = speaker_folds(speakers, 5)
    assert np.array_equal(folds, speaker_folds(speakers, 5))
    for s in set(speakers):
        assert len({int(f) for sp, f in zip(speakers, folds) if sp == s}) == 1
    counts = np.bincount(folds, minlength=5)
    assert counts.max() - counts.min() <= max(speakers.count(s) for s in set(speakers))
    with pytest.raises(QnnError):
        speaker_folds(["a", "b"], 5)


def test_load_kws_cv_folds_split_by_speaker(tmp_path):
    spk = tuple(f"{i:08x}" for i in range(20))
    folder = make_layout(tmp_path, speakers=spk, noise=True)
    opts = dict(cv_folds=4, val_percent=0, test_percent=0, augment=2, speed=0.1)
    seen = set()
    for k in range(4):
        items, _, keep, _ = plan(folder, "train", KwsOptions.parse({**opts, "cv_fold": k}))
        tr = {it.clip.speaker for it, kk in zip(items, keep) if kk and it.clip}
        items, _, keep, _ = plan(folder, "test", KwsOptions.parse({**opts, "cv_fold": k}))
        te = {it.clip.speaker for it, kk in zip(items, keep) if kk and it.clip}
        assert te and not tr & te
        seen |= te
    assert seen == set(spk)
    train = load_kws(tmp_path, "train", **opts, cv_fold=1)
    test = load_kws(tmp_path, "test", **opts, cv_fold=1)
    assert "speaker fold 1 of 4" in test.source
    assert len(train) > 2 * len(test)
    with pytest.raises(QnnError):
        load_kws(tmp_path, "train", cv_folds=4, cv_fold=4)


def _spy(monkeypatch, name: str, calls: list) -> None:
    """Record the arguments and result of each call of ``qnn.train.<name>`` (what the training loop uses)."""
    import qnn.train

    real = getattr(qnn.train, name)

    def wrapper(*args):
        out = real(*args)
        calls.append((args, out))
        return out

    monkeypatch.setattr(qnn.train, name, wrapper)


def test_training_with_every_method_and_a_distilled_student(tmp_path, monkeypatch):
    from qnn.data.base import Dataset
    from qnn.models import spec_from_preset
    from qnn.run import Run
    from qnn.train import load_teacher, train

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96)
    x = (rng.random((96, 1, 8, 5)) * 0.3 + 0.2 * y[:, None, None, None]).astype(np.float32)
    ds = Dataset("kws", "train", x, y, ("a", "b", "c"), "toy")
    spec = lambda w: spec_from_preset("kws-mlp", in_shape=(1, 8, 5), num_classes=3, weight_bits=w,  # noqa: E731
                                      act_bits=w, hidden=(8,))
    teacher = Run(tmp_path / "teacher")
    teacher.write_config({})
    train(teacher, spec(32), TrainConfig(epochs=2, batch_size=32, val_fraction=0), ds, quiet=True)
    cfg = TrainConfig(epochs=2, batch_size=32, val_fraction=0, spec_time_masks=1, spec_freq_masks=1, mixup=0.2,
                      label_smoothing=0.1, distill=str(teacher.path))
    calls = {k: [] for k in ("spec_augment", "mixup_batch", "_loss_inputs", "soft_loss")}
    with monkeypatch.context() as mp:
        for name, c in calls.items():
            _spy(mp, name, c)
        _, hist = train(Run(tmp_path / "student"), spec(4), cfg, ds, quiet=True)
    assert len(hist) == 2 and np.isfinite(hist[-1]["train_loss"])
    # each method acted on every batch, in the loop's order: SpecAugment -> mixup -> model -> loss (+ teacher)
    assert all(len(c) == 2 * 3 for c in calls.values())  # 2 epochs x 3 batches
    frozen_teacher = load_teacher(str(teacher.path))
    for (sa_args, masked), (mx_args, (mixed, mix)), (li_args, (logits, _)), (sl_args, loss) in zip(*calls.values()):
        batch = sa_args[0]
        time_rows, freq_cols = (masked != batch).all(3)[:, 0], (masked != batch).all(2)[:, 0]
        assert time_rows.any() or freq_cols.any()  # whole frames / coefficients replaced by the sample's mean
        assert mx_args[0] is masked and mix is not None and 0 < mix[0] < 1
        assert li_args[2] is mixed and not torch.equal(mixed, masked)  # the model sees the mixed, masked batch
        s_logits, s_y, s_mix, s_cfg, s_teacher = sl_args
        assert s_logits is logits and s_mix is mix and s_cfg.label_smoothing == 0.1
        with torch.no_grad():
            assert torch.equal(s_teacher, frozen_teacher(mixed))  # the teacher's logits on that very batch
        assert loss.requires_grad and np.isfinite(float(loss))
    _, again = train(Run(tmp_path / "student2"), spec(4), cfg, ds, quiet=True)
    assert again[-1]["train_loss"] == hist[-1]["train_loss"]  # deterministic with every method on
    with pytest.raises(QnnError, match="no checkpoint"):
        train(Run(tmp_path / "s3"), spec(4), TrainConfig(epochs=1, distill=str(tmp_path / "none")), ds, quiet=True)


def test_restored_scale_in_collection_matches_the_uninterrupted_one():
    """The exact failure: a model restored at step 148 of 300 must reach, at step 300, the scale the
    uninterrupted model reaches (it reached 2^(log2(b) * log2(b')): 56 instead of 5.4 on the KWS CNN)."""
    from qnn.models import build_model, spec_from_preset
    from qnn.train import restore_runtime_stats, runtime_stats

    torch.manual_seed(0)
    spec = spec_from_preset("kws-mlp", in_shape=(1, 8, 5), num_classes=3, weight_bits=4, act_bits=4, hidden=(8,))
    a = build_model(spec).train()
    x = torch.rand(64, 1, 8, 5) * 0.9
    for _ in range(10):
        a(x)
    b = build_model(spec)
    b.load_state_dict(a.state_dict())
    restore_runtime_stats(b, runtime_stats(a))
    b.train()
    scale = lambda m: [float(s.value) for n, s in m.named_modules() if hasattr(s, "collect_stats_steps")]  # noqa: E731
    for m in (a, b):
        for s in m.modules():
            if hasattr(s, "collect_stats_steps"):
                s.counter = s.collect_stats_steps  # the next training step ends the collection
        m(x)
    assert scale(a) == scale(b) and all(v != 1.0 for v in scale(a))
