"""The ``hls`` step: run -> hls4ml project under ``RUN/hls/``, C-simulated and compared with the golden model.

``build_project`` works on a graph and a folder (what tests and benchmarks use); ``hls_step`` adds the run: its
IR, its test vectors, an atomic ``hls/`` folder (a failed build leaves the previous one), ``hls/csim.json`` and
an ``hls`` entry in the run's metrics, and the optional vendor synthesis.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hls.hls4ml import csim, project
from hls.hls4ml.convert import hw_input_shape
from hls.hls4ml.model import build_model
from hls.hls4ml.options import HlsOptions
from hls.hls4ml.synth import find_tool, synthesis_skip_reason, synthesize
from qnn.errors import QnnError
from qnn.golden import run_integer
from qnn.ir.graph import IntGraph
from qnn.run import Run

TB_VECTORS = 1000  # vectors written into the project's own testbench data


@dataclass
class HlsResult:
    project: Path
    options: HlsOptions
    csim: csim.CsimResult
    trace_mismatch: csim.Mismatch | None = None
    traced_layers: list[str] = field(default_factory=list)
    vector_source: str = ""
    synth: dict | None = None
    synth_skipped: str | None = None

    def to_dict(self) -> dict:
        return {"project": str(self.project), "options": self.options.to_dict(), "vector_source": self.vector_source,
                "csim": self.csim.to_dict(), "traced_layers": self.traced_layers,
                "trace_mismatch": None if self.trace_mismatch is None else self.trace_mismatch.__dict__,
                "synth": self.synth, "synth_skipped": self.synth_skipped}


def random_vectors(graph: IntGraph, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random integer inputs over the input type's whole range, channels-last."""
    t = graph.input_quant.out_type
    shape = hw_input_shape(graph)
    rng = np.random.default_rng(seed)
    if t.bipolar:
        return rng.choice(np.array([-1, 1]), size=(n, *shape))
    return rng.integers(t.min, t.max + 1, size=(n, *shape), dtype=np.int64)


def build_project(graph: IntGraph, options: HlsOptions, out_dir: str | Path, q: np.ndarray, *,
                  trace: bool = False, progress=None, status=None) -> HlsResult:
    """Write, compile and C-simulate the project in ``out_dir`` on integer inputs ``q``; complete its testbench."""
    out_dir = Path(out_dir)
    status = status or (lambda msg: None)
    model, conv = build_model(graph, options, out_dir)
    status(f"compiling the C simulation with g++ ({len(conv.layers) - 1} layers)")
    compile_s = csim.compile_model(model)
    status(f"C simulation of {len(q)} vectors")
    result = HlsResult(out_dir, options, csim.run_csim(model, graph, q, compile_s, progress))
    if trace:
        status("layer-by-layer trace (recompiling with tracing)")
        result.trace_mismatch, result.traced_layers = csim.trace(model, conv, graph, q)
    n_tb = min(len(q), TB_VECTORS)
    # hls4ml rewrites the whole project on every compile: the testbench goes in last
    project.write_vectors(out_dir, q[:n_tb], run_integer(graph, q[:n_tb]))
    project.write_testbench(out_dir, model, conv, options)
    project.write_readme_and_manifest(out_dir, conv, options, n_tb, model)
    (out_dir / "csim.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
    return result


def run_vectors(run: Run, graph: IntGraph, n: int | None, data_dir=None) -> tuple[np.ndarray, str]:
    """The run's test set, quantized (the first ``n`` of a fixed shuffle); random vectors of its input type if it
    has no dataset (``qnn.vectors``, the one source of test vectors)."""
    from qnn.vectors import int_vectors

    return int_vectors(run, graph, n, data_dir)


def hls_step(run: Run | str | Path, options: HlsOptions, *, vectors: int | None = None, trace: bool = False,
             synth: bool = False, data_dir=None, progress=None, status=None) -> HlsResult:
    run = run if isinstance(run, Run) else Run(run)
    graph = run.require_ir().graph()
    options.check()
    if vectors is not None and vectors < 1:
        raise QnnError(f"--vectors must be at least 1, got {vectors}")
    q, source = run_vectors(run, graph, vectors, data_dir)
    with run.step("hls") as tmp:
        result = build_project(graph, options, tmp, q, trace=trace, progress=progress, status=status)
    project.relocate(run.hls_dir, tmp)
    result.project = run.hls_dir
    result.vector_source = source
    if synth:
        result.synth_skipped = synthesis_skip_reason(options)
        if result.synth_skipped is None:
            (status or (lambda m: None))(f"C simulation + C synthesis with {find_tool(options)}")
            result.synth = synthesize(run.hls_dir, options)
    (run.hls_dir / "csim.json").write_text(json.dumps(result.to_dict(), indent=2, default=str))
    summary = {"bit_exact": result.csim.bit_exact, "vectors": result.csim.vectors,
               "exact_vectors": result.csim.exact_vectors, "compile_s": result.csim.compile_s,
               "csim_vectors_per_s": result.csim.csim_vps, "golden_vectors_per_s": result.csim.golden_vps,
               "io_type": options.io_type, "backend": options.backend}
    if result.synth:
        summary["synth"] = result.synth
    run.update_metrics(hls=summary)
    return result
