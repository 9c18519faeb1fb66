"""The optional ``board`` step of ``qnn flow --board NAME``: bitstream, then the simulated board."""
from __future__ import annotations

from qnn.errors import CheckFailed
from qnn.run import Run


def board_step(run: Run, board: str, freq: float | None, vectors: int, data_dir, timeout: int,
               target_cycles: int | None = None) -> dict:
    from hls.board.build import build_board
    from qnn.board.session import board_run

    info = build_board(run, board, freq, timeout=timeout, target_cycles=target_cycles)
    out = {"board": board, "clock_mhz": info["clock_mhz"], "fmax_mhz": info.get("fmax_mhz"),
           "bitstream": info.get("bitstream"), "bitstream_bytes": info.get("bitstream_bytes"),
           "resources": info.get("resources"), "program": info.get("program")}
    try:
        res, _ = board_run(run, "sim", board, n=vectors, data_dir=data_dir)
    except CheckFailed as e:
        raise CheckFailed(f"simulated {board}: {e}", {**out, **e.result}) from None
    res_d = res.to_dict()
    out.update(sim_vectors=res.vectors, sim_exact=res.exact, board_vectors_per_s=res.sim.get("board_vectors_per_s"))
    r = info.get("resources") or {}
    out["summary"] = (f"{board}: {info['clock_mhz']:g} MHz (fmax {info.get('fmax_mhz') or 0:.1f}), LUT {r.get('lut')}, "
                      f"BRAM {r.get('bram')}; {info.get('bitstream')} {info.get('bitstream_bytes') or 0:,} B; "
                      f"simulated board {res.exact}/{res.vectors} bit-exact, ~{res_d['sim'].get('board_vectors_per_s', 0):.0f} "
                      f"vectors/s at {info['baud']} baud")
    return out
