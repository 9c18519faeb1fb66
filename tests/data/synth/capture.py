"""Regenerate the captured tool output in this folder (real Yosys / nextpnr runs, parsed by tests/test_synth.py).

    .venv/bin/python tests/data/synth/capture.py

A tiny MLP (784-8-10, w2a2, folded for 800 cycles/inference) synthesized for iCE40 (up5k, with nextpnr),
ECP5 (25k, with YoWASP nextpnr) and Xilinx 7 (Yosys only); plus nextpnr-ice40 on a device too small
(hx1k, 1280 logic cells), for the "does not fit" message. The reports' cell counts and fmax are stored beside the raw files.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (rtl_helpers)


def main() -> None:
    from rtl_helpers import make_graph

    from hls.rtlgen import generate_rtl
    from hls.synth.flow import synthesize

    tmp = Path(tempfile.mkdtemp())
    graph, _ = make_graph(tmp / "g", hidden=(8,))
    generate_rtl(graph, tmp / "rtl", target_cycles=800)
    expected = {}
    for target, device in (("ice40", "up5k"), ("ecp5", "25k"), ("xilinx", "xc7a35t")):
        out = tmp / target
        rep = synthesize(tmp / "rtl", target, out, device=device, pnr=True)
        shutil.copyfile(out / f"qnn_top_{target}_stat.json", HERE / f"qnn_top_{target}_stat.json")
        log = out / f"nextpnr_{device}.log"
        if log.is_file():
            shutil.copyfile(log, HERE / f"nextpnr_{target}_{device}.log")
        expected[target] = {k: rep[k] for k in ("lut", "ff", "bram", "dsp", "lutram", "carry", "cells", "fmax_mhz")}
        print(target, expected[target])
    shell = tmp / "ice40" / "qnn_pnr_shell_ice40.json"
    p = subprocess.run(["nextpnr-ice40", "--hx1k", "--package", "vq100", "--json", str(shell), "--freq", "12",
                        "--seed", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    (HERE / "nextpnr_ice40_hx1k_fail.log").write_text(p.stdout)
    expected["ice40_hx1k_returncode"] = p.returncode
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
