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
def test_golden_equals_brevitas(trained, test_set, preset, kw, bits, request):
    if preset == "cnn" and bits == 8:
        # KNOWN BUG (open, 2026-12-01): on the embedded 1,000 test digits this CNN w8a8 differs from Brevitas by
        # 0.0054 in one logit (argmax identical); golden plan == int64 path, and Brevitas float32 (mkldnn on/off)
        # and float64 all differ from each other and from golden. Under investigation; qnn export refuses such a
        # model (exit 1), so the flow never builds hardware from it.
        request.applymarker(pytest.mark.xfail(reason="known w8a8 CNN golden/Brevitas difference", strict=False))
    model, _, graph, _ = trained(preset, bits, bits, **kw)
    x = test_set.x if preset == "tfc" else test_set.x[:2000]
    ref = predict_logits(model, x)
    _, logits = predict(graph, x)
    agree = compare_logits(logits, ref)
    assert agree["argmax_equal"] == 1.0
    # power-of-two scales: Brevitas' float32 forward is exact, so the logits must be identical, not just close
    assert agree["max_abs_diff"] <= np.finfo(np.float32).eps * np.abs(ref).max()


def test_golden_without_batchnorm_and_mixed_bits(trained, test_set):
    model, _, graph, _ = trained("tfc", 3, 5, batchnorm=False, hidden=(48, 32))
    ref = predict_logits(model, test_set.x)
    assert compare_logits(predict(graph, test_set.x)[1], ref)["max_abs_diff"] == 0.0
