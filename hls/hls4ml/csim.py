"""C simulation of the hls4ml model (hls4ml ``compile()``: g++ builds a shared library) compared with the golden model.

The comparison is on integers: the hardware's input is the quantized vector (``golden.quantize_input``), its output
the last accumulator (``golden.run_integer``). hls4ml's Python bridge passes doubles, which hold every integer of
up to 53 bits exactly; outputs are checked to be integral before they are compared.

``trace`` recompiles with hls4ml's per-layer tracing and compares every layer's output with the golden model's
(``run_integer(trace=True)``), naming the first layer that differs with the vector, element index and both values;
the layers inside a residual block are compared with the golden model's block nodes run on the block's input.
"""
from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass

import numpy as np

from hls.hls4ml.convert import Conversion
from hls.hls4ml.model import quiet
from qnn.errors import QnnError
from qnn.golden import run_integer
from qnn.golden.execute import apply_node
from qnn.ir.graph import IntGraph
from qnn.ir.nodes import Flatten, Residual

CHUNK = 500  # vectors per predict call (progress granularity)


@dataclass
class Mismatch:
    layer: str  # hls4ml layer (or "output")
    ir_node: str
    vector: int
    index: tuple[int, ...]  # element index within the layer's output (channels-last)
    got: int
    golden: int

    def describe(self) -> str:
        return (f"layer {self.layer} (IR node {self.ir_node}) differs first at vector {self.vector}, "
                f"index {list(self.index)}: hls4ml {self.got}, golden {self.golden}")


@dataclass
class CsimResult:
    vectors: int
    exact_vectors: int
    compile_s: float  # wall clock
    compile_cpu_s: float  # g++ CPU time
    csim_s: float
    golden_s: float
    first_mismatch: Mismatch | None = None

    @property
    def bit_exact(self) -> bool:
        return self.exact_vectors == self.vectors

    @property
    def csim_vps(self) -> float:
        return self.vectors / self.csim_s if self.csim_s > 0 else float("inf")

    @property
    def golden_vps(self) -> float:
        return self.vectors / self.golden_s if self.golden_s > 0 else float("inf")

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(bit_exact=self.bit_exact, csim_vectors_per_s=self.csim_vps, golden_vectors_per_s=self.golden_vps)
        return d


def compile_model(model) -> tuple[float, float]:
    """g++ build of the project's C simulation library: (wall seconds, compiler CPU seconds).

    The CPU time (of the g++ child processes) is the number to compare between machines or busy moments."""
    t = time.perf_counter()
    cpu = _children_cpu()
    try:
        with quiet():
            model.compile()
    except Exception as e:  # hls4ml raises bare Exceptions with the compiler's message
        raise QnnError(f"C simulation build failed in {model.config.get_output_dir()}: {str(e).splitlines()[0]}") from e
    return time.perf_counter() - t, _children_cpu() - cpu


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _as_input(q: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(q).reshape(len(q), -1), dtype=np.float64)


def _as_int(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    if not np.all(np.isfinite(y)) or not np.array_equal(y, np.round(y)):
        raise QnnError("the C simulation returned non-integer outputs: a layer type is not an integer type")
    return y.astype(np.int64)


def simulate(model, q: np.ndarray, progress=None) -> np.ndarray:
    """Integer outputs [N, n_out] of the compiled model for integer inputs ``q`` [N, ...] (channels-last).

    ``progress(advance, total)`` is called after each chunk of vectors."""
    outs = []
    for i in range(0, len(q), CHUNK):
        chunk = q[i : i + CHUNK]
        outs.append(_as_int(model.predict(_as_input(chunk)), len(chunk)))
        if progress is not None:
            progress(len(chunk), len(q))
    return np.concatenate(outs) if outs else np.zeros((0, 0), dtype=np.int64)


def first_difference(got: np.ndarray, want: np.ndarray) -> tuple[int, tuple[int, ...]] | None:
    """(vector, element index) of the first difference, or None if equal. Arrays are [N, ...]."""
    diff = got != want
    if not diff.any():
        return None
    v = int(np.argmax(diff.reshape(len(diff), -1).any(axis=1)))
    idx = tuple(int(i) for i in np.argwhere(diff[v])[0])
    return v, idx


def run_csim(model, graph: IntGraph, q: np.ndarray, compile_s: tuple[float, float], progress=None) -> CsimResult:
    """C-simulate every vector and compare the outputs with the golden model's."""
    t = time.perf_counter()
    got = simulate(model, q, progress)
    csim_s = time.perf_counter() - t
    t = time.perf_counter()
    want = run_integer(graph, q)
    golden_s = time.perf_counter() - t
    want = want.reshape(len(q), -1)
    if got.shape != want.shape:
        raise QnnError(f"C simulation gives {got.shape[1]} outputs per vector, the golden model {want.shape[1]}")
    exact = int(np.sum(np.all(got == want, axis=1)))
    first = None
    d = first_difference(got, want)
    if d is not None:
        v, idx = d
        last = graph.body[-1].name
        first = Mismatch("output", last, v, idx, int(got[v][idx]), int(want[v][idx]))
    return CsimResult(len(q), exact, *compile_s, csim_s, golden_s, first)


def trace(model, conv: Conversion, graph: IntGraph, q: np.ndarray) -> tuple[Mismatch | None, list[str]]:
    """Layer-by-layer comparison: (first differing layer or None, names of the layers compared in order).

    hls4ml recompiles the project with tracing on. Layers hls4ml inserted itself (padding, stream repacking) have
    no IR node and are not compared; neither are flattens, which hls4ml does in place (no code runs)."""
    names = set(conv.layer_map.hls_names) | set(conv.layer_map.inner)
    for layer in model.get_layers():
        if layer.name in names:
            layer.set_attr("trace", True)  # the writer emits per-layer trace code for these
    with quiet():
        _, traced = model.trace(_as_input(q))
    golden = run_integer(graph, q, trace=True)
    by_path = {path: name for name, path in conv.layer_map.inner.items()}
    n = len(q)
    compared = []
    for name, idx in zip(conv.layer_map.hls_names, conv.layer_map.ir_index):
        node = graph.body[idx]
        checks = [(name, node, golden[idx])]
        if isinstance(node, Residual):  # the block's own layers first, from the golden block input
            block_in = golden[idx - 1] if idx > 0 else q
            checks = [(by_path[p], n_, y) for p, n_, y in _block_trace(node, block_in) if p in by_path] + checks
        for layer, ir_node, want in checks:
            if layer not in traced and isinstance(ir_node, Flatten):
                continue  # a relayout hls4ml does in place (no code, nothing to trace): same data, same order
            if layer not in traced:
                raise QnnError(f"hls4ml did not trace layer {layer}: it was removed or renamed by an hls4ml optimizer")
            shape = np.asarray(want).shape[1:]
            got, want = _as_int(traced[layer], n), np.asarray(want).reshape(n, -1)
            compared.append(layer)
            d = first_difference(got, want)
            if d is not None:
                v, (flat,) = d
                index = tuple(int(i) for i in np.unravel_index(flat, shape))
                return Mismatch(layer, ir_node.name, v, index, int(got[v, flat]), int(want[v, flat])), compared
    return None, compared


def _block_trace(node: Residual, x: np.ndarray):
    """(path as in ``LayerMap.inner``, IR node, golden output) of every node inside a residual block, in the order
    the layers are built: the branch's, then the skip's (a nested block: its own nodes, then its sum)."""
    out = []
    for path, chain in (("branch", node.branch), ("skip", node.skip)):
        y = x
        for k, sub in enumerate(chain):
            if isinstance(sub, Residual):
                out += _block_trace(sub, y)
            y = apply_node(sub, y)
            out.append((f"{node.name}.{path}[{k}]", sub, y))
    return out
