"""Property-suite counters: each pytest process writes its tallies (networks generated, properties checked) to
``property_counts*.json`` in the session's temporary folder; the terminal summary adds them up and prints them."""
from __future__ import annotations

import json
import os
from collections import Counter

import pytest


def _folder(config):
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    from checks import COUNTS

    if COUNTS:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (_folder(session.config) / f"property_counts_{worker}.json").write_text(json.dumps(dict(COUNTS), indent=1))


def pytest_terminal_summary(terminalreporter, config):
    total: Counter = Counter()
    files = sorted(_folder(config).glob("property_counts_*.json"))
    for f in files:
        total.update(json.loads(f.read_text()))
    if total:
        terminalreporter.write_sep("-", "property suite counts")
        terminalreporter.write_line(", ".join(f"{k} {v}" for k, v in sorted(total.items())))
        out = _folder(config) / "property_counts.json"
        out.write_text(json.dumps(dict(total), indent=1))
        terminalreporter.write_line(f"(written to {out})")
