"""`qnn flow`: dataset to verified hardware in one command, resumable, with a summary table at the end."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, int_list, parse_options, writes_run
from qnn.errors import CheckFailed, QnnError


def step_list(text: str | None) -> tuple:
    from qnn.flow import Step

    if not text:
        return ()
    out = []
    for tok in (t.strip() for t in text.split(",") if t.strip()):
        try:
            out.append(Step(tok))
        except ValueError:
            raise QnnError(f"unknown step {tok!r}: the steps are {', '.join(s.value for s in Step)}") from None
    return tuple(out)


def register(app: typer.Typer) -> None:
    @app.command("flow")
    @writes_run("run_dir")
    def flow_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        dataset: str = typer.Option("mnist", help="mnist | kws"),
        model: str = typer.Option("tfc", help="tfc | sfc | lfc | mlp | cnn | kws-mlp | kws-cnn | kws-dscnn"),
        weight_bits: int = typer.Option(2, "-w", "--weight-bits", help="1..8 (32: float model, no hardware)"),
        act_bits: int = typer.Option(2, "-a", "--act-bits", help="1..8 (32: float model)"),
        hidden: str = typer.Option(None, help="dense layer widths, e.g. 64,64 (overrides the preset)"),
        channels: str = typer.Option(None, help="conv channels, e.g. 16,32 (overrides the preset)"),
        epochs: int = typer.Option(5),
        batch_size: int = typer.Option(128),
        lr: float = typer.Option(2e-3),
        seed: int = typer.Option(0),
        limit_train: int = typer.Option(None, help="train on the first N samples only"),
        float_baseline: bool = typer.Option(False, help="also train the float model of the same shape"),
        data_dir: Path = typer.Option(None, help="data folder (default: $QNN_DATA, else embedded data)"),
        data_option: list[str] = typer.Option([], "--data-option", help="dataset option KEY=VALUE (repeatable)"),
        check_vectors: int = typer.Option(512, help="test vectors on which the export checks golden == Brevitas"),
        eval_limit: int = typer.Option(None, help="evaluate on the first N test samples"),
        hls_io_type: str = typer.Option("io_parallel", help="io_parallel (MLP) | io_stream (CNN)"),
        hls_reuse: int = typer.Option(1, help="hls4ml reuse factor"),
        hls_vectors: int = typer.Option(200, help="test vectors for the hls4ml C simulation"),
        folding: str = typer.Option(None, help='RTL folding, JSON or a JSON file: {"Gemm_0": {"pe": 4, "simd": 16}}'),
        target_cycles: int = typer.Option(None, help="fold the RTL for this many cycles per inference"),
        simulator: str = typer.Option("verilator", help="verilator | icarus"),
        sim_vectors: int = typer.Option(50, help="test vectors for the RTL simulation"),
        synth_target: str = typer.Option("ice40", help="ice40 | ecp5 | xilinx"),
        synth_device: str = typer.Option(None, help="device (default: the target's default)"),
        pnr: bool = typer.Option(True, "--pnr/--no-pnr", help="place and route with nextpnr for fmax"),
        netlist_vectors: int = typer.Option(100, help="test vectors through the synthesized netlist against golden (0 skips)"),
        synth_timeout: int = typer.Option(3600, help="seconds allowed per Yosys / nextpnr run"),
        board: str = typer.Option(None, help="also build a bitstream for this board and check the simulated board "
                                             "(icebreaker | ulx3s-25f | ulx3s-45f | ulx3s-85f)"),
        board_freq: float = typer.Option(None, help="board clock in MHz (default: the board's, lowered to the fmax met)"),
        skip: str = typer.Option(None, help="steps to skip, e.g. hls,synth"),
        force: str = typer.Option(None, help="steps to redo even if their inputs are unchanged, e.g. golden"),
        threads: int = typer.Option(0, help="torch CPU threads (0 = all cores)"),
    ) -> None:
        """Train -> export -> IR -> golden -> hls -> rtl -> sim -> synth -> report; finished steps are kept."""
        from qnn.flow import FlowConfig, Step, run_flow
        from qnn.flow.steps import STEPS

        fold = None
        if folding:
            p = Path(folding)
            try:
                fold = json.loads(p.read_text() if p.is_file() else folding)
            except json.JSONDecodeError as e:
                raise QnnError(f"--folding is neither a JSON file nor valid JSON ({e.msg})") from None
        cfg = FlowConfig(dataset=dataset, data_dir=str(data_dir) if data_dir else None,
                         data_options=parse_options(data_option), model=model, weight_bits=weight_bits,
                         act_bits=act_bits, hidden=int_list(hidden, "hidden"), channels=int_list(channels, "channels"),
                         epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, limit_train=limit_train,
                         threads=threads, float_baseline=float_baseline, check_vectors=check_vectors, eval_limit=eval_limit,
                         hls_io_type=hls_io_type, hls_reuse=hls_reuse, hls_vectors=hls_vectors, folding=fold,
                         target_cycles=target_cycles, simulator=simulator, sim_vectors=sim_vectors,
                         synth_target=synth_target, synth_device=synth_device, pnr=pnr, synth_timeout=synth_timeout,
                         netlist_vectors=netlist_vectors,
                         board=board, board_freq=board_freq, skip=step_list(skip))
        with console.status("starting") as status:
            def on_step(step, phase):
                if phase == "start":
                    status.update(f"[bold]{step.value}[/]: {(STEPS[step].fn.__doc__ or '').splitlines()[0]}")
                else:
                    console.log(f"{step.value}: {phase}")

            summary = run_flow(run_dir, cfg, force=step_list(force), on_step=on_step)
        from rich.table import Table

        t = Table(title=f"flow {run_dir}")
        for c, just in (("step", "left"), ("status", "left"), ("seconds", "right"), ("result", "left")):
            t.add_column(c, justify=just)
        for r in summary.rows():
            t.add_row(*r)
        console.print(t)
        report = summary.result(Step.report)
        if report:
            console.print(f"report: {report['markdown']} and {report['html']}")
        if summary.check_failed is not None:  # exit code 1: a verification disagreed, nothing after it was built
            bad = summary.check_failed
            raise CheckFailed(f"step {bad.step.value}: {bad.line} (later steps not run; re-running redoes this step)")
        if not summary.ok:
            bad = summary.failed[0]
            raise QnnError(f"step {bad.step.value} {bad.status}: {bad.line} (fix it and re-run: finished steps are kept)")
