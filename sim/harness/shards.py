"""Shards: one long harness pass split into contiguous ranges of vectors, run as parallel simulator processes.

Every shard runs the same build (``sim.harness.build``) in a working folder of its own, with its own seed for
the random gaps and backpressure (``seed + shard index``), so a whole test set runs on N cores in about 1/N of
the time.  The caller merges the shards' output words in order and compares them with the golden model as one
run.  ``plan`` also splits a range that exceeds the harness memory (``chunk`` vectors) into more shards than
jobs; those wait for a free job.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from qnn.errors import QnnError
from sim.harness.run import Pass


@dataclass
class Shard:
    index: int
    lo: int  # first vector
    hi: int  # one past the last vector

    def __len__(self) -> int:
        return self.hi - self.lo


def resolve_jobs(jobs: int | None) -> int:
    """``jobs``: a count >= 1, or 0 / None for the number of CPU cores."""
    if jobs is None or jobs == 0:
        return max(1, os.cpu_count() or 1)
    if jobs < 0:
        raise QnnError(f"--jobs must be >= 1, or 0 for the number of cores (got {jobs})")
    return int(jobs)


def plan(n: int, jobs: int, chunk: int) -> list[Shard]:
    """Contiguous shards covering vectors 0..n-1: at least ``jobs`` (at most n), none longer than ``chunk``;
    sizes differ by at most one."""
    if n < 1 or jobs < 1 or chunk < 1:
        raise ValueError(f"plan needs n, jobs, chunk >= 1 (got {n}, {jobs}, {chunk})")
    count = min(n, max(jobs, -(-n // chunk)))
    base, extra = divmod(n, count)
    shards, lo = [], 0
    for i in range(count):
        hi = lo + base + (1 if i < extra else 0)
        shards.append(Shard(i, lo, hi))
        lo = hi
    return shards


def shard_of(shards: list[Shard], vector: int) -> Shard:
    return next(s for s in shards if s.lo <= vector < s.hi)


def run_shards(shards: list[Shard], jobs: int, one: Callable[[Shard, Callable[[int], None] | None], Pass],
               progress: Callable[[int], None] | None = None) -> tuple[list[Pass], float]:
    """Run ``one(shard, report)`` for every shard, ``jobs`` at a time; returns the passes in shard order and the
    wall time of the simulators (first start to last end; one shard: its process).  ``report(k)`` (given to ``one``) is called with the vectors a shard has finished;
    ``progress(total)`` with the sum over all shards.  The first failing shard's exception propagates (the
    shards already running finish first)."""
    done = [0] * len(shards)
    lock = threading.Lock()

    def reporter(s: Shard):
        if progress is None:
            return None

        def report(k: int) -> None:
            with lock:
                done[s.index] = k
                total = sum(done)
            progress(total)
        return report

    if jobs <= 1 or len(shards) == 1:
        passes = [one(s, reporter(s)) for s in shards]
        return passes, sum(p.wall_s for p in passes)
    with ThreadPoolExecutor(max_workers=min(jobs, len(shards))) as ex:
        futures = [ex.submit(one, s, reporter(s)) for s in shards]
        passes = [f.result() for f in futures]
    return passes, max(p.started + p.wall_s for p in passes) - min(p.started for p in passes)


def shard_rows(shards: list[Shard], passes: list[Pass]) -> list[dict]:
    """Per-process figures for the result: vectors, cycles, wall and CPU seconds, cycles per second of each."""
    return [{"shard": s.index, "lo": s.lo, "hi": s.hi, "cycles": p.cycles, "wall_s": p.wall_s, "cpu_s": p.cpu_s,
             "cycles_per_s": round(p.cycles / p.wall_s, 1) if p.wall_s else 0.0,
             "cycles_per_cpu_s": round(p.cycles / p.cpu_s, 1) if p.cpu_s else 0.0}
            for s, p in zip(shards, passes)]
