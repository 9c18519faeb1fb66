"""Banked weight ROMs (qnn_rom BANK_DEPTH): the file layout, the read on Icarus against the natural ROM, and on ECP5
the check that no block-RAM memory with its output register is left for Yosys to split in depth."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hls.rtlgen.memfile import BANK_ABOVE, BANK_DEPTH, banked_fields, rom_bank_depth, write_rom
from hls.synth.flow import synthesize_sources
from qnn.errors import QnnError

RTL = Path(__file__).resolve().parent.parent / "hls" / "rtl"
needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")


def test_banked_layout():
    f = np.arange(10 * 2).reshape(10, 2)  # 10 words of 2 fields
    b = banked_fields(f, 4)  # 3 banks of 4 rows: row a = words a, 4 + a, 8 + a (zeros past the end)
    assert b.shape == (4, 6)
    assert b[1].tolist() == [*f[1], *f[5], *f[9]]
    assert b[2].tolist() == [*f[2], *f[6], 0, 0]
    assert banked_fields(f, 0) is not None and banked_fields(f, 0).shape == (10, 2)  # one bank: unchanged
    assert banked_fields(f, 16).shape == (10, 2)
    assert rom_bank_depth(BANK_ABOVE) == 0 and rom_bank_depth(BANK_ABOVE + 1) == BANK_DEPTH


_TB = """`timescale 1ns / 1ps
module tb;
    reg clk = 0;
    always #5 clk = ~clk;
    reg [{aw}-1:0] addr = 0;
    wire [{w}-1:0] data;
    reg [{w}-1:0] ref [0:{d}-1];
    reg [{aw}-1:0] hist [0:7];
    integer i, t, err = 0, n = 0;
    qnn_rom #(.WIDTH({w}), .DEPTH({d}), .INIT_FILE("{banked}"), .BANK_DEPTH({bd}), .LATENCY({lat})) u (
        .clk(clk), .addr(addr), .data(data));
    initial begin
        $readmemh("{natural}", ref);
        for (t = 0; t < 3000; t = t + 1) begin
            @(posedge clk); #1;
            for (i = 7; i > 0; i = i - 1) hist[i] = hist[i - 1];
            hist[0] = addr;
            if (t >= {lat}) begin
                n = n + 1;
                if (data !== ref[hist[{lat} - 1]]) err = err + 1;
            end
            addr = (t % 3 == 0) ? ($random & 32'h7fffffff) % {d} : (addr + 1) % {d};  // jumps and runs across banks
        end
        $display("checked %0d errors %0d", n, err);
        $finish;
    end
endmodule
"""


@needs_icarus
@pytest.mark.parametrize("depth,bank,lat", [(100, 16, 4), (40, 8, 4), (64, 16, 3), (24, 0, 2)])
def test_banked_rom_reads_every_word(tmp_path, depth, bank, lat):
    """data = ROM[addr] LATENCY edges later, on every bank change: 7 banks (2 mux stages, padded to 16), 5 (2), 4 (1), one."""
    w = 7
    rng = np.random.default_rng(depth)
    f = rng.integers(0, 1 << w, size=(depth, 1))
    write_rom(tmp_path / "nat.mem", f, w)
    write_rom(tmp_path / "bank.mem", banked_fields(f, bank), w)
    aw = max(1, (depth - 1).bit_length())
    (tmp_path / "tb.v").write_text(_TB.format(aw=aw, w=w, d=depth, bd=bank, lat=lat, banked=tmp_path / "bank.mem",
                                              natural=tmp_path / "nat.mem"))
    subprocess.run(["iverilog", "-g2005", "-o", str(tmp_path / "tb.vvp"), str(tmp_path / "tb.v"), str(RTL / "qnn_rom.v")],
                   check=True)
    out = subprocess.run(["vvp", "-n", str(tmp_path / "tb.vvp")], capture_output=True, text=True, check=True).stdout
    m = re.fullmatch(r"checked (\d+) errors (\d+)", out.strip())
    assert m and (int(m[1]), int(m[2])) == (3000 - lat, 0), out  # every cycle after the first LATENCY compared


@needs_icarus
def test_banked_rom_wrong_latency_stops(tmp_path):
    (tmp_path / "t.v").write_text("module t; reg clk = 0; wire [3:0] d; reg [5:0] a = 0;\n"
                                  "qnn_rom #(.WIDTH(4), .DEPTH(40), .BANK_DEPTH(8), .LATENCY(2)) u (.clk(clk), "
                                  ".addr(a), .data(d));\nendmodule\n")
    subprocess.run(["iverilog", "-g2005", "-o", str(tmp_path / "t.vvp"), str(tmp_path / "t.v"), str(RTL / "qnn_rom.v")],
                   check=True)
    out = subprocess.run(["vvp", "-n", str(tmp_path / "t.vvp")], capture_output=True, text=True).stdout
    assert "LATENCY must be 2 + ceil(log4(banks)) = 4" in out


def _deep_rom(tmp_path: Path, bank: int) -> Path:
    depth, w = 1536, 64  # Yosys maps this as 3 x 512 words of DP16KD, split in depth
    f = np.random.default_rng(0).integers(0, 1 << 16, size=(depth, 4))
    write_rom(tmp_path / "rom.mem", banked_fields(f, bank), 16)
    lat = 3 if bank else 2
    top = tmp_path / "t.v"
    top.write_text(f"""module t (input wire clk, input wire [10:0] a, output wire [{w - 1}:0] q);
    qnn_rom #(.WIDTH({w}), .DEPTH({depth}), .INIT_FILE("{tmp_path / 'rom.mem'}"), .BANK_DEPTH({bank}), .LATENCY({lat}))
        u (.clk(clk), .addr(a), .data(q));
endmodule
""")
    return top


@pytest.mark.synth
@needs_yosys
def test_ecp5_outreg_memory_split_in_depth_is_an_error(tmp_path):
    """Left to Yosys, a deep OUTREG ROM gets memory_libmap's bank multiplexer with a select register one cycle
    early (the netlist would differ from the simulation): synthesis stops and names its cells."""
    with pytest.raises(QnnError, match="generate_mux"):
        synthesize_sources([RTL / "qnn_rom.v", _deep_rom(tmp_path, 0)], "t", "ecp5", tmp_path / "s")


@pytest.mark.synth
@needs_yosys
def test_ecp5_banked_rom_maps_each_bank_whole(tmp_path):
    res = synthesize_sources([RTL / "qnn_rom.v", _deep_rom(tmp_path, 512)], "t", "ecp5", tmp_path / "s")
    assert res["bram"] == 6  # 512 rows x 3 banks x 64 bits = 192 bits: 6 DP16KD at 512 x 36
    assert res["ff"] >= 64 + 2  # the multiplexer's register and the bank index
