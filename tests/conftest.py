"""Shared fixtures: small Brevitas models trained for a few steps on the embedded MNIST digits."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_mnist() -> Path | None:
    """The full MNIST when this machine has it (tests also pass without it)."""
    p = Path(os.environ.get("QNN_DATA", SHARED_DATA)) / "mnist"
    return p.parent if (p / "t10k-images-idx3-ubyte.gz").is_file() else None


@pytest.fixture(scope="session")
def mnist_root():
    """Data root holding the full MNIST, or None (embedded digits)."""
    return shared_mnist()


@pytest.fixture(scope="session")
def mnist_small():
    from qnn.data import load_dataset

    return load_dataset("mnist", "train"), load_dataset("mnist", "test")


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


@pytest.fixture(scope="session")
def trained(mnist_small, tmp_path_factory):
    """trained(preset, w, a, **spec_kw) -> (model, spec, graph, onnx path); cached per session."""
    from qnn.export import export_qonnx_file
    from qnn.models import spec_from_preset

    cache: dict = {}
    folder = tmp_path_factory.mktemp("models")

    def make(preset: str, w: int, a: int, **kw):
        key = (preset, w, a, tuple(sorted(kw.items())))
        if key not in cache:
            train, _ = mnist_small
            spec = spec_from_preset(preset, in_shape=(1, 28, 28), num_classes=10, weight_bits=w, act_bits=a, **kw)
            model = quick_train(spec, train)
            path = folder / f"{preset}_w{w}a{a}_{len(cache)}.onnx"
            graph = export_qonnx_file(model, spec, path)
            cache[key] = (model, spec, graph, path)
        return cache[key]

    return make
