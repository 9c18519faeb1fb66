"""The report of a sweep: the grid, the results table, accuracy/cost plots with the Pareto front, and the
bit-exactness and synthesis figures of every point (confusion matrices when the points made them)."""
from __future__ import annotations

from pathlib import Path

from qnn.report.document import Block, Heading, Image, Table, Text, pct, write_report
from qnn.sweep.pareto import pareto_front


def sweep_blocks(folder: Path) -> list[Block]:
    from qnn.sweep.plots import sweep_plots
    from qnn.sweep.runner import load_spec
    from qnn.sweep.table import ResultsTable

    spec = load_spec(folder)
    order = [p.id for p in spec.points()]
    rows = ResultsTable(folder).ordered(order)
    ok = [r for r in rows if r.get("status") == "ok"]
    blocks: list[Block] = [Text(
        f"{spec.dataset}, models {', '.join(spec.presets)}"
        + (f" (hidden {list(spec.hidden)})" if spec.hidden else "")
        + f"; weight bits {list(spec.weight_bits)} x activation bits {list(spec.act_bits)}"
        + (" + float" if spec.include_float else "")
        + f"; {spec.epochs} epoch(s) per point" + (f" on {spec.limit_train} samples" if spec.limit_train else "")
        + f"; steps {', '.join(s.value for s in spec.steps)}. {len(ok)} of {len(order)} points finished.")]

    blocks.append(Heading("Results"))
    blocks.append(Table(
        ["point", "accuracy", "Brevitas", "BOPs", "LUT", "FF", "BRAM", "DSP", "ideal cycles", "cycles/inf.",
         "RTL exact", "status"],
        [[r["id"], pct(r.get("accuracy")), pct(r.get("brevitas_accuracy")), r.get("bops"), r.get("lut"), r.get("ff"),
          r.get("bram"), r.get("dsp"), r.get("ideal_cycles"), r.get("cycles_per_inference"), r.get("sim_exact"),
          r.get("status") + (f": {r['message']}" if r.get("status") != "ok" and r.get("message") else "")]
         for r in rows],
        f"test accuracy of the golden integer model (float: PyTorch); results.csv / results.json in {folder}"))

    for cost, label in (("bops", "BOPs"), ("lut", "LUTs")):
        pts = [r for r in rows if r.get(cost) not in (None, "") and r.get("accuracy") is not None]
        if pts:
            front = pareto_front([float(r[cost]) for r in pts], [r["accuracy"] for r in pts])
            blocks.append(Text(f"Pareto front (accuracy vs {label}): " + ", ".join(
                f"{pts[i]['id']} ({pts[i]['accuracy']:.2%} at {pts[i][cost]:,} {label})" for i in front) + "."))

    sim = [r for r in ok if r.get("sim_exact")]
    if sim:
        n_exact = sum(1 for r in sim if r.get("bit_exact"))
        blocks += [Heading("Bit-exactness"),
                   Text(f"RTL simulation equals the golden model bit for bit on {n_exact} of {len(sim)} points "
                        f"(per point: exact vectors / vectors simulated, in the table above).")]

    plots = sweep_plots(rows, folder / "plots", folder.name) if rows else []
    if plots:
        blocks.append(Heading("Plots"))
        blocks += [Image(p, p.stem.replace("_", " ")) for p in plots]
    confusions = [(r["id"], p) for r in ok
                  for p in sorted((folder / "points" / r["id"] / "plots").glob("confusion_*.png"))]
    if confusions:
        blocks.append(Heading("Confusion matrices"))
        blocks += [Image(p, f"{pid}: {p.stem.replace('_', ' ')}") for pid, p in confusions]
    return blocks


def write_sweep_report(folder: str | Path) -> tuple[Path, Path]:
    folder = Path(folder)
    return write_report(f"Sweep {folder.name}", sweep_blocks(folder), folder / "report.md")


