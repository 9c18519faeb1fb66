"""Sweep plots: accuracy vs bit width, and accuracy vs hardware cost (LUTs, BOPs) with the Pareto front."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qnn.metrics.plots import plt, save_figure
from qnn.sweep.grid import FLOAT
from qnn.sweep.pareto import pareto_front


def _quant_rows(rows: list[dict], key: str = "accuracy") -> list[dict]:
    return [r for r in rows if r.get(key) is not None and r["weight_bits"] != FLOAT]


def plot_accuracy_vs_bits(rows: list[dict], path: str | Path, title: str = "") -> Path | None:
    """Accuracy against weight bits, one line per activation bit width (per preset); float as a dashed line."""
    quant = _quant_rows(rows)
    floats = [r for r in rows if r["weight_bits"] == FLOAT and r.get("accuracy") is not None]
    if not quant and not floats:
        return None
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    acts = sorted({r["act_bits"] for r in quant})
    wbits = sorted({r["weight_bits"] for r in quant})
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(acts), 1)))
    markers = "osD^v<>"
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for pi, preset in enumerate(presets):
        for ai, a in enumerate(acts):
            pts = sorted((r["weight_bits"], r["accuracy"]) for r in quant if r["preset"] == preset and r["act_bits"] == a)
            if pts:
                label = f"a = {a} bit" + (f" ({preset})" if len(presets) > 1 else "")
                ax.plot(*zip(*pts), marker=markers[pi % len(markers)], color=colors[ai], lw=1.6, label=label)
        for r in floats:
            if r["preset"] == preset:
                ax.axhline(r["accuracy"], color="k", ls="--", lw=1.2,
                           label=f"float ({preset}) {r['accuracy']:.2%}")
    ax.set_xticks(wbits or [1])
    ax.set_xlabel("weight bits")
    ax.set_ylabel("test accuracy (golden integer model)")
    accs = [r["accuracy"] for r in quant + floats]
    lo = min(accs)
    ax.set_ylim(max(0.0, lo - 0.05 * max(1e-3, max(accs) - lo) - 0.01), min(1.0, max(accs) + 0.01))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title or "Accuracy vs bit width")
    return save_figure(fig, path)


def plot_accuracy_vs_cost(rows: list[dict], cost: str, path: str | Path, xlabel: str, title: str = "",
                          log: bool = True) -> Path | None:
    """Accuracy against ``cost`` (a row key: "lut", "bops"), points labelled wXaY, the Pareto front joined."""
    pts = [r for r in rows if r.get("accuracy") is not None and r.get(cost) not in (None, "")]
    if not pts:
        return None
    costs = [float(r[cost]) for r in pts]
    accs = [float(r["accuracy"]) for r in pts]
    front = pareto_front(costs, accs)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    acts = sorted({r["act_bits"] for r in pts if r["act_bits"] != FLOAT})
    colors = dict(zip(acts, plt.cm.viridis(np.linspace(0, 0.9, max(len(acts), 1)))))
    for r, c, a in zip(pts, costs, accs):
        fl = r["weight_bits"] == FLOAT
        ax.scatter([c], [a], s=36, marker="*" if fl else "o", color="k" if fl else colors[r["act_bits"]], zorder=3)
        ax.annotate("float" if fl else f"w{r['weight_bits']}a{r['act_bits']}", (c, a), textcoords="offset points",
                    xytext=(4, 3), fontsize=7)
    fx, fy = [costs[i] for i in front], [accs[i] for i in front]
    ax.step(fx, fy, where="post", color="crimson", lw=1.5, zorder=2)
    ax.scatter(fx, fy, s=120, facecolors="none", edgecolors="crimson", lw=1.5, zorder=4, label="Pareto front")
    for a, col in colors.items():
        ax.scatter([], [], color=col, label=f"a = {a} bit")
    if log and min(costs) > 0 and max(costs) / min(costs) > 20:  # spans decades (float vs 1-bit BOPs)
        ax.set_xscale("log")
    else:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title or f"Accuracy vs {xlabel}")
    return save_figure(fig, path)


def sweep_plots(rows: list[dict], folder: str | Path, name: str = "") -> list[Path]:
    folder = Path(folder)
    pre = f"{name}: " if name else ""
    out = [plot_accuracy_vs_bits(rows, folder / "accuracy_vs_bits.png", f"{pre}accuracy vs bit width"),
           plot_accuracy_vs_cost(rows, "lut", folder / "accuracy_vs_luts.png", "LUTs (Yosys)",
                                 f"{pre}accuracy vs LUTs, Pareto front"),
           plot_accuracy_vs_cost(rows, "bops", folder / "accuracy_vs_bops.png", "bit operations per inference (BOPs)",
                                 f"{pre}accuracy vs BOPs, Pareto front")]
    return [p for p in out if p is not None]
