"""`qnn report RUN|SWEEP`: Markdown + self-contained HTML report."""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import console, writes_run


def register(app: typer.Typer) -> None:
    @app.command("report")
    @writes_run("path")
    def report_cmd(path: Path = typer.Argument(..., help="Run directory or sweep folder.")) -> None:
        """Write report.md and report.html (tables, plots, bit-exactness, synthesis) into RUN or SWEEP."""
        from qnn.report import write_any_report

        md, html = write_any_report(path)
        console.print(f"report: {md}\nhtml:   {html}")
