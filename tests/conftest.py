"""Shared fixtures: small Brevitas models trained for a few steps on the embedded MNIST digits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from train_helpers import quick_train

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
