"""Property suite, hardware (markers ``hls`` and ``rtl``): a sample of the generated networks through hls4ml's C
simulation and through RTL simulation, each == golden as integers on random vectors over the input type's range.

The RTL generator takes max-pools with kernel == stride only, so its sample is drawn from those networks."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from checks import COUNTS, Net
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from netgen import conv_nets, ds_nets, mlp_nets

HW = dict(deadline=None, derandomize=True, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
NETS = st.one_of(mlp_nets(), conv_nets())


def _net(cfg, d) -> Net:
    net = Net(cfg, Path(d), n_inputs=4)
    assume(net.graph is not None)
    return net


@pytest.mark.hls
@settings(max_examples=8, **HW)
@given(cfg=NETS)
def test_hls_csim_equals_golden(cfg):
    from hls.hls4ml.flow import build_project, random_vectors
    from hls.hls4ml.options import HlsOptions

    with tempfile.TemporaryDirectory(prefix="qnn-prop-hls-") as d:
        net = _net(cfg, d)
        q = random_vectors(net.graph, 64, seed=cfg.seed)
        io = "io_stream" if cfg.convs and cfg.seed % 2 else "io_parallel"
        res = build_project(net.graph, HlsOptions(io_type=io), Path(d) / "prj", q)
        assert res.csim.vectors == len(q)
        assert res.csim.bit_exact, res.csim.first_mismatch.describe()
        COUNTS["hls_csim"] += 1


@pytest.mark.rtl
@settings(max_examples=8, **HW)
@given(cfg=NETS.filter(lambda c: c.pool_kernels_equal_strides))
def test_rtl_equals_golden(cfg):
    from hls.hls4ml.flow import random_vectors
    from hls.rtlgen import generate_rtl
    from sim.network import simulate
    from sim.tools import available

    sim = "verilator" if available("verilator") else "icarus"
    with tempfile.TemporaryDirectory(prefix="qnn-prop-rtl-") as d:
        net = _net(cfg, d)
        q = random_vectors(net.graph, 32, seed=cfg.seed)
        generate_rtl(net.graph, Path(d) / "rtl", target_cycles=64)
        res = simulate(Path(d) / "rtl", net.graph, q, simulator=sim, work_dir=Path(d) / "sim", throughput_vectors=4)
        assert res.vectors == len(q) and res.mismatched == 0 and res.exact == len(q), res.first_mismatch()
        COUNTS["rtl"] += 1


@pytest.mark.hls
@settings(max_examples=4, **HW)
@given(cfg=ds_nets().filter(lambda c: c.avg_pool in ("global", (2, 2))))  # io_stream: stride == kernel
def test_hls_csim_dscnn_equals_golden(cfg):
    from hls.hls4ml.flow import build_project, random_vectors
    from hls.hls4ml.options import HlsOptions

    with tempfile.TemporaryDirectory(prefix="qnn-prop-hls-") as d:
        net = _net(cfg, d)
        q = random_vectors(net.graph, 64, seed=cfg.seed)
        io = "io_stream" if cfg.seed % 2 else "io_parallel"
        res = build_project(net.graph, HlsOptions(io_type=io), Path(d) / "prj", q)
        assert res.csim.vectors == len(q) and res.csim.bit_exact, res.csim.first_mismatch.describe()
        COUNTS["hls_csim_dscnn"] += 1
