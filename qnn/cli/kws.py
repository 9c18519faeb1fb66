"""`qnn predict RUN clip.wav`: the top keywords of one WAV file by the run's golden model; `qnn spot RUN long.wav`:
keyword detections in a long recording; `qnn spot-stream OUT.wav`: a test recording with keywords at known times."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, open_run, table


def register(app: typer.Typer) -> None:
    @app.command("predict")
    def predict_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        wav: Path = typer.Argument(..., help="a 1 s, 16 kHz mono WAV file (shorter clips are zero-padded)"),
        top: int = typer.Option(3, "--top", min=1, help="how many keywords to list"),
        resample: bool = typer.Option(False, help="resample other sample rates to the model's (else an error)"),
        mixdown: bool = typer.Option(False, help="average the channels of a stereo file (else an error)"),
        crop: bool = typer.Option(False, help="take the loudest 1 s of a longer file (else an error)"),
    ) -> None:
        """Classify a WAV file with the golden (integer) model; prints the top keywords with their scores."""
        from qnn.kws_predict import predict

        pred = predict(open_run(run_dir), wav, resample=resample, mixdown=mixdown, crop=crop)
        table(f"{wav.name}: {pred.label}", ["keyword", "probability"],
              [[name, f"{p:.3f}"] for name, p in pred.top(top)])

    @app.command("spot")
    def spot_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        wav: Path = typer.Argument(..., help="a long 16 kHz mono WAV (other rates are resampled, channels averaged)"),
        hop_ms: float = typer.Option(100.0, help="hop between 1 s windows, ms"),
        smooth_ms: float = typer.Option(300.0, help="causal moving average of the posteriors, ms"),
        threshold: float = typer.Option(None, help="detection threshold on the smoothed posterior (default: "
                                        "calibrated for --target-fa-per-hour on held-out keyword-free audio)"),
        target_fa_per_hour: float = typer.Option(1.0, help="false alarms per hour the calibrated threshold allows"),
        truth: Path = typer.Option(None, help="events JSON to score against (default: WAV.json when present)"),
        data_dir: Path = typer.Option(None, help="data folder for calibration (default: the run's, or $QNN_DATA)"),
        json_out: Path = typer.Option(None, "--json", help="write detections and scores to this file"),
    ) -> None:
        """Slide the golden model over a long recording; print detections (time, keyword, score) and, with known
        events, miss rate per SNR and false alarms per hour (DET curve in RUN/plots/det_spot.png)."""
        import json

        from qnn.spot.api import spot

        res = spot(open_run(run_dir), wav, hop_ms=hop_ms, smooth_ms=smooth_ms, threshold=threshold,
                   target_fa_per_hour=target_fa_per_hour, truth=truth, data_dir=data_dir, progress=True)
        how = (f"calibrated for {res['calibration']['target_fa_per_hour']:g} false alarms/h "
               f"({res['calibration']['fa_per_hour']:.1f}/h on {res['calibration']['minutes']:g} min keyword-free)"
               if res["calibration"] else "given")
        table(f"{wav.name}: {len(res['detections'])} detections ({res['seconds']:.0f} s, threshold "
              f"{res['threshold']:g} {how})", ["time", "keyword", "score"],
              [[f"{d['time'] // 60:.0f}:{d['time'] % 60:06.3f}", d["keyword"], f"{d['score']:.3f}"]
               for d in res["detections"]])
        if "score" in res:
            s = res["score"]
            console.print(f"against {res['truth']}: {s['hits']}/{s['keywords']} keywords found (miss rate "
                          f"{s['miss_rate']:.1%}), {s['false_alarms']} false alarms = "
                          f"{s['false_alarms_per_hour']:.1f} per hour")
            table("miss rate per SNR", ["SNR (dB)", "keywords", "missed", "miss rate"],
                  [[k, v["events"], v["misses"], f"{v['miss_rate']:.1%}"] for k, v in s["miss_rate_per_snr"].items()])
            if "det_png" in res:
                console.print(f"DET curve: {res['det_png']}")
        if json_out:
            json_out.write_text(json.dumps(res, indent=1))

    @app.command("spot-stream")
    def spot_stream_cmd(
        out: Path = typer.Argument(..., help="WAV to write (events go to OUT.json beside it)"),
        minutes: float = typer.Option(10.0, help="length of the recording"),
        seed: int = typer.Option(0),
        data_dir: Path = typer.Option(None, help="Speech Commands data (default: $QNN_DATA)"),
    ) -> None:
        """A test recording: keywords of held-out speakers at known times, mixed into background noise at 20, 10, 5
        and 0 dB SNR, with unknown words and empty stretches."""
        from qnn.spot.api import write_stream

        if minutes <= 0:
            from qnn.errors import QnnError

            raise QnnError(f"--minutes must be positive, got {minutes}")
        meta = write_stream(out, data_dir, minutes, seed)
        console.print(f"{out}: {meta['seconds']:.0f} s, {meta['keywords']} keywords and {meta['unknown_words']} "
                      f"unknown words at {', '.join(f'{s:g}' for s in meta['snrs_db'])} dB SNR; events in {out}.json")
