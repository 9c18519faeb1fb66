"""Hardware benchmark (issue 14), each core alone: a few sizes per core through Yosys + nextpnr-ecp5 on CORE_DEVICE,
before (commit BEFORE's cores, where the core and its parameters existed) and after (this tree), so that a
regression shows per core.  Rows are kept in bench/results/hw.json; a rerun resumes."""
from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hw_designs import BEFORE, ROOT

# each core alone, a few sizes (sim/cores.py and sim/cores_dw.py parameter names; ROM contents random)
_SWU = {"K_H": 3, "K_W": 3, "S_H": 1, "S_W": 1, "P_T": 1, "P_L": 1, "P_B": 1, "P_R": 1}
CORE_SIZES = {
    "mvu-tfc0-w2a8": ("mvu", {"N_IN": 784, "N_OUT": 64, "PE": 4, "SIMD": 16, "IN_BITS": 8, "IN_MODE": 0, "W_BITS": 2,
                              "W_MODE": 1}),
    "mvu-64x64-w2a2": ("mvu", {"N_IN": 64, "N_OUT": 64, "PE": 1, "SIMD": 8, "IN_BITS": 2, "IN_MODE": 0, "W_BITS": 2,
                               "W_MODE": 1}),
    "mvu-tfc0-xnor": ("mvu", {"N_IN": 784, "N_OUT": 64, "PE": 32, "SIMD": 16, "IN_BITS": 1, "IN_MODE": 2, "W_BITS": 1,
                              "W_MODE": 2}),
    "mvu-conv-w4a4": ("mvu", {"N_IN": 144, "N_OUT": 32, "PE": 4, "SIMD": 16, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 4,
                              "W_MODE": 1}),
    # the CNN's dense layer: a 64-bit x 12,544-word weight ROM, 25 banks of 512 (qnn_rom BANK_DEPTH; before: one ROM)
    "mvu-deep-rom-w4a4": ("mvu", {"N_IN": 1568, "N_OUT": 128, "PE": 1, "SIMD": 16, "IN_BITS": 4, "IN_MODE": 0,
                                  "W_BITS": 4, "W_MODE": 1, "W_BANK_DEPTH": 512}),
    "vvau-c16-k9-pe4": ("vvau", {"C": 16, "K": 9, "PE": 4, "SIMD": 3, "IN_BITS": 4, "IN_MODE": 0, "W_BITS": 4,
                                 "W_MODE": 1}),
    "vvau-c64-k9-pe8x9": ("vvau", {"C": 64, "K": 9, "PE": 8, "SIMD": 9, "IN_BITS": 4, "IN_MODE": 1, "W_BITS": 4,
                                   "W_MODE": 1}),
    "thresh-pe4-nt3": ("thresh", {"PE": 4, "NF": 16, "NT": 3, "IN_BITS": 18, "OUT": "uint"}),
    "thresh-pe8-nt15": ("thresh", {"PE": 8, "NF": 4, "NT": 15, "IN_BITS": 16, "OUT": "uint"}),
    "shift-pe4-18to4": ("shift", {"PE": 4, "IN_BITS": 18, "SHIFT": 6, "OUT_BITS": 4, "OUT_SIGNED": 0}),
    "shift-pe16-16to8": ("shift", {"PE": 16, "IN_BITS": 16, "SHIFT": 4, "OUT_BITS": 8, "OUT_SIGNED": 1}),
    "width_conv-4to8": ("width_conv", {"IN_N": 4, "OUT_N": 8, "EW": 2}),
    "width_conv-16to1": ("width_conv", {"IN_N": 16, "OUT_N": 1, "EW": 4}),
    "fifo-16x64": ("fifo", {"WIDTH": 16, "DEPTH": 64}),
    "fifo-64x8": ("fifo", {"WIDTH": 64, "DEPTH": 8}),
    "swu-28x28-3x3": ("swu", {"IFM_H": 28, "IFM_W": 28, "C": 1, "SIMD": 1, **_SWU, "EW": 8}),
    "swu-14x14-c16-simd16": ("swu", {"IFM_H": 14, "IFM_W": 14, "C": 16, "SIMD": 16, **_SWU, "EW": 4}),
    "maxpool-28x28-c16": ("maxpool", {"IFM_H": 28, "IFM_W": 28, "C": 16, "PE": 8, "K_H": 2, "K_W": 2, "EW": 4,
                                      "SIGNED": 0}),
    "maxpool-14x14-c32-pe1": ("maxpool", {"IFM_H": 14, "IFM_W": 14, "C": 32, "PE": 1, "K_H": 2, "K_W": 2, "EW": 4,
                                          "SIGNED": 0}),
    "sumpool-8x8-c16-global": ("sumpool", {"IFM_H": 8, "IFM_W": 8, "C": 16, "PE": 4, "K_H": 8, "K_W": 8, "IN_BITS": 4,
                                           "SIGNED": 0}),
    "sumpool-16x16-c8-2x2": ("sumpool", {"IFM_H": 16, "IFM_W": 16, "C": 8, "PE": 2, "K_H": 2, "K_W": 2, "IN_BITS": 8,
                                         "SIGNED": 1}),
}


@contextlib.contextmanager
def before_sources() -> Iterator[Path]:
    """hls/rtl of commit BEFORE, unpacked in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "hls/rtl"], check=True,
                              capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=arch, check=True)
        yield Path(tmp) / "hls" / "rtl"


CORE_DEVICE = "25k"  # same ECP5 fabric as the 85k, a smaller chip database: faster place and route


def core_fmax(name: str, rtl_src: Path, work: Path, freq: float = 150) -> dict:
    """One core instance as qnn_top, behind the serial shell, through Yosys + nextpnr-ecp5 (CORE_DEVICE)."""
    from hls.rtlgen.design import Design
    from hls.rtlgen.encoding import Encoding
    from hls.rtlgen.top import Stage, write_top
    from hls.synth.devices import DEVICES
    from hls.synth.flow import place_and_route, synthesize_sources
    from sim.cores import DEPENDS, MODULES, make_case

    core, params = CORE_SIZES[name]
    mod = MODULES[core]
    if not (rtl_src / f"{mod}.v").is_file():
        return {"core": mod, "params": dict(params), "pnr": f"{mod} is not in {rtl_src}"}
    known = set(re.findall(r"parameter\s+(\w+)", (rtl_src / f"{mod}.v").read_text()))
    params = {k: v for k, v in params.items() if k in known or k == "OUT"}  # an older core: its own parameters
    work.mkdir(parents=True, exist_ok=True)
    case = make_case(core, params, work, seed=1, frames=1)
    vparams = {k: (("file", Path(v).name) if isinstance(v, str) else v) for k, v in case.params.items() if k in known}
    files = [*DEPENDS.get(mod, []), mod] if (rtl_src / "qnn_obuf.v").is_file() else [mod]
    files = sorted(set(files) | {"qnn_fifo"}, key=lambda f: f != "qnn_fifo")
    files = [f for f in files if (rtl_src / f"{f}.v").is_file()]
    for f in files:
        shutil.copyfile(rtl_src / f"{f}.v", work / f"{f}.v")
    in_w = max(int(w).bit_length() for w in case.in_words) or 1
    out_w = max(int(w).bit_length() for w in case.out_words) or 1
    widths = port_widths(mod, case.params, in_w, out_w)
    st = Stage(mod, mod, vparams, 1, 1, Encoding(widths[0], 0), Encoding(widths[1], 0))
    top = write_top([st], f"core {name}")
    if "wl_full" not in (rtl_src / f"{mod}.v").read_text():  # an older MVU: no weight-load port to tie off
        top = "\n".join(ln for ln in top.split("\n") if ".wl_valid(1'b0)" not in ln)
    (work / "qnn_top.v").write_text(top)
    srcs = [f"{f}.v" for f in files] + ["qnn_top.v"]
    d = Design(rtl_dir=str(work), top="qnn_top", sources=srcs, in_elems=1, in_enc={"bits": widths[0], "mode": 0},
               in_len=1, out_elems=1, out_enc={"bits": widths[1], "mode": 0}, out_len=1, folding={}, layers=[])
    res = synthesize_sources([work / s for s in srcs], "qnn_top", "ecp5", work / "synth", cwd=work)
    pnr = place_and_route(work, d, DEVICES[CORE_DEVICE], work / "synth", freq, 3600)
    return {"core": mod, "params": dict(params),
            **{k: res[k] for k in ("lut", "ff", "bram", "dsp", "lutram", "carry")},
            "fmax_mhz": pnr.get("fmax_mhz"), "critical_path": pnr.get("critical_path"), "pnr": pnr.get("pnr")}


def port_widths(module: str, p: dict, in_w: int, out_w: int) -> tuple[int, int]:
    """in_data / out_data widths of a core from its parameters."""
    if module == "qnn_mvu":
        return p["SIMD"] * p["IN_BITS"], p["PE"] * p["ACC_BITS"]
    if module == "qnn_thresh":
        return p["PE"] * p["IN_BITS"], p["PE"] * p["OUT_BITS"]
    if module == "qnn_width_conv":
        return p["IN_N"] * p["EW"], p["OUT_N"] * p["EW"]
    if module == "qnn_fifo":
        return p["WIDTH"], p["WIDTH"]
    if module == "qnn_swu":
        return p["SIMD"] * p["EW"], p["SIMD"] * p["EW"]
    if module == "qnn_maxpool":
        return p["PE"] * p["EW"], p["PE"] * p["EW"]
    if module == "qnn_shift":
        return p["PE"] * p["IN_BITS"], p["PE"] * p["OUT_BITS"]
    if module == "qnn_vvau":
        return p["PE"] * p["SIMD"] * p["IN_BITS"], p["PE"] * p["ACC_BITS"]
    if module == "qnn_sumpool":
        return p["PE"] * p["IN_BITS"], p["PE"] * p["OUT_BITS"]
    return in_w, out_w

