"""ECP5 block RAM with its output register (DP16KD REGMODE = "OUTREG") for Yosys's ``synth_ecp5``.

An unregistered DP16KD has a 5.8 ns clock-to-out, so every block RAM -> fabric path caps the clock
near 130 MHz; Yosys 0.23 never packs a following flip-flop into the RAM's output register.  The cores
(``hls/rtl/qnn_rom.v``, ``qnn_ram.v``) therefore describe a memory read as two registers, and under
```define QNN_ECP5_OUTREG`` write a block-RAM memory with the first register only and
``ram_style = "qnn_outreg"``.  This module makes Yosys map exactly those memories to DP16KD cells
with REGMODE = "OUTREG" (the second register):

- a memory library, Yosys's own ``ecp5/brams.txt`` with the cells renamed and selectable only by the
  style ``qnn_outreg`` (higher cost, so no other memory picks them), and the matching techmap, Yosys's
  ``ecp5/brams_map.v`` renamed with REGMODE_A/B = "OUTREG" (both derived from the installed Yosys, so
  they follow its version);
- the ``synth_ecp5`` script split around its ``map_ram`` step, with a check that no memory marked
  ``qnn_outreg`` was left unmapped (it would lose a cycle and the design would no longer match the
  simulation), and a check that none was split in depth: for a memory deeper than one DP16KD
  configuration ``memory_libmap`` adds a bank multiplexer whose select register suits a one-register
  read, a cycle early behind the output register (the netlist would read the wrong bank on every
  bank change).  The cores bank such memories themselves (``qnn_rom.v`` BANK_DEPTH, registered
  multiplexer); the check names the ``generate_mux`` cells of one that was not.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from qnn.errors import QnnError

DEFINE = "QNN_ECP5_OUTREG"
STYLE = "qnn_outreg"
_RENAME = {"$__ECP5_DP16KD_": "$__QNN_ECP5_DP16KD_OR_", "$__ECP5_PDPW16KD_": "$__QNN_ECP5_PDPW16KD_OR_"}


def yosys_datdir() -> Path:
    if shutil.which("yosys-config"):
        p = subprocess.run(["yosys-config", "--datdir"], stdout=subprocess.PIPE, text=True, check=False)
        if p.returncode == 0 and Path(p.stdout.strip(), "ecp5", "brams.txt").is_file():
            return Path(p.stdout.strip())
    for d in (Path("/usr/share/yosys"), Path("/usr/local/share/yosys")):
        if (d / "ecp5" / "brams.txt").is_file():
            return d
    raise QnnError("Yosys's ECP5 library (share/yosys/ecp5/brams.txt) not found: install yosys")


def write_library(out_dir: Path) -> tuple[Path, Path]:
    """Write the memory library and the techmap into ``out_dir``; return their paths."""
    src = yosys_datdir() / "ecp5"
    lib = (src / "brams.txt").read_text()
    cells = (src / "brams_map.v").read_text()
    for old, new in _RENAME.items():
        lib = lib.replace(old, new)
        cells = cells.replace(old, new)
    if "\tcost 128;" not in lib or '.REGMODE_B("NOREG")' not in cells:
        raise QnnError(f"unexpected Yosys ECP5 block RAM library in {src}: cannot derive the OUTREG variant")
    lib = lib.replace("\tcost 128;", f'\tcost 256;\n\tstyle "{STYLE}";')
    for port in ("A", "B"):
        cells = cells.replace(f'.REGMODE_{port}("NOREG")', f'.REGMODE_{port}("OUTREG")')
    out_dir.mkdir(parents=True, exist_ok=True)
    lib_p, map_p = out_dir / "qnn_ecp5_outreg.txt", out_dir / "qnn_ecp5_outreg_map.v"
    lib_p.write_text(lib)
    map_p.write_text(cells)
    return lib_p, map_p


def synth_script(top: str, synth_cmd: str, out_dir: Path) -> list[str]:
    """``synth_ecp5`` in three parts, with the OUTREG memories mapped in between."""
    lib_p, map_p = write_library(out_dir)
    return [
        f"{synth_cmd} -top {top} -run begin:map_ram",
        f"memory_libmap -lib {lib_p} -lib +/ecp5/lutrams.txt -lib +/ecp5/brams.txt",
        f"select -assert-none t:$mem_v2 a:ram_style={STYLE} %i",
        # an OUTREG memory split in depth: memory_libmap's bank-select cells beside the block RAMs
        f"select -assert-none {' '.join('t:' + c for c in _RENAME.values())} %u %x2 n:*generate_mux* %i",
        f"techmap -map {map_p} -map +/ecp5/lutrams_map.v -map +/ecp5/brams_map.v",
        f"{synth_cmd} -top {top} -run map_ffram:",
    ]
