"""``qnn board`` (a run to a bitstream on iCEBreaker / ULX3S) and ``qnn board-run`` (the host driver).

Thin wrappers over ``hls.board.build.build_board`` and ``qnn.board.session.board_run``.
"""
from __future__ import annotations

from pathlib import Path

import typer

from qnn.cli.common import console, writes_run

BOARD_HELP = "icebreaker (iCE40 UP5K), ulx3s-25f, ulx3s-45f, ulx3s-85f (ECP5)."


def print_build(info: dict) -> None:
    res = info.get("resources") or {}
    util = ", ".join(f"{k} {u}/{c}" for k, (u, c) in (info.get("utilization") or {}).items() if u)
    console.print(f"[bold]{info['board']}[/bold] ({info['family']} {info['device']}): folded for "
                  f"{info['target_cycles']} cycles/inference; clock {info['clock_mhz']:g} MHz from the PLL "
                  f"({_pll_text(info['pll'])}); UART {info['baud']} baud = {info['cycles_per_bit']} cycles/bit")
    if info.get("bitstream"):
        spram = f", SPRAM {res['spram']} (weights loaded over the UART)" if res.get("spram") else ""
        console.print(f"resources: LUT {res.get('lut')}, FF {res.get('ff')}, BRAM {res.get('bram'):g}{spram}, "
                      f"DSP {res.get('dsp')}; placed: {util}")
        console.print(f"timing met: fmax {info['fmax_mhz']:.1f} MHz >= {info['clock_mhz']:g} MHz; bitstream "
                      f"{info['bitstream']} ({info['bitstream_bytes']:,} bytes)")
        console.print(f"program: {info['program']}")
    else:
        console.print("sources only (--no-pnr): board_top.v and the constraints, no bitstream")


def _pll_text(p: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items() if k not in ("family", "f_in", "f_vco"))


def register(app: typer.Typer) -> None:
    @app.command("board")
    @writes_run("run")
    def board_cmd(
        run: Path = typer.Argument(..., help="Run directory (needs ir/ from `qnn export`)."),
        board: str = typer.Option(..., "--board", help=BOARD_HELP),
        freq: float = typer.Option(None, "--freq", help="Board clock in MHz (PLL); default: the board's, lowered to the routed fmax."),
        baud: int = typer.Option(115200, "--baud", help="UART baud rate (e.g. 115200, 3000000)."),
        pnr: bool = typer.Option(True, "--pnr/--no-pnr", help="Synthesize, place, route and pack (else: sources only)."),
        timeout: int = typer.Option(3600, "--timeout", help="Seconds allowed per Yosys / nextpnr run."),
        target_cycles: int = typer.Option(None, "--target-cycles", help="Fold for this many cycles per inference instead of the fastest folding that fits (the UART needs milliseconds per vector anyway)."),
        memory: list[str] = typer.Option(None, "--memory", help="Weight memory of a matrix layer: LAYER=auto|bram|lut|spram (iCEBreaker: spram weights are sent over the UART before inference; the fit picks it by itself where block RAMs run out)."),
    ) -> None:
        """Fold to fit the board, synthesize, place and route at the PLL clock, write the bitstream and the
        PCF / LPF into RUN/board/<board>/."""
        from hls.board.build import build_board
        from hls.rtlgen.generate import parse_memory
        from qnn.run import Run

        with console.status("board build ...") as status:
            info = build_board(Run(run).require(), board, freq, baud, pnr, timeout,
                               log=lambda m: (console.log(m), status.update(m)), target_cycles=target_cycles,
                               memory=parse_memory(memory))
        print_build(info)

    @app.command("board-run")
    @writes_run("run")
    def board_run_cmd(
        run: Path = typer.Argument(..., help="Run directory with a board build."),
        inputs: Path = typer.Argument(None, help="A .png image or .wav clip (default: the test set)."),
        port: str = typer.Option(..., "--port", help="Serial port (/dev/ttyUSB1) or 'sim' for the Verilator model of the board."),
        board: str = typer.Option(None, "--board", help="Which build (needed when the run has several)."),
        vectors: int = typer.Option(200, "--vectors", "-n", help="Test vectors to send."),
        argmax: bool = typer.Option(False, "--argmax", help="Ask for the class index instead of all outputs."),
        retries: int = typer.Option(3, "--retries", help="Resends of a vector after an error or lost reply."),
        timeout: float = typer.Option(None, "--timeout", help="Seconds to wait for a reply."),
        data_dir: Path = typer.Option(None, "--data-dir", help="Dataset folder (default: the run's)."),
    ) -> None:
        """Send inputs to the board, compare every reply with the golden model, report throughput and latency."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from qnn.board.session import board_run
        from qnn.run import Run

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as prog:
            task = prog.add_task(f"board {port}", total=None)
            res, info = board_run(Run(run).require(), port, board, vectors, inputs, "argmax" if argmax else "outputs",
                                  retries, timeout, data_dir,
                                  progress=lambda d, t: prog.update(task, completed=d, total=t))
        d = res.to_dict()
        console.print(f"[bold]{info['board']}[/bold] on {port}: {res.exact}/{res.vectors} bit-exact against the "
                      f"golden model ({res.mode}); {res.retries} retries")
        console.print(f"host: {d['vectors_per_s']:.1f} vectors/s, latency {d['latency_ms_mean']:.2f} ms mean, "
                      f"{d['latency_ms_max']:.2f} ms max")
        if res.sim.get("board_vectors_per_s"):
            s = res.sim
            console.print(f"on the board at {info['clock_mhz']:g} MHz and {info['baud']} baud (modelled from the "
                          f"simulated cycles): {s['board_vectors_per_s']:.1f} vectors/s, {s['board_latency_ms']:.2f} ms "
                          f"per vector ({s['uart_ms_per_vector']:.2f} ms UART, {s['compute_us']:.1f} us compute)")
