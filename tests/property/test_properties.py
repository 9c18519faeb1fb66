"""Property suite (Hypothesis): random MLPs and CNNs over the configuration space; see checks.py for the properties.

Fast: ``FAST_MLPS + FAST_CNNS + FAST_DSCNNS`` generated networks (derandomized, so every run checks the same ones), all fast
properties on each. Marker ``slow``: 600 more, CNNs with up to three conv blocks.
Hardware (hls4ml C simulation, RTL) on a sample: test_hardware.py.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from checks import Net, all_fast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netgen import conv_nets, ds_nets, mlp_nets

FAST_MLPS, FAST_CNNS, FAST_DSCNNS = 110, 100, 30
FAST = dict(deadline=None, derandomize=True, database=None, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(cfg):
    with tempfile.TemporaryDirectory(prefix="qnn-prop-") as d:
        all_fast(Net(cfg, Path(d)), Path(d))


@settings(max_examples=FAST_MLPS, **FAST)
@given(cfg=mlp_nets())
def test_mlp_properties(cfg):
    _check(cfg)


@settings(max_examples=FAST_CNNS, **FAST)
@given(cfg=conv_nets())
def test_cnn_properties(cfg):
    _check(cfg)


@settings(max_examples=FAST_DSCNNS, **FAST)
@given(cfg=ds_nets())
def test_dscnn_properties(cfg):
    _check(cfg)


@pytest.mark.slow
@settings(max_examples=600, **FAST)
@given(cfg=st.one_of(mlp_nets(), conv_nets(max_convs=3), ds_nets(max_blocks=3)))
def test_more_networks_properties(cfg):
    _check(cfg)
