// A deliberately wrong stream core for the testbench's drain check: it forwards every input word through one
// register stage and, after every N words, sends one extra word (8'hEE) that nobody asked for.
`timescale 1ns / 1ps
`default_nettype none
module extra_word #(
    parameter integer W = 8,  // word width
    parameter integer N = 4   // words per frame; one extra word follows each frame
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         in_valid,
    output wire         in_ready,
    input  wire [W-1:0] in_data,
    output reg          out_valid,
    input  wire         out_ready,
    output reg  [W-1:0] out_data
);
    reg [7:0] count;
    reg       extra;
    assign in_ready = (!out_valid || out_ready) && !extra;
    always @(posedge clk) begin
        if (rst) begin
            out_valid <= 1'b0;
            out_data  <= {W{1'b0}};
            count     <= 8'd0;
            extra     <= 1'b0;
        end else begin
            if (out_valid && out_ready) out_valid <= 1'b0;
            if (in_valid && in_ready) begin
                out_valid <= 1'b1;
                out_data  <= in_data;
                count     <= count + 8'd1;
                if (count == N - 1) extra <= 1'b1;
            end else if (extra && (!out_valid || out_ready)) begin
                out_valid <= 1'b1;
                out_data  <= 8'hEE;
                extra     <= 1'b0;
                count     <= 8'd0;
            end
        end
    end
endmodule
`default_nettype wire
