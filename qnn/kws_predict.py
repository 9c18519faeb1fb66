"""Classify one WAV file with a run's golden (integer) model: ``predict(run, wav) -> [(keyword, probability)]``.

The clip goes through exactly the pipeline training saw: the same validation (``qnn.audio.wav.load_clip``) and
the MFCC configuration recorded in the run's dataset options, then the golden model's input quantizer, integer
body and dequantized logits; the scores are the softmax of those logits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnn.errors import QnnError
from qnn.run import Run


@dataclass(frozen=True)
class Prediction:
    ranked: list[tuple[str, float]]  # (class, probability), best first, all classes
    logits: np.ndarray
    features: np.ndarray  # [1, 1, frames, coefficients] in [0, 1], the model input

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    def top(self, k: int) -> list[tuple[str, float]]:
        return self.ranked[:k]


def run_kws_setup(run: Run):
    """(MFCC configuration, class names) of a keyword-spotting run."""
    from qnn.data.kws import feature_config
    from qnn.data.speech_commands import CLASSES

    ds = run.config.get("dataset", {})
    if ds.get("name") != "kws":
        raise QnnError(f"run {run.path} was trained on {ds.get('name')!r}, not kws: `qnn predict` classifies "
                       "audio for keyword-spotting runs only")
    return feature_config(ds.get("options")), tuple(ds.get("classes") or CLASSES)


def predict(run: Run | str | Path, wav: str | Path, *, resample: bool = False, mixdown: bool = False,
            crop: bool = False) -> Prediction:
    from qnn.audio.mfcc import features
    from qnn.audio.wav import load_clip
    from qnn.golden import predict as golden_predict
    from qnn.metrics.detection import softmax

    run = run if isinstance(run, Run) else Run(run)
    cfg, classes = run_kws_setup(run.require_ir())
    graph = run.graph()
    if tuple(graph.input_shape) != cfg.shape and int(np.prod(graph.input_shape)) != int(np.prod(cfg.shape)):
        raise QnnError(f"run {run.path}: the model takes input {tuple(graph.input_shape)} but the MFCC "
                       f"configuration gives {cfg.shape}; the run's config.json does not match its model")
    audio = load_clip(wav, sample_rate=cfg.sample_rate, num_samples=cfg.num_samples, resample=resample,
                      mixdown=mixdown, crop=crop)
    x = features(audio[None], cfg)
    _, logits = golden_predict(graph, x)
    if logits.shape[1] != len(classes):
        raise QnnError(f"run {run.path}: the model has {logits.shape[1]} outputs for {len(classes)} classes")
    probs = softmax(logits)[0]
    order = np.argsort(-probs, kind="stable")
    return Prediction([(classes[i], float(probs[i])) for i in order], logits[0], x)
