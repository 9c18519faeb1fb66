// qnn_obuf: output buffer with credits, the back end of every pipelined core.
//
// A core whose datapath never stalls reserves a slot here when it commits to producing a word
// (`reserve`, LAT cycles or more before the word arrives on `push`/`push_data`), and commits only while
// `credit` is high.  The buffer is a qnn_fifo of CAP-1 words plus its output register, so CAP words can
// be outstanding.  `credit` comes from the reservation counter (a register) alone: backpressure on
// out_ready never reaches the core's in_ready combinationally, and no pipeline register needs an enable.
// For one word per II cycles at full speed, CAP >= ceil((LAT + 3) / II) + 1 (the counter learns of a
// taken word one cycle late).
`timescale 1ns / 1ps
`default_nettype none

module qnn_obuf #(
    parameter WIDTH = 8,  // bits per word
    parameter CAP   = 4   // words that may be reserved at once (>= 2)
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             reserve,    // a word is committed (allowed only while credit is high)
    output wire             credit,
    input  wire             push,       // the committed word arrives
    input  wire [WIDTH-1:0] push_data,
    output wire             out_valid,
    input  wire             out_ready,
    output wire [WIDTH-1:0] out_data
);
    localparam CW = $clog2(CAP + 1);

    initial begin
        if (CAP < 2 || WIDTH < 1) begin
            $display("qnn_obuf %m: CAP must be >= 2 and WIDTH >= 1");
            $finish;
        end
    end

    localparam integer CAP1_I = CAP - 1;
    localparam [CW-1:0] CAP1 = CAP1_I[CW-1:0];
    reg [CW-1:0] pending;  // reserved and not yet taken at the output
    reg credit_q;          // pending != CAP, kept as a register
    wire taken = out_valid && out_ready;
    assign credit = credit_q;
    always @(posedge clk) begin
        if (rst) begin
            pending <= {CW{1'b0}};
            credit_q <= 1'b1;
        end else if (reserve && !taken) begin
            pending <= pending + 1'b1;
            credit_q <= (pending != CAP1);
        end else if (taken && !reserve) begin
            pending <= pending - 1'b1;
            credit_q <= 1'b1;
        end
    end

    // Waiver: reservations keep the FIFO from filling, so its in_ready is always high.
    /* verilator lint_off UNUSEDSIGNAL */
    wire fifo_ready;
    /* verilator lint_on UNUSEDSIGNAL */
    qnn_fifo #(.WIDTH(WIDTH), .DEPTH(CAP - 1)) u_fifo (
        .clk(clk), .rst(rst),
        .in_valid(push), .in_ready(fifo_ready), .in_data(push_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
