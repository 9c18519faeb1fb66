import gzip

import numpy as np
import pytest

from qnn.data import load_dataset
from qnn.data.mnist import load_mnist_idx
from qnn.errors import QnnError


def _write_idx(folder, n=20, gz=True, truncate=0, magic=0x803):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    img = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (n, 28, 28))
    img += rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes()
    lab = (0x801).to_bytes(4, "big") + n.to_bytes(4, "big") + rng.integers(0, 10, n, dtype=np.uint8).tobytes()
    if truncate:
        img = img[:-truncate]
    for stem, data in (("t10k-images-idx3-ubyte", img), ("t10k-labels-idx1-ubyte", lab)):
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_raw_and_gz(tmp_path, gz):
    _write_idx(tmp_path / "mnist", gz=gz)
    ds = load_dataset("mnist", "test", tmp_path)
    assert ds.x.shape == (20, 1, 28, 28) and ds.x.dtype == np.float32 and 0 <= ds.x.min() and ds.x.max() <= 1
    assert ds.y.dtype == np.int64 and len(ds.y) == 20


def test_truncated_file_names_file(tmp_path):
    _write_idx(tmp_path, truncate=100)
    with pytest.raises(QnnError, match=r"t10k-images-idx3-ubyte.gz.*truncated"):
        load_mnist_idx(tmp_path, "test")


def test_bad_magic(tmp_path):
    _write_idx(tmp_path, magic=0x1234)
    with pytest.raises(QnnError, match="bad IDX magic"):
        load_mnist_idx(tmp_path, "test")


def test_corrupt_gzip(tmp_path):
    _write_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(QnnError, match="t10k-labels.*corrupt"):
        load_mnist_idx(tmp_path, "test")


def test_missing_files(tmp_path):
    with pytest.raises(QnnError, match="not found"):
        load_mnist_idx(tmp_path, "train")


def test_embedded_default_is_real_and_disjoint():
    tr, te = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert len(tr) == 4000 and len(te) == 1000
    assert np.bincount(te.y).tolist() == [100] * 10
    flat = {x.tobytes() for x in tr.x[:, 0, ::4, ::4]}
    assert not any(x.tobytes() in flat for x in te.x[:100, 0, ::4, ::4])


def test_full_mnist_when_present(mnist_root):
    if mnist_root is None:
        pytest.skip("no ../shared/data/mnist here")
    assert len(load_dataset("mnist", "test", mnist_root)) == 10000
