"""The board shell on Verilator (simulated board, UART pins included): bit-exact vectors through the byte
protocol, error replies for corrupt / short / wrong frames and recovery on the next frame, driver retries."""
from __future__ import annotations

import numpy as np
import pytest
from rtl_helpers import make_run

from hls.board.boards import board_named
from hls.board.build import board_dir, build_board, load_board
from hls.board.top import Geometry
from hls.rtlgen.design import load_design
from qnn.board.driver import exchange, run_vectors
from qnn.board.protocol import SOF_REP, Cmd, Status, frame, pack_vector, read_reply, unpack_outputs
from qnn.board.session import board_run
from qnn.board.transport import SimTransport
from qnn.errors import QnnError
from qnn.golden.execute import quantize_input, run_integer
from sim.board.build import build_sim, sim_cpb
from sim.tools import available

pytestmark = pytest.mark.skipif(not available("verilator"), reason="Verilator not installed")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    run = make_run(tmp_path_factory.mktemp("board"), preset="tfc", hidden=(16, 16))
    info = build_board(run, "icebreaker", pnr=False)
    info = load_board(run, "icebreaker")
    design = load_design(board_dir(run, board_named("icebreaker")) / "rtl")
    geo = Geometry(**info["geometry"])
    exe = build_sim(board_named("icebreaker"), design.rtl_dir, info["sources"], sim_cpb(geo, design.ideal_cycles),
                    board_dir(run, board_named("icebreaker")) / "sim")
    graph = run.graph()
    q = quantize_input(graph, run.dataset("test", limit=24).x)
    expected = np.asarray(run_integer(graph, q)).reshape(len(q), -1)
    return run, info, design, geo, exe, q, expected


@pytest.fixture
def sim(board, tmp_path):
    _, _, _, _, exe, _, _ = board
    t = SimTransport(exe, timeout=30.0, log=tmp_path / "sim.log")
    yield t
    t.close()


def _request(board, i, cmd=Cmd.INFER):
    _, _, design, geo, _, q, _ = board
    return frame(cmd, pack_vector(q[i], geo, design.in_encoding))


def _reply_alone(sim):
    """The next reply, asserting that the board sent nothing before its start byte (read_reply would skip such
    bytes without a word) and that the line stays quiet after it: one reply per frame, nothing more."""
    got = bytearray()

    def read(n):
        b = sim.read(n)
        got.extend(b)
        return b

    rep = read_reply(read)
    assert got[0] == SOF_REP, f"stray bytes before the reply: {bytes(got[:8])!r}"
    assert sim.drain(0.3) == 0, "bytes after the reply"
    return rep


def _outputs(board, rep):
    _, _, design, geo, _, _, _ = board
    return unpack_outputs(rep.payload, geo, design.out_encoding)


def test_vectors_bit_exact_through_the_uart(board):
    run = board[0]
    res, info = board_run(run, "sim", "icebreaker", n=20)
    assert res.vectors == 20 and res.exact == 20 and res.retries == 0
    assert res.sim["cycles"] > 0 and res.sim["board_vectors_per_s"] > 0
    assert (board_dir(run, board_named("icebreaker")) / "run_sim.json").is_file()


def test_argmax_mode(board, sim):
    _, _, design, geo, _, q, expected = board
    res = run_vectors(sim, geo, design.in_encoding, design.out_encoding, q[:8], expected[:8], mode="argmax")
    assert res.exact == 8


def test_corrupt_frame_gets_an_error_and_the_next_frame_is_right(board, sim):
    expected = board[6]
    bad = bytearray(_request(board, 0))
    bad[10] ^= 0x40  # a payload byte flipped on the line: the checksum no longer matches
    sim.write(bytes(bad))
    rep = _reply_alone(sim)
    assert rep.status == Status.CHECKSUM and rep.payload == b""
    sim.write(_request(board, 1))
    rep = _reply_alone(sim)
    assert rep.ok and np.array_equal(_outputs(board, rep), expected[1])


def test_lost_bytes_time_out_and_recover(board, sim):
    expected = board[6]
    req = _request(board, 2)
    sim.write(req[:7] + req[9:])  # two bytes lost mid-frame
    rep = _reply_alone(sim)
    assert rep.status == Status.TIMEOUT
    sim.write(_request(board, 3))
    rep = _reply_alone(sim)
    assert rep.ok and np.array_equal(_outputs(board, rep), expected[3])


def test_wrong_length_and_unknown_command(board, sim):
    expected = board[6]
    sim.write(frame(Cmd.INFER, b"\x01\x02\x03"))
    assert _reply_alone(sim).status == Status.LENGTH
    sim.write(frame(0x7E, b"\x00"))
    assert _reply_alone(sim).status == Status.COMMAND
    sim.write(b"\x13\x37" + _request(board, 4))  # garbage before the start byte: skipped, not answered
    rep = _reply_alone(sim)
    assert rep.ok and np.array_equal(_outputs(board, rep), expected[4])


class _Flaky:
    """A transport that corrupts the first ``bad`` requests it carries."""

    def __init__(self, inner, bad: int) -> None:
        self.inner, self.bad, self.name = inner, bad, "flaky"

    def write(self, data: bytes) -> None:
        if self.bad > 0:
            self.bad -= 1
            data = data[:6] + bytes([data[6] ^ 1]) + data[7:]
        self.inner.write(data)

    def read(self, n):
        return self.inner.read(n)

    def drain(self):
        return self.inner.drain()


def test_driver_retries_and_names_the_problem(board, sim):
    _, _, design, geo, _, q, expected = board
    res = run_vectors(_Flaky(sim, 2), geo, design.in_encoding, design.out_encoding, q[:3], expected[:3], retries=3)
    assert res.exact == 3 and res.retries == 2
    assert res.errors == {"board replied 'checksum error'": 2}
    with pytest.raises(QnnError, match="no valid reply after 2 tries.*checksum error"):
        exchange(_Flaky(sim, 5), _request(board, 0), 1, "vector 0")


def test_png_input(board, tmp_path):
    from PIL import Image

    run = board[0]
    x = run.dataset("test", limit=1).x[0].reshape(28, 28)
    Image.fromarray((x * 255).round().astype(np.uint8)).save(tmp_path / "digit.png")
    res, _ = board_run(run, "sim", "icebreaker", file=tmp_path / "digit.png")
    assert res.vectors == 1 and res.exact == 1
