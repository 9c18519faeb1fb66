"""Training is deterministic and resumable exactly."""
import shutil

import torch

from qnn.models import spec_from_preset
from qnn.run import Run
from qnn.train import TrainConfig, train


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_deterministic_and_resume_exact(tmp_path, mnist_small):
    ds = mnist_small[0].subset(600)
    spec = spec_from_preset("tfc", in_shape=(1, 28, 28), num_classes=10, hidden=(16,), weight_bits=2, act_bits=2)
    cfg = TrainConfig(epochs=2, batch_size=64, augment_shift=1)
    a, hist_a = train(Run(tmp_path / "a"), spec, cfg, ds, quiet=True)
    b, _ = train(Run(tmp_path / "b"), spec, cfg, ds, quiet=True)
    sa, sb = _state(a), _state(b)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert len(hist_a) == 2 and (tmp_path / "a" / "checkpoints" / "epoch_002.pt").is_file()

    # one epoch, "interrupted", then resumed to two: identical to the uninterrupted run
    c_run = Run(tmp_path / "c")
    c_run.path.mkdir()
    shutil.copy(tmp_path / "a" / "checkpoints" / "epoch_001.pt", c_run.checkpoint)
    c, hist_c = train(c_run, spec, cfg, ds, resume=True, quiet=True)
    sc = _state(c)
    assert all(torch.equal(sa[k], sc[k]) for k in sa)
    assert [h["epoch"] for h in hist_c] == [1, 2]
    assert hist_a[0]["val_acc"] <= 1.0
