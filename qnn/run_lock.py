"""One writer per run: ``with hold(folder, command): ...`` holds ``folder/.lock`` while a command writes the folder.

The lock is an exclusive ``flock`` on ``.lock``, and the file says who holds it (pid, command, host, since).
A second writer fails at once with ``RunLocked`` naming the holder's pid and command. The kernel drops a
``flock`` when its process ends, however it ends, so the lock of a killed process (``kill -9``) is stale by
construction: the next writer takes it over and rewrites the holder line. On a clean exit (an exception
included) the file is removed. Within one process the lock is re-entrant (``qnn flow`` holds its run while
its report step writes the report), and a process-pool or Ray worker locks only its own point's run.

Readers (``qnn info``, ``qnn report`` reading a sweep's points) take no lock: every artifact is written
atomically, so they see the previous or the new version of a file, never half of one.
"""
from __future__ import annotations

import fcntl
import json
import os
import shlex
import socket
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from qnn.errors import RunLocked

LOCK_NAME = ".lock"
_held: dict[Path, list] = {}  # resolved folder -> [pid, fd, depth]: the locks this process holds


def current_command() -> str:
    """The command line of this process, as a user would type it (``qnn flow runs/x ...``)."""
    argv = list(sys.argv) or ["python"]
    if Path(argv[0]).name in ("qnn", "__main__.py"):
        argv[0] = "qnn"
    return shlex.join(argv)


def holder(folder: str | Path) -> dict | None:
    """What ``folder/.lock`` says about its holder (None: no lock file, or an empty one)."""
    try:
        text = (Path(folder) / LOCK_NAME).read_text()
    except OSError:
        return None
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None


def _describe(h: dict | None, folder: Path) -> str:
    if not h:
        return f"run {folder} is being written by another process (its lock file {folder / LOCK_NAME} is held)"
    where = f" on {h.get('host')}" if h.get("host") != socket.gethostname() else ""
    return (f"run {folder} is being written by pid {h.get('pid')}{where} ({h.get('command')}, since "
            f"{h.get('since')}): wait for it to finish or stop it")


@contextmanager
def hold(folder: str | Path, command: str | None = None):
    """Hold the write lock of ``folder`` (created if missing) for the block; raise RunLocked if another holds it.

    A folder this call created and that is still empty at the end (a command refused its input) is removed."""
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    mine = _held.get(key)
    if mine is not None and mine[0] == os.getpid():  # re-entrant within one process
        mine[2] += 1
        try:
            yield
        finally:
            mine[2] -= 1
        return
    fd = _acquire(folder)
    _held[key] = [os.getpid(), fd, 1]
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command or current_command(),
                                  "host": socket.gethostname(),
                                  "since": datetime.now(UTC).isoformat(timespec="seconds")}).encode(), 0)
        yield
    finally:
        del _held[key]
        try:
            (folder / LOCK_NAME).unlink(missing_ok=True)  # still ours: nobody else can hold the flock now
        finally:
            os.close(fd)  # drops the flock
        if created:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                pass


def _acquire(folder: Path) -> int:
    path = folder / LOCK_NAME
    for _ in range(50):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            h = None
            for _ in range(20):  # the holder may not have written its line yet
                if (h := holder(folder)) is not None:
                    break
                time.sleep(0.02)
            raise RunLocked(_describe(h, folder)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the previous holder removed the file between our open and our flock: retry on the new one
    raise RunLocked(_describe(holder(folder), folder))
