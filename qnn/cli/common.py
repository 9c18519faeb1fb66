"""Helpers shared by CLI commands: argument parsing, printing, and the write lock of a run."""
from __future__ import annotations

import functools
from pathlib import Path

from rich.console import Console
from rich.table import Table

from qnn.errors import QnnError
from qnn.run import Run

console = Console()

RUN_ARG_HELP = "Run directory (e.g. runs/tfc-w2a2)."


def int_list(text: str | None, what: str) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        vals = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise QnnError(f"--{what} must be comma-separated integers like 64,64, got {text!r}") from None
    if any(v < 1 for v in vals):
        raise QnnError(f"--{what} sizes must be positive, got {text!r}")
    return vals


def parse_options(items: list[str]) -> dict:
    """["a=1", "b=true", "c=x", "d={\"k\": 1}"] -> {"a": 1, "b": True, "c": "x", "d": {"k": 1}} (JSON values, else strings)."""
    import json

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise QnnError(f"option {item!r} is not KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def open_run(path: Path) -> Run:
    return Run(path).require()


def table(title: str, columns: list[str], rows: list[list]) -> None:
    t = Table(title=title)
    for c in columns:
        t.add_column(c, justify="right" if c not in columns[:1] else "left")
    for r in rows:
        t.add_row(*[str(v) for v in r])
    console.print(t)


def writes_run(param: str):
    """Decorator for a command that writes the run directory (or sweep folder) its parameter ``param`` names:
    the command runs holding that folder's write lock, so a second writer fails at once (``qnn.run_lock``)."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            from qnn.run_lock import hold

            with hold(Path(kwargs[param])):
                return fn(*args, **kwargs)

        return wrapper

    return deco
