"""Property suite over Brevitas, hardware sample (markers ``hls`` and ``rtl``): random ``brevitas.nn`` models
(``brevitas_gen``, Brevitas' own quantizers) brought in with ``qnn.from_brevitas``, then hls4ml C simulation and RTL
simulation (Verilator, random gaps and backpressure in the harness) == golden as integers on random vectors of the
input type."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from brevitas_gen import brevitas_nets, build
from checks import COUNTS
from hypothesis import HealthCheck, assume, given, seed, settings

from qnn.errors import QnnError

HW = dict(deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _graph(cfg, d):
    from qnn import from_brevitas

    try:
        module, shape = build(cfg)
    except Exception:  # a combination Brevitas itself cannot build
        assume(False)
    try:
        res = from_brevitas(module, np.zeros(shape, np.float32), Path(d) / "run", vectors=16, check=16)
    except QnnError:
        assume(False)
    return res.run, res.run.graph()


@pytest.mark.hls
@seed(7)
@settings(max_examples=6, **HW)
@given(cfg=brevitas_nets())
def test_brevitas_hls_csim_equals_golden(cfg):
    from hls.hls4ml.flow import build_project
    from hls.hls4ml.options import HlsOptions
    from qnn.vectors import int_vectors

    with tempfile.TemporaryDirectory(prefix="qnn-brev-hls-") as d:
        run, graph = _graph(cfg, d)
        q, _ = int_vectors(run, graph, 256)
        io = "io_stream" if len(cfg.in_shape) == 3 and cfg.seed % 2 else "io_parallel"
        res = build_project(graph, HlsOptions(io_type=io), Path(d) / "prj", q)
        assert res.csim.vectors == len(q)
        assert res.csim.bit_exact, res.csim.first_mismatch.describe()
        COUNTS["brevitas hls_csim"] += 1


@pytest.mark.rtl
@seed(8)
@settings(max_examples=6, **HW)
@given(cfg=brevitas_nets())
def test_brevitas_rtl_equals_golden(cfg):
    from hls.rtlgen import generate_rtl
    from qnn.vectors import int_vectors
    from sim.network import simulate

    with tempfile.TemporaryDirectory(prefix="qnn-brev-rtl-") as d:
        run, graph = _graph(cfg, d)
        q, _ = int_vectors(run, graph, 100)
        generate_rtl(graph, Path(d) / "rtl", target_cycles=64)
        res = simulate(Path(d) / "rtl", graph, q, simulator="verilator", work_dir=Path(d) / "sim", throughput_vectors=4)
        assert res.vectors == len(q) and res.mismatched == 0 and res.exact == len(q), res.first_mismatch()
        COUNTS["brevitas rtl"] += 1
