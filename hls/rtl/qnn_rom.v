// qnn_rom: ROM with a two-cycle read (address register, then output register), so that a block
// RAM's slow clock-to-out never sits on a fabric path: data = ROM[addr] two clock edges after addr
// (contents from a $readmemh file).
//
// Behaviour (simulation, and every synthesis target but one): the memory is read into a register,
// which a second register follows.  Under `define QNN_ECP5_OUTREG (set by `qnn synth --target ecp5`,
// hls/synth/ecp5_outreg.py) a memory that goes to block RAM is written with the first register only
// and the attribute ram_style = "qnn_outreg": the synthesis script maps it to a DP16KD with
// REGMODE = "OUTREG", whose output register is the second register, so the latency is the same two
// cycles and the 5.8 ns clock-to-out of an unregistered DP16KD leaves the fabric paths.  That define
// is only correct together with that script (which refuses to leave such a memory unmapped).
//
// STYLE: 0 auto (block RAM with its output register when DEPTH > 16 and WIDTH*DEPTH >= 1024 bits,
// else Yosys decides), 1 block RAM, 2 LUTs (distributed).
`timescale 1ns / 1ps
`default_nettype none

module qnn_rom #(
    parameter WIDTH = 8,     // bits per word
    parameter DEPTH = 16,    // words
    parameter STYLE = 0,     // 0 auto, 1 block RAM, 2 LUTs
    parameter INIT_FILE = "none"  // $readmemh file ("none": an empty ROM)
) (
    input  wire                              clk,
    input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0] addr,
    output wire [WIDTH-1:0]                  data
);
`ifdef QNN_ECP5_OUTREG
    localparam OUTREG = (STYLE == 1) || (STYLE == 0 && DEPTH > 16 && WIDTH * DEPTH >= 1024);
`else
    localparam OUTREG = 0;
`endif
    generate
        if (OUTREG) begin : g_outreg
            (* rom_style = "qnn_outreg", ram_style = "qnn_outreg" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q;  // + the DP16KD output register (REGMODE = "OUTREG")
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) q <= mem[addr];
            assign data = q;
        end else if (STYLE == 1) begin : g_block
            (* rom_style = "block", ram_style = "block" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[addr];
                q2 <= q;
            end
            assign data = q2;
        end else if (STYLE == 2) begin : g_lut
            (* rom_style = "logic", ram_style = "logic" *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[addr];
                q2 <= q;
            end
            assign data = q2;
        end else begin : g_auto
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[addr];
                q2 <= q;
            end
            assign data = q2;
        end
    endgenerate
endmodule

`default_nettype wire
