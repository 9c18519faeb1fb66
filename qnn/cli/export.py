"""`qnn export` (QONNX + integer IR) and `qnn info` (what the IR holds)."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, open_run, table
from qnn.errors import QnnError


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        check: int = typer.Option(512, help="test vectors on which to check golden == Brevitas (0 = skip)"),
    ) -> None:
        """Export the trained model to QONNX and build the streamlined integer IR (run/ir)."""
        from qnn.export import export_qonnx, graph_from_qonnx
        from qnn.ir.serialize import save_graph
        from qnn.train import load_model

        run = open_run(run_dir)
        if run.config.get("imported"):
            raise QnnError(f"run {run_dir} was imported from QONNX: its IR is already built (re-import with --force)")
        model = load_model(run)
        export_qonnx(model, run.spec(), run.onnx)
        graph = graph_from_qonnx(run.onnx)
        with run.step("ir") as tmp:
            save_graph(graph, tmp)
        console.print(f"QONNX: {run.onnx}\nIR:    {run.ir_dir}")
        console.print(graph.summary())
        if check:
            from qnn.evaluate import compare_logits
            from qnn.golden import predict
            from qnn.train import predict_logits

            ds = run.dataset("test", limit=check)
            agree = compare_logits(predict(graph, ds.x)[1], predict_logits(model, ds.x))
            run.update_metrics(export_check=agree | {"n": len(ds)})
            console.print(f"golden vs Brevitas on {len(ds)} test vectors: argmax equal {agree['argmax_equal']:.2%}, "
                          f"max |diff| {agree['max_abs_diff']:.3g}")

    @app.command("info")
    def info_cmd(run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP)) -> None:
        """Show the integer IR of a run: layers, types, MACs."""
        from qnn.ir import nodes as N

        run = open_run(run_dir)
        g = run.graph()
        rows = []
        for n in g.nodes:
            types = ""
            if isinstance(n, (N.Dense, N.Conv2d)):
                types = f"{n.in_type} x {n.weight_type} -> {n.acc_type}"
            elif isinstance(n, (N.MultiThreshold, N.Shift)):
                types = f"{n.in_type} -> {n.out_type}"
            elif isinstance(n, N.Quantize):
                types = f"float -> {n.out_type}"
            rows.append([n.name, n.describe(), types])
        table(f"{run.name}: integer IR", ["node", "op", "types"], rows)
