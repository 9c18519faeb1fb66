"""The stream testbenches drain the output after the expected words and fail on any word that still comes."""
from __future__ import annotations

from pathlib import Path

import pytest

from sim.tools import available, build_and_test

EXTRA_WORD_V = Path(__file__).parent / "data" / "rtl" / "extra_word.v"


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed (make setup installs it)")
def test_core_testbench_fails_on_a_word_after_the_expected_ones(tmp_path):
    words = [0x11, 0x22, 0x33, 0x44]
    cfg = {"in_words": words, "out_words": words, "gap": 0.3, "backpressure": 0.3, "seed": 1}
    r = build_and_test(simulator="icarus", sources=[EXTRA_WORD_V], toplevel="extra_word", parameters={"N": 4},
                       test_module="sim.tb.tb_core", build_dir=tmp_path / "b", config=cfg)
    assert r["mismatch"] is None  # the expected words all came, in order ...
    assert r["extra_words"] == ["0xee"] and r["ok"] is False  # ... and the one after them is caught
    # a frame of 5 words gets its extra word after the 5th: with 4 expected words, the 5th is the extra one
    r = build_and_test(simulator="icarus", sources=[EXTRA_WORD_V], toplevel="extra_word", parameters={"N": 5},
                       test_module="sim.tb.tb_core", build_dir=tmp_path / "c", config=cfg)
    assert r["ok"] is True and r["extra_words"] == []
