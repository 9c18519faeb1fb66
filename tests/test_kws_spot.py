"""`qnn spot`: sliding-window posteriors, smoothing, peak picking, scoring against known events, the threshold
for a target false-alarm rate, the generated test recording; and `qnn train --cv` by speaker."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from kws_helpers import make_layout

from qnn.cli import main
from qnn.data import load_dataset
from qnn.export import export_qonnx_file
from qnn.ir.serialize import save_graph
from qnn.metrics.detection import detection_report, fnr_at_fpr, plot_det
from qnn.models import build_model, spec_from_preset
from qnn.run import Run
from qnn.spot.score import choose_threshold, score
from qnn.spot.stream import Detection, Posteriors, detect, smooth
from qnn.train import load_model, predict_logits

CLASSES = ("yes", "no", "_silence_", "_unknown_")


def _post(rows) -> Posteriors:
    p = np.array(rows, float)
    return Posteriors(np.arange(len(p)) * 0.1 + 0.5, p, CLASSES, 0.1)


def test_smooth_is_a_causal_moving_average():
    p = np.array([[1.0], [0.0], [0.0], [1.0]])
    assert smooth(p, 2)[:, 0].tolist() == [1.0, 0.5, 0.0, 0.5]
    assert np.array_equal(smooth(p, 1), p)


def test_detect_peaks_and_refractory():
    quiet = [0.1, 0.1, 0.4, 0.4]
    rows = [quiet] * 3 + [[0.6, 0.1, 0.1, 0.2], [0.9, 0.0, 0.0, 0.1], [0.7, 0.1, 0.1, 0.1]] + [quiet] * 20 \
        + [[0.1, 0.8, 0.0, 0.1]] + [quiet] * 3 + [[0.1, 0.95, 0.0, 0.0]]
    dets = detect(_post(rows), 0.5, refractory_s=1.0)
    assert [(d.keyword, round(d.time, 2), d.score) for d in dets] == [("yes", 0.9, 0.9), ("no", 3.5, 0.95)]  # 0.8 at 3.1 s loses to 0.95 at 3.5 s
    assert detect(_post(rows), 0.99) == []


def test_score_hits_misses_and_false_alarms():
    events = [{"start": 10.0, "end": 11.0, "label": "yes", "kind": "keyword", "snr_db": 10.0},
              {"start": 20.0, "end": 21.0, "label": "no", "kind": "keyword", "snr_db": 0.0},
              {"start": 30.0, "end": 31.0, "label": "_unknown_", "kind": "unknown", "snr_db": 0.0}]
    dets = [Detection(10.6, "yes", 0.9), Detection(10.8, "yes", 0.8), Detection(20.5, "yes", 0.7),
            Detection(30.5, "no", 0.6)]
    s = score(dets, events, 3600.0)
    assert (s["hits"], s["false_alarms"], s["false_alarms_per_hour"]) == (1, 3, 3.0)
    assert s["miss_rate_per_snr"] == {"10": {"events": 1, "misses": 0, "miss_rate": 0.0},
                                      "0": {"events": 1, "misses": 1, "miss_rate": 1.0}}


def test_choose_threshold_meets_the_target_on_keyword_free_audio():
    rows = [[0.1, 0.1, 0.4, 0.4]] * 50
    rows[10] = [0.6, 0.1, 0.1, 0.2]
    rows[30] = [0.1, 0.8, 0.0, 0.1]
    post = _post(rows)
    t, fa = choose_threshold(post, 3600.0, 1.0, thresholds=np.array([0.5, 0.7, 0.9]))
    assert (t, fa) == (0.7, 1.0)
    assert choose_threshold(post, 3600.0, 0.0, thresholds=np.array([0.5, 0.7, 0.9])) == (0.9, 0.0)


def test_fnr_at_fpr_and_det_plot(tmp_path):
    fpr, tpr = np.array([0.0, 0.005, 0.02, 0.05, 1.0]), np.array([0.0, 0.6, 0.7, 0.9, 1.0])
    assert fnr_at_fpr(fpr, tpr, 0.01) == pytest.approx(0.4)
    assert fnr_at_fpr(fpr, tpr, 0.05) == pytest.approx(0.1)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 400)
    logits = rng.standard_normal((400, 4)) + 3 * np.eye(4)[y]
    rep = detection_report(logits, y, CLASSES)
    assert set(rep["per_class"]["yes"]["fnr_at_fpr"]) == {"0.01", "0.05"}
    assert rep["macro"]["fnr_at_fpr"]["0.05"] <= rep["macro"]["fnr_at_fpr"]["0.01"]
    assert plot_det(logits, y, CLASSES, tmp_path / "det.png", "t").stat().st_size > 1000


@pytest.fixture
def spot_run(tmp_path, monkeypatch):
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))
    make_layout(tmp_path / "data", speakers=tuple(f"{i:08x}" for i in range(30)), noise=True)
    torch.manual_seed(0)
    spec = spec_from_preset("kws-mlp", in_shape=(1, 49, 10), num_classes=12, weight_bits=4, act_bits=4, hidden=(16,))
    m = build_model(spec)
    m.train()
    for _ in range(3):
        m(torch.rand(64, 1, 49, 10))
    m.eval()
    run = Run(tmp_path / "run")
    run.write_config({"dataset": {"name": "kws", "data_dir": str(tmp_path / "data"), "options": {"augment": 0}},
                      "model": spec.to_dict()})
    save_graph(export_qonnx_file(m, spec, tmp_path / "run" / "model.onnx"), run.ir_dir)
    return run, tmp_path / "data"


def test_spot_stream_and_spot_cli(spot_run, tmp_path, capsys):
    run, data = spot_run
    wav = tmp_path / "long.wav"
    assert main(["spot-stream", str(wav), "--minutes", "0.5", "--data-dir", str(data)]) == 0
    meta = json.loads((tmp_path / "long.wav.json").read_text())
    assert meta["seconds"] == 30.0 and meta["keywords"] >= 1
    assert all(e["start"] >= 0 and e["end"] <= 30.0 for e in meta["events"])
    out = tmp_path / "res.json"
    assert main(["spot", str(run.path), str(wav), "--threshold", "0.2", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["threshold"] == 0.2 and res["score"]["keywords"] == meta["keywords"]
    assert (run.plots_dir / "det_spot.png").is_file()
    assert "miss rate per SNR" in capsys.readouterr().out
    # the (untrained) model detects nothing at 0.2: every keyword a miss, per SNR, no false alarm
    snrs = [e["snr_db"] for e in meta["events"] if e["kind"] == "keyword"]
    assert res["detections"] == [] and res["score"]["hits"] == 0 and res["score"]["false_alarms"] == 0
    assert res["score"]["miss_rate_per_snr"] == {f"{s:g}": {"events": snrs.count(s), "misses": snrs.count(s),
                                                            "miss_rate": 1.0} for s in sorted(set(snrs), reverse=True)}
    # known truth around what it detects at a low threshold: an event of the first detection's keyword over its
    # time (a hit), one no detection can reach (a miss) and an unknown word over the second detection (a false alarm)
    assert main(["spot", str(run.path), str(wav), "--threshold", "0.01", "--json", str(out)]) == 0
    dets = json.loads(out.read_text())["detections"]
    assert len(dets) >= 2 and dets == sorted(dets, key=lambda d: d["time"])
    d0, d1 = dets[0], dets[1]
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"events": [
        {"start": d0["time"] - 0.9, "end": d0["time"] + 0.1, "label": d0["keyword"], "kind": "keyword", "snr_db": 20},
        {"start": 1000.0, "end": 1001.0, "label": d0["keyword"], "kind": "keyword", "snr_db": 0},
        {"start": d1["time"] - 0.5, "end": d1["time"] + 0.5, "label": "_unknown_", "kind": "unknown", "snr_db": 5}]}))
    assert main(["spot", str(run.path), str(wav), "--threshold", "0.01", "--truth", str(truth), "--json",
                 str(out)]) == 0
    s = json.loads(out.read_text())["score"]
    assert (s["keywords"], s["detections"], s["hits"], s["false_alarms"]) == (2, len(dets), 1, len(dets) - 1)
    assert s["miss_rate_per_snr"] == {"20": {"events": 1, "misses": 0, "miss_rate": 0.0},
                                      "0": {"events": 1, "misses": 1, "miss_rate": 1.0}}
    # no threshold: calibrated on keyword-free audio for the target rate, then kept in the run
    assert main(["spot", str(run.path), str(wav), "--hop-ms", "250", "--data-dir", str(data)]) == 0
    assert any(k.startswith("hop250") for k in run.metrics["spot_calibration"])
    assert main(["spot", str(run.path), str(wav), "--threshold", "1.5"]) == 2


def test_train_cv_by_speaker(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))
    make_layout(tmp_path / "data", speakers=tuple(f"{i:08x}" for i in range(12)), noise=True)
    args = ["train", str(tmp_path / "cv"), "--dataset", "kws", "--model", "kws-mlp", "--hidden", "16", "-w", "4",
            "-a", "4", "--epochs", "1", "--data-dir", str(tmp_path / "data"), "--data-option", "augment=0",
            "--cv", "3", "--threads", "1", "--quiet", "--spec-time-masks", "1", "--label-smoothing", "0.1"]
    assert main(args) == 0
    cv = json.loads((tmp_path / "cv" / "cv.json").read_text())
    accs = [f["accuracy"] for f in cv["folds"]]
    assert cv["k"] == 3 and [f["fold"] for f in cv["folds"]] == [0, 1, 2]
    assert cv["mean"] == pytest.approx(np.mean(accs)) and cv["std"] == pytest.approx(np.std(accs, ddof=1))
    assert f"accuracy {cv['mean']:.2%} +- {cv['std']:.2%}" in capsys.readouterr().out
    for f in cv["folds"]:  # each fold's accuracy: that fold's model on the clips of its held-out speakers
        fold = Run(tmp_path / "cv" / "folds" / f"fold_{f['fold']}")
        ds = fold.config["dataset"]
        test = load_dataset("kws", "test", ds["data_dir"], **ds["options"])
        assert ds["options"]["cv_fold"] == f["fold"] and f["n"] == len(test) > 0
        assert f["accuracy"] == float(np.mean(predict_logits(load_model(fold), test.x).argmax(1) == test.y))
    fold0 = Run(tmp_path / "cv" / "folds" / "fold_0")
    assert fold0.config["dataset"]["options"]["cv_fold"] == 0
    stamp = fold0.checkpoint.stat().st_mtime_ns
    assert main(args) == 0  # finished folds are kept
    assert fold0.checkpoint.stat().st_mtime_ns == stamp
    assert main(args[:-6] + ["--cv", "1"]) == 2
