// qnn_ram: simple dual-port RAM with a two-cycle read (address register, then output register).  A
// write (we, waddr, wdata) takes effect at the edge; rdata = RAM[raddr] two edges after raddr.  The
// caller never reads an address in the cycle it is written (a collision's read data is undefined on
// the block RAM, and the memory is marked no_rw_check, so Yosys adds no bypass logic).
//
// As qnn_rom (see there): under `define QNN_ECP5_OUTREG a RAM with DEPTH > 16 and WIDTH*DEPTH >= 1024
// bits is written with one read register and mapped to a DP16KD with its output register; otherwise
// two fabric registers follow the memory (Yosys picks LUT RAM or block RAM).
`timescale 1ns / 1ps
`default_nettype none

module qnn_ram #(
    parameter WIDTH = 8,   // bits per word
    parameter DEPTH = 16   // words
) (
    input  wire                              clk,
    input  wire                              we,
    input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0] waddr,
    input  wire [WIDTH-1:0]                  wdata,
    input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0] raddr,
    output wire [WIDTH-1:0]                  rdata
);
`ifdef QNN_ECP5_OUTREG
    localparam OUTREG = (DEPTH > 16 && WIDTH * DEPTH >= 1024);
`else
    localparam OUTREG = 0;
`endif
    generate
        if (OUTREG) begin : g_outreg
            (* ram_style = "qnn_outreg", no_rw_check *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q;  // + the DP16KD output register (REGMODE = "OUTREG")
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
            end
            always @(posedge clk) q <= mem[raddr];
            assign rdata = q;
        end else begin : g_plain
            (* no_rw_check *) reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] q, q2;
            always @(posedge clk) begin
                if (we) mem[waddr] <= wdata;
            end
            always @(posedge clk) begin
                q <= mem[raddr];
                q2 <= q;
            end
            assign rdata = q2;
        end
    endgenerate
endmodule

`default_nettype wire
