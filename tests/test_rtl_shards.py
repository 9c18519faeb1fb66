"""Sharded RTL simulation (``simulate(..., jobs=N)``, ``qnn sim --jobs N``): contiguous shards of the vectors as
parallel simulator processes of one build, merged in order and checked as one run.

Fast: the shard plan; a tiny MLP on Icarus with 1 and 2 shards (same results); a corrupted weight that changes
only a vector of the second shard, found and named with its global index, the probe naming the layer; the CLI.
Marker ``rtl``: the same 1-vs-2-shard comparison on Verilator.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from rtl_helpers import corrupt_weight, make_graph, make_run

from hls.rtlgen import generate_rtl
from qnn.errors import QnnError
from qnn.golden.execute import quantize_input
from sim.harness.shards import plan, resolve_jobs, shard_of
from sim.network import simulate
from sim.tools import available

needs_icarus = pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not available("verilator"), reason="verilator not installed")


def _mnist(graph, n):
    from qnn.data import load_dataset

    return quantize_input(graph, load_dataset("mnist", "test").x[:n])


def test_plan_is_contiguous_balanced_and_bounded():
    for n, jobs, chunk in [(10, 1, 100), (10, 3, 100), (10, 16, 100), (25, 2, 10), (1, 4, 10), (10_000, 16, 10_000)]:
        s = plan(n, jobs, chunk)
        assert s[0].lo == 0 and s[-1].hi == n and all(a.hi == b.lo for a, b in zip(s, s[1:]))
        sizes = [len(x) for x in s]
        assert max(sizes) - min(sizes) <= 1 and max(sizes) <= chunk and min(sizes) >= 1
        assert len(s) == min(n, max(jobs, -(-n // chunk)))
        assert [x.index for x in s] == list(range(len(s)))
    assert [(x.lo, x.hi) for x in plan(10, 3, 100)] == [(0, 4), (4, 7), (7, 10)]
    assert shard_of(plan(10, 3, 100), 4).index == 1 and shard_of(plan(10, 3, 100), 9).index == 2
    assert resolve_jobs(0) >= 1 and resolve_jobs(3) == 3
    with pytest.raises(QnnError, match="--jobs"):
        resolve_jobs(-1)


def _same_results(one, two, n):
    assert one.exact == two.exact == n and one.mismatched == two.mismatched == 0
    assert one.throughput_exact == two.throughput_exact and one.latency_cycles == two.latency_cycles
    assert one.cycles_per_inference == two.cycles_per_inference
    assert len(one.shards) == 1 and one.jobs == 1
    assert [(s["lo"], s["hi"]) for s in two.shards] == [(0, n // 2), (n // 2, n)] and two.jobs == 2
    assert all(s["cycles"] > 0 and s["cpu_s"] > 0 and s["cycles_per_s"] > 0 for s in two.shards)
    # total cycles/s over the span of the parallel processes (exact_s is rounded to ms: Verilator runs take ~20 ms)
    assert two.exact_s >= max(s["wall_s"] for s in two.shards) - 1e-3
    assert sum(s["cycles"] for s in two.shards) == pytest.approx(two.cycles_per_s * two.exact_s, rel=0.05)


@needs_icarus
def test_two_shards_icarus_same_as_one(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(16, 8))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=200)
    q = _mnist(graph, 10)
    seen = []
    one = simulate(tmp_path / "rtl", graph, q, simulator="icarus", work_dir=tmp_path / "s1", throughput_vectors=4)
    two = simulate(tmp_path / "rtl", graph, q, simulator="icarus", work_dir=tmp_path / "s2", throughput_vectors=4,
                   jobs=2, progress=lambda done, total: seen.append((done, total)))
    _same_results(one, two, 10)
    assert seen and seen[-1] == (10, 10) and all(t == 10 for _, t in seen)  # progress summed over both shards


@pytest.mark.rtl
@needs_verilator
def test_two_shards_verilator_same_as_one(tmp_path):
    graph, _ = make_graph(tmp_path, hidden=(16, 8))
    generate_rtl(graph, tmp_path / "rtl", target_cycles=200)
    q = _mnist(graph, 40)
    one = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "s1", throughput_vectors=4,
                   build_dir=tmp_path / "b")
    two = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "s2", throughput_vectors=4,
                   build_dir=tmp_path / "b", jobs=2)
    assert two.build_cached  # the shards run the one build
    _same_results(one, two, 40)


@needs_icarus
def test_mismatch_in_second_shard_is_named(tmp_path):
    """A corrupted weight of layer 0 cannot change an all-zero image (its products are zero), so vectors 0-2 agree
    and only vector 3, in the second of two shards, differs: it is named by its index in the whole run, and the
    probe (replaying that shard) names the layer."""
    graph, _ = make_graph(tmp_path, hidden=(8,))
    d = generate_rtl(graph, tmp_path / "rtl", target_cycles=400)
    pool = _mnist(graph, 8)
    bad = corrupt_weight(tmp_path / "rtl", d, graph, pool, layer=0)
    assert bad["vector"] is not None
    q = np.concatenate([np.zeros((3, *pool.shape[1:]), dtype=pool.dtype), pool[bad["vector"]][None]])
    res = simulate(tmp_path / "rtl", graph, q, simulator="icarus", work_dir=tmp_path / "sim", throughput_vectors=2,
                   jobs=2)
    assert [(s["lo"], s["hi"]) for s in res.shards] == [(0, 2), (2, 4)]
    assert res.exact == 3 and res.mismatched == 1 and not res.ok
    assert res.mismatches[0]["vector"] == 3 and "vector 3" in res.first_mismatch()
    assert res.probe["layer"] == bad["layer"] and res.probe["vector"] == 3


@needs_icarus
def test_cli_sim_jobs(tmp_path, capsys):
    from qnn.cli import main

    run = make_run(tmp_path, hidden=(16,))
    assert main(["rtl", str(run.path), "--target-cycles", "100"]) == 0
    assert main(["sim", str(run.path), "--simulator", "icarus", "-n", "6", "--throughput-vectors", "2",
                 "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "bit-exact 6/6" in out and "2 shards on 2 parallel processes" in out
    res = json.loads((run.sim_dir / "icarus" / "result.json").read_text())
    assert res["ok"] and res["jobs"] == 2 and [(s["lo"], s["hi"]) for s in res["shards"]] == [(0, 3), (3, 6)]
    assert main(["sim", str(run.path), "--simulator", "icarus", "-n", "2", "--jobs", "-1"]) == 2
