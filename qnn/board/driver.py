"""Send vectors to a board (or its simulation), read the replies, compare them with the golden model.

``run_vectors`` quantizes nothing itself: it takes the integer inputs ``qnn.golden.execute.quantize_input``
made (exactly what the golden model computes on) and the golden outputs.  Each vector is one request /
reply exchange (stop and wait).  An error reply or a missing / corrupt reply is retried ``retries`` times
after the line has gone quiet; a vector that still fails raises ``QnnError`` naming the problem.  The
comparison is exact: every output element (``mode="outputs"``) or the class index (``mode="argmax"``,
the first maximum on ties, as ``numpy.argmax``).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from hls.board.top import Geometry
from hls.rtlgen.encoding import Encoding
from qnn.board.protocol import (
    Cmd,
    ProtocolError,
    frame,
    load_payload,
    pack_vector,
    parse_info,
    read_reply,
    unpack_outputs,
)
from qnn.errors import QnnError

MODES = ("outputs", "argmax")


@dataclass
class BoardRun:
    transport: str
    mode: str
    vectors: int = 0
    exact: int = 0
    retries: int = 0
    errors: dict = field(default_factory=dict)  # what went wrong before a retry -> count
    mismatches: list = field(default_factory=list)  # first few: vector, expected, got
    wall_s: float = 0.0
    latency_s: list = field(default_factory=list)  # per vector: request written -> reply read
    sim: dict = field(default_factory=dict)  # simulated board: cycles per exchange, modelled board timing
    weight_load: dict = field(default_factory=dict)  # SPRAM designs: the load frame sent first (words, bytes, wall s)

    @property
    def ok(self) -> bool:
        return self.vectors > 0 and self.exact == self.vectors

    @property
    def vectors_per_s(self) -> float:
        return self.vectors / self.wall_s if self.wall_s else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        lat = np.asarray(self.latency_s) if self.latency_s else np.zeros(1)
        d.pop("latency_s")
        d.update(ok=self.ok, vectors_per_s=self.vectors_per_s, latency_ms_mean=float(lat.mean() * 1e3),
                 latency_ms_max=float(lat.max() * 1e3))
        return d


def exchange(t, request: bytes, retries: int, what: str, stats: BoardRun | None = None):
    """Send ``request``, return the ok reply; retry on error replies and lost / corrupt replies."""
    last = ""
    for attempt in range(retries + 1):
        t.write(request)
        try:
            rep = read_reply(t.read)
        except ProtocolError as e:
            last = f"{e.kind}: {e}"
        else:
            if rep.ok:
                return rep
            last = f"board replied '{rep.text}'"
        if stats is not None:
            stats.errors[last] = stats.errors.get(last, 0) + 1
            if attempt < retries:
                stats.retries += 1
        t.drain()
    hint = ("is the bitstream loaded, the port and baud rate right?" if last.startswith("timeout: no reply") else
            "the line corrupts frames: lower the baud rate or check the cable")
    raise QnnError(f"{what}: no valid reply after {retries + 1} tries ({last}); {hint}")


def check_info(t, geo: Geometry, ident: str, retries: int = 2) -> None:
    """The board runs this design: same geometry and design id (else a clear error, nothing compared)."""
    info = parse_info(exchange(t, frame(Cmd.INFO), retries, "info request").payload)
    got = (info.in_words, info.in_wb, info.out_words, info.out_wb)
    want = (geo.in_words, geo.in_wb, geo.out_words, geo.out_wb)
    if got != want or info.design_id != ident:
        raise QnnError(f"the board runs another design (id {info.design_id}, words in/out {got}) than this build "
                       f"(id {ident}, {want}): program the build's bitstream")


def load_weights(t, rtl_dir, geo: Geometry, retries: int = 2) -> float:
    """Send the SPRAM weights (``weight_load.hex`` of the design) in one load frame; returns the seconds it took.
    The board answers inference frames with 'weights not loaded' until this succeeds (once per power-up)."""
    from pathlib import Path

    from hls.rtlgen.top import WEIGHT_LOAD_FILE

    f = Path(rtl_dir) / WEIGHT_LOAD_FILE
    if not f.is_file():
        raise QnnError(f"{f} is missing: the design keeps weights in SPRAM; regenerate it (`qnn board RUN`)")
    payload = load_payload(f.read_text())
    if len(payload) != 2 * geo.wl_words:
        raise QnnError(f"{f} holds {len(payload) // 2} load words, the build expects {geo.wl_words}: rebuild the board")
    port = getattr(t, "port", None)  # a serial port: the reply comes once the whole frame is on the wire
    old = port.timeout if port is not None else None
    if port is not None:
        port.timeout = max(old or 0, 2.0 + 2 * (len(payload) + 6) * 10 / port.baudrate)
    s = time.perf_counter()
    try:
        exchange(t, frame(Cmd.LOAD, payload), retries, "weight load")
    finally:
        if port is not None:
            port.timeout = old
    return time.perf_counter() - s


def run_vectors(t, geo: Geometry, in_enc: Encoding, out_enc: Encoding, q: np.ndarray, expected: np.ndarray,
                mode: str = "outputs", retries: int = 3, keep: int = 10, progress=None) -> BoardRun:
    if mode not in MODES:
        raise QnnError(f"unknown mode {mode!r}: choose {' or '.join(MODES)}")
    res = BoardRun(t.name, mode)
    cmd = Cmd.INFER if mode == "outputs" else Cmd.ARGMAX
    expected = np.asarray(expected).reshape(len(q), -1)
    t0 = time.perf_counter()
    for i, x in enumerate(np.asarray(q)):
        req = frame(cmd, pack_vector(x, geo, in_enc))
        s = time.perf_counter()
        rep = exchange(t, req, retries, f"vector {i}", res)
        res.latency_s.append(time.perf_counter() - s)
        if mode == "outputs":
            got = unpack_outputs(rep.payload, geo, out_enc)
            want = expected[i]
        else:
            if len(rep.payload) != 2:
                raise QnnError(f"vector {i}: argmax reply has {len(rep.payload)} bytes, 2 expected")
            got = np.array([rep.payload[0] | rep.payload[1] << 8])
            want = np.array([int(np.argmax(expected[i]))])
        res.vectors += 1
        if np.array_equal(got, want):
            res.exact += 1
        elif len(res.mismatches) < keep:
            res.mismatches.append({"vector": i, "expected": want.tolist(), "got": got.tolist()})
        if progress is not None:
            progress(i + 1, len(q))
    res.wall_s = round(time.perf_counter() - t0, 3)
    return res


def model_board_timing(replies: list, geo: Geometry, clock_mhz: float, baud: int) -> dict:
    """From the simulated exchanges, the time per vector on the real board: the UART bytes at the real baud
    rate plus the cycles from the end of the last request byte to the first reply bit at the real clock
    (the checksum check and the network's remaining work; the shell samples bytes mid-stop-bit, so a
    network that is already done answers a few cycles early: counted as 0)."""
    if not replies:
        return {}
    compute = np.maximum(np.asarray(replies, dtype=float), 0.0)
    uart_s = (geo.request_bytes + geo.reply_bytes) * 10 / baud
    comp_s = float(np.median(compute)) / (clock_mhz * 1e6) if len(compute) else 0.0
    return {"compute_cycles_median": float(np.median(compute)) if len(compute) else None,
            "compute_us": comp_s * 1e6, "uart_ms_per_vector": uart_s * 1e3,
            "board_vectors_per_s": 1.0 / (uart_s + comp_s), "board_latency_ms": (uart_s + comp_s) * 1e3}
