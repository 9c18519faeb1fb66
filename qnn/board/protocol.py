"""The shell's framed byte protocol (``hls/rtl/board/qnn_board_shell.v``, docs/board.md).

Request 0xA5 CMD LEN_LO LEN_HI payload SUM, reply 0x5A STATUS LEN_LO LEN_HI payload SUM; SUM is the sum
modulo 256 of every byte after the start byte.  Input words travel as IN_WB bytes each, least significant
byte first, elements packed as the stream carries them (``hls.rtlgen.encoding``).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from hls.board.top import Geometry
from hls.rtlgen.encoding import Encoding

SOF_REQ, SOF_REP = 0xA5, 0x5A
VERSION = 1


class Cmd(IntEnum):
    INFER = 0x01
    ARGMAX = 0x02
    INFO = 0x03
    LOAD = 0x04  # weight load (designs with SPRAM weights): the 16-bit load words, little-endian


class Status(IntEnum):
    OK = 0
    CHECKSUM = 1
    LENGTH = 2
    TIMEOUT = 3
    COMMAND = 4
    OVERRUN = 5
    NOT_LOADED = 6


STATUS_TEXT = {Status.OK: "ok", Status.CHECKSUM: "checksum error", Status.LENGTH: "wrong length",
               Status.TIMEOUT: "timeout (bytes lost mid-frame)", Status.COMMAND: "unknown command",
               Status.OVERRUN: "input overrun", Status.NOT_LOADED: "weights not loaded"}


class ProtocolError(Exception):
    """No valid reply: ``kind`` is 'timeout' (nothing or too little came back) or 'corrupt' (bad reply sum)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(cmd: int, payload: bytes = b"") -> bytes:
    body = bytes([cmd & 0xFF, len(payload) & 0xFF, len(payload) >> 8]) + payload
    return bytes([SOF_REQ]) + body + bytes([checksum(body)])


@dataclass
class Reply:
    status: int
    payload: bytes

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def text(self) -> str:
        try:
            return STATUS_TEXT[Status(self.status)]
        except ValueError:
            return f"status {self.status}"


def read_reply(read, max_skip: int = 1 << 16) -> Reply:
    """One reply from ``read(n) -> bytes`` (fewer bytes on timeout); bytes before the start byte are skipped."""
    skipped = 0
    while True:
        b = read(1)
        if not b:
            raise ProtocolError("timeout", "no reply" if not skipped else f"no reply ({skipped} stray bytes)")
        if b[0] == SOF_REP:
            break
        skipped += 1
        if skipped > max_skip:
            raise ProtocolError("corrupt", f"{skipped} bytes without a reply start byte")
    head = read(3)
    if len(head) < 3:
        raise ProtocolError("timeout", "reply header cut short")
    n = head[1] | head[2] << 8
    rest = read(n + 1)
    if len(rest) < n + 1:
        raise ProtocolError("timeout", f"reply cut short ({len(rest)} of {n + 1} bytes after the header)")
    if checksum(head + rest[:n]) != rest[n]:
        raise ProtocolError("corrupt", "reply checksum mismatch")
    return Reply(head[0], rest[:n])


def load_payload(words_hex: str) -> bytes:
    """The load frame's payload from ``weight_load.hex`` (one 16-bit word a line): the words, little-endian."""
    return b"".join(int(w, 16).to_bytes(2, "little") for w in words_hex.split())


def pack_vector(values: np.ndarray, geo: Geometry, enc: Encoding) -> bytes:
    """One vector (its integer elements, channels-last) -> the request payload."""
    u = enc.encode(np.asarray(values).reshape(-1))
    per = len(u) // geo.in_words
    if per * geo.in_words != len(u):
        raise ValueError(f"{len(u)} elements do not fill {geo.in_words} words")
    u = u.reshape(geo.in_words, per)
    if geo.in_w <= 63:
        words = (u << (np.arange(per, dtype=np.int64) * enc.bits)).sum(axis=1)
        return b"".join(int(w).to_bytes(geo.in_wb, "little") for w in words)
    out = []
    for row in u.tolist():
        w = 0
        for k, v in enumerate(row):
            w |= v << (k * enc.bits)
        out.append(w.to_bytes(geo.in_wb, "little"))
    return b"".join(out)


def unpack_outputs(payload: bytes, geo: Geometry, enc: Encoding) -> np.ndarray:
    """The reply payload of an infer command -> the output elements (decoded integers)."""
    if len(payload) != geo.out_words * geo.out_wb:
        raise ProtocolError("corrupt", f"reply has {len(payload)} bytes, {geo.out_words * geo.out_wb} expected")
    mask = (1 << geo.out_ew) - 1
    vals = []
    for i in range(geo.out_words):
        w = int.from_bytes(payload[i * geo.out_wb:(i + 1) * geo.out_wb], "little")
        vals.extend((w >> (k * geo.out_ew)) & mask for k in range(geo.out_n))
    return enc.decode(np.asarray(vals, dtype=np.int64))


@dataclass
class Info:
    version: int
    in_words: int
    in_wb: int
    out_words: int
    out_wb: int
    design_id: str


def parse_info(payload: bytes) -> Info:
    if len(payload) != 11:
        raise ProtocolError("corrupt", f"info reply has {len(payload)} bytes, 11 expected")
    p = payload
    return Info(p[0], p[1] | p[2] << 8, p[3], p[4] | p[5] << 8, p[6], f"{int.from_bytes(p[7:11], 'little'):08x}")
