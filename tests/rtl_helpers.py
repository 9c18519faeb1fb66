"""Small exported models and run directories for the RTL tests (seconds to build, no training)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from qnn.export import export_qonnx_file
from qnn.ir.serialize import save_graph
from qnn.models import build_model, spec_from_preset
from qnn.run import Run


def make_graph(tmp: Path, preset: str = "tfc", w: int = 2, a: int = 2, hidden=(16, 16), channels=None,
               in_shape=(1, 28, 28), seed: int = 0):
    """A Brevitas model with moved BatchNorm statistics, exported and streamlined into an IntGraph."""
    torch.manual_seed(seed)
    kw = {"channels": tuple(channels)} if channels else {}
    spec = spec_from_preset(preset, in_shape=in_shape, num_classes=10, weight_bits=w, act_bits=a,
                            hidden=tuple(hidden), **kw)
    m = build_model(spec)
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(64, *in_shape))
    m.eval()
    tmp.mkdir(parents=True, exist_ok=True)
    return export_qonnx_file(m, spec, tmp / "model.onnx"), spec


def make_run(tmp: Path, **kw) -> Run:
    """A run directory with config.json (embedded MNIST) and ir/, as `qnn export` leaves it."""
    graph, spec = make_graph(tmp / "export", **kw)
    run = Run(tmp / "run")
    run.write_config({"dataset": {"name": "mnist", "data_dir": None, "options": {}}, "model": spec.to_dict()})
    save_graph(graph, run.ir_dir)
    return run


def random_inputs(graph, n: int, seed: int = 0) -> np.ndarray:
    """Quantized random inputs in [0, 1) for graphs whose shape is not MNIST's."""
    from qnn.golden.execute import quantize_input

    x = np.random.default_rng(seed).random((n, *graph.input_shape), dtype=np.float32)
    return quantize_input(graph, x)
