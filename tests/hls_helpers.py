"""Small models and runs for the hls4ml tests (tests/test_hls_*.py)."""
from __future__ import annotations

import torch

from qnn.ir.serialize import save_graph
from qnn.run import Run


def small_graph(tmp_path, preset, w, a, batchnorm=True, in_shape=(1, 8, 8), **kw):
    """A random-init model whose BatchNorm statistics and activation scales moved off their defaults (seconds)."""
    from qnn.export import export_qonnx_file
    from qnn.models import build_model, spec_from_preset

    torch.manual_seed(w * 10 + a)
    spec = spec_from_preset(preset, in_shape=in_shape, num_classes=10, weight_bits=w, act_bits=a,
                            batchnorm=batchnorm, **kw)
    m = build_model(spec).train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(64, *spec.in_shape))
    return export_qonnx_file(m.eval(), spec, tmp_path / "model.onnx")


def make_run(path, graph, dataset="none", data_dir=None) -> Run:
    """A run folder holding only a config and the IR (what `qnn hls` needs)."""
    run = Run(path)
    run.write_config({"dataset": {"name": dataset, "data_dir": data_dir, "options": {}}, "model": {}})
    with run.step("ir") as tmp:
        save_graph(graph, tmp)
    return run
