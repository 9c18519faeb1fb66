"""The golden kernels against independent references (float64 / PyTorch where exact)."""
import numpy as np
import pytest
import torch

from qnn.golden import ops
from qnn.qtype import QType


@pytest.mark.parametrize("s", [-2, 0, 1, 3, 7])
def test_shift_rounds_half_to_even_and_clips(s):
    x = np.arange(-5000, 5000)
    t = QType(6, True)
    ref = np.clip(np.round(x.astype(np.float64) / 2.0**s), t.min, t.max)  # np.round is half to even
    assert np.array_equal(ops.shift(x, s, t), ref)


@pytest.mark.parametrize("n,span,n_thr", [(50, 300, 3), (50, 300, 31), (20000, 60, 15), (40, 1 << 22, 63)],
                         ids=["compare-few", "compare-many", "lookup-table", "binary-search"])
def test_multithreshold_paths_match_brute_force(n, span, n_thr):
    rng = np.random.default_rng(0)
    x = rng.integers(-span, span, size=(n, 7))
    t = np.sort(rng.integers(-span, span, size=(7, n_thr)), axis=1)
    out_t = QType(int(n_thr).bit_length(), False)
    ref = (x[:, :, None] >= t[None]).sum(-1)
    assert np.array_equal(ops.multithreshold(x, t, out_t), ref)
    assert np.array_equal(ops.multithreshold(x[:, :1], np.array([[0]]), QType.bipolar_type()), np.where(x[:, :1] >= 0, 1, -1))


def test_exact_matmul_paths_agree_with_int64():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(64, 300))
    w = rng.integers(-128, 128, size=(300, 20))
    ref = x.astype(np.int64) @ w.astype(np.int64)
    for bound in (1 << 20, 1 << 40, 1 << 62):
        assert np.array_equal(ops.exact_matmul(x, w, bound), ref)


def test_dense_bound_is_conservative_for_worst_case():
    w = np.full((3, 1000), 127, dtype=np.int64)
    x = np.full((2, 1000), 255, dtype=np.int64)
    y = ops.dense(x, w, np.zeros(3, np.int64), QType(8, False))
    assert np.all(y == 1000 * 255 * 127)  # > 2**24: must not go through float32


@pytest.mark.parametrize("stride,pad", [((1, 1), (1, 1, 1, 1)), ((2, 2), (0, 0, 0, 0)), ((1, 2), (0, 1, 2, 1))])
def test_conv2d_matches_torch(stride, pad):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 16, size=(3, 9, 8, 4))
    w = rng.integers(-7, 8, size=(5, 3, 3, 4))
    b = rng.integers(-50, 50, size=5)
    got = ops.conv2d(x, w, b, QType(4, False), stride, pad)
    top, left, bo, r = pad
    xt = torch.nn.functional.pad(torch.from_numpy(x).permute(0, 3, 1, 2).double(), (left, r, top, bo))
    ref = torch.nn.functional.conv2d(xt, torch.from_numpy(w).permute(0, 3, 1, 2).double(), torch.from_numpy(b).double(),
                                     stride=stride)
    assert np.array_equal(got, ref.permute(0, 2, 3, 1).numpy().astype(np.int64))


def test_maxpool_matches_torch():
    x = np.random.default_rng(3).integers(-9, 9, size=(2, 7, 6, 3))
    got = ops.maxpool(x, (2, 2), (2, 2))
    ref = torch.nn.functional.max_pool2d(torch.from_numpy(x).permute(0, 3, 1, 2).double(), 2)
    assert np.array_equal(got, ref.permute(0, 2, 3, 1).numpy())


def test_quantize_rounds_half_to_even_and_removes_zero_point():
    x = np.array([0.5, 1.5, 2.5, -0.5, 100.0, -100.0], dtype=np.float32)
    assert list(ops.quantize(x, 1.0, 0.0, QType(4, True))) == [0, 2, 2, 0, 7, -8]
    assert list(ops.quantize(x, 1.0, 8.0, QType(4, False))) == [0, 2, 2, 0, 7, -8]
