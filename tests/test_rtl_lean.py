"""The lean RTL variant (iCE40 fits and boards): the MVU without its second operand register and the thresholds
with a one-register ROM read, as parameters of the generated top, bit-exact in simulation like the full variant."""
from __future__ import annotations

import re

import pytest
from rtl_helpers import make_graph, random_inputs

from hls.rtlgen import generate_rtl
from sim.tools import available


def _params(top: str, module: str) -> list[str]:
    return re.findall(rf"{module} #\((.*?)\) u_", top, re.S)


def test_lean_sets_the_two_parameters_and_default_keeps_them(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(16, 16))
    generate_rtl(graph, tmp_path / "full", target_cycles=64)
    generate_rtl(graph, tmp_path / "lean", target_cycles=64, lean=True)
    full, lean = ((tmp_path / d / "qnn_top.v").read_text() for d in ("full", "lean"))
    assert _params(lean, "qnn_mvu") and all(".OPERAND_REG(0)" in p for p in _params(lean, "qnn_mvu"))
    assert _params(lean, "qnn_thresh") and all(".TROM_LAT(1)" in p for p in _params(lean, "qnn_thresh"))
    assert "OPERAND_REG" not in full and "TROM_LAT" not in full  # the cores' defaults: the ECP5-speed variant


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_lean_cnn_is_bit_exact_on_icarus(tmp_path):
    from sim.network import simulate

    graph, _ = make_graph(tmp_path, preset="cnn", w=4, a=4, hidden=(8,), channels=(2, 4), in_shape=(1, 8, 8))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=150, lean=True)
    res = simulate(tmp_path / "rtl", graph, random_inputs(graph, 5, seed=3), simulator="icarus",
                   work_dir=tmp_path / "sim", throughput_vectors=5)
    assert res.ok and res.exact == res.vectors == 5
