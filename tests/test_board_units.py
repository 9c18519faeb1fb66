"""Board build pieces without a simulator: PLL dividers (against icepll / ecppll), UART divisors, the
protocol's framing and packing, the generated board top and pin constraints, CLI errors."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from hls.board.boards import BOARDS, board_named
from hls.board.pll import baud_divisor, choose_clock, ecp5_pll, ice40_pll
from hls.board.top import Geometry, constraints, write_board_top
from hls.rtlgen.encoding import Encoding
from qnn.board.protocol import (
    SOF_REP,
    Cmd,
    ProtocolError,
    checksum,
    frame,
    pack_vector,
    parse_info,
    read_reply,
    unpack_outputs,
)
from qnn.cli import main
from qnn.errors import QnnError


@pytest.mark.parametrize("f", [16, 20, 24, 30, 36, 48, 50.25, 100])
def test_ice40_pll_matches_icepll(f):
    pll = ice40_pll(12.0, f)
    if shutil.which("icepll") is None:
        pytest.skip("icepll (fpga-icestorm) not installed")
    out = subprocess.run(["icepll", "-i", "12", "-o", str(f)], capture_output=True, text=True).stdout
    got = {}
    for ln in out.splitlines():
        key, _, rest = ln.partition(":")
        if key.strip() in ("DIVR", "DIVF", "DIVQ", "FILTER_RANGE"):
            got[key.strip()] = int(rest.split()[0])
    assert got == {k: pll.params[k] for k in got} and len(got) == 4
    assert f"{pll.f_out:.3f} MHz (achieved)" in out


# (f_out asked) -> (CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE, achieved) as yowasp-ecppll -i 25 -o F writes them
ECPPLL = {50: (1, 2, 12, 5, 50.0), 40: (5, 8, 15, 7, 40.0), 30: (5, 6, 20, 9, 30.0), 60: (5, 12, 10, 4, 60.0),
          25: (1, 1, 24, 11, 25.0), 75: (1, 3, 8, 4, 75.0), 100: (1, 4, 6, 2, 100.0), 48: (8, 15, 13, 6, 46.875)}


@pytest.mark.parametrize("f", sorted(ECPPLL))
def test_ecp5_pll_matches_ecppll(f):
    pll = ecp5_pll(25.0, f)
    p = pll.params
    assert (p["CLKI_DIV"], p["CLKFB_DIV"], p["CLKOP_DIV"], p["CLKOP_CPHASE"]) == ECPPLL[f][:4]
    assert pll.f_out == pytest.approx(ECPPLL[f][4], abs=1e-4)


def test_choose_clock_respects_fmax_and_baud():
    pll = choose_clock("ice40", 12.0, 31.6, 3_000_000)
    cpb, err = baud_divisor(pll.f_out, 3_000_000)
    assert pll.f_out <= 31.6 and err <= 0.015 and cpb >= 8
    assert choose_clock("ice40", 12.0, 30.0, 115200).f_out == 30.0
    with pytest.raises(QnnError, match="below"):
        choose_clock("ice40", 12.0, 12.0, 115200)


def test_frame_and_reply_round_trip():
    f = frame(Cmd.INFER, bytes([1, 2, 250]))
    assert f[0] == 0xA5 and f[1:4] == bytes([1, 3, 0]) and f[-1] == checksum(f[1:-1])
    body = bytes([0, 2, 0, 7, 1])
    data = b"\x00\xff" + bytes([SOF_REP]) + body + bytes([checksum(body)])
    pos = [0]

    def read(n):
        out = data[pos[0]:pos[0] + n]
        pos[0] += n
        return out

    rep = read_reply(read)
    assert rep.ok and rep.payload == bytes([7, 1])
    pos[0] = 0
    data = bytes([SOF_REP]) + body + bytes([checksum(body) ^ 1])
    with pytest.raises(ProtocolError, match="checksum"):
        read_reply(read)
    with pytest.raises(ProtocolError) as e:
        read_reply(lambda n: b"")
    assert e.value.kind == "timeout"


def test_read_reply_takes_exactly_one_reply_and_counts_stray_bytes():
    """Stray bytes before a reply's start byte are skipped (the line may carry noise after a reset), the reply is
    read to its checksum and not a byte further; stray bytes with no reply, or too many, are named."""
    body = bytes([0, 2, 0, 7, 1])
    reply = bytes([SOF_REP]) + body + bytes([checksum(body)])
    data = b"\x00\xff\x13" + reply + reply
    pos = [0]

    def read(n):
        out = data[pos[0]:pos[0] + n]
        pos[0] += n
        return out

    assert read_reply(read).payload == bytes([7, 1]) and pos[0] == 3 + len(reply)  # nothing of the next one
    assert read_reply(read).payload == bytes([7, 1]) and pos[0] == len(data)
    data, pos[0] = b"\x00\xff\x13", 0
    with pytest.raises(ProtocolError, match=r"no reply \(3 stray bytes\)") as e:
        read_reply(read)
    assert e.value.kind == "timeout"
    data, pos[0] = bytes(20) + reply, 0
    with pytest.raises(ProtocolError, match="11 bytes without a reply start byte") as e:
        read_reply(read, max_skip=10)
    assert e.value.kind == "corrupt"


def test_pack_and_unpack():
    geo = Geometry(in_w=12, in_words=2, out_w=10, out_words=2, out_n=2, out_ew=5, out_signed=True)
    p = pack_vector(np.array([1, 2, 3, 4, 5, 6]), geo, Encoding(4, 0))
    assert p == bytes([0x21, 0x03, 0x54, 0x06])
    vals = np.array([-16, 15, -1, 3])
    u = Encoding(5, 1).encode(vals)
    w0, w1 = int(u[0] | u[1] << 5), int(u[2] | u[3] << 5)
    out = unpack_outputs(w0.to_bytes(2, "little") + w1.to_bytes(2, "little"), geo, Encoding(5, 1))
    assert np.array_equal(out, vals)
    info = parse_info(bytes([1, 49, 0, 16, 10, 0, 1, 0x78, 0x56, 0x34, 0x12]))
    assert (info.in_words, info.in_wb, info.out_words, info.design_id) == (49, 16, 10, "12345678")


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_top_and_constraints(name):
    b = board_named(name)
    geo = Geometry(in_w=128, in_words=49, out_w=7, out_words=10, out_n=1, out_ew=7, out_signed=True)
    pll = ice40_pll(12.0, 30.0) if b.family == "ice40" else ecp5_pll(25.0, 50.0)
    cpb, _ = baud_divisor(pll.f_out, 115200)
    v = write_board_top(b, geo, pll, cpb, 600000, 0xDEADBEEF, 115200)
    assert ("SB_PLL40_PAD" if b.family == "ice40" else "EHXPLLL") in v
    assert ".IN_W(128)" in v and ".OUT_SIGNED(1)" in v and "32'hdeadbeef" in v and f"parameter CPB = {cpb}," in v
    fname, text = constraints(b)
    if b.family == "ice40":
        assert fname == "board.pcf"
        for line in ("set_io -nowarn CLK 35", "set_io -nowarn RX 6", "set_io -nowarn TX 9", "LEDR_N 11", "LEDG_N 37"):
            assert line in text
    else:
        assert fname == "board.lpf"
        for line in ('LOCATE COMP "clk_25mhz" SITE "G2";', 'LOCATE COMP "ftdi_txd" SITE "M1";',
                     'LOCATE COMP "ftdi_rxd" SITE "L4";', 'LOCATE COMP "led[0]" SITE "B2";',
                     'LOCATE COMP "led[7]" SITE "H3";', 'FREQUENCY PORT "clk_25mhz" 25 MHZ;'):
            assert line in text


def test_cli_errors(tmp_path, capsys):
    assert main(["board", str(tmp_path / "nope"), "--board", "icebreaker"]) == 2
    (tmp_path / "r").mkdir()
    assert main(["board-run", str(tmp_path / "r"), "--port", "sim"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 2 and "Traceback" not in err
