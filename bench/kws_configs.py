"""The training configurations of the keyword-spotting benchmark (bench_kws.py): methods on top of a base recipe.

A configuration is (model preset, weight bits, act bits, dataset options, training options). ``BASELINE`` is
the recipe before the new methods (3 offline copies with time shift and noise at a random volume, synthetic espeak
clips, plain cross-entropy); ``ON`` adds one method to it (``cnn-w4a4-plus-mixup``, combinable:
``...-plus-specaugment-plus-mixup``); ``FULL`` turns every method on and ``OFF`` switches one off from there
(``cnn-w4a4-no-pitch``). The first measurement (fold 0: full 71 % float / baseline 76.8 % w4a4) showed all methods
together over-regularize 20 epochs, so the ablation adds each method to the baseline instead.
"""
from __future__ import annotations

TRAIN = dict(epochs=20, batch_size=128, lr=2e-3, val_fraction=0.0)
BASELINE_OPTIONS = {"mix_synthetic": True, "augment": 3}
FULL_OPTIONS = {"mix_synthetic": True, "augment": 3, "time_shift_ms": 100.0, "snr_db": [0.0, 20.0], "speed": 0.1,
                "pitch": 2.0, "reverb_prob": 0.5}
FULL_TRAIN = {"spec_time_masks": 2, "spec_time_width": 6, "spec_freq_masks": 1, "spec_freq_width": 2,
              "mixup": 0.2, "label_smoothing": 0.1, "distill": "TEACHER"}
TEACHER = "cnn-float-full"  # float CNN, same data and online methods, no distillation: the teacher of every student

# method -> (dataset options, training options) that switch it off in FULL
OFF = {
    "specaugment": ({}, {"spec_time_masks": 0, "spec_freq_masks": 0}),
    "speed": ({"speed": 0.0}, {}),
    "pitch": ({"pitch": 0.0}, {}),
    "snr-noise": ({"snr_db": None}, {}),  # noise at a random volume instead (the authors' way)
    "noise": ({"noise_prob": 0.0}, {}),
    "time-shift": ({"time_shift_ms": 0.0}, {}),
    "reverb": ({"reverb_prob": 0.0}, {}),
    "mixup": ({}, {"mixup": 0.0}),
    "label-smoothing": ({}, {"label_smoothing": 0.0}),
    "distill": ({}, {"distill": None}),
    "synthetic": ({"mix_synthetic": False}, {}),
}
# method -> (dataset options, training options) that switch it on over BASELINE
ON = {
    "specaugment": ({}, {"spec_time_masks": 2, "spec_time_width": 6, "spec_freq_masks": 1, "spec_freq_width": 2}),
    "speed": ({"speed": 0.1}, {}),
    "pitch": ({"pitch": 2.0}, {}),
    "snr-noise": ({"snr_db": [5.0, 25.0]}, {}),
    "reverb": ({"reverb_prob": 0.5}, {}),
    "mixup": ({}, {"mixup": 0.2}),
    "label-smoothing": ({}, {"label_smoothing": 0.1}),
    "distill": ({}, {"distill": "TEACHER_BASE"}),
    "no-synthetic": ({"mix_synthetic": False}, {}),
}
TEACHER_BASE = "cnn-float-baseline"
FAMILIES = {"mlp": ("kws-mlp", 3, 3), "cnn": ("kws-cnn", 4, 4), "dscnn": ("kws-dscnn", 4, 4)}


def config(family: str, w: int | None = None, a: int | None = None, off: tuple[str, ...] = (),
           baseline: bool = False, on: tuple[str, ...] = ()) -> dict:
    preset, w0, a0 = FAMILIES[family]
    w, a = w or w0, a or a0
    if baseline or on:
        opts, tr = dict(BASELINE_OPTIONS), {}
        for m in on:
            opts.update(ON[m][0])
            tr.update(ON[m][1])
    else:
        opts, tr = dict(FULL_OPTIONS), dict(FULL_TRAIN)
        for m in off:
            opts.update(OFF[m][0])
            tr.update(OFF[m][1])
    if w == 32:
        tr["distill"] = None
    return {"preset": preset, "w": w, "a": a, "options": opts, "train": {**TRAIN, **tr}}


def name_of(family: str, w: int | None = None, a: int | None = None, off: tuple[str, ...] = (),
            baseline: bool = False) -> str:
    _, w0, a0 = FAMILIES[family]
    w, a = w or w0, a or a0
    bits = "float" if w == 32 else f"w{w}a{a}"
    what = "baseline" if baseline else ("full" if not off else "no-" + "-no-".join(off))
    return f"{family}-{bits}-{what}"
