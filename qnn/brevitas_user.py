"""One call for a Brevitas user: a ``brevitas.nn`` module -> a run, checked against the module itself.

``from_brevitas(module, example_input, run_dir)`` exports the module with Brevitas' ``export_qonnx``, imports the
file (``qnn.importer``: streamlined integer IR, golden model checked against qonnx's execution of the file at every
quantizer), then compares the golden model with the module's own eval forward on random inputs of its input type
(``qnn.checks.module``). The run then works with every later command: hls, rtl, sim, synth, board.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnn.errors import QnnError
from qnn.run import Run


@dataclass
class BrevitasImport:
    run: Run
    import_check: dict  # golden vs qonnx's execution of the exported file
    module_check: dict  # golden vs the module's eval forward


def from_brevitas(module, example_input, run_dir: str | Path, *, vectors: int = 256, check: int = 64,
                  input_type: str | None = None, force: bool = False) -> BrevitasImport:
    """Export ``module`` (its eval forward on ``example_input``, batch 1), import it into ``run_dir`` and check the
    golden model against the file (``check`` vectors) and against the module (``vectors`` random inputs)."""
    import torch
    from brevitas.export import export_qonnx

    from qnn.checks import tail_tolerance
    from qnn.checks.module import compare_module
    from qnn.importer import import_model
    from qnn.ir.from_qonnx import load_qonnx
    from qnn.ir.qonnx.inputs import round_to_grid
    from qnn.vectors import random_float_inputs

    example = torch.as_tensor(example_input, dtype=torch.float32)
    if example.ndim < 2 or example.shape[0] != 1:
        raise QnnError(f"example_input has shape {list(example.shape)}; give one sample with its batch axis of 1")
    module.eval()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            export_qonnx(module, input_t=example, export_path=str(path))
        run = import_model(path, run_dir, dataset="none", check=check, input_type=input_type, force=force)
    graph = run.graph()
    x = round_to_grid(graph.meta, random_float_inputs(graph, vectors))
    x = np.ascontiguousarray(x.reshape(len(x), *example.shape[1:]), np.float32)
    res = compare_module(graph, load_qonnx(run.onnx), module, x, tail_tolerance(graph))
    run.update_metrics(brevitas_check=res)
    return BrevitasImport(run, run.metrics.get("import_check", {}), res)


def load_factory(spec: str):
    """``path.py:factory`` -> (module, example input); the factory returns a module, or (module, example input)."""
    file, _, name = spec.rpartition(":")
    if not file or not name:
        raise QnnError(f"{spec!r} is not PATH.py:FACTORY (e.g. models.py:make_net)")
    path = Path(file)
    if not path.is_file():
        raise QnnError(f"module file {path} not found")
    loader = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(loader)
    try:
        loader.loader.exec_module(mod)
    except Exception as e:  # the user's file: say where it failed in one line
        raise QnnError(f"{path} failed to import: {type(e).__name__}: {e}") from None
    fn = getattr(mod, name, None)
    if not callable(fn):
        raise QnnError(f"{path} has no function {name}")
    out = fn()
    return out if isinstance(out, tuple) else (out, None)
