"""A few optimizer steps on a Brevitas model: shared by fixtures and tests (importable by name, unlike conftest)."""
from __future__ import annotations

import numpy as np
import torch


def quick_train(spec, data, steps: int = 30, seed: int = 0, batch: int = 64):
    """A few optimizer steps: enough to move BatchNorm statistics, activation scales and weights off init."""
    from qnn.models import build_model

    torch.manual_seed(seed)
    model = build_model(spec)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(steps):
        idx = torch.from_numpy(rng.choice(len(x), batch, replace=False))
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()
