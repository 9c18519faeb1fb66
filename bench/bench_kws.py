"""Keyword-spotting accuracy benchmark: KWS MLP w3a3 and CNN w4a4 with float baselines, trained on the real dev clips
(speaker-disjoint train split, with offline augmentation) plus synthetic espeak-ng keywords, tested on held-out real
speakers; each model within 20 minutes on 2 cores.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_kws.py [--only kws-mlp-w3a3]

Writes bench/results/kws.json and bench/results/kws.md (with per-keyword detection rates in the JSON).
"""
from __future__ import annotations

from common import run_benchmark

OPTIONS = {"mix_synthetic": True, "augment": 4}
MLP = dict(epochs=40, batch_size=128, lr=2e-3, val_fraction=0.0)
CNN = dict(epochs=40, batch_size=128, lr=2e-3, val_fraction=0.0)
MODELS = {
    "kws-mlp-w3a3": ("kws-mlp", 3, 3, None, MLP),
    "kws-mlp-float": ("kws-mlp", 32, 32, None, MLP),
    "kws-cnn-w4a4": ("kws-cnn", 4, 4, None, CNN),
    "kws-cnn-float": ("kws-cnn", 32, 32, None, CNN),
}
TIME_LIMIT_S = 20 * 60


if __name__ == "__main__":
    run_benchmark("kws", "kws", MODELS, OPTIONS, TIME_LIMIT_S)
