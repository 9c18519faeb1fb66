"""Training methods for little data, applied per batch: SpecAugment masks, mixup, label smoothing, distillation.

* SpecAugment (Park et al. 2019), on the model's input map [N, 1, frames, coefficients]: ``spec_time_masks``
  bands of 0..``spec_time_width`` consecutive frames and ``spec_freq_masks`` bands of 0..``spec_freq_width``
  consecutive coefficients are set to the sample's mean, a fresh draw for every sample of every batch;
* mixup (Zhang et al. 2018): the batch is mixed with a permutation of itself, x = l x + (1 - l) x[p] with
  l ~ Beta(alpha, alpha), and the loss is l CE(y) + (1 - l) CE(y[p]);
* label smoothing: cross-entropy against (1 - e) one-hot + e / classes;
* distillation (Hinton et al. 2015): (1 - a) CE + a T^2 KL(softmax(teacher / T) || softmax(student / T)), the
  teacher a frozen float model seeing the very same (masked, mixed) batch.
All randomness comes from the training loop's ``torch.Generator``, so a resumed run continues exactly.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _band_mask(n: int, size: int, count: int, width: int, gen: torch.Generator) -> torch.Tensor:
    """[n, size] booleans: ``count`` random bands of 0..width consecutive positions per row."""
    mask = torch.zeros(n, size, dtype=torch.bool)
    ar = torch.arange(size)[None, :]
    for _ in range(count):
        w = torch.randint(0, min(width, size) + 1, (n, 1), generator=gen)
        start = (torch.rand(n, 1, generator=gen) * (size - w + 1)).long()
        mask |= (ar >= start) & (ar < start + w)
    return mask


def spec_augment(x: torch.Tensor, cfg, gen: torch.Generator) -> torch.Tensor:
    if x.dim() != 4 or not (cfg.spec_time_masks or cfg.spec_freq_masks):
        return x
    n, _, h, w = x.shape
    mask = torch.zeros(n, 1, h, w, dtype=torch.bool)
    if cfg.spec_time_masks:
        mask |= _band_mask(n, h, cfg.spec_time_masks, cfg.spec_time_width, gen)[:, None, :, None]
    if cfg.spec_freq_masks:
        mask |= _band_mask(n, w, cfg.spec_freq_masks, cfg.spec_freq_width, gen)[:, None, None, :]
    return torch.where(mask, x.mean(dim=(1, 2, 3), keepdim=True), x)


def mixup_batch(x: torch.Tensor, y: torch.Tensor, alpha: float, gen: torch.Generator):
    """(mixed batch, (lambda, permuted labels) or None)."""
    if not alpha:
        return x, None
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))
    perm = torch.randperm(len(x), generator=gen)
    return lam * x + (1 - lam) * x[perm], (lam, y[perm])


def soft_loss(logits: torch.Tensor, y: torch.Tensor, mix, cfg, teacher_logits: torch.Tensor | None) -> torch.Tensor:
    ce = nn.functional.cross_entropy
    ls = cfg.label_smoothing
    if mix is None:
        loss = ce(logits, y, label_smoothing=ls)
    else:
        lam, y2 = mix
        loss = lam * ce(logits, y, label_smoothing=ls) + (1 - lam) * ce(logits, y2, label_smoothing=ls)
    if teacher_logits is None:
        return loss
    t = cfg.distill_temp
    kl = nn.functional.kl_div(nn.functional.log_softmax(logits / t, 1), nn.functional.log_softmax(teacher_logits / t, 1),
                              log_target=True, reduction="batchmean")
    return (1 - cfg.distill_alpha) * loss + cfg.distill_alpha * t * t * kl
