"""`qnn predict RUN clip.wav`: the top keywords of one WAV file by the run's golden model."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, open_run, table


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
