"""The resource model and ``--fit``: block-RAM geometry, the target ladder, a fit and a refusal."""
from __future__ import annotations

import pytest
from rtl_helpers import make_graph

from hls.rtlgen.fit import bram_blocks, candidate_targets, fit_target
from hls.rtlgen.layers import MvuLayer, hardware_layers
from hls.synth.devices import Device, device_named
from qnn.errors import QnnError


def test_bram_geometry():
    assert bram_blocks(128, 784, "ecp5") == 8  # 512x36 tiles: 4 wide, 2 deep
    assert bram_blocks(32, 1568, "ice40") == 14  # 256x16: 2 wide, 7 deep
    assert bram_blocks(2, 1024, "ice40") == 1
    assert bram_blocks(57, 32, "ice40") == 0  # small: LUTs / flip-flops
    assert bram_blocks(36, 512, "xilinx") == 0.5  # one RAMB18


def test_device_names():
    assert device_named("ecp5-85k").name == "85k" and device_named("UP5K").name == "up5k"
    with pytest.raises(QnnError, match="unknown device"):
        device_named("ecp5-99k")


def test_fit_picks_fastest_that_fits_or_explains(tmp_path):
    graph, _ = make_graph(tmp_path)
    layers, _, _ = hardware_layers(graph)
    mvus = [ly for ly in layers if isinstance(ly, MvuLayer)]
    ladder = candidate_targets(mvus)
    assert ladder == sorted(ladder) and all(b >= 1.2 * a for a, b in zip(ladder, ladder[1:]))
    big = device_named("85k")
    t, fold, est = fit_target(graph, big)
    assert t in ladder and est.lut <= 0.85 * big.luts and est.bram <= big.brams
    small = Device("small", "ice40", luts=int(est.lut / 4), ffs=100000, brams=30, dsps=0)
    t2, _, est2 = fit_target(graph, small)
    assert t2 > t and est2.lut <= 0.85 * small.luts
    tiny = Device("tiny", "ice40", luts=10, ffs=10, brams=0, dsps=0)
    with pytest.raises(QnnError, match="nothing fits tiny.*largest instance"):
        fit_target(graph, tiny)
