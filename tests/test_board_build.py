"""Board bitstreams with Yosys + nextpnr (marker ``synth``, run by make test-all): a small MLP on the
iCEBreaker at the PLL clock, timing met, and a clock it cannot meet named in one line."""
from __future__ import annotations

import shutil

import pytest
from rtl_helpers import make_run

from hls.board.build import build_board
from qnn.errors import QnnError

pytestmark = [pytest.mark.synth,
              pytest.mark.skipif(not (shutil.which("yosys") and shutil.which("nextpnr-ice40") and
                                      shutil.which("icepack")), reason="yosys / nextpnr-ice40 / icepack missing")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("bb"), preset="tfc", hidden=(16, 16))


def test_icebreaker_bitstream_meets_timing(run):
    info = build_board(run, "icebreaker", freq_mhz=24.0)
    out = run.path / "board" / "icebreaker"
    assert info["clock_mhz"] == 24.0 and info["timing_met"] and info["fmax_mhz"] >= 24.0
    assert (out / "board.bin").stat().st_size == info["bitstream_bytes"] > 100_000
    assert "set_io -nowarn RX 6" in (out / "board.pcf").read_text()
    assert info["program"].startswith("iceprog ") and info["utilization"]["ICESTORM_PLL"][0] == 1
    assert info["cycles_per_bit"] == 208  # 24 MHz / 115200


def test_unmeetable_clock_is_one_line(run):
    with pytest.raises(QnnError, match=r"timing not met on icebreaker: fmax [\d.]+ MHz < the PLL clock 150 MHz; try --freq"):
        build_board(run, "icebreaker", freq_mhz=150.0)
