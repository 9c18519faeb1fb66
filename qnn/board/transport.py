"""Byte transports to a board: a serial port (pyserial) or the Verilator model of the board top.

Both offer ``write(bytes)``, ``read(n) -> bytes`` (fewer on timeout), ``drain()`` (discard whatever
arrives until the line is quiet) and ``close()``.  ``open_transport("sim", ...)`` starts the simulated
board (``sim/board``); any other port name is opened with pyserial at the build's baud rate.
"""
from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

from qnn.errors import QnnError


class SerialTransport:
    name = "serial"

    def __init__(self, port: str, baud: int, timeout: float) -> None:
        try:
            import serial
        except ImportError:
            raise QnnError("pyserial is not installed: pip install pyserial") from None
        try:
            self.port = serial.Serial(port, baud, timeout=timeout)
        except (serial.SerialException, OSError) as e:
            raise QnnError(f"cannot open {port}: {e}") from None
        self.port.reset_input_buffer()

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def read(self, n: int) -> bytes:
        return self.port.read(n)

    def drain(self, quiet_s: float = 0.1) -> int:
        n, t_end = 0, time.monotonic() + 5.0
        old = self.port.timeout
        self.port.timeout = quiet_s
        while time.monotonic() < t_end:
            b = self.port.read(4096)
            if not b:
                break
            n += len(b)
        self.port.timeout = old
        self.port.reset_input_buffer()
        return n

    def close(self) -> dict:
        self.port.close()
        return {}


class SimTransport:
    """The board's Verilator model as a subprocess: stdin is the board's RX line, stdout its TX line."""

    name = "sim"

    def __init__(self, exe: Path, timeout: float, log: Path) -> None:
        self.timeout = timeout
        self.log = Path(log)
        self._err = self.log.open("w")
        self.proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err,
                                     bufsize=0)
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise QnnError(f"the simulated board exited (exit {self.proc.poll()}); see {self.log}") from None

    def _fill(self, deadline: float) -> bool:
        fd = self.proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read(self, n: int) -> bytes:
        deadline = time.monotonic() + self.timeout
        while len(self.buf) < n and self._fill(deadline):
            pass
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def drain(self, quiet_s: float = 0.2) -> int:
        n = len(self.buf)
        self.buf.clear()
        while self._fill(time.monotonic() + quiet_s):
            n += len(self.buf)
            self.buf.clear()
        return n

    def close(self) -> dict:
        """Stop the simulation; per reply, the cycles from the last request byte to its first byte (``replies``)."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()
        replies, cycles = [], None
        for line in self.log.read_text().splitlines():
            parts = line.split()
            if parts[:1] == ["reply"]:
                replies.append(int(parts[1]) - int(parts[2]))
            elif parts[:1] == ["cycles"]:
                cycles = int(parts[1])
        return {"replies": replies, "cycles": cycles}
