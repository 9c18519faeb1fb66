"""Where grid points run: in this process, in a local process pool, or as Ray tasks on a cluster.

An executor takes a top-level function and a list of argument tuples and yields ``(index, result, error)``
as each job finishes (in completion order), so the caller can record results one by one.

* ``serial``: this process, one point after another (debugging, tests).
* ``local``: a process pool sized to the machine (spawned workers: no forked torch state).
* ``ray``: one Ray task per point (``num_cpus=1``) on the cluster at ``--address`` (``auto`` for the one this
  machine belongs to), or on a local Ray instance started for the sweep when no address is given. Each task
  writes its own run directory; on a multi-machine cluster point the sweep at a shared filesystem.
  Ray is an optional extra: ``pip install .[distributed]``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from qnn.errors import QnnError

EXECUTORS = ("local", "serial", "ray")
Outcome = tuple[int, object, BaseException | None]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _init_worker() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"


class SerialExecutor:
    name = "serial"

    def run(self, fn: Callable, jobs: list[tuple]) -> Iterator[Outcome]:
        for i, args in enumerate(jobs):
            try:
                yield i, fn(*args), None
            except Exception as e:  # noqa: BLE001 - reported per job
                yield i, None, e


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()

    def run(self, fn: Callable, jobs: list[tuple]) -> Iterator[Outcome]:
        import multiprocessing as mp

        if not jobs:
            return
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker)
        try:
            futures = {pool.submit(fn, *args): i for i, args in enumerate(jobs)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    err = f.exception()
                    yield futures[f], (None if err else f.result()), err
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise QnnError("the Ray executor needs Ray: pip install 'qnn-fpga[distributed]' (or pip install ray)") from None
        self.address, self.workers = address, workers

    def run(self, fn: Callable, jobs: list[tuple]) -> Iterator[Outcome]:
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            kw = {"address": self.address} if self.address else {"num_cpus": self.workers or default_workers(),
                                                                  "include_dashboard": False}
            ray.init(ignore_reinit_error=True, log_to_driver=False, logging_level="ERROR",
                     runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}}, **kw)
        refs: dict = {}
        pending: list = []
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(fn)
            refs = {task.remote(*args): i for i, args in enumerate(jobs)}
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        yield refs[ref], ray.get(ref), None
                    except Exception as e:  # noqa: BLE001 - RayTaskError wraps the worker's exception
                        yield refs[ref], None, e
        finally:
            for ref in pending:  # interrupted: unfinished tasks are cancelled; their points re-run next time
                ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()


def make_executor(name: str, workers: int | None = None, address: str | None = None):
    if name == "serial":
        return SerialExecutor()
    if name == "local":
        return LocalExecutor(workers)
    if name == "ray":
        return RayExecutor(address, workers)
    raise QnnError(f"unknown executor {name!r}: choose one of {', '.join(EXECUTORS)}")
