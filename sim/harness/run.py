"""One pass of the harness: write the vectors, run the simulator in a working folder, read what it wrote.

A pass streams ``words`` input words (whole vectors) and expects ``out_words`` output words; the harness
itself applies the random gaps/backpressure, drains after the last expected word and stops at a cycle limit.
Progress lines (``progress <words received>``) come on stdout and drive the optional ``progress`` callback.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from qnn.errors import QnnError
from sim.harness.build import Build
from sim.harness.vectors import parse_word

Q16 = 1 << 16  # probabilities travel as integers in 1/65536


@dataclass
class Pass:
    words: list[int]  # output words, in order
    cycles_of_words: list[int]  # the cycle each output word moved
    status: str  # ok | timeout | extra
    cycles: int
    sent: int
    received: int
    first_in: int
    wall_s: float
    cpu_s: float  # CPU time of the simulator process (user + system): the speed on a machine shared with others
    probes: dict[int, list[str]] = field(default_factory=dict)  # stream index -> hex words
    started: float = 0.0  # time.perf_counter() when the simulator started (spans of parallel shards)


def prob(p: float) -> int:
    if not 0.0 <= p < 1.0:
        raise QnnError(f"probability {p} must be in [0, 1)")
    return int(round(p * Q16))


def run_pass(build: Build, work: Path, vectors_hex: bytes, *, words: int, out_words: int, gap: float = 0.0,
             backpressure: float = 0.0, seed: int = 0, max_cycles: int, drain: int = 1000, probe_first: int = 0,
             probe_count: int = 0, progress=None) -> Pass:
    if words > build.depth:
        raise QnnError(f"{words} input words exceed the harness memory of {build.depth}")
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for f in list(work.glob("probe_*.hex")) + [work / "outputs.txt", work / "status.txt"]:
        f.unlink(missing_ok=True)
    (work / "vectors.hex").write_bytes(vectors_hex)
    step = max(1, out_words // 100)
    args = [f"+words={words}", f"+out_words={out_words}", f"+gap={prob(gap)}", f"+bp={prob(backpressure)}",
            f"+seed={seed}", f"+max_cycles={max_cycles}", f"+drain={drain}", f"+progress={step}",
            f"+probe_first={probe_first}", f"+probe_count={probe_count}"]
    t0 = time.perf_counter()
    tail: list[str] = []
    with subprocess.Popen(build.command(args), cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as p:
        for line in p.stdout:
            if line.startswith("progress "):
                if progress is not None:
                    progress(int(line.split()[1]))
            else:
                tail = (tail + [line.rstrip()])[-40:]
        # reaped here for this process' own CPU time (other shards' simulators may run at the same time)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    cpu = ru.ru_utime + ru.ru_stime
    status_file = work / "status.txt"
    if p.returncode != 0 or not status_file.is_file():
        raise QnnError(f"{build.simulator} harness run failed (exit {p.returncode}); output tail:\n" + "\n".join(tail))
    st = status_file.read_text().split()
    info = dict(zip(st[0::2], st[1::2]))
    out, cyc = [], []
    for line in (work / "outputs.txt").read_text().splitlines():
        w, c = line.split()
        out.append(parse_word(w))
        cyc.append(int(c))
    probes = {int(f.stem.split("_")[1]): f.read_text().split() for f in work.glob("probe_*.hex")}
    return Pass(out, cyc, info["status"], int(info["cycles"]), int(info["sent"]), int(info["received"]),
                int(info["first_in"]), round(wall, 3), round(cpu, 3), probes, t0)
