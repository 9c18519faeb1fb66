"""The flow's steps: ``step(run, cfg) -> dict``, one named function each (after FINN's build_dataflow_steps).

Every step reads the run directory and the ``FlowConfig``, writes its artifacts atomically (``Run.step``), and
returns a small JSON-able result whose ``"summary"`` is the line the flow's table shows. A step whose check
disagrees (golden vs Brevitas, C simulation or RTL vs golden) raises ``CheckFailed`` with its figures: the flow
records it as ``check failed`` and stops there.

``STEPS`` is the registry: per step, its function, the artifacts it reads (for the fingerprint), the file that
proves it finished, and ``missing_tools`` -- a one-line reason when a tool it needs is not installed, so that
the flow skips it loudly instead of failing or passing silently.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qnn.errors import CheckFailed, QnnError
from qnn.flow.config import FlowConfig, Step
from qnn.run import Run

FLOAT_CHECKPOINT = "float_checkpoint.pt"


# --- train ---------------------------------------------------------------------------------------
def _train_setup(run: Run, cfg: FlowConfig):
    from qnn.data import load_dataset
    from qnn.models import spec_from_preset
    from qnn.train import TrainConfig

    tcfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, threads=cfg.threads)
    ds_cfg = {"name": cfg.dataset.value, "data_dir": cfg.data_dir, "options": dict(cfg.data_options)}
    ds = load_dataset(ds_cfg["name"], "train", cfg.data_dir, **ds_cfg["options"]).subset(cfg.limit_train, cfg.seed)
    spec = spec_from_preset(cfg.model, in_shape=ds.in_shape, num_classes=ds.num_classes, hidden=cfg.hidden,
                            channels=cfg.channels, weight_bits=cfg.weight_bits, act_bits=cfg.act_bits,
                            input_bits=cfg.input_bits)
    run_cfg = {"dataset": ds_cfg, "model": spec.to_dict(), "train": asdict(tcfg), "limit_train": cfg.limit_train,
               "float_baseline": cfg.float_baseline}
    return tcfg, ds, spec, run_cfg


def _can_resume(run: Run, name: str, run_cfg: dict) -> bool:
    """A checkpoint of exactly this configuration is continued, not redone (an interrupted training)."""
    import torch

    path = run.path / name
    if not (path.is_file() and run.config_file.is_file() and run.config == run_cfg):
        return False
    try:
        state = torch.load(path, weights_only=False, map_location="cpu")
    except Exception:  # noqa: BLE001 - a torn checkpoint is simply not resumable
        return False
    spec = run_cfg["model"] if name != FLOAT_CHECKPOINT else {**run_cfg["model"], "weight_bits": 32, "act_bits": 32}
    return state.get("spec") == spec and state.get("train") == run_cfg["train"]


def step_train(run: Run, cfg: FlowConfig) -> dict:
    """Brevitas QAT into the run (checkpoint per epoch); an interrupted training of the same config resumes."""
    from qnn.train import train

    tcfg, ds, spec, run_cfg = _train_setup(run, cfg)
    resume = _can_resume(run, "checkpoint.pt", run_cfg)
    run.write_config(run_cfg)
    _, hist = train(run, spec, tcfg, ds, resume=resume, quiet=True)
    run.update_metrics(train=hist)
    res = {"epochs": len(hist), "resumed": resume, "train_samples": len(ds), "source": ds.source,
           "val_acc": hist[-1].get("val_acc") if hist else None, "seconds_per_epoch":
           round(float(np.mean([h["seconds"] for h in hist])), 2) if hist else None}
    if cfg.float_baseline and not spec.is_float:
        fresume = _can_resume(run, FLOAT_CHECKPOINT, run_cfg)
        _, fhist = train(run, spec.with_(weight_bits=32, act_bits=32), tcfg, ds, resume=fresume,
                         checkpoint_name=FLOAT_CHECKPOINT, quiet=True)
        run.update_metrics(train_float=fhist)
        res["float_val_acc"] = fhist[-1].get("val_acc") if fhist else None
    val = f", val acc {res['val_acc']:.2%}" if res["val_acc"] is not None else ""
    res["summary"] = f"{spec.tag}, {len(hist)} epochs on {len(ds)} samples{val}" + (" (resumed)" if resume else "")
    return res


# --- export --------------------------------------------------------------------------------------
def step_export(run: Run, cfg: FlowConfig) -> dict:
    """QONNX export and the streamlined integer IR (ir/), kept only if golden == Brevitas on the check vectors."""
    from qnn.evaluate import export_run

    graph, agree = export_run(run, cfg.check_vectors)
    body = graph.body
    return {"nodes": len(graph.nodes), "integer_nodes": len(body), "check": agree,
            "summary": f"QONNX + IR: {len(body)} integer nodes ({', '.join(sorted({n.kind for n in body}))}); "
                       f"golden == Brevitas on {agree['n']} test vectors ({agree['agreement']})"}


# --- golden --------------------------------------------------------------------------------------
def step_golden(run: Run, cfg: FlowConfig) -> dict:
    """Accuracy of the golden integer model (and Brevitas, float) on the test set; agreement; BOPs."""
    if cfg.is_float:
        return _float_eval(run, cfg)
    from qnn.evaluate import evaluate_run
    from qnn.sweep.bops import graph_bops

    res = evaluate_run(run, "test", cfg.data_dir, cfg.eval_limit, plots=cfg.plots)
    cost = graph_bops(run.graph())
    run.update_metrics(cost=cost)
    out = {"accuracy": res["golden"]["accuracy"], "n": res["n"], "macs": cost["macs"], "bops": cost["bops"]}
    if "brevitas" in res:
        out["brevitas_accuracy"] = res["brevitas"]["accuracy"]
        out["golden_vs_brevitas"] = res["golden_vs_brevitas"]["argmax_equal"]
    if "float" in res:
        out["float_accuracy"] = res["float"]["accuracy"]
    agree = f", argmax = Brevitas on {out['golden_vs_brevitas']:.2%}" if "golden_vs_brevitas" in out else ""
    out["summary"] = f"golden accuracy {out['accuracy']:.2%} (n={res['n']}){agree}; {cost['bops']:,} BOPs"
    return out


def _float_eval(run: Run, cfg: FlowConfig) -> dict:
    """A float model has no integer IR: its accuracy is PyTorch's, its cost MACs x 32 x 32."""
    from qnn.metrics.classification import classification_report
    from qnn.metrics.plots import plot_confusion
    from qnn.sweep.bops import float_bops, model_macs
    from qnn.train import load_model, predict_logits

    ds = run.dataset("test", data_dir=cfg.data_dir, limit=cfg.eval_limit)
    model = load_model(run)
    rep = classification_report(ds.y, predict_logits(model, ds.x).argmax(1), ds.classes)
    macs = model_macs(model, ds.in_shape)
    run.update_metrics(eval={"dataset": ds.source, "split": "test", "n": len(ds), "float": rep},
                       cost={"macs": macs, "bops": float_bops(macs), "layers": []})
    if cfg.plots:
        plot_confusion(np.array(rep["confusion"]), ds.classes, run.plots_dir / "confusion_float.png",
                       f"{run.name}: float model, accuracy {rep['accuracy']:.2%} (n={len(ds)})")
    return {"accuracy": rep["accuracy"], "n": len(ds), "macs": macs, "bops": float_bops(macs),
            "summary": f"float accuracy {rep['accuracy']:.2%} (n={len(ds)})"}


# --- hls4ml --------------------------------------------------------------------------------------
def step_hls(run: Run, cfg: FlowConfig) -> dict:
    """hls4ml project + C simulation, compared bit for bit with the golden model."""
    from hls.hls4ml.flow import hls_step
    from hls.hls4ml.options import HlsOptions

    options = HlsOptions(io_type=cfg.hls_io_type.value, reuse=cfg.hls_reuse).check()
    r = hls_step(run, options, vectors=cfg.hls_vectors, data_dir=cfg.data_dir)
    c = r.csim
    out = {"ok": bool(c.bit_exact), "bit_exact": bool(c.bit_exact), "vectors": c.vectors,
           "exact_vectors": c.exact_vectors, "compile_s": c.compile_s, "io_type": options.io_type}
    out["summary"] = f"C sim {c.exact_vectors}/{c.vectors} bit-exact ({options.io_type}, reuse {options.reuse})"
    if not c.bit_exact:
        first = c.first_mismatch.describe() if c.first_mismatch is not None else "no detail"
        out["first_mismatch"] = first
        raise CheckFailed(f"C simulation differs from the golden model on {c.vectors - c.exact_vectors} of "
                          f"{c.vectors} vectors ({first}); `qnn hls {run.path} --trace` names the first layer", out)
    return out


def _hls_missing(cfg: FlowConfig) -> str | None:
    if shutil.which("g++") is None:
        return "g++ not found: the hls4ml C simulation needs it (apt-get install g++)"
    try:
        import hls4ml  # noqa: F401

        import hls.hls4ml.flow  # noqa: F401
    except ImportError as e:
        return f"hls4ml flow not importable ({e}); pip install hls4ml"
    return None


# --- RTL -----------------------------------------------------------------------------------------
def step_rtl(run: Run, cfg: FlowConfig) -> dict:
    """Verilog (cores + qnn_top + ROM files) into rtl/, folded for the target cycles or the given folding."""
    import json

    from hls.rtlgen import generate_rtl, parse_folding

    folding = parse_folding(json.dumps(cfg.folding)) if cfg.folding else None
    with run.step("rtl") as tmp:
        design = generate_rtl(run.graph(), tmp, folding, cfg.target_cycles)
    mults = sum(l["pe"] * l["simd"] for l in design.layers)  # noqa: E741
    return {"ideal_cycles": design.ideal_cycles, "bottleneck": design.bottleneck, "multipliers": mults,
            "folding": design.folding,
            "summary": f"{len(design.layers)} matrix layers, {mults} multipliers, ideal {design.ideal_cycles} "
                       f"cycles/inference (slowest {design.bottleneck})"}


def _rtl_missing(cfg: FlowConfig) -> str | None:
    try:
        import hls.rtlgen  # noqa: F401
    except ImportError as e:
        return f"Verilog generator not importable ({e})"
    return None


def test_vectors(run: Run, graph, n: int, data_dir=None) -> np.ndarray:
    """The first ``n`` test vectors of the run's dataset, quantized; random inputs of its type if it has none
    (``qnn.vectors``: the one source of test vectors)."""
    from qnn.vectors import int_vectors

    return int_vectors(run, graph, n, data_dir)[0]


def step_sim(run: Run, cfg: FlowConfig) -> dict:
    """cocotb simulation of rtl/ against the golden model: bit-exact count, cycles per inference."""
    import json

    from qnn.util.atomic import atomic_write_text
    from sim.network import simulate

    if not (run.rtl_dir / "design.json").is_file():
        raise QnnError(f"run {run.path} has no RTL: run the rtl step first")
    graph = run.graph()
    q = test_vectors(run, graph, cfg.sim_vectors, cfg.data_dir)
    simulator = cfg.simulator.value
    with run.step(f"sim/{simulator}") as tmp:
        res = simulate(run.rtl_dir, graph, q, simulator=simulator, work_dir=tmp,
                       throughput_vectors=cfg.sim_throughput_vectors)
        for b in tmp.glob("build_*"):
            shutil.rmtree(b, ignore_errors=True)
        atomic_write_text(tmp / "result.json", json.dumps(res.to_dict(), indent=2))
    cpi = res.cycles_per_inference
    out = {"ok": bool(res.ok), "simulator": simulator, "vectors": res.vectors, "exact": res.exact,
           "throughput_exact": res.throughput_exact, "throughput_vectors": res.throughput_vectors,
           "cycles_per_inference": cpi, "ideal_cycles": res.ideal_cycles, "latency_cycles": res.latency_cycles,
           "efficiency": res.efficiency, "sim_s": res.sim_s}
    if res.mismatches:
        out["first_mismatch"] = res.first_mismatch()
    cpi_s = f"{cpi:.1f}" if cpi else "n/a"
    out["summary"] = (f"{simulator}: {res.exact}/{res.vectors} bit-exact, {cpi_s} cycles/inference "
                      f"(ideal {res.ideal_cycles}), latency {res.latency_cycles}")
    if not res.ok:
        from qnn.checks import rtl_mismatch

        raise CheckFailed(rtl_mismatch(res), out)
    return out


def _sim_missing(cfg: FlowConfig) -> str | None:
    try:
        from sim.tools import simulator_env
    except ImportError as e:
        return f"RTL simulation package not importable ({e})"
    try:
        simulator_env(cfg.simulator.value)
    except QnnError as e:
        return str(e)
    return None


# --- synthesis -----------------------------------------------------------------------------------
def step_synth(run: Run, cfg: FlowConfig) -> dict:
    """Yosys (+ nextpnr) on rtl/: LUT/FF/BRAM/DSP, fit, fmax; then the synthesized netlist in simulation against
    the golden model (``sim.netlist``, ``netlist_vectors`` vectors): a difference fails the step."""
    from hls.synth import synthesize

    if not (run.rtl_dir / "design.json").is_file():
        raise QnnError(f"run {run.path} has no RTL: run the rtl step first")
    target = cfg.synth_target.value
    nl = None
    with run.step(f"synth/{target}") as tmp:
        rep = synthesize(run.rtl_dir, target, tmp, device=cfg.synth_device, pnr=cfg.pnr, timeout=cfg.synth_timeout)
        if cfg.netlist_vectors and rep["fits"]:  # the synthesized netlist against the golden model
            from sim.netlist import check_synth_netlist

            graph = run.graph()
            nl = check_synth_netlist(run.rtl_dir, tmp, graph, test_vectors(run, graph, cfg.netlist_vectors,
                                                                            cfg.data_dir))
    keys = ("device", "lut", "ff", "bram", "dsp", "lutram", "carry", "fits", "fit_message", "fmax_mhz", "pnr",
            "yosys_s")
    out = {"target": target, **{k: rep.get(k) for k in keys}}
    fmax = f", fmax {rep['fmax_mhz']:.1f} MHz" if rep.get("fmax_mhz") else ""
    out["summary"] = (f"{target} {rep['device']}: LUT {rep['lut']}, FF {rep['ff']}, BRAM {rep['bram']:g}, "
                      f"DSP {rep['dsp']}{fmax}; {'fits' if rep['fits'] else 'does not fit'}")
    if nl is not None:
        out["netlist_sim"] = nl
        out["summary"] += f"; {nl['summary']}"
    run.update_metrics(synth=out)
    if nl is not None and not nl["ok"]:
        raise CheckFailed(nl["message"], out)
    return out


def _synth_missing(cfg: FlowConfig) -> str | None:
    if shutil.which("yosys") is None:
        return "yosys not found: synthesis needs it (apt-get install yosys nextpnr-ice40)"
    try:
        import hls.synth  # noqa: F401
    except ImportError as e:
        return f"synthesis package not importable ({e})"
    return None


# --- board (optional: --board) ------------------------------------------------------------------
def step_board(run: Run, cfg: FlowConfig) -> dict:
    """Bitstream for a board (qnn.board), then the simulated board bit-exact against golden."""
    from qnn.board.flow_step import board_step

    return board_step(run, cfg.board, cfg.board_freq, cfg.sim_vectors, cfg.data_dir, cfg.synth_timeout,
                      cfg.target_cycles)


# --- report --------------------------------------------------------------------------------------
def step_report(run: Run, cfg: FlowConfig) -> dict:
    """report.md + report.html (images embedded) from everything the run holds."""
    from qnn.report import write_run_report

    md, html = write_run_report(run)
    return {"markdown": str(md), "html": str(html), "summary": f"{md.name} + {html.name}"}


# --- registry ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepDef:
    name: Step
    fn: Callable[[Run, FlowConfig], dict]
    inputs: Callable[[Run, FlowConfig], dict]  # artifacts read -> their paths (hashed into the fingerprint)
    done_marker: Callable[[Run, FlowConfig], Path | None]  # a file that exists once the step finished
    missing_tools: Callable[[FlowConfig], str | None] = lambda cfg: None
    needs: tuple[Step, ...] = ()  # steps whose artifacts it reads
    always: bool = False  # cheap steps that read everything (the report) run every time


def _ckpts(run: Run, cfg: FlowConfig) -> dict:
    return {"checkpoint": run.checkpoint, "float_checkpoint": run.path / FLOAT_CHECKPOINT}


_SOURCES = Path(__file__).resolve().parents[2]  # the folder holding the qnn, hls and sim packages


def _code(*paths: str) -> dict:
    """The toolkit sources a step runs (reader, core Verilog, generators, templates, harness), hashed with its
    artifacts: after an upgrade that changes them the step is redone instead of reported from the old version."""
    return {f"code:{p}": _SOURCES / p for p in paths}


_RTL_CODE = ("hls/rtl", "hls/rtlgen")
STEPS: dict[Step, StepDef] = {s.name: s for s in [
    StepDef(Step.train, step_train, lambda r, c: {}, lambda r, c: r.checkpoint),
    StepDef(Step.export, step_export, lambda r, c: {"checkpoint": r.checkpoint, **_code("qnn/ir", "qnn/export.py")},
            lambda r, c: r.ir_dir / "graph.json", needs=(Step.train,)),
    StepDef(Step.golden, step_golden, lambda r, c: {"ir": r.ir_dir, **_ckpts(r, c), **_code("qnn/golden")},
            lambda r, c: r.metrics_file, needs=(Step.export,)),
    StepDef(Step.hls, step_hls, lambda r, c: {"ir": r.ir_dir, **_code("hls/hls4ml")},
            lambda r, c: r.hls_dir / "csim.json", _hls_missing, needs=(Step.export,)),
    StepDef(Step.rtl, step_rtl, lambda r, c: {"ir": r.ir_dir, **_code(*_RTL_CODE)},
            lambda r, c: r.rtl_dir / "design.json", _rtl_missing, needs=(Step.export,)),
    StepDef(Step.sim, step_sim, lambda r, c: {"ir": r.ir_dir, "rtl": r.rtl_dir, **_code("sim")},
            lambda r, c: r.sim_dir / c.simulator.value / "result.json", _sim_missing, needs=(Step.rtl,)),
    StepDef(Step.synth, step_synth, lambda r, c: {"rtl": r.rtl_dir, **_code("hls/synth")},
            lambda r, c: r.synth_dir / c.synth_target.value / f"synth_{c.synth_target.value}.json", _synth_missing,
            needs=(Step.rtl,)),
    StepDef(Step.board, step_board,
            lambda r, c: {"ir": r.ir_dir, **_code(*_RTL_CODE, "hls/board", "hls/synth", "sim/board")},
            lambda r, c: r.path / "board" / str(c.board) / "run_sim.json", _synth_missing, needs=(Step.export,)),
    StepDef(Step.report, step_report, lambda r, c: {}, lambda r, c: None, always=True),
]}
