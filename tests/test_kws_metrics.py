"""Detection metrics: ROC/AUC/EER per keyword, FPR/FNR at the operating threshold, the ROC plot."""
from __future__ import annotations

import numpy as np
import pytest

from qnn.errors import QnnError
from qnn.metrics.detection import detection_report, equal_error_rate, plot_roc, softmax

CLASSES = ("yes", "no", "_silence_")


def test_perfect_and_inverted_scores():
    y = np.array([0, 1, 2, 0, 1, 2])
    logits = np.eye(3)[y] * 10
    r = detection_report(logits, y, CLASSES)
    assert r["keywords"] == ["yes", "no"]
    for c in CLASSES:
        e = r["per_class"][c]
        assert e["auc"] == 1.0 and e["eer"] == 0.0 and e["fpr"] == 0.0 and e["fnr"] == 0.0
    bad = detection_report(-logits, y, CLASSES)
    assert bad["per_class"]["yes"]["auc"] == 0.0 and bad["macro"]["fnr"] == 1.0


def test_counts_at_threshold():
    # p(yes) per clip, hand-checkable: labels yes, yes, no, no
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.5, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    y = np.array([0, 0, 1, 1])
    r = detection_report(np.log(probs), y, CLASSES, threshold=0.5)
    yes = r["per_class"]["yes"]
    assert (yes["tp"], yes["fn"], yes["fp"], yes["tn"]) == (1, 1, 1, 1)
    assert yes["fpr"] == 0.5 and yes["fnr"] == 0.5
    assert r["per_class"]["_silence_"]["auc"] is None  # no positives: no curve
    lenient = detection_report(np.log(probs), y, CLASSES, threshold=0.05)["per_class"]["yes"]
    assert lenient["fnr"] == 0.0 and lenient["fpr"] == 1.0
    with pytest.raises(QnnError, match="threshold"):
        detection_report(np.log(probs), y, CLASSES, threshold=1.5)


def test_eer_and_softmax():
    fpr = np.array([0.0, 0.0, 0.5, 1.0])
    tpr = np.array([0.0, 0.5, 1.0, 1.0])
    assert np.isclose(equal_error_rate(fpr, tpr), 0.25)  # FNR 0.5->0 while FPR 0->0.5: cross at 0.25
    p = softmax(np.array([[1000.0, 1000.0, 0.0]]))
    assert np.allclose(p, [[0.5, 0.5, 0.0]]) and np.isfinite(p).all()


def test_roc_plot_is_written(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    logits = rng.normal(size=(200, 3)) + 2 * np.eye(3)[y]
    path = plot_roc(logits, y, CLASSES, tmp_path / "plots" / "roc.png", "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
