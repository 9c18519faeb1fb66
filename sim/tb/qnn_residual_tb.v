// qnn_residual_tb: test-only residual block, to show that qnn_dup -> (skip FIFO, branch) -> qnn_add neither
// deadlocks nor misaligns words when the branch holds words back (simulation only, never synthesized).
//
//   in -> qnn_dup -+-> out0 -> qnn_fifo (skip, SKIP_DEPTH + 1 words) ------------> qnn_add a (x MUL_A)
//                  +-> out1 -> qnn_lag_tb (branch: lead LAG + 1, slow, ~x) -----> qnn_add b (x MUL_B) -> out
//
// The branch stands for a convolution's line buffer: it emits word i only once it has received word i + LAG
// (or the last word of i's frame), so it takes LAG + 1 words before its first output (its lead), and it
// accepts a word only on one cycle in 2**SLOW (a slow consumer, pseudo-random).  Its output is the bitwise
// complement of each element (-x - 1 signed, 2**BITS - 1 - x unsigned), so a word that met the wrong
// partner shows.  hls/rtl/README.md: the skip path must hold LAG words (lead - 1) or the block deadlocks.
`timescale 1ns / 1ps
`default_nettype none

module qnn_residual_tb #(
    parameter         PE         = 2,   // elements per word
    parameter         BITS       = 4,   // bits per input element
    parameter         SIGNED     = 0,   // input elements are two's complement
    parameter         LAG        = 6,   // the branch's output i waits for its input i + LAG
    parameter         FRAME      = 24,  // words per frame (the branch flushes at a frame's end)
    parameter         SLOW       = 1,   // the branch accepts on one cycle in 2**SLOW
    parameter         SKIP_DEPTH = 5,   // the skip FIFO's memory words (capacity SKIP_DEPTH + 1)
    parameter integer MUL_A      = 1,   // multiplier of the skip path
    parameter integer MUL_B      = 1,   // multiplier of the branch
    parameter integer BIAS       = 0,
    parameter         OUT_BITS   = 6    // signed output bits
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   in_valid,
    output wire                   in_ready,
    input  wire [PE*BITS-1:0]     in_data,
    output wire                   out_valid,
    input  wire                   out_ready,
    output wire [PE*OUT_BITS-1:0] out_data
);
    localparam WIDTH = PE * BITS;
    wire d0_valid, d0_ready, d1_valid, d1_ready, s_valid, s_ready, br_valid, br_ready;
    wire [WIDTH-1:0] d0_data, d1_data, s_data, br_data;

    qnn_dup #(.WIDTH(WIDTH)) u_dup (
        .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data),
        .out0_valid(d0_valid), .out0_ready(d0_ready), .out0_data(d0_data),
        .out1_valid(d1_valid), .out1_ready(d1_ready), .out1_data(d1_data)
    );
    qnn_fifo #(.WIDTH(WIDTH), .DEPTH(SKIP_DEPTH)) u_skip (
        .clk(clk), .rst(rst), .in_valid(d0_valid), .in_ready(d0_ready), .in_data(d0_data),
        .out_valid(s_valid), .out_ready(s_ready), .out_data(s_data)
    );
    qnn_lag_tb #(.WIDTH(WIDTH), .LAG(LAG), .FRAME(FRAME), .SLOW(SLOW)) u_branch (
        .clk(clk), .rst(rst), .in_valid(d1_valid), .in_ready(d1_ready), .in_data(d1_data),
        .out_valid(br_valid), .out_ready(br_ready), .out_data(br_data)
    );
    qnn_add #(.PE(PE), .A_BITS(BITS), .A_SIGNED(SIGNED), .B_BITS(BITS), .B_SIGNED(SIGNED), .MUL_A(MUL_A),
              .MUL_B(MUL_B), .BIAS(BIAS), .OUT_SIGNED(1), .OUT_BITS(OUT_BITS)) u_add (
        .clk(clk), .rst(rst), .a_valid(s_valid), .a_ready(s_ready), .a_data(s_data),
        .b_valid(br_valid), .b_ready(br_ready), .b_data(br_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

// qnn_lag_tb: the test branch: a buffer of LAG + 2 words whose word i leaves (complemented) once word i + LAG
// or the last word of its frame is in; accepts on one cycle in 2**SLOW (16-bit LFSR).  out_valid, once high,
// stays high until the word is taken.
module qnn_lag_tb #(
    parameter WIDTH = 8,   // bits per word
    parameter LAG   = 6,   // output i waits for input i + LAG
    parameter FRAME = 24,  // words per frame
    parameter SLOW  = 1    // 0..4: accept on one cycle in 2**SLOW
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             in_valid,
    output wire             in_ready,
    input  wire [WIDTH-1:0] in_data,
    output wire             out_valid,
    input  wire             out_ready,
    output wire [WIDTH-1:0] out_data
);
    localparam M = LAG + 2;  // words i .. i + LAG, and one more so that a word can come in as one leaves
    reg [WIDTH-1:0] mem [0:M-1];
    reg [31:0] rcv, emt, emt_end;  // words received, words sent, the end of the frame of word emt
    reg [31:0] wp, rp;
    reg [15:0] lfsr;

    wire [31:0] held = rcv - emt;
    wire slow_ok = (SLOW == 0) || (lfsr[3:0] & ((4'd1 << SLOW) - 4'd1)) == 4'd0;
    assign in_ready = (held < M) && slow_ok;
    assign out_valid = (held != 0) && ((rcv >= emt + LAG + 1) || (rcv >= emt_end));
    assign out_data = ~mem[rp];
    wire put = in_valid && in_ready;
    wire get = out_valid && out_ready;

    initial begin
        if (LAG < 0 || FRAME <= LAG || SLOW < 0 || SLOW > 4) begin
            $display("qnn_lag_tb %m: need 0 <= LAG < FRAME and 0 <= SLOW <= 4");
            $finish;
        end
    end

    always @(posedge clk) begin
        if (put) mem[wp] <= in_data;
        if (rst) begin
            rcv <= 0;
            emt <= 0;
            emt_end <= FRAME;
            wp <= 0;
            rp <= 0;
            lfsr <= 16'hace1;
        end else begin
            lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
            if (put) begin
                rcv <= rcv + 1;
                wp <= (wp == M - 1) ? 0 : wp + 1;
            end
            if (get) begin
                emt <= emt + 1;
                rp <= (rp == M - 1) ? 0 : rp + 1;
                if (emt + 1 == emt_end) emt_end <= emt_end + FRAME;
            end
        end
    end
endmodule

`default_nettype wire
