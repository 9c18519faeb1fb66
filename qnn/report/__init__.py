"""Reports: Markdown plus a self-contained HTML page (images embedded), for a run or a sweep."""
from __future__ import annotations

from pathlib import Path

from qnn.errors import QnnError
from qnn.report.run_report import write_run_report
from qnn.report.sweep_report import write_sweep_report


def write_any_report(path: str | Path) -> tuple[Path, Path]:
    """A sweep folder (sweep.json) or a run directory (config.json) -> (report.md, report.html)."""
    path = Path(path)
    if (path / "sweep.json").is_file():
        return write_sweep_report(path)
    if (path / "config.json").is_file():
        return write_run_report(path)
    raise QnnError(f"{path} is neither a run directory (config.json) nor a sweep folder (sweep.json)")


__all__ = ["write_any_report", "write_run_report", "write_sweep_report"]
