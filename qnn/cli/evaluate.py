"""`qnn eval`: accuracy of float / Brevitas / golden models, per-class metrics, confusion matrix."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import RUN_ARG_HELP, console, open_run, table, writes_run


def register(app: typer.Typer) -> None:
    @app.command("eval")
    @writes_run("run_dir")
    def eval_cmd(
        run_dir: Path = typer.Argument(..., help=RUN_ARG_HELP),
        split: str = typer.Option("test", help="test | val"),
        limit: int = typer.Option(None, help="evaluate on the first N samples"),
        data_dir: Path = typer.Option(None, help="data folder (default: the one the run was trained on)"),
    ) -> None:
        """Evaluate the run on its dataset (a run without one: checks on random inputs of its type); writes metrics.json
        and plots/confusion_*.png."""
        from qnn.errors import CheckFailed
        from qnn.evaluate import evaluate_run

        run = open_run(run_dir).require_ir()
        failed = None
        try:
            res = evaluate_run(run, split, data_dir, limit)
        except CheckFailed as e:  # the figures were written: show them, then fail with exit code 1
            res, failed = run.metrics["eval"], e
        rows = []
        for key, label in (("float", "float baseline"), ("brevitas", "quantized (Brevitas)"), ("qonnx", "qonnx execution"),
                           ("golden", "golden (integer)")):
            if key in res:
                secs = res.get(f"{key}_seconds")
                rows.append([label + (f" (first {res[key]['n']})" if res[key]["n"] != res["n"] else ""),
                             f"{res[key]['accuracy']:.2%}", f"{res[key]['macro_f1']:.3f}",
                             f"{secs:.3f}" if secs is not None else "-"])
        if rows:
            table(f"{run.name} on {res['dataset']} ({res['split']}, n={res['n']})",
                  ["model", "accuracy", "macro F1", "seconds"], rows)
        else:
            console.print(f"{run.name}: no dataset, no accuracy; checked on {res['dataset']}")
        if "golden_vs_brevitas" in res:
            a = res["golden_vs_brevitas"]
            console.print(f"golden vs Brevitas: {a['agreement']}, argmax equal {a['argmax_equal']:.2%}, max |logit diff| "
                          f"{a['max_abs_diff']:.3g}; golden is {res['golden_speedup']:.1f}x the speed of Brevitas")
        if "golden_vs_qonnx" in res:
            a = res["golden_vs_qonnx"]
            console.print(f"golden vs qonnx execution on {a['n']} vectors: {a['agreement']}, argmax equal "
                          f"{a['argmax_equal']:.2%}, max |logit diff| {a['max_abs_diff']:.3g}")
        if "detection" in res:  # keyword spotting: miss rate at a fixed false-positive rate, per keyword
            det = res["detection"]
            table("keyword detection (golden, one-vs-rest on softmax scores)",
                  ["keyword", "AUC", "EER", "FNR @ FPR 1 %", "FNR @ FPR 5 %"],
                  [[k, *(f"{v:.3f}" if v is not None else "-" for v in
                         (e["auc"], e["eer"], e["fnr_at_fpr"]["0.01"], e["fnr_at_fpr"]["0.05"]))]
                   for k, e in ((k, det["per_class"][k]) for k in det["keywords"])]
                  + [["macro", *(f"{v:.3f}" if v is not None else "-" for v in
                                 (det["macro"]["auc"], det["macro"]["eer"], det["macro"]["fnr_at_fpr"]["0.01"],
                                  det["macro"]["fnr_at_fpr"]["0.05"]))]])
            console.print(f"ROC / DET curves: {run.plots_dir / 'roc_golden.png'}, {run.plots_dir / 'det_golden.png'}")
        if "golden" in res:
            console.print(f"confusion matrix: {run.plots_dir / 'confusion_golden.png'}")
        if failed is not None:
            raise failed
