"""`qnn import`: a run directory from an external QONNX model."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import console, writes_run


def register(app: typer.Typer) -> None:
    @app.command("import")
    @writes_run("name")
    def import_cmd(
        model: Path = typer.Argument(..., help="QONNX file (.onnx) exported by Brevitas, qonnx (QKeras) or FINN."),
        name: Path = typer.Option(..., "--name", help="run directory to create, e.g. runs/finn-tfc"),
        dataset: str = typer.Option("none", help="mnist | kws | none: what `qnn eval` and `qnn sim` feed it"),
        data_dir: Path = typer.Option(None, help="data folder (default: $QNN_DATA, else embedded data)"),
        input_layout: str = typer.Option(None, help="NCHW or NHWC, for a 4D input whose layout the graph leaves open"),
        force: bool = typer.Option(False, help="replace the model of an existing run"),
        check: int = typer.Option(64, help="vectors on which golden must equal qonnx's execution (0 = skip)"),
        input_type: str = typer.Option(None, help="type of a float input, hls4ml syntax: fixed<16,6> (default), "
                                       "ufixed<8,0>, int<8>, uint<8>"),
    ) -> None:
        """Import a QONNX model: check it, streamline it into the integer IR, create the run."""
        from qnn.importer import import_model

        run = import_model(model, name, dataset, str(data_dir) if data_dir else None, input_layout, force, check,
                           input_type)
        g = run.graph()
        t = g.meta.get("input_type")
        if t and t["source"] == "default":
            console.print(f"notice: the model input is float and not annotated: using hls4ml's default input type "
                          f"{t['spec']} (give another with --input-type)", soft_wrap=True)
        elif t:
            how = "finn_datatype annotation" if t["source"] == "annotation" else "--input-type"
            console.print(f"input type {t['spec']} ({how})", soft_wrap=True)
        console.print(f"imported {model} -> {run.path}\n{g.summary()}")
        if check:
            a = run.metrics["import_check"]
            console.print(f"golden vs qonnx execution on {a['n']} vectors: {a['agreement']}")
        for d in g.meta.get("dropped", []):
            console.print(f"dropped {d}")
