// qnn_dup: stream duplicator (fork) for residual blocks: every input word leaves on both outputs.
//
// The word is opaque (WIDTH bits: PE elements of the stream's element width, element 0 in the low bits,
// as every stream here).  An input word is consumed only once both outputs have taken it; each output may
// take it in a different cycle (a per-output "taken" flag, as FINN's DuplicateStreams and verilog-axis
// axis_broadcast keep), so the faster output runs at most one word ahead of the slower one.
//
// The head word sits in a register; out0_valid/out1_valid are the head's valid flag less each output's
// taken flag, so both are functions of registers only: no combinational path from either out_ready to
// either out_valid.  A skid register behind the head (verilog-axis axis_register, REG_TYPE 2) makes
// in_ready a register too (in_ready = skid register empty): no combinational path from out_ready to
// in_ready, as the pipelining rule of hls/rtl/README.md asks.  One word per cycle when both outputs are
// ready.  Capacity 2 words (head + skid).  Latency 1 cycle (a word accepted at an edge is valid on both
// outputs after it).
`timescale 1ns / 1ps
`default_nettype none

module qnn_dup #(
    parameter WIDTH = 8   // bits per word (>= 1)
) (
    input  wire             clk,
    input  wire             rst,         // synchronous, active high
    input  wire             in_valid,
    output wire             in_ready,
    input  wire [WIDTH-1:0] in_data,
    output wire             out0_valid,
    input  wire             out0_ready,
    output wire [WIDTH-1:0] out0_data,
    output wire             out1_valid,
    input  wire             out1_ready,
    output wire [WIDTH-1:0] out1_data
);
    initial begin
        if (WIDTH < 1) begin
            $display("qnn_dup %m: WIDTH must be >= 1");
            $finish;
        end
    end

    reg [WIDTH-1:0] head, skid;
    reg head_v, skid_v;
    reg taken0, taken1;  // the head word was already taken by output 0 / 1

    assign out0_valid = head_v && !taken0;
    assign out1_valid = head_v && !taken1;
    assign out0_data = head;
    assign out1_data = head;
    assign in_ready = !skid_v;

    wire accept = in_valid && !skid_v;
    wire done0 = taken0 || out0_ready;  // output 0 has the head word after this edge (if there is one)
    wire done1 = taken1 || out1_ready;
    wire free = !head_v || (done0 && done1);  // the head register is loaded at this edge

    always @(posedge clk) begin
        if (free) head <= skid_v ? skid : in_data;
        if (accept && !free) skid <= in_data;
    end

    always @(posedge clk) begin
        if (rst) begin
            head_v <= 1'b0;
            skid_v <= 1'b0;
            taken0 <= 1'b0;
            taken1 <= 1'b0;
        end else begin
            if (free) head_v <= skid_v || accept;
            skid_v <= (skid_v || accept) && !free;
            // a new head starts untaken; otherwise an output that takes the word now keeps it taken
            taken0 <= !free && done0;
            taken1 <= !free && done1;
        end
    end
endmodule

`default_nettype wire
