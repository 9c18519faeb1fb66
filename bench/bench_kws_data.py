"""Keyword-spotting data pipeline speed: WAV reading, MFCC extraction, synthesis, and feature-cache hits.

    .venv/bin/python bench/bench_kws_data.py          (QNN_DATA=../shared/data adds the real dev clips)

Writes bench/results/kws_data.json and .md. Uses a fresh temporary cache, so "miss" times are real builds.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    os.environ["QNN_CACHE"] = tempfile.mkdtemp(prefix="qnn-bench-cache-")
    from qnn.audio.mfcc import features
    from qnn.audio.wav import load_clip
    from qnn.data.kws import load_kws
    from qnn.data.synthetic_kws import SynthConfig, generate

    res: dict = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    audio = np.random.default_rng(0).standard_normal((2048, 16000)).astype(np.float32) * 0.1
    features(audio[:8])  # warm-up (librosa's first call)
    _, t = timed(lambda: features(audio))
    res["mfcc_clips_per_s"] = len(audio) / t

    per_class = 100
    (a, y), t = timed(lambda: generate("train", SynthConfig(per_class=per_class), progress=False))
    res["synth_clips"] = len(y)
    res["synth_clips_per_s"] = len(y) / t
    _, t = timed(lambda: load_kws(None, "val", synthetic_per_class=per_class))
    res["synthetic_val_build_s"] = t
    _, t = timed(lambda: load_kws(None, "val", synthetic_per_class=per_class))
    res["synthetic_val_cache_hit_s"] = t

    data = Path(os.environ.get("QNN_DATA", ROOT.parent / "shared" / "data"))
    if (data / "speech_commands_dev").is_dir():
        files = sorted((data / "speech_commands_dev").glob("*/*.wav"))
        _, t = timed(lambda: [load_clip(f) for f in files])
        res["wav_read_clips_per_s"] = len(files) / t
        for split in ("train", "test"):
            ds, t = timed(lambda: load_kws(data, split))
            res[f"dev_{split}_clips"] = len(ds)
            res[f"dev_{split}_build_s"] = t
            _, t = timed(lambda: load_kws(data, split))
            res[f"dev_{split}_cache_hit_s"] = t

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kws_data.json").write_text(json.dumps(res, indent=2))
    lines = ["# KWS data pipeline", "", "| measure | value |", "| --- | --- |"]
    lines += [f"| {k} | {v:.3g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in res.items()]
    (out / "kws_data.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
