"""Test vectors of a run, chosen in one place for every check (eval, import, hls, sim, netlist, board).

A run with a dataset uses the first ``n`` vectors of its test split. A run without one (a file imported with
``--dataset none``) uses random inputs of the model's input type, the same ones everywhere (seed 0):

- a float input with a declared type (``--input-type``, a ``finn_datatype`` annotation): values of that type;
- a model that quantizes its own input: every level of the input quantizer equally likely, given as the float
  value ``(level - zero point) * scale`` that the quantizer maps back to that level;
- host-side preprocessing before the quantizer with no declared type: uniform [0, 1) floats.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnn.golden.execute import quantize_input
from qnn.ir import nodes as N
from qnn.ir.qonnx.inputs import random_inputs

RANDOM_SOURCE = "{n} random vectors (the run has no dataset)"


@dataclass
class Vectors:
    x: np.ndarray  # float model inputs, in the graph's input layout
    y: np.ndarray | None  # labels, when the run has a dataset
    classes: list | None
    source: str  # where they came from, in words

    def __len__(self) -> int:
        return len(self.x)


def has_dataset(run) -> bool:
    name = (run.config.get("dataset") or {}).get("name")
    return bool(name) and name != "none"


def random_float_inputs(graph, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random float inputs of the graph's input type (see the module docstring)."""
    if graph.meta.get("input_type"):
        return random_inputs(graph.meta, graph.input_shape, n, seed)
    rng = np.random.default_rng(seed)
    front = graph.front
    q = front[-1]
    if len(front) > 1 or not isinstance(q, N.Quantize):
        return rng.random((n, *graph.input_shape), dtype=np.float32)
    ir_shape = _ir_shape(graph)
    t = q.quant_type
    if t.bipolar:
        k = rng.choice(np.array([-1.0, 1.0]), size=(n, *ir_shape))
        x = k * np.abs(np.asarray(q.scale, np.float64))
    else:
        k = rng.integers(t.min, t.max + 1, size=(n, *ir_shape)).astype(np.float64)
        x = (k - np.asarray(q.zero_point, np.float64)) * np.asarray(q.scale, np.float64)
    x = x.astype(np.float32)
    if graph.input_layout == "NCHW":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x.reshape(n, *graph.input_shape))


def _ir_shape(graph) -> tuple:
    if graph.input_layout == "NCHW":
        c, h, w = graph.input_shape
        return (h, w, c)
    return tuple(graph.input_shape)


def float_vectors(run, graph, n: int | None, data_dir=None, seed: int = 0) -> Vectors:
    """The run's first ``n`` test vectors (all of them for ``n=None``), or ``n`` (default 1000) random inputs."""
    if has_dataset(run):
        ds = run.dataset("test", data_dir=data_dir, limit=n)
        return Vectors(ds.x, ds.y, list(ds.classes), f"{len(ds)} {ds.name} test vectors ({ds.source})")
    k = 1000 if n is None else n
    return Vectors(random_float_inputs(graph, k, seed), None, None, RANDOM_SOURCE.format(n=k))


def int_vectors(run, graph, n: int | None, data_dir=None) -> tuple[np.ndarray, str]:
    """The integer inputs the hardware receives for ``float_vectors``, and their source in words."""
    v = float_vectors(run, graph, n, data_dir)
    return quantize_input(graph, v.x), v.source
