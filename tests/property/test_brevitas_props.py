"""Property suite over Brevitas itself (issue 21): random models built from ``brevitas.nn`` layers with Brevitas' own
quantizer classes (``brevitas_gen``), exported with ``export_qonnx`` and brought in with ``qnn.from_brevitas``:
golden == qonnx's execution of the export at every quantizer and == the module's own forward, under the contract
of ``qnn.checks`` (rounding-boundary cases of the float32 references reported, not failed).

Outcomes per model: passed (with or without boundary cases), refused by the toolkit (a one-line ``QnnError``, its
reason tallied), or not buildable by Brevitas itself (e.g. an Int16 bias after a BatchNorm, whose input has no
scale). A ``CheckFailed`` fails the test and Hypothesis shrinks it. Counts per quantizer class are asserted (the
generator must keep producing passes for every weight and activation class) and written beside the other property
counts. Default run: ``PER_PAIR`` models for each of the 45 (weight quantizer, activation) pairs (180); marker
``slow``: ``MORE`` fully random ones.
"""
from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from brevitas_gen import ACTS, WEIGHT_QUANTS, BrevCfg, brevitas_nets, build
from checks import COUNTS
from hypothesis import HealthCheck, given, seed, settings

from qnn.errors import QnnError

PER_PAIR, MORE = 4, 1000  # default: PER_PAIR models for each (weight quantizer, activation) pair = 180; slow: 1000
SETTINGS = dict(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_model(cfg: BrevCfg, tally: Counter) -> None:
    from qnn import from_brevitas

    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            module, shape = build(cfg)
    except Exception as e:  # Brevitas itself refuses the combination (not the toolkit's business)
        tally["brevitas cannot build"] += 1
        tally[f"brevitas cannot build: {type(e).__name__}: {str(e)[:60]}"] += 1
        return
    tally["models"] += 1
    tags = cfg.tags
    with tempfile.TemporaryDirectory(prefix="qnn-brev-") as d:
        try:
            res = from_brevitas(module, np.zeros(shape, np.float32), Path(d) / "run", vectors=24, check=16)
        except QnnError as e:
            msg = str(e)
            assert "\n" not in msg and len(msg) < 600, f"a refusal must be one line: {msg!r}"
            reason = _reason(msg)
            tally["refused"] += 1
            tally[f"refused: {reason}"] += 1
            for k, v in tags.items():
                tally[f"{k} {v}: refused"] += 1
            return
    b = res.import_check.get("boundary_cases", 0) + res.module_check.get("boundary_cases", 0)
    tally["passed"] += 1
    tally["boundary cases"] += b
    tally["models with boundary cases"] += bool(b)
    for k, v in tags.items():
        tally[f"{k} {v}: passed"] += 1
        tally[f"{k} {v}: boundary cases"] += b


def _reason(msg: str) -> str:
    """The refusal's kind, for the tally: the message without node names and numbers."""
    import re

    words = re.sub(r"node \S+|\[[^\]]*\]|[-\d.e]+", "#", msg.split(";")[0].split(":")[-1 if ":" in msg else 0])
    return " ".join(words.split())[:80]


def _run(n: int, tally: Counter, part: int = 0, weight: str | None = None, act: str | None = None) -> None:
    @seed(part)  # reproducible: every run checks the same models
    @settings(max_examples=n, **SETTINGS)
    @given(cfg=brevitas_nets(weight, act))
    def inner(cfg):
        check_model(cfg, tally)

    inner()


def _assert_coverage(tally: Counter, n: int, classes: bool = True) -> None:
    COUNTS.update({f"brevitas {k}": v for k, v in tally.items()})
    assert tally["models"] + tally["brevitas cannot build"] >= n
    assert tally["passed"] >= n // 2, f"fewer than half the models passed: {dict(tally)}"
    if classes:
        for name in WEIGHT_QUANTS:
            assert tally[f"weight {name}: passed"] > 0, f"no model with weights {name} passed: {dict(tally)}"
        for name in ACTS:
            assert tally[f"act {name}: passed"] > 0, f"no model with activation {name} passed: {dict(tally)}"


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("weight", sorted(WEIGHT_QUANTS))
def test_brevitas_models(weight, act):
    """Every pair of weight quantizer and activation class: PER_PAIR models, at least half of them through."""
    tally: Counter = Counter()
    _run(PER_PAIR, tally, part=10 * ACTS.index(act) + sorted(WEIGHT_QUANTS).index(weight), weight=weight, act=act)
    _assert_coverage(tally, PER_PAIR, classes=False)
    assert tally[f"weight {weight}: passed"] > 0 and tally[f"act {act}: passed"] > 0, dict(tally)


@pytest.mark.slow
def test_brevitas_models_more():
    tally: Counter = Counter()
    _run(MORE, tally, part=100)
    _assert_coverage(tally, MORE)
