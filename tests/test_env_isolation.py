"""The suite's environment (tests/conftest.py): QNN_* switches and thread-count variables exported in the shell do
not reach a test unless it sets them itself; run `QNN_DATA=../shared/data OMP_NUM_THREADS=1 pytest` to see it."""
from __future__ import annotations

import os

from qnn.data import load_dataset


def test_no_switch_reaches_a_test():
    threads = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    assert not [k for k in os.environ if (k.startswith("QNN_") and k != "QNN_CACHE") or k in threads]
    assert len(load_dataset("mnist", "test")) == 1000  # the embedded digits, whatever QNN_DATA the shell has


def test_a_test_sets_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv("QNN_DATA", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert os.environ["QNN_DATA"] == str(tmp_path) and os.environ["OMP_NUM_THREADS"] == "3"


def test_a_leak_is_gone_by_the_next_test():
    os.environ["QNN_FAST_QUANT"] = "1"  # as code run in-process may do (qnn/sweep/point.py sets OMP_NUM_THREADS)


def test_after_the_leak():  # (on the same xdist worker, right after the leak)
    assert "QNN_FAST_QUANT" not in os.environ
