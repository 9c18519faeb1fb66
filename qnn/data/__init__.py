"""Datasets: ``load_dataset(name, split, data_dir)`` -> ``Dataset`` (see ``qnn.data.base``).

``data_dir`` (or ``$QNN_DATA``) is a folder holding ``mnist/`` (IDX files) and/or ``speech_commands*/`` (the
Speech Commands folder layout); without one, embedded defaults that need no network are used.
"""
from __future__ import annotations

from pathlib import Path

from qnn.data.base import Dataset, data_root
from qnn.errors import QnnError

DATASETS = ("mnist", "kws")


def load_dataset(name: str, split: str, data_dir: str | Path | None = None, **options) -> Dataset:
    if split not in ("train", "val", "test"):
        raise QnnError(f"unknown split {split!r}: use train, val or test")
    root = data_root(data_dir)
    if name == "mnist":
        from qnn.data.mnist import load_mnist

        return load_mnist(root, "test" if split == "test" else "train")
    if name == "kws":
        from qnn.data.kws import load_kws

        return load_kws(root, split, **options)
    raise QnnError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")


__all__ = ["Dataset", "DATASETS", "load_dataset"]
