"""``qnn hls RUN``: the run's model as an hls4ml project, C-simulated bit-exact against the golden model."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import writes_run
from qnn.errors import CheckFailed


def register(app: typer.Typer) -> None:
    @app.command("hls")
    @writes_run("run")
    def hls_cmd(
        run: Path = typer.Argument(..., help="Run directory (with ir/ from `qnn export`)."),
        backend: str = typer.Option("vitis", "--backend", help="hls4ml backend: vitis or vivado."),
        io_type: str = typer.Option("io_parallel", "--io-type", help="io_parallel (MLP) or io_stream (CNN)."),
        reuse: int = typer.Option(1, "--reuse", help="Reuse factor (must divide every layer's multiplications)."),
        strategy: str = typer.Option("latency", "--strategy", help="latency or resource."),
        clock: float = typer.Option(5.0, "--clock", help="Clock period in ns."),
        part: str = typer.Option(None, "--part", help="FPGA part (default: hls4ml's xcvu13p-flga2577-2-e)."),
        vectors: int = typer.Option(None, "--vectors", help="Test vectors to C-simulate (default: the whole test set)."),
        trace: bool = typer.Option(False, "--trace", help="Compare layer by layer; name the first layer that differs."),
        synth: bool = typer.Option(False, "--synth", help="Run C synthesis if vitis_hls/vivado_hls is on PATH."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Dataset folder (default: the run's)."),
    ) -> None:
        """Convert the run's integer model with hls4ml, C-simulate it and compare with the golden model."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from hls.hls4ml.flow import hls_step
        from hls.hls4ml.options import DEFAULT_PART, HlsOptions

        console = Console(stderr=True)
        options = HlsOptions(backend=backend.lower(), io_type=io_type, reuse=reuse, strategy=strategy.lower(),
                             clock=clock, part=part or DEFAULT_PART).check()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("preparing", total=None)

            def status(msg: str) -> None:
                bar.update(task, description=msg, completed=0, total=None)
                console.log(msg)

            def progress(advance: int, total: int) -> None:
                bar.update(task, advance=advance, total=total)

            result = hls_step(run, options, vectors=vectors, trace=trace, synth=synth, data_dir=data_dir,
                              progress=progress, status=status)
        c = result.csim
        print(f"hls4ml project: {result.project} ({options.backend_name}, {options.io_type}, reuse {options.reuse}, "
              f"{options.strategy})")
        print(f"vectors: {result.vector_source}")
        print(f"C simulation: {c.exact_vectors}/{c.vectors} vectors bit-exact; compile {c.compile_s:.1f} s "
              f"({c.compile_cpu_s:.1f} s CPU); "
              f"{c.csim_vps:,.0f} vectors/s (golden model {c.golden_vps:,.0f} vectors/s)")
        if trace:
            if result.trace_mismatch is None:
                print(f"trace: all {len(result.traced_layers)} layers equal the golden model")
            else:
                print(f"trace: {result.trace_mismatch.describe()}")
        if synth:
            if result.synth_skipped:
                print(result.synth_skipped)
            elif result.synth:
                print("C synthesis: " + ", ".join(f"{k} {v}" for k, v in result.synth.items()))
        if not c.bit_exact:
            hint = "" if trace else "; run with --trace to find the first layer that differs"
            raise CheckFailed(f"C simulation differs from the golden model on {c.vectors - c.exact_vectors} of "
                           f"{c.vectors} vectors ({c.first_mismatch.describe()}){hint}")
