"""Golden (integer) model == Brevitas' own float forward after dequantization, on the MNIST test set."""
import numpy as np
import pytest

from qnn.data import load_dataset
from qnn.evaluate import compare_logits
from qnn.golden import predict
from qnn.train import predict_logits


@pytest.fixture(scope="module")
def test_set(mnist_root):
    return load_dataset("mnist", "test", mnist_root)  # full 10,000 when present, else the embedded 1,000


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("preset,kw", [("tfc", {}), ("cnn", {"channels": (8, 16), "hidden": (32,)})])
def test_golden_equals_brevitas(trained, test_set, preset, kw, bits):
    model, _, graph, _ = trained(preset, bits, bits, **kw)
    x = test_set.x if preset == "tfc" else test_set.x[:2000]
    ref = predict_logits(model, x)
    _, logits = predict(graph, x)
    agree = compare_logits(logits, ref)
    assert agree["argmax_equal"] == 1.0
    # power-of-two scales, and BatchNorm rounded as PyTorch rounds it (qnn.ir.float_semantics): identical logits
    # (the CNN w8a8 was one level off at one threshold before, on 2 of the 10,000 test digits)
    assert np.array_equal(logits, ref)


def test_golden_without_batchnorm_and_mixed_bits(trained, test_set):
    model, _, graph, _ = trained("tfc", 3, 5, batchnorm=False, hidden=(48, 32))
    ref = predict_logits(model, test_set.x)
    assert compare_logits(predict(graph, test_set.x)[1], ref)["max_abs_diff"] == 0.0
