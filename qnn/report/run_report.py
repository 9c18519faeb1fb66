"""The report of one run: configuration, flow steps, accuracy, cost, bit-exactness, synthesis, plots."""
from __future__ import annotations

import json
from pathlib import Path

from qnn.report.document import Block, Code, Heading, Image, Table, Text, pct, write_report
from qnn.run import Run


def _json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def plot_training(run: Run, hist: list[dict]) -> Path | None:
    """Loss and accuracy per epoch (plots/training.png)."""
    if not hist:
        return None
    from qnn.metrics.plots import plt, save_figure

    ep = [h["epoch"] for h in hist]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.2))
    a1.plot(ep, [h["train_loss"] for h in hist], "o-")
    a1.set_xlabel("epoch")
    a1.set_ylabel("training loss")
    a1.grid(alpha=0.3)
    a2.plot(ep, [h["train_acc"] for h in hist], "o-", label="train")
    if all("val_acc" in h for h in hist):
        a2.plot(ep, [h["val_acc"] for h in hist], "s-", label="validation")
    a2.set_xlabel("epoch")
    a2.set_ylabel("accuracy")
    a2.grid(alpha=0.3)
    a2.legend()
    fig.suptitle(f"{run.name}: training")
    return save_figure(fig, run.plots_dir / "training.png")


def run_blocks(run: Run) -> list[Block]:
    run.require()
    cfg, metrics = run.config, run.metrics
    blocks: list[Block] = []
    model = cfg.get("model") or {}
    ds = (cfg.get("dataset") or {}).get("name", "none")
    if cfg.get("imported"):
        blocks.append(Text(f"Imported QONNX model ({cfg['imported'].get('source')}); dataset: {ds}."))
    else:
        tr = cfg.get("train", {})
        tag = (f"{model.get('preset')} w{model.get('weight_bits')}a{model.get('act_bits')}"
               if model.get("weight_bits") != 32 else f"{model.get('preset')} float")
        blocks.append(Text(f"Model {tag}, hidden {model.get('hidden')}, channels {model.get('channels') or '-'}, "
                           f"input {model.get('input_bits')} bits; dataset {ds}"
                           + (f" (first {cfg['limit_train']} training samples)" if cfg.get("limit_train") else "")
                           + f"; {tr.get('epochs')} epochs, batch {tr.get('batch_size')}, lr {tr.get('lr')}, "
                             f"seed {tr.get('seed')}."))

    flow = _json(run.path / "flow.json")
    if flow and flow.get("last_summary"):
        blocks += [Heading("Flow"),
                   Table(["step", "status", "seconds", "result"],
                         [[s["step"], s["status"], s["seconds"], s["line"]] for s in flow["last_summary"]])]
        bad = next((s for s in flow["last_summary"] if s["status"] in ("check failed", "failed")), None)
        if bad is not None:
            stop = "; the flow stopped there and built nothing after it" if bad["status"] == "check failed" else ""
            blocks.append(Text(f"Step {bad['step']} {bad['status']}: {bad['line']}{stop}."))

    ev = metrics.get("eval")
    if ev:
        blocks.append(Heading("Accuracy"))
        rows = []
        for key, label in (("float", "float baseline"), ("brevitas", "quantized (Brevitas)"),
                           ("qonnx", "qonnx execution"), ("golden", "golden (integer)")):
            if key in ev:
                rows.append([label, pct(ev[key]["accuracy"]), ev[key]["macro_f1"], ev[key]["n"]])
        blocks.append(Table(["model", "accuracy", "macro F1", "test samples"], rows,
                            f"{ev.get('dataset')}, split {ev.get('split')}"))
        if "golden_vs_brevitas" in ev:
            a = ev["golden_vs_brevitas"]
            blocks.append(Text(f"Golden integer model vs Brevitas: identical argmax on {a['argmax_equal']:.2%} of the "
                               f"test set ({a['argmax_mismatches']} differ), max |logit difference| "
                               f"{a['max_abs_diff']:.3g}."))
        if "detection" in ev:
            m = ev["detection"]["macro"]
            blocks.append(Text("Keyword detection (macro over keywords): " + ", ".join(
                f"{k.upper()} {v:.3f}" for k, v in m.items() if isinstance(v, float))
                + "".join(f", FNR at FPR {float(t):.0%} {v:.3f}" for t, v in m.get("fnr_at_fpr", {}).items()
                          if v is not None)))

    cost = metrics.get("cost")
    if cost:
        blocks += [Heading("Cost"), Text(f"{cost['macs']:,} MACs and {cost['bops']:,} bit operations (BOPs = MACs x "
                                         "weight bits x input bits, summed over the matrix layers) per inference.")]
        if cost.get("layers"):
            blocks.append(Table(["layer", "kind", "MACs", "weight bits", "input bits", "BOPs"],
                                [[r["name"], r["kind"], r["macs"], r["weight_bits"], r["act_bits"], r["bops"]]
                                 for r in cost["layers"]]))

    if (run.ir_dir / "graph.json").is_file():
        try:
            blocks += [Heading("Integer IR"), Code(run.graph().summary())]
        except Exception:  # noqa: BLE001 - a report never fails on one section
            pass

    blocks += _exactness_blocks(run, metrics)
    blocks += _synth_blocks(run)
    from qnn.report.board_section import board_blocks

    blocks += board_blocks(run)

    hist = metrics.get("train")
    images = []
    if hist and (p := plot_training(run, hist)):
        images.append(p)
    images += [p for p in sorted(run.plots_dir.glob("*.png")) if p.name != "training.png"]
    if images:
        blocks.append(Heading("Plots"))
        blocks += [Image(p, p.stem.replace("_", " ")) for p in images]
    return blocks


def _exactness_blocks(run: Run, metrics: dict) -> list[Block]:
    rows = []
    hls = _json(run.hls_dir / "csim.json")
    if hls and "csim" in hls:
        c = hls["csim"]
        rows.append(["hls4ml C simulation", f"{c.get('exact_vectors')}/{c.get('vectors')}",
                     c.get("exact_vectors") == c.get("vectors"), "-", hls.get("vector_source", "")])
    for res_file in sorted(run.sim_dir.glob("*/result.json")):
        r = _json(res_file) or {}
        cpi = r.get("cycles_per_inference")
        rows.append([f"RTL simulation ({r.get('simulator', res_file.parent.name)})", f"{r.get('exact')}/{r.get('vectors')}",
                     bool(r.get("ok")), f"{cpi:.1f} (ideal {r.get('ideal_cycles')})" if cpi else "-",
                     f"gaps {r.get('gap')}, backpressure {r.get('backpressure')}, latency {r.get('latency_cycles')}"])
    if not rows:
        return []
    return [Heading("Bit-exactness against the golden model"),
            Table(["execution", "exact vectors", "bit-exact", "cycles/inference", "notes"], rows)]


def _synth_blocks(run: Run) -> list[Block]:
    rows = []
    for f in sorted(run.synth_dir.glob("*/synth_*.json")):
        r = _json(f) or {}
        fmax = r.get("fmax_mhz")
        rows.append([r.get("target"), r.get("device"), r.get("lut"), r.get("ff"), r.get("bram"), r.get("dsp"),
                     f"{fmax:.1f}" if fmax else "-", r.get("fit_message", "")])
    if not rows:
        return []
    design = _json(run.rtl_dir / "design.json") or {}
    out: list[Block] = [Heading("Synthesis (Yosys, nextpnr)"),
                        Table(["target", "device", "LUT", "FF", "BRAM", "DSP", "fmax MHz", "fit"], rows)]
    if design.get("layers"):
        out.append(Table(["layer", "kind", "in x out", "PE", "SIMD", "cycles"],
                         [[l["name"], l["kind"], f"{l['n_in']} x {l['n_out']}", l["pe"], l["simd"], l["cycles"]]
                          for l in design["layers"]], "folding"))  # noqa: E741
    return out


def write_run_report(run: Run | str | Path) -> tuple[Path, Path]:
    """RUN/report.md and RUN/report.html."""
    run = run if isinstance(run, Run) else Run(run)
    return write_report(f"Run {run.name}", run_blocks(run), run.report_file)
