// qnn_uart_tx: 8N1 UART transmitter, CPB clock cycles per bit.
//
// A byte moves in when `valid` and `ready` are both high at a rising edge (ready = idle); the line
// then carries the start bit, eight data bits LSB first and one stop bit.
`timescale 1ns / 1ps
`default_nettype none

module qnn_uart_tx #(
    parameter CPB = 104  // clock cycles per bit (f_clk / baud), at least 4
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       valid,
    output wire       ready,
    input  wire [7:0] data,
    output wire       tx       // serial line, idle high
);
    localparam CW = $clog2(CPB + 1);
    initial begin
        if (CPB < 4) begin
            $display("qnn_uart_tx: CPB=%0d must be at least 4", CPB);
            $finish;
        end
    end

    reg [9:0] sr;      // stop, data[7:0], start; shifted out LSB first
    reg [3:0] left;    // bits still to send
    reg [CW-1:0] cnt;
    assign ready = (left == 0);
    assign tx = (left == 0) ? 1'b1 : sr[0];

    always @(posedge clk) begin
        if (rst) begin
            left <= 0;
            cnt <= 0;
            sr <= 10'h3ff;
        end else if (left == 0) begin
            if (valid) begin
                sr <= {1'b1, data, 1'b0};
                left <= 4'd10;
                cnt <= CPB[CW-1:0] - 1'b1;
            end
        end else if (cnt != 0) begin
            cnt <= cnt - 1'b1;
        end else begin
            cnt <= CPB[CW-1:0] - 1'b1;
            sr <= {1'b1, sr[9:1]};
            left <= left - 1'b1;
        end
    end
endmodule

`default_nettype wire
