"""Quantization-aware training (Brevitas) with checkpoints per epoch, resume, and deterministic re-runs.

The loop is plain PyTorch: seeded shuffling with NumPy, Adam or SGD, a cosine or step learning-rate schedule,
optional random-shift augmentation; with ``QNN_FAST_QUANT=1`` Brevitas' integer quantizers train through one
fused autograd op each (``qnn.models.fast_quant``: ~25 % faster steps; off by default because a run resumed from a
checkpoint then is not bit-identical to the uninterrupted one, tests/test_flow.py). Methods for little data
(``qnn.train_methods``), all off by default: SpecAugment masks on the input map (time = rows, frequency =
columns), mixup, label smoothing, and knowledge distillation from a float teacher run (``distill``). Every epoch
writes ``checkpoints/epoch_NNN.pt`` and ``checkpoint.pt`` (the latest, with optimizer/scheduler/RNG state so
``resume`` continues exactly) and appends to ``metrics.json``.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from qnn.data.base import Dataset
from qnn.errors import QnnError
from qnn.models import ModelSpec, build_model
from qnn.models.fast_quant import fuse_int_quant
from qnn.run import Run
from qnn.train_methods import mixup_batch, soft_loss, spec_augment
from qnn.util.atomic import atomic_path
from qnn.util.progress import progress


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 2e-3
    optimizer: str = "adam"  # adam | sgd
    schedule: str = "cosine"  # cosine | step | none
    weight_decay: float = 0.0
    seed: int = 0
    val_fraction: float = 0.1
    augment_shift: int = 0  # random translation in pixels/frames (0 = off)
    threads: int = 0  # torch threads (0 = torch default)
    spec_time_masks: int = 0  # SpecAugment: masks of up to spec_time_width rows (frames) per sample
    spec_time_width: int = 6
    spec_freq_masks: int = 0  # ... and of up to spec_freq_width columns (coefficients)
    spec_freq_width: int = 2
    mixup: float = 0.0  # Beta(alpha, alpha) mixup of inputs and targets (0 = off)
    label_smoothing: float = 0.0
    distill: str | None = None  # teacher run directory (its float model) for knowledge distillation
    distill_alpha: float = 0.7  # weight of the teacher's soft targets in the loss
    distill_temp: float = 4.0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise QnnError(f"--epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise QnnError(f"--batch-size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise QnnError(f"--lr must be positive, got {self.lr}")
        if self.optimizer not in ("adam", "sgd"):
            raise QnnError(f"unknown optimizer {self.optimizer!r}: use adam or sgd")
        if self.schedule not in ("cosine", "step", "none"):
            raise QnnError(f"unknown schedule {self.schedule!r}: use cosine, step or none")
        if not 0 <= self.val_fraction < 1:
            raise QnnError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")
        if not 0 <= self.label_smoothing < 1 or self.mixup < 0 or not 0 <= self.distill_alpha <= 1:
            raise QnnError("--label-smoothing must be in [0, 1), --mixup >= 0 and --distill-alpha in [0, 1]")
        if min(self.spec_time_masks, self.spec_freq_masks, self.spec_time_width, self.spec_freq_width) < 0:
            raise QnnError("SpecAugment mask counts and widths must be >= 0")
        if self.distill_temp <= 0:
            raise QnnError(f"--distill-temp must be positive, got {self.distill_temp}")


def split_train_val(ds: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
    if fraction == 0:
        return ds, None
    idx = np.random.default_rng(seed + 7919).permutation(len(ds))
    n_val = max(1, int(len(ds) * fraction))
    tr, va = idx[n_val:], idx[:n_val]
    mk = lambda i, s: Dataset(ds.name, s, ds.x[i], ds.y[i], ds.classes, ds.source)  # noqa: E731
    return mk(tr, "train"), mk(va, "val")


def _shift_batch(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Random translation by up to ``max_shift`` along H and W, zero fill (one shift per sample)."""
    n, _, h, w = x.shape
    out = torch.zeros_like(x)
    dy = torch.randint(-max_shift, max_shift + 1, (n,), generator=gen)
    dx = torch.randint(-max_shift, max_shift + 1, (n,), generator=gen) if w > 1 else torch.zeros(n, dtype=torch.long)
    for i in range(n):
        sy, sx = int(dy[i]), int(dx[i])
        ys, yd = (slice(0, h - sy), slice(sy, h)) if sy >= 0 else (slice(-sy, h), slice(0, h + sy))
        xs, xd = (slice(0, w - sx), slice(sx, w)) if sx >= 0 else (slice(-sx, w), slice(0, w + sx))
        out[i, :, yd, xd] = x[i, :, ys, xs]
    return out


@torch.no_grad()
def predict_logits(model: nn.Module, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    model.eval()
    outs = [model(torch.from_numpy(x[i : i + batch])).float() for i in range(0, len(x), batch)]
    return torch.cat(outs).numpy() if outs else np.zeros((0,))


def runtime_stats(model: nn.Module) -> dict:
    """Brevitas' activation scales collect statistics for their first training steps in a counter and a buffer
    that ``state_dict`` leaves out; a checkpoint keeps them so that resuming continues exactly."""
    return {name: (m.counter, None if m.buffer is None else m.buffer.detach().clone())
            for name, m in model.named_modules() if hasattr(m, "counter") and hasattr(m, "buffer")}


def restore_runtime_stats(model: nn.Module, stats: dict) -> None:
    """Put back the counters and buffers. A checkpoint taken while a scale still collects statistics stores the
    buffer (log domain) as ``value``; Brevitas' ``init_scale`` later multiplies ``value`` by the buffer, assuming
    the fresh module's 1.0, so ``value`` is reset to 1.0 there (else the resumed run's scales are wrong and
    training collapses at the end of the collection)."""
    modules = dict(model.named_modules())
    for name, (counter, buffer) in stats.items():
        m = modules[name]
        m.counter = counter
        m.buffer = buffer
        steps = getattr(m, "collect_stats_steps", None)
        if steps is not None and counter <= steps and isinstance(getattr(m, "value", None), torch.Tensor):
            with torch.no_grad():
                m.value.fill_(1.0)


def hinge_loss(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One-vs-rest hinge loss, class-balanced: each output is a perceptron whose sign says "this class" (t = +1) or
    not (t = -1), trained on max(0, 1 - t * s) with its positive and its negatives weighted half and half (else the
    nine negatives per sample push every unit to say "no")."""
    t = 2.0 * nn.functional.one_hot(y, scores.shape[1]).to(scores.dtype) - 1.0
    w = torch.where(t > 0, 0.5, 0.5 / max(1, scores.shape[1] - 1))
    return (torch.relu(1.0 - t * scores) * w).sum(1).mean()


def _loss_inputs(model: nn.Module, spec: ModelSpec, xb: torch.Tensor):
    """(what the loss sees, loss function): the logits with cross-entropy, or for a sign output (perceptron) the
    scores before the sign with the hinge loss."""
    if spec.output == "sign":
        return model.scores(xb), hinge_loss
    out = model(xb)
    return (out.value if hasattr(out, "value") else out), nn.functional.cross_entropy


def _make_optimizer(model: nn.Module, cfg: TrainConfig, steps_per_epoch: int):
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    total = cfg.epochs * steps_per_epoch
    if cfg.schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, total) / total)))
    elif cfg.schedule == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, total // 3), gamma=0.1)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    return opt, sched


def train(run: Run, spec: ModelSpec, cfg: TrainConfig, train_ds: Dataset, resume: bool = False,
          checkpoint_name: str = "checkpoint.pt", quiet: bool = False) -> tuple[nn.Module, list[dict]]:
    """Train ``spec`` on ``train_ds`` into ``run``; returns the model (eval mode) and the per-epoch history."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    tr, va = split_train_val(train_ds, cfg.val_fraction, cfg.seed)
    model = build_model(spec)
    if os.environ.get("QNN_FAST_QUANT") == "1":  # opt-in: resume is then not bit-exact (see the module docstring)
        fuse_int_quant(model)
    steps = int(np.ceil(len(tr) / cfg.batch_size))
    opt, sched = _make_optimizer(model, cfg, steps)
    history: list[dict] = []
    start_epoch = 0
    ckpt_path = run.path / checkpoint_name
    ckpt_dir = run.path / (checkpoint_name.replace(".pt", "") + "s" if checkpoint_name != "checkpoint.pt" else "checkpoints")
    gen = torch.Generator().manual_seed(cfg.seed)
    if resume and ckpt_path.is_file():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        restore_runtime_stats(model, state.get("runtime_stats", {}))
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        history, start_epoch = state["history"], state["epoch"] + 1
    xs, ys = torch.from_numpy(tr.x), torch.from_numpy(tr.y)
    teacher = load_teacher(cfg.distill) if cfg.distill else None
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(tr), generator=gen)
        tot_loss, correct = 0.0, 0
        with progress(f"epoch {epoch + 1}/{cfg.epochs}", total=steps, quiet=quiet) as bar:
            for b in range(steps):
                idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
                xb, yb = xs[idx], ys[idx]
                if cfg.augment_shift:
                    xb = _shift_batch(xb, cfg.augment_shift, gen)
                xb = spec_augment(xb, cfg, gen)
                xb, mix = mixup_batch(xb, yb, cfg.mixup, gen)
                out, loss_fn = _loss_inputs(model, spec, xb)
                loss = (loss_fn(out, yb) if loss_fn is hinge_loss else
                        soft_loss(out, yb, mix, cfg, teacher(xb) if teacher is not None else None))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                tot_loss += loss.item() * len(idx)
                top = mix[1] if mix is not None and mix[0] < 0.5 else yb  # mixup: the dominant label
                correct += int((out.argmax(1) == top).sum())
                bar.advance(loss=f"{loss.item():.3f}")
        rec = {"epoch": epoch + 1, "train_loss": tot_loss / len(tr), "train_acc": correct / len(tr),
               "lr": opt.param_groups[0]["lr"], "seconds": round(time.time() - t0, 2)}
        if va is not None:
            rec["val_acc"] = float((predict_logits(model, va.x).argmax(1) == va.y).mean())
        history.append(rec)
        state = {"model": model.state_dict(), "runtime_stats": runtime_stats(model), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "generator": gen.get_state(), "torch_rng": torch.get_rng_state(), "epoch": epoch,
                 "history": history, "spec": spec.to_dict(), "train": asdict(cfg)}
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(ckpt_dir / f"epoch_{epoch + 1:03d}.pt") as tmp:
            torch.save(state, tmp)
        with atomic_path(ckpt_path) as tmp:
            torch.save(state, tmp)
        if not quiet:
            val = f", val acc {rec['val_acc']:.4f}" if "val_acc" in rec else ""
            print(f"epoch {epoch + 1}: loss {rec['train_loss']:.4f}, train acc {rec['train_acc']:.4f}{val} ({rec['seconds']} s)")
    model.eval()
    return model, history


def load_model(run: Run, checkpoint_name: str = "checkpoint.pt", spec: ModelSpec | None = None) -> nn.Module:
    """Rebuild the model of a run and load its last checkpoint (eval mode)."""
    path = run.path / checkpoint_name
    if not path.is_file():
        raise QnnError(f"run {run.path} has no {checkpoint_name}: train it first (`qnn train {run.path}`)")
    try:
        state = torch.load(path, weights_only=False)
    except Exception as e:  # noqa: BLE001
        raise QnnError(f"{path} is corrupt ({type(e).__name__}); re-train or resume from checkpoints/") from None
    spec = spec or ModelSpec.from_dict(state["spec"])
    model = build_model(spec)
    model.load_state_dict(state["model"])
    return model.eval()


def load_teacher(run_dir: str):
    """The float model of a teacher run (its float baseline, or the run's own model if it is float), frozen."""
    run = Run(run_dir)
    state = run.path / "checkpoint.pt"
    if not state.is_file():
        raise QnnError(f"teacher run {run_dir} has no checkpoint.pt: train it first")
    spec = ModelSpec.from_dict(torch.load(state, weights_only=False)["spec"])
    if spec.is_float:
        model = load_model(run)
    elif (run.path / "float_checkpoint.pt").is_file():
        model = load_model(run, "float_checkpoint.pt", spec.with_(weight_bits=32, act_bits=32))
    else:
        raise QnnError(f"teacher run {run_dir} is quantized and has no float baseline (train it with -w 32 -a 32 "
                       "or --float-baseline)")
    for p in model.parameters():
        p.requires_grad_(False)

    @torch.no_grad()
    def logits(x: torch.Tensor) -> torch.Tensor:
        out = model(x)
        return out.value if hasattr(out, "value") else out

    return logits
