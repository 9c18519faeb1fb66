"""Training is deterministic and resumable exactly."""
import shutil

import numpy as np
import torch

from qnn.models import spec_from_preset
from qnn.run import Run
from qnn.train import TrainConfig, load_model, predict_logits, split_train_val, train


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
    drop = lambda hist: [{k: v for k, v in h.items() if k != "seconds"} for h in hist]  # noqa: E731
    assert drop(hist_c) == drop(hist_a)  # the resumed run's history, loss and accuracies included

    # each epoch's val_acc is that epoch's model on the held-out tenth (disjoint from the training images)
    tr, va = split_train_val(ds, cfg.val_fraction, cfg.seed)
    assert (len(tr), len(va)) == (540, 60)
    assert not {x.tobytes() for x in va.x} & {x.tobytes() for x in tr.x}
    models = [load_model(Run(tmp_path / "a"), "checkpoints/epoch_001.pt", spec), a]
    accs = [float(np.mean(predict_logits(m, va.x).argmax(1) == va.y)) for m in models]
    assert [h["val_acc"] for h in hist_a] == accs and accs[1] > 0.2  # chance: 0.1 (here 0.33 after two epochs)
