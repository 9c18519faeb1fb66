"""Build the simulated board: Verilator on ``board_top.v`` with ``QNN_SIM`` (PLL bypassed) and ``main.cpp``.

The UART runs at ``cpb`` cycles per bit (a few, so a frame takes thousands of cycles, not millions), the
mid-frame timeout at ``TIMEOUT_BYTES`` byte times.  Builds are cached under ``cache/<fingerprint>`` (every
source, the parameters and the Verilator version), like the network harness (``sim/harness/build.py``).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from hls.board.boards import Board
from qnn.errors import QnnError
from sim.harness.build import VERILATOR_MAKE, _version
from sim.tools import simulator_env

HERE = Path(__file__).resolve().parent
TIMEOUT_BYTES = 64


def sim_cpb(geo, ideal_cycles: int) -> int:
    """Cycles per bit in simulation: small, but slow enough that the network takes each input word before
    the next one is complete (a vector's bytes last at least twice its ideal cycles)."""
    byte_bits = 10 * geo.in_words * geo.in_wb
    return max(4, -(-2 * ideal_cycles // byte_bits))


def build_sim(board: Board, rtl_dir: Path, sources: list[str], cpb: int, cache: Path, weight_load: bool = False) -> Path:
    """The simulator executable (built when missing); ``weight_load``: the design has a weight-load port."""
    simulator_env("verilator")
    rtl_dir = Path(rtl_dir).resolve()
    params = {"CPB": cpb, "TIMEOUT": TIMEOUT_BYTES * 10 * cpb, "MEM_DIR": str(rtl_dir) + "/"}
    rst = board.reset_n.lstrip("~")
    defines = {"SIM_CPB": cpb, "PIN_CLK": board.clock, "PIN_RX": board.rx, "PIN_TX": board.tx, "PIN_RST": rst,
               "PIN_RST_IDLE": 0 if board.reset_n.startswith("~") else 1}
    h = hashlib.sha256()
    for s in sources:
        h.update(s.encode() + b"\0" + (rtl_dir / s).read_bytes())
    vdefs = ["-DQNN_SIM", *(["-DQNN_WEIGHT_LOAD"] if weight_load else [])]
    h.update((HERE / "main.cpp").read_bytes() + repr(sorted(params.items())).encode() + repr(sorted(defines.items())).encode())
    h.update(repr(vdefs).encode())
    h.update(_version("verilator").encode() + VERILATOR_MAKE.encode())
    cache = Path(cache).resolve()
    out = cache / h.hexdigest()[:16]
    exe = out / "board_sim"
    if exe.is_file():
        return exe
    tmp = cache / f".{out.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cflags = " ".join(f"-D{k}={v}" for k, v in defines.items())
    gparams = [f"-G{k}=" + (f'"{v}"' if isinstance(v, str) else str(v)) for k, v in params.items()]
    cmd = ["verilator", "--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal",
           "-Wno-lint", "-Wno-style", "--top-module", "board_top", *vdefs, *gparams, "-CFLAGS", cflags,
           "--Mdir", str(tmp / "obj"), "-o", str(tmp / "board_sim"), str(HERE / "main.cpp"),
           *(str(rtl_dir / s) for s in sources)]
    env = dict(os.environ)
    env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " " + VERILATOR_MAKE).strip()
    log = tmp / "build.log"
    with log.open("w") as f:
        p = subprocess.run(cmd, cwd=tmp, env=env, stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise QnnError(f"Verilator build of the simulated board failed (exit {p.returncode}); log tail:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")
    shutil.rmtree(tmp / "obj", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    for old in sorted((p for p in cache.iterdir() if p.is_dir() and p != out and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime)[:-2]:
        shutil.rmtree(old, ignore_errors=True)
    return out / "board_sim"
