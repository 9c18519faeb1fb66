"""`qnn sweep`: accuracy and hardware cost over a bit-width x model grid, locally or on a Ray cluster."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import console, int_list, table, writes_run


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    @writes_run("folder")
    def sweep_cmd(
        folder: Path = typer.Argument(..., help="Sweep folder (results table, plots, one run per point)."),
        dataset: str = typer.Option("mnist", help="mnist | kws"),
        models: str = typer.Option("tfc", help="comma-separated presets, e.g. tfc,sfc"),
        weight_bits: str = typer.Option("1,2,4,8", "-w", "--weight-bits", help="e.g. 1,2,3,4,8 (add 'float')"),
        act_bits: str = typer.Option("1,2,4,8", "-a", "--act-bits", help="e.g. 1,2,4,8"),
        float_ref: bool = typer.Option(True, "--float/--no-float", help="add the float model per preset"),
        hidden: str = typer.Option(None, help="dense layer widths for every preset, e.g. 64,64"),
        epochs: int = typer.Option(1, help="training epochs per point"),
        batch_size: int = typer.Option(128),
        lr: float = typer.Option(2e-3),
        seed: int = typer.Option(0),
        limit_train: int = typer.Option(None, help="train each point on the first N samples"),
        eval_limit: int = typer.Option(None, help="evaluate on the first N test samples"),
        data_dir: Path = typer.Option(None, help="data folder (default: $QNN_DATA, else embedded data)"),
        steps: str = typer.Option("train,export,golden,rtl,sim,synth",
                                  help="flow steps per point (add hls for the hls4ml C simulation)"),
        simulator: str = typer.Option("verilator", help="verilator | icarus"),
        sim_vectors: int = typer.Option(8, help="RTL simulation vectors per point"),
        target_cycles: int = typer.Option(None, help="RTL folding target, cycles per inference"),
        synth_target: str = typer.Option("ice40", help="ice40 | ecp5 | xilinx"),
        synth_device: str = typer.Option(None),
        pnr: bool = typer.Option(False, "--pnr/--no-pnr", help="nextpnr per point (slow)"),
        synth_timeout: int = typer.Option(3600, help="seconds allowed per Yosys run (longer: no LUT figures)"),
        confusion: bool = typer.Option(False, help="a confusion-matrix PNG per point (in the report)"),
        executor: str = typer.Option("local", help="local (process pool) | serial | ray"),
        workers: int = typer.Option(None, help="parallel points (default: the machine's cores)"),
        address: str = typer.Option(None, help="Ray cluster address (default: start a local Ray instance)"),
        report: bool = typer.Option(True, "--report/--no-report", help="write report.md/html at the end"),
    ) -> None:
        """Run every grid point (train -> golden -> RTL -> sim -> synth); resumes an interrupted sweep."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from qnn.cli.flow import step_list
        from qnn.sweep import SweepSpec, parse_bits, run_sweep

        wb, wf = parse_bits(weight_bits, "weight-bits")
        ab, af = parse_bits(act_bits, "act-bits")
        spec = SweepSpec(dataset=dataset, presets=tuple(m.strip() for m in models.split(",") if m.strip()),
                         weight_bits=wb, act_bits=ab, include_float=float_ref or wf or af,
                         hidden=int_list(hidden, "hidden"), data_dir=str(data_dir) if data_dir else None,
                         epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, limit_train=limit_train,
                         eval_limit=eval_limit, steps=step_list(steps), simulator=simulator, sim_vectors=sim_vectors,
                         target_cycles=target_cycles, synth_target=synth_target, synth_device=synth_device, pnr=pnr,
                         synth_timeout=synth_timeout, confusion=confusion)
        n = len(spec.points())
        console.print(f"sweep {folder}: {n} points on the {executor} executor")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as prog:
            task = prog.add_task("points", total=None)

            def on_point(pid, row, done, total):
                prog.update(task, completed=done, total=total)
                acc = row.get("accuracy") if row else None
                extra = f"accuracy {acc:.2%}" if acc is not None else ""
                if row and row.get("lut") is not None:
                    extra += f", {row['lut']} LUT"
                prog.console.log(f"{pid}: {row.get('status') if row else 'failed'} {extra}")

            res = run_sweep(folder, spec, executor, workers, address, on_point)
        table(f"sweep {folder} ({len(res.ran)} run now, {len(res.reused)} kept)",
              ["point", "accuracy", "BOPs", "LUT", "FF", "BRAM", "DSP", "cycles/inf", "RTL exact", "status"],
              [[r["id"], _pct(r.get("accuracy")), r.get("bops") or "-", r.get("lut") if r.get("lut") is not None else "-",
                r.get("ff") if r.get("ff") is not None else "-", r.get("bram") if r.get("bram") is not None else "-",
                r.get("dsp") if r.get("dsp") is not None else "-",
                f"{r['cycles_per_inference']:.0f}" if r.get("cycles_per_inference") else "-",
                r.get("sim_exact") or "-", r.get("status")] for r in res.rows])
        console.print(f"table: {folder / 'results.csv'}, {folder / 'results.json'}")
        for p in res.plots:
            console.print(f"plot: {p}")
        if report:
            from qnn.report import write_sweep_report

            md, html = write_sweep_report(folder)
            console.print(f"report: {md}, {html}")
        for pid, msg in res.errors.items():
            console.print(f"[red]{pid}[/]: {msg}")
        checks = [r["id"] for r in res.rows if r.get("status") == "check failed"]
        if checks:  # exit code 1: some point's verification disagreed
            from qnn.errors import CheckFailed

            raise CheckFailed(f"{len(checks)} of {len(res.rows)} points failed a check ({', '.join(checks)}; see above); "
                              "re-running the same command redoes those steps")
        if res.errors:
            from qnn.errors import QnnError

            raise QnnError(f"{len(res.errors)} of {len(res.rows)} points did not finish every step (see above); "
                           "re-running the same command retries only those steps")


def _pct(v) -> str:
    return f"{v:.2%}" if v is not None else "-"
