"""Synthesis with open tools: Yosys (iCE40, ECP5, Xilinx 7-series) and nextpnr place and route.

``synthesize(rtl_dir, target, out_dir)`` returns (and writes as JSON) LUT/FF/BRAM/DSP counts and,
where a device model exists (iCE40 UP5K, ECP5), the fmax from nextpnr.
"""
from hls.synth.devices import DEVICES, Device
from hls.synth.flow import synthesize, synthesize_sources

__all__ = ["DEVICES", "Device", "synthesize", "synthesize_sources"]
