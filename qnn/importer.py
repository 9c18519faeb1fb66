"""Bring a QONNX model trained elsewhere (FINN/Brevitas, QKeras via qonnx, colleagues) into a run directory.

The run then works with every later command (eval, hls, rtl, sim, synth, report): it holds the user's file as
``source.onnx``, the cleaned QONNX as ``model.onnx`` and the streamlined integer IR in ``ir/``. Anything the IR
cannot represent exactly is refused here, with the node named.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from qnn.errors import QnnError
from qnn.export import graph_from_qonnx
from qnn.ir.from_qonnx import load_qonnx
from qnn.ir.serialize import save_graph
from qnn.run import Run
from qnn.util.atomic import atomic_path

DATASETS = ("mnist", "kws", "none")


def import_model(onnx_path: str | Path, run_dir: str | Path, dataset: str = "none", data_dir: str | None = None,
                 input_layout: str | None = None, force: bool = False, check: int = 64,
                 input_type: str | None = None) -> Run:
    """``check``: vectors (the dataset's first test vectors, else random inputs of the input type) on which golden
    must equal qonnx's execution of the file before the run is written (``CheckFailed`` otherwise; 0 = no check).
    ``input_type``: hls4ml syntax (``fixed<16,6>``) for a float input; the run's IR records the type used
    (``graph.meta["input_type"]``, see ``qnn.ir.qonnx.inputs``)."""
    onnx_path = Path(onnx_path)
    if dataset not in DATASETS:
        raise QnnError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    run = Run(run_dir)
    if run.config_file.is_file() and not force:
        raise QnnError(f"run {run.path} already exists: choose another name or pass --force to replace its model")
    # validates everything before anything is written; BatchNorm rounded as onnxruntime, the file's executor
    graph = graph_from_qonnx(onnx_path, input_layout, input_type, batchnorm="onnx")
    if dataset != "none":
        _check_dataset_fits(graph, dataset, data_dir)
    if check:
        from qnn.evaluate import check_qonnx

        agree = check_qonnx(graph, onnx_path, _check_inputs(graph, dataset, data_dir, check))
    run.path.mkdir(parents=True, exist_ok=True)
    with atomic_path(run.path / "source.onnx") as tmp:
        shutil.copyfile(onnx_path, tmp)
    with atomic_path(run.onnx) as tmp:
        load_qonnx(onnx_path).save(str(tmp))
    with run.step("ir") as tmp:
        save_graph(graph, tmp)
    run.write_config({
        "dataset": {"name": dataset, "data_dir": data_dir, "options": {}},
        "model": None,
        "imported": {"source": str(onnx_path.resolve()), "input_layout": graph.input_layout,
                     "input_type": graph.meta.get("input_type")},
    })
    if check:
        run.update_metrics(import_check=agree)
    return run


def _check_inputs(graph, dataset: str, data_dir, n: int):
    from qnn.data import load_dataset
    from qnn.vectors import random_float_inputs

    if dataset != "none":
        return load_dataset(dataset, "test", data_dir).subset(n).x
    return random_float_inputs(graph, n)


def _check_dataset_fits(graph, dataset: str, data_dir) -> None:
    import numpy as np

    from qnn.data import load_dataset
    from qnn.golden.execute import to_channels_last

    ds = load_dataset(dataset, "test", data_dir).subset(2)
    try:
        x = to_channels_last(graph, ds.x)
    except ValueError:
        x = None
    want = int(np.prod(graph.input_shape))
    if x is None or int(np.prod(ds.x.shape[1:])) != want:
        raise QnnError(f"the model input {list(graph.input_shape)} ({graph.input_layout}) does not fit {dataset} "
                       f"samples of shape {list(ds.x.shape[1:])}; use --dataset none or the matching dataset")
