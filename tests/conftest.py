"""Shared fixtures: small Brevitas models trained for a few steps on the embedded MNIST digits; the environment
each test sees (no QNN_* switches, no thread-count variables, unless the test sets them)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from train_helpers import quick_train

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# QNN_DATA as the suite was started with: only `mnist_root` reads it (tests that ask for the full data by name)
_STARTED_QNN_DATA = os.environ.get("QNN_DATA") and Path(os.environ["QNN_DATA"]).resolve()
# Variables that change what the toolkit does (data folder, fast-quant training) or how many threads a library or
# subprocess runs; a test that needs one sets it with monkeypatch. QNN_CACHE stays: it only says where the MFCC
# cache lives (keyed by content), and the tests that depend on it set their own.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS", "TORCH_NUM_THREADS")
KEEP = ("QNN_CACHE",)


def _isolating_vars() -> list[str]:
    return [k for k in os.environ if (k.startswith("QNN_") and k not in KEEP) or k in THREAD_VARS]


@pytest.fixture(scope="session", autouse=True)
def _isolated_session_env():
    """Session fixtures (trained models, loaded datasets) are built in the isolated environment too."""
    with pytest.MonkeyPatch.context() as mp:
        for k in _isolating_vars():
            mp.delenv(k)
        yield


@pytest.fixture(autouse=True)
def _isolated_env():
    """Each test starts and ends without them: what a test (or the code it ran in-process, e.g. a sweep point
    setting OMP_NUM_THREADS) left behind is removed, not restored. A test's own monkeypatch.setenv comes after this
    fixture, and its undo before this fixture's cleanup."""
    for k in _isolating_vars():
        del os.environ[k]
    yield
    for k in _isolating_vars():
        del os.environ[k]


def shared_mnist() -> Path | None:
    """The full MNIST when this machine has it (tests also pass without it): $QNN_DATA as the suite was started
    with, else ../shared/data."""
    p = Path(_STARTED_QNN_DATA or SHARED_DATA) / "mnist"
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
