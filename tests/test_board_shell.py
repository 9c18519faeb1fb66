"""The shell alone around a stub network (an echo: each input word comes back as an output word), on the
Verilator board model: two signed elements per word, byte order, argmax over signed values with ties (the
first maximum), the info reply."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from hls.board.boards import board_named
from hls.board.pll import ecp5_pll
from hls.board.top import BOARD_RTL, SHELL_SOURCES, Geometry, write_board_top
from hls.rtlgen.encoding import Encoding
from qnn.board.driver import check_info, exchange
from qnn.board.protocol import Cmd, frame, pack_vector, parse_info, unpack_outputs
from qnn.board.transport import SimTransport
from sim.board.build import build_sim
from sim.tools import available

pytestmark = pytest.mark.skipif(not available("verilator"), reason="Verilator not installed")

ECHO = """`default_nettype none
module qnn_top #(parameter MEM_DIR = "./") (
    input wire clk, input wire rst,
    input wire in_valid, output wire in_ready, input wire [15:0] in_data,
    output wire out_valid, input wire out_ready, output wire [15:0] out_data
);
    reg v;
    reg [15:0] d;
    assign in_ready = !v || out_ready;
    assign out_valid = v;
    assign out_data = d;
    always @(posedge clk) begin
        if (rst) v <= 1'b0;
        else if (in_ready) begin
            v <= in_valid;
            d <= in_data;
        end
    end
endmodule
`default_nettype wire
"""
GEO = Geometry(in_w=16, in_words=5, out_w=16, out_words=5, out_n=2, out_ew=8, out_signed=True)
ENC = Encoding(8, 1)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("shell")
    (d / "qnn_top.v").write_text(ECHO)
    for s in SHELL_SOURCES:
        shutil.copy(BOARD_RTL / s, d / s)
    board = board_named("ulx3s-25f")
    (d / "board_top.v").write_text(write_board_top(board, GEO, ecp5_pll(25.0, 50.0), 434, 10000, 0xC0FFEE11, 115200))
    exe = build_sim(board, d, ["qnn_top.v", *SHELL_SOURCES, "board_top.v"], 4, d / "cache")
    t = SimTransport(exe, timeout=30.0, log=d / "sim.log")
    yield t
    t.close()


def test_info(sim):
    info = parse_info(exchange(sim, frame(Cmd.INFO), 0, "info").payload)
    assert (info.version, info.in_words, info.in_wb, info.out_words, info.out_wb) == (1, 5, 2, 5, 2)
    assert info.design_id == "c0ffee11"
    check_info(sim, GEO, "c0ffee11")


@pytest.mark.parametrize("x", [[3, -7, 120, -128, 5, 120, 0, -1, 7, 9],      # tie: the first 120
                               [-5, -3, -3, -128, -100, -4, -9, -3, -6, -77],  # all negative: the first -3
                               [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],                 # last element of the last word
                               [127, -128, 127, 0, 0, 0, 0, 0, 0, 0]])
def test_echo_and_argmax(sim, x):
    x = np.array(x)
    payload = pack_vector(x, GEO, ENC)
    out = unpack_outputs(exchange(sim, frame(Cmd.INFER, payload), 0, "infer").payload, GEO, ENC)
    assert np.array_equal(out, x)
    rep = exchange(sim, frame(Cmd.ARGMAX, payload), 0, "argmax")
    assert rep.payload[0] | rep.payload[1] << 8 == int(np.argmax(x))
