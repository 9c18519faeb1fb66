"""Replace one benchmark's own ``##`` section of docs/benchmarks.md (or append it), written atomically."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qnn.util.atomic import atomic_write_text  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"


def machine_load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def replace_section(heading: str, content: str, doc: Path = DOC) -> None:
    """Put ``heading`` + ``content`` in place of the section under ``heading`` (up to the next ``## ``)."""
    text = doc.read_text() if doc.is_file() else "# Benchmarks\n"
    sec = f"{heading}\n\n{content.strip()}\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + sec
    else:
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + sec + (text[nxt:] if nxt >= 0 else "")
    atomic_write_text(doc, text)
