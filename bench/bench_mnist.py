"""MNIST accuracy benchmark: TFC-shaped MLP at w1a1 / w2a2 / w4a4, the CNN at w4a4, float baselines beside them.

Each model is trained on the full MNIST training set (60,000 images; 2 CPU cores, at most 15 minutes each), exported,
and evaluated on the 10,000 test images by the Brevitas model and the golden integer model in one run, so the speed
ratio golden : Brevitas is measured on the same machine state.

    QNN_DATA=../shared/data .venv/bin/python bench/bench_mnist.py [--only tfc-w2a2,cnn-w4a4] [--epochs-scale 0.2]

Writes bench/results/mnist.json and bench/results/mnist.md.
"""
from __future__ import annotations

from common import run_benchmark

TFC = dict(epochs=30, batch_size=128, lr=3e-3, augment_shift=0, val_fraction=0.0)
CNN = dict(epochs=6, batch_size=128, lr=3e-3, augment_shift=1, val_fraction=0.0)
# name -> (preset, weight bits, act bits, target accuracy or None, training config)
MODELS = {
    "tfc-w1a1": ("tfc", 1, 1, 0.932, TFC),
    "tfc-w2a2": ("tfc", 2, 2, 0.966, TFC),
    "tfc-w4a4": ("tfc", 4, 4, 0.978, TFC),
    "tfc-float": ("tfc", 32, 32, None, TFC),
    "cnn-w4a4": ("cnn", 4, 4, 0.990, CNN),
    "cnn-float": ("cnn", 32, 32, None, CNN),
}
TIME_LIMIT_S = 15 * 60


if __name__ == "__main__":
    run_benchmark("mnist", "mnist", MODELS, {}, TIME_LIMIT_S)
