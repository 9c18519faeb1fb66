// qnn_tap: simulation-only probe on one valid/ready stream inside qnn_top (the layer probe).
//
// Instantiated by the generated qnn_top only under `ifdef QNN_PROBE` (never in synthesis).  Every word
// that moves (valid && ready at a rising edge) is counted; the words of frames PROBE_FIRST ..
// PROBE_FIRST+PROBE_COUNT-1 (run-time plusargs +probe_first=N +probe_count=N; count 0 = off, the
// default) are written to FILE, one hexadecimal word per line, in the simulator's working directory.
// A frame is WORDS words: one inference's output of the layer that drives the stream.
`timescale 1ns / 1ps
`default_nettype none

module qnn_tap #(
    parameter WIDTH = 8,             // stream data width
    parameter WORDS = 1,             // words per frame (one inference)
    parameter FILE  = "probe.hex"    // output file, relative to the working directory
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             valid,
    input  wire             ready,
    input  wire [WIDTH-1:0] data
);
    integer first, count, fd;
    reg [63:0] n;      // words seen so far
    reg [63:0] lo, hi; // recorded word range [lo, hi)

    initial begin
        if (WORDS < 1) begin
            $display("qnn_tap %s: WORDS must be at least 1", FILE);
            $finish;
        end
        first = 0;
        count = 0;
        fd = 0;
        n = 64'd0;
        if (!$value$plusargs("probe_first=%d", first)) first = 0;
        if (!$value$plusargs("probe_count=%d", count)) count = 0;
        lo = first * WORDS;
        hi = (first + count) * WORDS;
        if (count > 0) fd = $fopen(FILE, "w");
    end

    always @(posedge clk) begin
        if (!rst && valid && ready) begin
            if (fd != 0 && n >= lo && n < hi) begin
                $fwrite(fd, "%h\n", data);
                $fflush(fd);
            end
            n = n + 64'd1;
        end
    end
endmodule

`default_nettype wire
