"""`qnn export` (QONNX + integer IR) and `qnn info` (what the IR holds)."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, open_run, table, writes_run
from qnn.errors import QnnError


def register(app: typer.Typer) -> None:
    @app.command("export")
    @writes_run("run_dir")
    def export_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        check: int = typer.Option(512, help="test vectors on which to check golden == Brevitas (0 = skip)"),
    ) -> None:
        """Export the trained model to QONNX and build the streamlined integer IR (run/ir); golden must equal Brevitas."""
        from qnn.evaluate import export_run

        run = open_run(run_dir)
        if run.config.get("imported"):
            raise QnnError(f"run {run_dir} was imported from QONNX: its IR is already built (re-import with --force)")
        graph, agree = export_run(run, check)  # a mismatch raises CheckFailed (exit 1) and writes no IR
        console.print(f"QONNX: {run.onnx}\nIR:    {run.ir_dir}")
        console.print(graph.summary())
        if agree:
            console.print(f"golden vs Brevitas on {agree['n']} test vectors: {agree['agreement']} "
                          f"(argmax equal {agree['argmax_equal']:.2%}, max |diff| {agree['max_abs_diff']:.3g})")

    @app.command("info")
    def info_cmd(run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP)) -> None:
        """Show the integer IR of a run: layers, types, MACs."""
        from qnn.ir import nodes as N

        run = open_run(run_dir)
        g = run.graph()
        rows = []
        for n in g.nodes:
            types = ""
            if isinstance(n, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
                types = f"{n.in_type} x {n.weight_type} -> {n.acc_type}"
            elif isinstance(n, N.SumPool):
                types = f"{n.in_type} -> {n.out_type}"
            elif isinstance(n, (N.MultiThreshold, N.Shift)):
                types = f"{n.in_type} -> {n.out_type}"
            elif isinstance(n, N.Quantize):
                types = f"float -> {n.out_type}"
            rows.append([n.name, n.describe(), types])
        table(f"{run.name}: integer IR", ["node", "op", "types"], rows)
