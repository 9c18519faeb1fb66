"""`qnn predict`: one WAV through the run's recorded MFCC configuration and the golden model."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from kws_helpers import make_layout

from qnn.cli import main
from qnn.data.kws import load_kws
from qnn.data.speech_commands import CLASSES, list_clips
from qnn.errors import QnnError
from qnn.export import export_qonnx_file
from qnn.golden import predict as golden_predict
from qnn.ir.serialize import save_graph
from qnn.kws_predict import predict
from qnn.models import build_model, spec_from_preset
from qnn.run import Run

OPTIONS = {"val_percent": 50, "test_percent": 0, "augment": 0, "features": {"stride_ms": 20}}


@pytest.fixture
def kws_run(tmp_path, monkeypatch):
    """A run with a tiny (untrained) KWS MLP and a dataset folder of tone clips."""
    monkeypatch.setenv("QNN_CACHE", str(tmp_path / "cache"))
    make_layout(tmp_path / "data", speakers=tuple(f"{i:08x}" for i in range(6)))
    torch.manual_seed(0)
    spec = spec_from_preset("kws-mlp", in_shape=(1, 49, 10), num_classes=12, weight_bits=4, act_bits=4,
                            hidden=(16,))
    m = build_model(spec)
    m.train()
    for _ in range(3):
        m(torch.rand(64, 1, 49, 10))
    m.eval()
    run = Run(tmp_path / "run")
    run.write_config({"dataset": {"name": "kws", "data_dir": str(tmp_path / "data"), "options": OPTIONS},
                      "model": spec.to_dict()})
    graph = export_qonnx_file(m, spec, tmp_path / "run" / "model.onnx")
    save_graph(graph, run.ir_dir)
    return run, graph, tmp_path / "data"


def test_predict_matches_the_dataset_features(kws_run):
    run, graph, data = kws_run
    ds = run.dataset("val")
    clips = list_clips(data / "speech_commands_v0.02", "val", 50, 0)
    assert len(clips) > 2
    for i in (0, len(clips) // 2, len(clips) - 1):
        pred = predict(run, clips[i].path)
        same = [j for j in range(len(ds)) if np.array_equal(pred.features[0], ds.x[j])]
        assert same and ds.y[same[0]] == clips[i].label  # exactly the features training/eval saw
        _, logits = golden_predict(graph, pred.features)
        assert np.allclose(pred.logits, logits[0])
        probs = [p for _, p in pred.ranked]
        assert np.isclose(sum(probs), 1) and probs == sorted(probs, reverse=True)
        assert pred.label == CLASSES[int(np.argmax(logits[0]))] and len(pred.top(3)) == 3


def test_predict_cli_and_errors(kws_run, tmp_path, capsys):
    import soundfile as sf

    run, _, data = kws_run
    wav = next((data / "speech_commands_v0.02" / "yes").glob("*.wav"))
    assert main(["predict", str(run.path), str(wav), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "probability" in out and sum(name in out for name in CLASSES) >= 2
    x, _ = sf.read(wav)
    sf.write(tmp_path / "st.wav", np.stack([x, x], 1), 16000)
    assert main(["predict", str(run.path), str(tmp_path / "st.wav")]) == 2
    assert "channels" in capsys.readouterr().err
    assert main(["predict", str(run.path), str(tmp_path / "st.wav"), "--mixdown"]) == 0
    cfg = run.config
    cfg["dataset"]["name"] = "mnist"
    run.write_config(cfg)
    with pytest.raises(QnnError, match="keyword-spotting runs only"):
        predict(run, wav)


def test_load_kws_options_are_recorded_and_checked(kws_run):
    run, _, data = kws_run
    assert load_kws(data, "val", **OPTIONS).x.shape[1:] == (1, 49, 10)
