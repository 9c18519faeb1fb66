"""Evaluate a run: the float baseline, the Brevitas model and the golden integer model on the same test set.

Also checks that the golden model agrees with its reference on every vector (``qnn.checks``: exactly with Brevitas;
with qonnx's execution of an imported file at every quantizer, rounding-boundary cases of the reference's float32
arithmetic reported, not failed), and times each on the whole set. A run without a dataset (imported with
``--dataset none``) is checked on random inputs of its input type (``qnn.vectors``), with no accuracy to report.
The metrics and plots are written either way; a disagreement then raises ``CheckFailed``.
"""
from __future__ import annotations

import time

import numpy as np

from qnn.checks import check_logits, compare_logits, tail_tolerance
from qnn.errors import CheckFailed
from qnn.golden import predict
from qnn.ir.qonnx.inputs import round_to_grid
from qnn.metrics.classification import classification_report
from qnn.metrics.plots import plot_confusion
from qnn.run import Run
from qnn.vectors import float_vectors, has_dataset

FLOAT_CHECKPOINT = "float_checkpoint.pt"


__all__ = ["compare_logits", "evaluate_run", "qonnx_logits"]


def _checked(res: dict, key: str, failures: list, *args, **kw) -> None:
    """res[key] = the check's figures; a failed check is kept in ``failures`` (raised after writing metrics)."""
    try:
        res[key] = check_logits(*args, **kw)
    except CheckFailed as e:
        res[key] = e.result | {"message": str(e)}
        failures.append(e)


def qonnx_logits(onnx_path, x: np.ndarray, input_layout: str) -> np.ndarray:
    """The format's reference executor (qonnx ``execute_onnx``), one vector at a time as the file's batch is 1.

    A final Softmax is left out (its input is returned), as the IR drops it: both then give logits."""
    from qonnx.core.onnx_exec import execute_onnx

    from qnn.ir.from_qonnx import load_qonnx

    model = load_qonnx(onnx_path)
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    last = model.find_producer(oname)
    if last is not None and last.op_type == "Softmax":
        oname = last.input[0]
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    if input_layout == "NHWC" and x.ndim == 4 and list(x.shape[1:]) != shape[1:]:
        x = x.transpose(0, 2, 3, 1)
    x = x.reshape(len(x), *shape[1:]).astype(np.float32)
    return np.concatenate([execute_onnx(model, {iname: x[i : i + 1]}, True)[oname].reshape(1, -1)
                           for i in range(len(x))])


def evaluate_run(run: Run, split: str = "test", data_dir=None, limit: int | None = None, plots: bool = True,
                 qonnx_vectors: int = 200) -> dict:
    from qnn.train import load_model, predict_logits

    graph = run.graph()
    if not has_dataset(run):
        return _evaluate_without_dataset(run, graph, limit, qonnx_vectors)
    ds = run.dataset(split, data_dir=data_dir, limit=limit)
    res: dict = {"dataset": ds.source, "split": split, "n": len(ds)}
    failures: list[CheckFailed] = []

    warm = ds.x[:2048]  # both models are timed warm, on the same warm-up
    predict(graph, warm)
    t = time.perf_counter()
    _, g_logits = predict(graph, ds.x)
    res["golden_seconds"] = time.perf_counter() - t
    res["golden"] = classification_report(ds.y, g_logits.argmax(1), ds.classes)

    if run.checkpoint.is_file():
        model = load_model(run)
        predict_logits(model, warm)
        t = time.perf_counter()
        b_logits = predict_logits(model, ds.x)
        res["brevitas_seconds"] = time.perf_counter() - t
        res["brevitas"] = classification_report(ds.y, b_logits.argmax(1), ds.classes)
        _checked(res, "golden_vs_brevitas", failures, g_logits, b_logits, "Brevitas", where="test vectors")
        res["golden_speedup"] = res["brevitas_seconds"] / max(res["golden_seconds"], 1e-9)
    elif qonnx_vectors and run.onnx.is_file():  # imported model: the format's own executor is the reference
        n = min(qonnx_vectors, len(ds))
        x_grid = round_to_grid(graph.meta, ds.x[:n])  # a float input: both on the input type's grid
        ref = qonnx_logits(run.onnx, x_grid, graph.input_layout)
        res["qonnx"] = classification_report(ds.y[:n], ref.argmax(1), ds.classes)
        _levels_checked(res, failures, graph, run.onnx, x_grid)
    if (run.path / FLOAT_CHECKPOINT).is_file():
        fmodel = load_model(run, FLOAT_CHECKPOINT)
        res["float"] = classification_report(ds.y, predict_logits(fmodel, ds.x).argmax(1), ds.classes)

    if ds.name == "kws":  # a keyword spotter is judged by false positives and false negatives too
        from qnn.metrics.detection import detection_report, plot_det, plot_roc

        res["detection"] = detection_report(g_logits, ds.y, ds.classes)
        if plots:
            plot_roc(g_logits, ds.y, ds.classes, run.plots_dir / "roc_golden.png",
                     f"{run.name}: per-keyword ROC (golden model)")
            plot_det(g_logits, ds.y, ds.classes, run.plots_dir / "det_golden.png",
                     f"{run.name}: per-keyword DET (golden model)")
    if plots:
        for key in ("golden", "float"):
            if key in res:
                plot_confusion(np.array(res[key]["confusion"]), ds.classes, run.plots_dir / f"confusion_{key}.png",
                               f"{run.name}: {key} model, accuracy {res[key]['accuracy']:.2%} (n={len(ds)})")
    run.update_metrics(eval=res)
    if failures:
        raise failures[0]
    return res


def _levels_checked(res: dict, failures: list, graph, onnx_path, x: np.ndarray) -> None:
    """res["golden_vs_qonnx"] = the contract's figures at every quantizer; a failure is kept in ``failures``."""
    try:
        res["golden_vs_qonnx"] = check_qonnx(graph, onnx_path, x)
    except CheckFailed as e:
        res["golden_vs_qonnx"] = e.result | {"message": str(e)}
        failures.append(e)


def _evaluate_without_dataset(run: Run, graph, limit: int | None, qonnx_vectors: int) -> dict:
    """No dataset, no accuracy: the golden model is checked against its reference on random inputs of its type."""
    v = float_vectors(run, graph, limit)
    t = time.perf_counter()
    predict(graph, v.x)
    res: dict = {"dataset": v.source, "split": "random", "n": len(v), "golden_seconds": time.perf_counter() - t}
    failures: list[CheckFailed] = []
    if run.onnx.is_file() and qonnx_vectors:
        _levels_checked(res, failures, graph, run.onnx, round_to_grid(graph.meta, v.x[:qonnx_vectors]))
    run.update_metrics(eval=res)
    if failures:
        raise failures[0]
    return res


def export_run(run: Run, check: int = 512):
    """QONNX export + streamlined integer IR of a trained run -> (graph, check figures or None).

    The golden model of the new IR is checked against Brevitas on the first ``check`` test vectors (0: no check)
    before anything is written: on a mismatch ``model.onnx`` and ``ir/`` keep their previous content, the failed
    check goes into metrics.json (``export_check``) and ``CheckFailed`` is raised."""
    from qnn.export import export_qonnx, graph_from_qonnx
    from qnn.ir.serialize import save_graph
    from qnn.train import load_model, predict_logits
    from qnn.util.atomic import atomic_path

    model = load_model(run)
    agree = None
    with atomic_path(run.onnx) as tmp:
        export_qonnx(model, run.spec(), tmp)
        graph = graph_from_qonnx(tmp)
        if check:
            ds = run.dataset("test", limit=check)
            try:
                agree = check_logits(predict(graph, ds.x)[1], predict_logits(model, ds.x), "Brevitas",
                                     where="test vectors")
            except CheckFailed as e:
                run.update_metrics(export_check=e.result | {"message": str(e)})
                raise
        with run.step("ir") as d:
            save_graph(graph, d)
    if agree is not None:
        run.update_metrics(export_check=agree)
    return graph, agree


def check_qonnx(graph, onnx_path, x: np.ndarray) -> dict:
    """Golden vs qonnx's execution of ``onnx_path`` on ``x`` under the exactness contract (``qnn.checks.levels``):
    equal levels at every quantizer but for reported rounding-boundary cases of the reference's float32 arithmetic,
    and logits exact or within float32 rounding of a non-power-of-two tail (ties allowed); raises CheckFailed
    naming the first layer that differs otherwise."""
    from qnn.checks.levels import compare_levels, raise_if_failed
    from qnn.ir.from_qonnx import load_qonnx

    x = round_to_grid(graph.meta, x)  # a float input: on its input type's grid (qnn.ir.qonnx.inputs)
    x = np.asarray(x, np.float32).reshape(len(x), *graph.input_shape)  # the graph's input layout is the file's
    return raise_if_failed(compare_levels(graph, load_qonnx(onnx_path), x, tail_tolerance(graph)))

