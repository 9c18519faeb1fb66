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

    @app.command("from-brevitas")
    @writes_run("name")
    def from_brevitas_cmd(
        factory: str = typer.Argument(..., help="PATH.py:FACTORY; FACTORY() returns a brevitas.nn module, or "
                                      "(module, example input with batch 1)"),
        name: Path = typer.Option(..., "--name", help="run directory to create, e.g. runs/my-net"),
        input_shape: str = typer.Option(None, help="input shape with batch, e.g. 1,1,28,28 (when FACTORY returns "
                                        "the module alone)"),
        vectors: int = typer.Option(256, help="random inputs on which golden must equal the module's forward"),
        check: int = typer.Option(64, help="vectors on which golden must equal qonnx's execution of the export"),
        force: bool = typer.Option(False, help="replace the model of an existing run"),
    ) -> None:
        """Export a Brevitas module (export_qonnx), import it, and check the golden model against the module."""
        import torch

        from qnn.brevitas_user import from_brevitas, load_factory
        from qnn.errors import QnnError

        module, example = load_factory(factory)
        if example is None:
            if not input_shape:
                raise QnnError(f"{factory} returns no example input: give --input-shape, e.g. 1,1,28,28")
            try:
                example = torch.zeros([int(d) for d in input_shape.split(",")])
            except ValueError:
                raise QnnError(f"--input-shape {input_shape!r} is not a list of integers like 1,1,28,28") from None
        res = from_brevitas(module, example, name, vectors=vectors, check=check, force=force)
        console.print(f"exported {factory} -> {res.run.path}\n{res.run.graph().summary()}")
        console.print(f"golden vs qonnx execution on {res.import_check.get('n', 0)} vectors: "
                      f"{res.import_check.get('agreement', 'not checked')}", soft_wrap=True)
        console.print(f"golden vs the module's forward on {res.module_check['n']} vectors: "
                      f"{res.module_check['agreement']}", soft_wrap=True)
