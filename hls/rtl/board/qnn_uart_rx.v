// qnn_uart_rx: 8N1 UART receiver, CPB clock cycles per bit.
//
// The line passes a two-flip-flop synchronizer; a start bit is a falling edge that is still low half a
// bit later; data bits are sampled in the middle of each bit, LSB first.  A byte whose stop bit is low
// (framing error, a break or a wrong baud rate) is dropped and counted on `ferr` for one cycle.
`timescale 1ns / 1ps
`default_nettype none

module qnn_uart_rx #(
    parameter CPB = 104  // clock cycles per bit (f_clk / baud), at least 4
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,        // serial line, idle high
    output reg        valid,     // one cycle: `data` holds a received byte
    output reg  [7:0] data,
    output reg        ferr,      // one cycle: a byte was dropped (stop bit low)
    output wire       active     // a byte is being received
);
    localparam CW = $clog2(CPB + 1);
    initial begin
        if (CPB < 4) begin
            $display("qnn_uart_rx: CPB=%0d must be at least 4", CPB);
            $finish;
        end
    end

    reg [1:0] sync;
    reg [CW-1:0] cnt;
    reg [3:0] bitn;   // 0: start bit, 1..8: data, 9: stop
    reg busy;
    reg [7:0] sr;
    wire line = sync[1];
    assign active = busy;

    always @(posedge clk) begin
        sync <= {sync[0], rx};
        valid <= 1'b0;
        ferr <= 1'b0;
        if (rst) begin
            sync <= 2'b11;
            busy <= 1'b0;
            cnt <= 0;
            bitn <= 0;
        end else if (!busy) begin
            if (!line) begin  // falling edge: wait half a bit, then check the start bit
                busy <= 1'b1;
                cnt <= CPB[CW-1:0] / 2 - 1;
                bitn <= 0;
            end
        end else if (cnt != 0) begin
            cnt <= cnt - 1'b1;
        end else begin
            cnt <= CPB[CW-1:0] - 1'b1;
            bitn <= bitn + 1'b1;
            if (bitn == 0) begin
                if (line) busy <= 1'b0;  // a glitch, not a start bit
            end else if (bitn <= 8) begin
                sr <= {line, sr[7:1]};
            end else begin
                busy <= 1'b0;
                if (line) begin
                    valid <= 1'b1;
                    data <= sr;
                end else begin
                    ferr <= 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
