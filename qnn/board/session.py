"""``board_run``: a run's board build, its inputs, a transport, the driver; what ``qnn board-run`` prints.

Inputs are the run's test set (first ``n``), a PNG (grey levels scaled to [0, 1] and resized to the
model's input, as the MNIST digits are) or a WAV (the keyword-spotting features of ``qnn predict``); all
are quantized by ``qnn.golden.execute.quantize_input``, the golden model's own input step.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hls.board.boards import BOARDS, board_named
from hls.board.build import board_dir, load_board
from hls.board.top import Geometry
from hls.rtlgen.design import load_design
from qnn.board.driver import BoardRun, check_info, load_weights, model_board_timing, run_vectors
from qnn.board.transport import SerialTransport, SimTransport
from qnn.errors import CheckFailed, QnnError
from qnn.run import Run
from qnn.util.atomic import atomic_write_text


def pick_board(run: Run, name: str | None) -> str:
    if name:
        board_named(name)
        return name
    built = sorted(p.name for p in (run.path / "board").glob("*") if (p / "board.json").is_file() and p.name in BOARDS)
    if len(built) == 1:
        return built[0]
    if not built:
        raise QnnError(f"run {run.path} has no board build: run `qnn board {run.path} --board icebreaker` first")
    raise QnnError(f"run {run.path} has builds for {', '.join(built)}: choose one with --board")


def load_inputs(run: Run, graph, n: int | None, file: Path | None, data_dir=None) -> tuple[np.ndarray, str]:
    """(float model inputs, where they came from)."""
    if file is None:
        from qnn.vectors import float_vectors

        v = float_vectors(run, graph, n, data_dir)
        return v.x, v.source
    file = Path(file)
    if not file.is_file():
        raise QnnError(f"input file {file} not found")
    if file.suffix.lower() == ".wav":
        from qnn.audio.mfcc import features
        from qnn.audio.wav import load_clip
        from qnn.kws_predict import run_kws_setup

        cfg, _ = run_kws_setup(run)
        audio = load_clip(file, sample_rate=cfg.sample_rate, num_samples=cfg.num_samples)
        return features(audio[None], cfg), str(file)
    if file.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".pgm"):
        from PIL import Image

        shape = tuple(graph.input_shape)
        side = int(round(np.sqrt(np.prod(shape))))
        img = Image.open(file).convert("L").resize((side, side))
        x = (np.asarray(img, dtype=np.float32) / 255.0).reshape(1, *shape)
        return x, str(file)
    raise QnnError(f"input file {file}: give a .png image or a .wav clip")


def board_run(run: Run, port: str, board: str | None = None, n: int | None = 200, file: Path | None = None,
              mode: str = "outputs", retries: int = 3, timeout: float | None = None, data_dir=None,
              progress=None) -> tuple[BoardRun, dict]:
    """Run vectors through the board on ``port`` ('sim': its Verilator model); returns (result, build info).
    Raises CheckFailed when any vector differs from the golden model."""
    from qnn.golden.execute import quantize_input, run_integer

    name = pick_board(run, board)
    info = load_board(run, name)
    rtl = Path(info["dir"]) / "rtl"
    design = load_design(rtl)
    geo = Geometry(**info["geometry"])
    graph = run.graph()
    x, source = load_inputs(run, graph, n, file, data_dir)
    q = quantize_input(graph, x)
    expected = np.asarray(run_integer(graph, q)).reshape(len(q), -1)
    if port == "sim":
        from sim.board.build import build_sim, sim_cpb

        cpb = sim_cpb(geo, design.ideal_cycles)
        exe = build_sim(board_named(name), rtl, info["sources"], cpb, board_dir(run, board_named(name)) / "sim",
                        weight_load=bool(geo.wl_words))
        t = SimTransport(exe, timeout or 60.0, Path(info["dir"]) / "sim_board.log")
    else:
        cpb = info["cycles_per_bit"]
        frame_s = (geo.request_bytes + geo.reply_bytes) * 10 / info["baud"]
        t = SerialTransport(port, info["baud"], timeout or max(1.0, 4 * frame_s))
    try:
        check_info(t, geo, info["design_id"])
        load_s = load_weights(t, rtl, geo, retries) if geo.wl_words else None
        res = run_vectors(t, geo, design.in_encoding, design.out_encoding, q, expected, mode=mode, retries=retries,
                          progress=progress)
        if load_s is not None:
            res.weight_load = {"words": geo.wl_words, "bytes": 2 * geo.wl_words + 5, "wall_s": round(load_s, 3)}
    finally:
        closed = t.close()
    if port == "sim":
        res.sim = {"cycles_per_bit": cpb, "cycles": closed.get("cycles"),
                   **model_board_timing(closed.get("replies", [])[2 if geo.wl_words else 1:], geo, info["clock_mhz"],
                                        info["baud"])}
    out = {"source": source, "board": name, "port": port, **res.to_dict()}
    atomic_write_text(Path(info["dir"]) / f"run_{'sim' if port == 'sim' else 'serial'}.json", json.dumps(out, indent=2))
    if not res.ok:
        m = res.mismatches[0] if res.mismatches else {}
        raise CheckFailed(f"board ({port}) differs from the golden model on {res.vectors - res.exact} of "
                          f"{res.vectors} vectors; first: vector {m.get('vector')}, expected {m.get('expected')}, "
                          f"got {m.get('got')}", out)
    return res, info
