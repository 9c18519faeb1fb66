"""Depthwise-separable networks in RTL: DepthwiseConv2d -> qnn_swu (DW=1) + qnn_vvau, SumPool -> qnn_sumpool, through
the whole-network harness against the golden model, with random input gaps and output backpressure.

Fast: folding of depthwise layers (cycles, SIMD, errors), the resource estimate, a hand-built IR graph (depthwise
with padding and stride, a windowed sum pool of signed values, SIMD > 1 through the width converter, a bipolar
stream) and a tiny Brevitas DS-CNN on Icarus.  Marker ``rtl``: the DS-CNN shape of ``--model kws-dscnn`` (49x10 MFCC,
conv 10x4/2, depthwise-separable blocks, global average pool, dense) on Verilator, cycles per inference at the ideal.
"""
from __future__ import annotations

import numpy as np
import pytest
from rtl_helpers import make_graph, random_inputs

from hls.rtlgen import generate_rtl
from hls.rtlgen.depthwise import DwLayer, SumPoolLayer
from hls.rtlgen.fit import estimate
from hls.rtlgen.folding import Fold, choose_folding, layer_cycles
from hls.rtlgen.generate import build_stages
from hls.rtlgen.layers import MvuLayer, hardware_layers
from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.qtype import QType
from sim.network import simulate
from sim.tools import available

needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not available("verilator"), reason="verilator not installed")


def _thresholds(acc: np.ndarray, levels: int) -> np.ndarray:
    """Per-channel thresholds at the quantiles of sample accumulators [..., C]: every level is used."""
    a = acc.reshape(-1, acc.shape[-1])
    qs = np.quantile(a, np.arange(1, levels) / levels, axis=0).T  # [C, levels-1]
    return np.maximum.accumulate(np.round(qs).astype(np.int64) + 1, axis=1)


def hand_graph(seed: int = 0, bipolar: bool = False) -> IntGraph:
    """Quantize -> depthwise 3x3 (pad 1) -> thresholds (signed 3-bit, or bipolar) -> 2x2 sum pool -> thresholds ->
    depthwise 2x2 stride 2 -> thresholds -> flatten -> dense -> dequant, on a 4-channel 8x6 image; thresholds at
    the quantiles of random inputs' accumulators, so that every layer matters for the output."""
    from qnn.golden.execute import apply_node

    rng = np.random.default_rng(seed)
    c, u2, w3 = 4, QType(2, False), QType(3, True)
    x = rng.integers(0, 16, size=(64, 8, 6, c))

    def thresh(name, node, levels, out_type):
        nonlocal x
        x = apply_node(node, x)
        mt = N.MultiThreshold(name, thresholds=_thresholds(x, levels), in_type=node.out_type, out_type=out_type)
        x = apply_node(mt, x)
        return mt

    dw1 = N.DepthwiseConv2d("dw1", weight=rng.integers(-4, 4, size=(c, 3, 3)), bias=rng.integers(-20, 20, size=c),
                            in_type=QType(4, False), weight_type=w3, stride=(1, 1), pad=(1, 1, 1, 1))
    t1 = QType.bipolar_type() if bipolar else QType(3, True)
    mt1 = thresh("mt1", dw1, 2 if bipolar else 8, t1)
    sp = N.SumPool("sp", kernel=(2, 2), stride=(2, 2), in_type=t1)
    mt2 = thresh("mt2", sp, 4, u2)
    dw2 = N.DepthwiseConv2d("dw2", weight=rng.integers(-4, 4, size=(c, 2, 2)), bias=rng.integers(-5, 5, size=c),
                            in_type=u2, weight_type=w3, stride=(2, 2), pad=(0, 0, 1, 1))
    mt3 = thresh("mt3", dw2, 4, u2)
    dense = N.Dense("fc", weight=rng.integers(-4, 4, size=(5, 2 * 2 * c)), bias=rng.integers(-9, 9, size=5),
                    in_type=u2, weight_type=w3)
    q = N.Quantize("q", scale=np.float32(1 / 16), zero_point=np.float32(0), quant_type=QType(4, False))
    nodes = (q, dw1, mt1, sp, mt2, dw2, mt3, N.Flatten("flat"), dense, N.Dequant("deq", scale=np.float32(0.25)))
    return IntGraph(nodes, (c, 8, 6), "NCHW")


def _exact_at_ideal(res, tol: float = 0.05) -> None:
    assert res.exact == res.vectors, res.first_mismatch()
    assert res.throughput_exact == res.throughput_vectors
    assert abs(res.cycles_per_inference - res.ideal_cycles) <= tol * res.ideal_cycles, \
        (res.cycles_per_inference, res.ideal_cycles)


# ---- mapping and folding -------------------------------------------------------------------------
def test_layers_and_folding():
    g = hand_graph()
    layers, _, _ = hardware_layers(g)
    kinds = [type(ly).__name__ for ly in layers]
    assert kinds == ["DwLayer", "SumPoolLayer", "RequantLayer", "DwLayer", "MvuLayer"]
    dw1 = layers[0]
    assert dw1.requant.name == "mt1" and dw1.vectors == 48 and dw1.n_in == 9 and dw1.n_out == 4
    # the window unit sends one word of PE channels per cycle: SIMD does not make a depthwise layer faster
    assert layer_cycles(dw1, Fold(2, 1)) == layer_cycles(dw1, Fold(2, 3)) == 48 * 2 * 9
    mvus = [ly for ly in layers if isinstance(ly, (MvuLayer, DwLayer))]
    f = choose_folding(mvus, target_cycles=48 * 9)
    assert f["dw1"] == Fold(4, 1)  # the cheapest fold meeting the target: all channels, one tap per cycle
    with pytest.raises(QnnError, match="PE=3 must divide its 4"):
        choose_folding(mvus, given={"dw1": Fold(3, 1)})
    with pytest.raises(QnnError, match="SIMD=2 must divide 9"):
        choose_folding(mvus, given={"dw1": Fold(1, 2)})
    sp = layers[1]
    assert isinstance(sp, SumPoolLayer) and sp.kernel == (2, 2) and sp.ifm == (8, 6, 4)


def test_overlapping_sum_pool_is_refused():
    g = hand_graph()
    nodes = [n.with_(stride=(1, 1)) if n.name == "sp" else n for n in g.nodes]
    with pytest.raises(UnsupportedOp, match="sp: SumPool with kernel"):
        hardware_layers(g.with_nodes(nodes))


def test_resource_estimate_counts_the_new_cores(tmp_path):
    g = hand_graph()
    layers, in_type, _ = hardware_layers(g)
    mvus = [ly for ly in layers if isinstance(ly, (MvuLayer, DwLayer))]
    stages = build_stages(layers, in_type, choose_folding(mvus, 200), tmp_path)
    mods = [s.module for s in stages]
    assert mods.count("qnn_vvau") == 2 and mods.count("qnn_sumpool") == 1
    est = estimate(stages, "ecp5")
    vv = [est.per_stage[s.name] for s in stages if s.module == "qnn_vvau"]
    assert all(lut > 0 and ff > 0 for lut, ff, _ in vv)


# ---- networks in simulation ----------------------------------------------------------------------
@needs_icarus
@pytest.mark.parametrize("bipolar,folding", [(False, None), (False, {"dw1": Fold(2, 3), "dw2": Fold(1, 4)}),
                                             (True, {"dw1": Fold(4, 1)})], ids=["auto", "simd", "bipolar"])
def test_hand_graph_icarus_bit_exact(tmp_path, bipolar, folding):
    g = hand_graph(seed=1, bipolar=bipolar)
    d = generate_rtl(g, tmp_path / "rtl", folding=folding, target_cycles=200)
    mods = [s["module"] for s in d.stages]
    assert "qnn_vvau" in mods and "qnn_sumpool" in mods
    if folding and folding["dw1"].simd > 1:
        assert any(s["module"] == "qnn_width_conv" and s["layer"] == "dw1" for s in d.stages)
    res = simulate(tmp_path / "rtl", g, random_inputs(g, 6), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=6, gap=0.3, backpressure=0.4)
    _exact_at_ideal(res, tol=0.1)


@needs_icarus
def test_probe_names_a_corrupted_depthwise_weight(tmp_path):
    """Negated depthwise weights fail the check, and the layer probe names the depthwise layer."""
    g = hand_graph(seed=2)
    generate_rtl(g, tmp_path / "rtl", folding={"dw1": Fold(4, 1)}, target_cycles=200)
    rom = tmp_path / "rtl" / "dw1_weights.mem"
    lines = rom.read_text().split()  # 9 words of 4 channels x 3 bits: every weight's bits inverted (w -> -w - 1)
    rom.write_text("\n".join(f"{int(v, 16) ^ 0xfff:03x}" for v in lines) + "\n")
    res = simulate(tmp_path / "rtl", g, random_inputs(g, 4), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=2)
    assert not res.ok and res.exact < res.vectors
    assert res.probe["layer"] == "dw1" and "pixel" in res.probe["position"]  # every earlier layer agrees
    assert [r["layer"] for r in res.layers if r["first"] is not None][0] == "dw1"


@needs_icarus
def test_tiny_dscnn_icarus_bit_exact(tmp_path):
    """A Brevitas DS-CNN (conv 10x4/2 'same', one depthwise-separable block, global average pool, dense)."""
    graph, _ = make_graph(tmp_path, preset="kws-dscnn", w=4, a=4, hidden=(), channels=(4, 4), in_shape=(1, 12, 6))
    kinds = [n.kind for n in graph.body]
    assert "DepthwiseConv2d" in kinds and "SumPool" in kinds
    generate_rtl(graph, tmp_path / "rtl", target_cycles=300)
    res = simulate(tmp_path / "rtl", graph, random_inputs(graph, 6), simulator="icarus", work_dir=tmp_path / "sim",
                   throughput_vectors=6)
    _exact_at_ideal(res)


@pytest.mark.rtl
@needs_verilator
@pytest.mark.parametrize("target", [3000, 12000])
def test_dscnn_kws_shape_verilator(tmp_path, target):
    """The kws-dscnn shape (49x10 input, 10x4/2 conv, two blocks) at two foldings, bit-exact and at the ideal."""
    graph, _ = make_graph(tmp_path, preset="kws-dscnn", w=4, a=4, hidden=(), channels=(16, 16, 16),
                          in_shape=(1, 49, 10))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=target)
    res = simulate(tmp_path / "rtl", graph, random_inputs(graph, 40), simulator="verilator",
                   work_dir=tmp_path / "sim", throughput_vectors=12)
    assert d.ideal_cycles <= max(target, 125 * 40)  # the first conv (one input channel) is at least 5000 cycles
    _exact_at_ideal(res)
