"""Evaluate a run: the float baseline, the Brevitas model and the golden integer model on the same test set.

Also measures how the golden model agrees with Brevitas (argmax identity and max |logit difference|), and the
time each takes on the whole set.
"""
from __future__ import annotations

import time

import numpy as np

from qnn.golden import predict
from qnn.metrics.classification import classification_report
from qnn.metrics.plots import plot_confusion
from qnn.run import Run

FLOAT_CHECKPOINT = "float_checkpoint.pt"


def compare_logits(golden: np.ndarray, reference: np.ndarray) -> dict:
    return {
        "argmax_equal": float((golden.argmax(1) == reference.argmax(1)).mean()),
        "argmax_mismatches": int((golden.argmax(1) != reference.argmax(1)).sum()),
        "max_abs_diff": float(np.abs(golden - reference).max()) if len(golden) else 0.0,
    }


def qonnx_logits(onnx_path, x: np.ndarray, input_layout: str) -> np.ndarray:
    """The format's reference executor (qonnx ``execute_onnx``), one vector at a time as the file's batch is 1."""
    from qonnx.core.onnx_exec import execute_onnx

    from qnn.ir.from_qonnx import load_qonnx

    model = load_qonnx(onnx_path)
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    if input_layout == "NHWC" and x.ndim == 4 and list(x.shape[1:]) != shape[1:]:
        x = x.transpose(0, 2, 3, 1)
    x = x.reshape(len(x), *shape[1:]).astype(np.float32)
    return np.concatenate([execute_onnx(model, {iname: x[i : i + 1]})[oname].reshape(1, -1) for i in range(len(x))])


def evaluate_run(run: Run, split: str = "test", data_dir=None, limit: int | None = None, plots: bool = True,
                 qonnx_vectors: int = 200) -> dict:
    from qnn.train import load_model, predict_logits

    ds = run.dataset(split, data_dir=data_dir, limit=limit)
    graph = run.graph()
    res: dict = {"dataset": ds.source, "split": split, "n": len(ds)}

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
        res["golden_vs_brevitas"] = compare_logits(g_logits, b_logits)
        res["golden_speedup"] = res["brevitas_seconds"] / max(res["golden_seconds"], 1e-9)
    elif qonnx_vectors and run.onnx.is_file():  # imported model: the format's own executor is the reference
        n = min(qonnx_vectors, len(ds))
        ref = qonnx_logits(run.onnx, ds.x[:n], graph.input_layout)
        res["qonnx"] = classification_report(ds.y[:n], ref.argmax(1), ds.classes)
        res["golden_vs_qonnx"] = compare_logits(g_logits[:n], ref)
    if (run.path / FLOAT_CHECKPOINT).is_file():
        fmodel = load_model(run, FLOAT_CHECKPOINT)
        res["float"] = classification_report(ds.y, predict_logits(fmodel, ds.x).argmax(1), ds.classes)

    if ds.name == "kws":  # a keyword spotter is judged by false positives and false negatives too
        from qnn.metrics.detection import detection_report, plot_roc

        res["detection"] = detection_report(g_logits, ds.y, ds.classes)
        if plots:
            plot_roc(g_logits, ds.y, ds.classes, run.plots_dir / "roc_golden.png",
                     f"{run.name}: per-keyword ROC (golden model)")
    if plots:
        for key in ("golden", "float"):
            if key in res:
                plot_confusion(np.array(res[key]["confusion"]), ds.classes, run.plots_dir / f"confusion_{key}.png",
                               f"{run.name}: {key} model, accuracy {res[key]['accuracy']:.2%} (n={len(ds)})")
    run.update_metrics(eval=res)
    return res
