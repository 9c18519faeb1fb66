// qnn_reset_sync: asynchronous assertion, synchronous release of an active-high reset.
//
// `arst_n` low (PLL not locked, reset button pressed) resets at once; the release passes STAGES
// flip-flops of `clk`, so every register leaves reset on the same clock edge.
`timescale 1ns / 1ps
`default_nettype none

module qnn_reset_sync #(
    parameter STAGES = 3  // synchronizer flip-flops, at least 2
) (
    input  wire clk,
    input  wire arst_n,
    output wire rst
);
    initial begin
        if (STAGES < 2) begin
            $display("qnn_reset_sync: STAGES=%0d must be at least 2", STAGES);
            $finish;
        end
    end
    reg [STAGES-1:0] sr;  // FPGA flip-flops power up at 0: in reset
    always @(posedge clk or negedge arst_n) begin
        if (!arst_n) sr <= {STAGES{1'b0}};
        else sr <= {sr[STAGES-2:0], 1'b1};
    end
    assign rst = ~sr[STAGES-1];
endmodule

`default_nettype wire
