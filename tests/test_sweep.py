"""Sweeps: the grid, BOPs from the IR, the Pareto front, the growing table, resume, and the executors."""
from __future__ import annotations

import csv
import json

import pytest

from qnn.errors import QnnError
from qnn.flow import Step
from qnn.sweep import FLOAT, Point, SweepSpec, graph_bops, pareto_front, parse_bits, run_sweep
from qnn.sweep.bops import model_macs


def test_bops_of_an_mlp_by_hand(tmp_path):
    from rtl_helpers import make_graph

    graph, _ = make_graph(tmp_path, w=2, a=3, hidden=(16, 8))
    cost = graph_bops(graph)
    # first layer: 8-bit input x 2-bit weights; then 3-bit activations x 2-bit weights
    assert [(r["macs"], r["weight_bits"], r["act_bits"]) for r in cost["layers"]] == [
        (784 * 16, 2, 8), (16 * 8, 2, 3), (8 * 10, 2, 3)]
    assert cost["bops"] == 784 * 16 * 16 + 16 * 8 * 6 + 8 * 10 * 6
    assert cost["macs"] == 784 * 16 + 16 * 8 + 8 * 10


def test_bops_of_a_cnn_counts_output_pixels(tmp_path):
    from rtl_helpers import make_graph

    graph, spec = make_graph(tmp_path, preset="cnn", w=1, a=2, hidden=(8,), channels=(4,))
    cost = graph_bops(graph)
    conv, dense0 = cost["layers"][0], cost["layers"][1]
    assert conv["kind"] == "Conv2d" and conv["macs"] == 28 * 28 * 4 * 3 * 3 * 1  # 3x3, pad 1, stride 1
    assert conv["weight_bits"] == 1 and conv["act_bits"] == 8
    assert dense0["macs"] == 14 * 14 * 4 * 8  # after 2x2 max-pool
    from qnn.models import build_model

    assert model_macs(build_model(spec), (1, 28, 28)) == cost["macs"]  # hooks agree with the IR


def test_pareto_front():
    costs = [10, 20, 30, 40, 15, 40]
    accs = [0.5, 0.7, 0.65, 0.9, 0.5, 0.8]
    assert pareto_front(costs, accs) == [0, 1, 3]
    assert pareto_front([], []) == []


def test_grid_and_bits_parsing():
    assert parse_bits("1,2,4,8,float", "w") == ((1, 2, 4, 8), True)
    with pytest.raises(QnnError, match="out of range"):
        parse_bits("0,2", "w")
    with pytest.raises(QnnError, match="bit widths"):
        parse_bits("two", "w")
    spec = SweepSpec(presets=("tfc", "mlp"), weight_bits=(1, 2), act_bits=(2,))
    ids = [p.id for p in spec.points()]
    assert ids == ["tfc-w1a2", "tfc-w2a2", "tfc-float", "mlp-w1a2", "mlp-w2a2", "mlp-float"]
    cfg = spec.flow_config(Point("tfc", FLOAT, FLOAT))
    assert cfg.weight_bits == 32 and cfg.threads == 1 and cfg.steps() == [Step.train, Step.golden]
    assert spec.point_key(Point("tfc", 1, 2)) != SweepSpec(presets=("tfc",), weight_bits=(1, 2), act_bits=(2,),
                                                             epochs=2).point_key(Point("tfc", 1, 2))
    with pytest.raises(QnnError, match="unknown model preset"):
        SweepSpec(presets=("huge",))


def tiny_spec(**kw) -> SweepSpec:
    """A 16-unit MLP per point, 2 epochs on 600 embedded digits: 55-70 % on the test digits (chance: 10 %)."""
    base = dict(presets=("mlp",), hidden=(16,), weight_bits=(1, 2), act_bits=(2,), include_float=True, epochs=2,
                batch_size=32, lr=1e-2, limit_train=600, eval_limit=100,
                steps=(Step.train, Step.export, Step.golden))
    return SweepSpec(**{**base, **kw})


def test_serial_sweep_table_plots_and_resume_after_a_kill(tmp_path, monkeypatch):
    import qnn.sweep.runner as runner

    real = runner.run_point
    calls = {"n": 0}

    def killed_on_second(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(runner, "run_point", killed_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tmp_path / "sw", tiny_spec(), executor="serial")
    rows = json.loads((tmp_path / "sw" / "results.json").read_text())
    assert [r["id"] for r in rows] == ["mlp-w1a2"]  # the finished point is in the table already
    first = rows[0]

    monkeypatch.setattr(runner, "run_point", real)
    res = run_sweep(tmp_path / "sw", tiny_spec(), executor="serial")
    assert res.reused == ["mlp-w1a2"] and res.ran == ["mlp-w2a2", "mlp-float"]
    assert [r["id"] for r in res.rows] == ["mlp-w1a2", "mlp-w2a2", "mlp-float"]
    assert res.rows[0] == first  # kept as it was
    assert all(r["status"] == "ok" and r["accuracy"] > 0.3 for r in res.rows)  # every point learned something
    assert [r["golden_vs_brevitas"] for r in res.rows] == [1.0, 1.0, None]  # exact; the float point has no IR
    quant = {r["id"]: r for r in res.rows}
    assert quant["mlp-w2a2"]["bops"] == 2 * quant["mlp-w1a2"]["bops"]  # same MACs, twice the weight bits
    assert quant["mlp-float"]["bops"] == quant["mlp-w1a2"]["macs"] * 32 * 32
    with open(tmp_path / "sw" / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == ["mlp-w1a2", "mlp-w2a2", "mlp-float"]
    assert float(table[1]["accuracy"]) == pytest.approx(quant["mlp-w2a2"]["accuracy"])
    names = sorted(p.name for p in res.plots)
    assert names == ["accuracy_vs_bits.png", "accuracy_vs_bops.png"]  # no synthesis -> no LUT plot
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in res.plots)

    again = run_sweep(tmp_path / "sw", tiny_spec(), executor="serial")
    assert again.ran == [] and [r["accuracy"] for r in again.rows] == [r["accuracy"] for r in res.rows]


@pytest.mark.slow  # spawning workers that import torch + brevitas takes a while on a loaded machine
def test_local_process_pool_gives_the_serial_table(tmp_path):
    spec = tiny_spec(weight_bits=(2,), include_float=False, act_bits=(1, 2))
    serial = run_sweep(tmp_path / "serial", spec, executor="serial", plots=False)
    local = run_sweep(tmp_path / "local", spec, executor="local", workers=2, plots=False)
    keys = ("id", "accuracy", "bops", "golden_vs_brevitas")
    assert [{k: r[k] for k in keys} for r in local.rows] == [{k: r[k] for k in keys} for r in serial.rows]


@pytest.mark.slow
def test_ray_executor_on_a_local_instance_gives_the_same_table(tmp_path):
    import ray  # noqa: F401 - not skipped when missing: `make test-all` installs .[distributed]
    spec = tiny_spec(weight_bits=(1, 2), act_bits=(2,), include_float=True)
    serial = run_sweep(tmp_path / "serial", spec, executor="serial", plots=False)
    ray_res = run_sweep(tmp_path / "ray", spec, executor="ray", workers=2, plots=False)
    keys = ("id", "accuracy", "bops", "macs", "status")
    assert [{k: r[k] for k in keys} for r in ray_res.rows] == [{k: r[k] for k in keys} for r in serial.rows]
    assert all((tmp_path / "ray" / "points" / r["id"] / "flow.json").is_file() for r in ray_res.rows)


def test_unknown_executor_is_a_one_line_error(tmp_path):
    with pytest.raises(QnnError, match="unknown executor"):
        run_sweep(tmp_path / "x", tiny_spec(), executor="slurm")
