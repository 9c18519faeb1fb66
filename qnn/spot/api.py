"""``qnn spot`` as library functions: spot keywords in a long WAV with a run's golden model, calibrate its threshold
on held-out keyword-free audio, and score against known events (a ``<wav>.json`` beside the file, as
``qnn spot-stream`` writes it).

The threshold: ``--threshold`` if given, else the one calibrated for this run, hop, smoothing and target rate
(kept in the run's metrics.json under ``spot_calibration``), else calibrated now: the lowest threshold whose
false alarms per hour on ``make_keyword_free`` audio (unknown words and silence of held-out speakers over noise
the models never trained on) stay <= the target.
"""
from __future__ import annotations

import json
from pathlib import Path

from qnn.errors import QnnError
from qnn.run import Run
from qnn.spot.score import choose_threshold, det_curve, plot_det_stream, score
from qnn.spot.stream import detect, posteriors

SR = 16000


def _setup(run: Run):
    from qnn.kws_predict import run_kws_setup

    cfg, classes = run_kws_setup(run.require_ir())
    return run.graph(), cfg, classes


def _data_root(run: Run, data_dir) -> Path:
    from qnn.data.base import data_root

    root = data_root(data_dir if data_dir is not None else run.config["dataset"].get("data_dir"))
    if root is None:
        raise QnnError("calibrating the spotting threshold needs the Speech Commands data (held-out speakers): give "
                       "--data-dir, or --threshold")
    return Path(root)


def calibrate(run: Run, hop_ms: float, smooth_ms: float, target_fa_per_hour: float, data_dir=None,
              minutes: float = 10.0, progress: bool = False) -> dict:
    from qnn.spot.generate import make_keyword_free

    key = f"hop{hop_ms:g}-smooth{smooth_ms:g}-fa{target_fa_per_hour:g}-min{minutes:g}"
    saved = run.metrics.get("spot_calibration", {})
    if key in saved:
        return saved[key]
    graph, cfg, classes = _setup(run)
    audio, _ = make_keyword_free(_data_root(run, data_dir), minutes)
    post = posteriors(graph, audio, cfg, classes, hop_ms, smooth_ms, progress)
    t, fa = choose_threshold(post, len(audio) / SR, target_fa_per_hour)
    entry = {"threshold": t, "fa_per_hour": fa, "target_fa_per_hour": target_fa_per_hour, "minutes": minutes,
             "audio": "keyword-free: unknown words + silence of held-out speakers over synthetic noise"}
    run.update_metrics(spot_calibration={**saved, key: entry})
    return entry


def spot(run: Run, wav: str | Path, *, hop_ms: float = 100.0, smooth_ms: float = 300.0, threshold: float | None = None,
         target_fa_per_hour: float = 1.0, truth: str | Path | None = None, data_dir=None, plots: bool = True,
         progress: bool = False) -> dict:
    from qnn.audio.wav import load_long

    if hop_ms <= 0 or smooth_ms < 0:
        raise QnnError(f"--hop-ms must be > 0 and --smooth-ms >= 0, got {hop_ms} / {smooth_ms}")
    if threshold is not None and not 0 < threshold <= 1:
        raise QnnError(f"--threshold {threshold} is not a probability in (0, 1]")
    graph, cfg, classes = _setup(run)
    audio = load_long(wav, sample_rate=cfg.sample_rate, min_samples=cfg.num_samples)
    duration = len(audio) / cfg.sample_rate
    calib = None
    if threshold is None:
        calib = calibrate(run, hop_ms, smooth_ms, target_fa_per_hour, data_dir, progress=progress)
        threshold = calib["threshold"]
    post = posteriors(graph, audio, cfg, classes, hop_ms, smooth_ms, progress)
    dets = detect(post, threshold)
    res = {"wav": str(wav), "seconds": duration, "hop_ms": hop_ms, "smooth_ms": smooth_ms, "threshold": threshold,
           "calibration": calib, "detections": [{"time": round(d.time, 3), "keyword": d.keyword,
                                                 "score": round(d.score, 4)} for d in dets]}
    truth = Path(truth) if truth else Path(str(wav) + ".json")
    if truth.is_file():
        events = json.loads(truth.read_text())["events"]
        res["truth"] = str(truth)
        res["score"] = score(dets, events, duration)
        if plots:
            rows = det_curve(post, events, duration)
            res["det"] = rows
            res["det_png"] = str(plot_det_stream(rows, run.plots_dir / "det_spot.png",
                                                 f"{run.name}: spotting on {Path(wav).name}", threshold))
    run.update_metrics(spot={k: v for k, v in res.items() if k not in ("detections", "det")}
                       | {"n_detections": len(dets)})
    return res


def write_stream(out: str | Path, data_dir=None, minutes: float = 10.0, seed: int = 0) -> dict:
    """Generate the test recording OUT.wav and its events OUT.wav.json."""
    from qnn.audio.wav import write_wav
    from qnn.data.base import data_root
    from qnn.spot.generate import SNRS, make_stream
    from qnn.util.atomic import atomic_write_text

    root = data_root(data_dir)
    if root is None:
        raise QnnError("the test recording needs the Speech Commands data: give --data-dir or set QNN_DATA")
    audio, events = make_stream(root, minutes, seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, audio)
    meta = {"seconds": len(audio) / SR, "seed": seed, "snrs_db": list(SNRS), "events": events,
            "keywords": sum(e["kind"] == "keyword" for e in events),
            "unknown_words": sum(e["kind"] == "unknown" for e in events)}
    atomic_write_text(Path(str(out) + ".json"), json.dumps(meta, indent=1))
    return meta


__all__ = ["calibrate", "spot", "write_stream"]
