"""Progress bars (rich) that stay quiet when asked or when output is not a terminal and CI wants short logs."""
from __future__ import annotations

from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class _Bar:
    def __init__(self, prog: Progress | None, task) -> None:
        self.prog, self.task = prog, task

    def advance(self, n: int = 1, **fields) -> None:
        if self.prog is not None:
            self.prog.update(self.task, advance=n, **fields)


@contextmanager
def progress(description: str, total: int, quiet: bool = False):
    if quiet:
        yield _Bar(None, None)
        return
    cols = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[loss]}")]
    with Progress(*cols, transient=True) as prog:
        yield _Bar(prog, prog.add_task(description, total=total, loss=""))
