"""The run directory: every artifact of one model, written step by step, each step atomically.

``runs/<name>/``::

    config.json      what was asked (dataset, model spec, training options)
    checkpoint.pt    last epoch's weights + optimizer state (``checkpoints/epoch_NNN.pt`` per epoch)
    metrics.json     loss/accuracy per epoch, evaluation results
    model.onnx       QONNX export
    ir/              graph.json + graph.npz: the streamlined integer IR
    hls/             hls4ml project          rtl/   Verilog + .mem files
    sim/             vectors and results     synth/ Yosys/nextpnr reports
    plots/*.png      report.md

A step writes into a temporary folder or file and renames it into place only when it succeeded, so an
interrupted or failed step leaves the previous artifacts intact (``Run.step``). One command writes a run at a
time: ``with run.lock(): ...`` holds ``.lock`` (pid, command, host), see ``qnn.run_lock``.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from qnn.errors import QnnError
from qnn.util.atomic import atomic_dir, atomic_write_text


class Run:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # locations ----------------------------------------------------------------------------------
    config_file = property(lambda self: self.path / "config.json")
    checkpoint = property(lambda self: self.path / "checkpoint.pt")
    checkpoints = property(lambda self: self.path / "checkpoints")
    metrics_file = property(lambda self: self.path / "metrics.json")
    onnx = property(lambda self: self.path / "model.onnx")
    ir_dir = property(lambda self: self.path / "ir")
    hls_dir = property(lambda self: self.path / "hls")
    rtl_dir = property(lambda self: self.path / "rtl")
    sim_dir = property(lambda self: self.path / "sim")
    synth_dir = property(lambda self: self.path / "synth")
    plots_dir = property(lambda self: self.path / "plots")
    report_file = property(lambda self: self.path / "report.md")

    @property
    def name(self) -> str:
        return self.path.name

    # existence ----------------------------------------------------------------------------------
    def require(self) -> Run:
        if not self.config_file.is_file():
            raise QnnError(f"run {self.path} does not exist (no config.json): create it with `qnn train` or `qnn import`")
        return self

    def require_ir(self) -> Run:
        self.require()
        if not (self.ir_dir / "graph.json").is_file():
            raise QnnError(f"run {self.path} has no integer IR yet: run `qnn export {self.path}` first")
        return self

    # json files ---------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        self.require()
        return json.loads(self.config_file.read_text())

    def write_config(self, cfg: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config_file, json.dumps(cfg, indent=2))

    @property
    def metrics(self) -> dict:
        if not self.metrics_file.is_file():
            return {}
        return json.loads(self.metrics_file.read_text())

    def update_metrics(self, **entries) -> dict:
        m = self.metrics
        m.update(entries)
        atomic_write_text(self.metrics_file, json.dumps(m, indent=2, default=_jsonable))
        return m

    # artifacts ----------------------------------------------------------------------------------
    def graph(self):
        from qnn.ir.serialize import load_graph

        return load_graph(self.require_ir().ir_dir)

    def spec(self):
        from qnn.models.spec import ModelSpec

        return ModelSpec.from_dict(self.config["model"])

    def dataset(self, split: str = "test", data_dir=None, limit: int | None = None):
        """The run's dataset split (``data_dir`` overrides the one recorded at training time)."""
        from qnn.data import load_dataset

        cfg = self.config
        ds = cfg.get("dataset", {}).get("name")
        if not ds or ds == "none":
            raise QnnError(f"run {self.path} has no dataset; give one with --dataset")
        d = data_dir if data_dir is not None else cfg["dataset"].get("data_dir")
        return load_dataset(ds, split, d, **cfg["dataset"].get("options", {})).subset(limit)

    def lock(self, command: str | None = None):
        """Hold the run's write lock (context manager); RunLocked names the other writer's pid and command."""
        from qnn.run_lock import hold

        return hold(self.path, command)

    @contextmanager
    def step(self, folder: str):
        """Write a sub-folder atomically: ``with run.step("rtl") as tmp: ...`` replaces ``rtl/`` on success."""
        self.path.mkdir(parents=True, exist_ok=True)
        with atomic_dir(self.path / folder) as tmp:
            yield tmp


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o).__name__)
