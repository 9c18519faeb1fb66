"""Verilog generation from the integer IR: folding choice, ROM contents and the ``qnn_top`` wrapper.

The logic itself lives in the hand-written cores of ``hls/rtl/*.v``; this package only decides
parameters (``plan``), writes ROM ``.mem`` files (``memfile``) and the top-level netlist (``top``).
``generate_rtl(graph, out_dir, folding)`` does all three and returns a ``Design`` description.
"""
from hls.rtlgen.design import Design, load_design
from hls.rtlgen.folding import Folding, choose_folding, parse_folding
from hls.rtlgen.generate import RTL_DIR, core_sources, generate_rtl

__all__ = ["Design", "Folding", "RTL_DIR", "choose_folding", "core_sources", "generate_rtl", "load_design", "parse_folding"]
