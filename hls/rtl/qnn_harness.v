// qnn_harness: the whole-network testbench inside the simulator (no per-cycle Python).
//
// Streams test vectors from memory into qnn_top and captures every output word, with random idle input
// cycles and random output backpressure from seeded xorshift generators, so the valid/ready protocol is
// exercised as the cocotb drivers do (valid, once raised, is held with its data until accepted).  After
// the last expected output word it keeps draining for DRAIN cycles and records any further word (an
// extra output is an error); it gives up after MAX_CYCLES.
//
// Files, in the simulator's working directory:
//   vectors.hex  (read)  one input word per line, hexadecimal, all vectors back to back ($readmemh)
//   outputs.txt  (write) "<hex word> <cycle>" per output word, cycle counted from the end of reset
//   status.txt   (write) "status <ok|timeout|extra> cycles <n> sent <n> received <n> first_in <cycle>"
// Run-time plusargs (defaults from the parameters): +words=N input words to send, +out_words=N output
// words expected, +gap=P and +bp=P probabilities in 1/65536, +seed=N, +max_cycles=N, +drain=N, and
// +progress=N: print "progress <words received>" every N output words (0: never).
//
// Weight load (compiled with QNN_WEIGHT_LOAD, for a design with SPRAM weights): after reset the harness
// first sends the WL_WORDS words of MEM_DIR/weight_load.hex through qnn_top's load port (with the same random
// idle cycles), waits for wl_done, and only then starts the vectors; cycles are counted from that point.
//
// With Verilator, clk comes from a plain C++ main (sim/harness/main.cpp); under Icarus the module has no
// ports and makes its own clock.  Compile with QNN_PROBE defined to get qnn_top's layer taps (qnn_tap).
`timescale 1ns / 1ps
`default_nettype none

module qnn_harness #(
    parameter IN_W = 8,                // qnn_top in_data width
    parameter OUT_W = 32,              // qnn_top out_data width
    parameter DEPTH = 1024,            // words of vector memory (the most input words one run can send)
    parameter MEM_DIR = "./",          // qnn_top's ROM folder, with a trailing slash
    parameter GAP = 0,                 // default probability of an idle input cycle, in 1/65536
    parameter BACKPRESSURE = 0,        // default probability of out_ready low, in 1/65536
    parameter MAX_CYCLES = 100000000,  // default cycle limit
    parameter DRAIN = 1000,            // default cycles to wait for extra words after the last expected one
    parameter WL_WORDS = 1             // weight-load words (with QNN_WEIGHT_LOAD)
) (
`ifdef VERILATOR
    input wire clk
`endif
);
`ifndef VERILATOR
    reg clk = 1'b0;
    always #5 clk = ~clk;
`endif
    reg [IN_W-1:0] mem [0:DEPTH-1];

    reg rst;
    reg in_valid;
    reg [IN_W-1:0] in_data;
    reg out_ready;
    wire in_ready, out_valid;
    wire [OUT_W-1:0] out_data;

`ifdef QNN_WEIGHT_LOAD
    reg [15:0] wl_mem [0:WL_WORDS-1];
    reg wl_valid;
    reg [15:0] wl_data;
    wire wl_done;
    integer wl_sent;
    reg loading;  // the weights are not all in yet
    initial begin
        $readmemh({MEM_DIR, "weight_load.hex"}, wl_mem);
        wl_valid = 1'b0;
        wl_data = 16'd0;
        wl_sent = 0;
        loading = 1'b1;
    end
`endif

`ifdef QNN_NETLIST  // the synthesized netlist (sim/netlist.py): ROM contents are inside it
    qnn_top dut (
`else
    qnn_top #(.MEM_DIR(MEM_DIR)) dut (
`endif
        .clk(clk), .rst(rst),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
`ifdef QNN_WEIGHT_LOAD
        , .wl_valid(wl_valid), .wl_data(wl_data), .wl_done(wl_done)
`endif
    );

    integer n_words, n_out, gap, bp, seed, max_cycles, drain, progress;
    integer sent, received, fo, fs, reset_left, quiet;
    reg [63:0] cycle, first_in;
    reg [31:0] rnd_in, rnd_out;

    function [31:0] xorshift(input [31:0] x);
        reg [31:0] y;
        begin
            y = x ^ (x << 13);
            y = y ^ (y >> 17);
            xorshift = y ^ (y << 5);
        end
    endfunction

    task finish(input integer kind);  // 0 ok, 1 timeout, 2 extra words
        begin
            fs = $fopen("status.txt", "w");
            $fwrite(fs, "status %0s cycles %0d sent %0d received %0d first_in %0d\n",
                    kind == 0 ? "ok" : kind == 1 ? "timeout" : "extra", cycle, sent, received, first_in);
            $fclose(fs);
            $fclose(fo);
            $finish;
        end
    endtask

    initial begin
        if (!$value$plusargs("words=%d", n_words)) n_words = 0;
        if (!$value$plusargs("out_words=%d", n_out)) n_out = 0;
        if (!$value$plusargs("gap=%d", gap)) gap = GAP;
        if (!$value$plusargs("bp=%d", bp)) bp = BACKPRESSURE;
        if (!$value$plusargs("seed=%d", seed)) seed = 0;
        if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = MAX_CYCLES;
        if (!$value$plusargs("drain=%d", drain)) drain = DRAIN;
        if (!$value$plusargs("progress=%d", progress)) progress = 0;
        if (n_words > DEPTH) begin
            $display("qnn_harness: %0d input words do not fit the vector memory of %0d", n_words, DEPTH);
            $finish;
        end
        if (n_words > 0) $readmemh("vectors.hex", mem, 0, n_words - 1);
        fo = $fopen("outputs.txt", "w");
        rnd_in = 32'h9e3779b9 ^ (seed * 32'h85ebca6b);
        rnd_out = 32'h7f4a7c15 ^ (seed * 32'hc2b2ae35);
        if (rnd_in == 0) rnd_in = 32'h1;
        if (rnd_out == 0) rnd_out = 32'h2;
        rst = 1'b1;
        in_valid = 1'b0;
        in_data = {IN_W{1'b0}};
        out_ready = 1'b0;
        sent = 0;
        received = 0;
        quiet = 0;
        reset_left = 4;
        cycle = 64'd0;
        first_in = 64'd0;
    end

    always @(posedge clk) begin
        if (reset_left > 0) begin
            reset_left = reset_left - 1;
            if (reset_left == 0) rst <= 1'b0;
`ifdef QNN_WEIGHT_LOAD
        end else if (loading) begin  // one word per cycle that wl_valid is high (the port has no ready)
            rnd_in = xorshift(rnd_in);
            if (wl_valid) wl_sent = wl_sent + 1;
            wl_valid <= (wl_sent < WL_WORDS) && (rnd_in[31:16] >= gap);
            wl_data <= (wl_sent < WL_WORDS) ? wl_mem[wl_sent] : 16'd0;
            if (wl_done) loading <= 1'b0;
`endif
        end else begin
            cycle = cycle + 64'd1;
            // the transfers of this edge (values before the edge)
            if (out_valid && out_ready) begin
                $fwrite(fo, "%h %0d\n", out_data, cycle);
                received = received + 1;
                quiet = 0;
                if (progress > 0 && received % progress == 0) begin
                    $display("progress %0d", received);
                    $fflush;
                end
            end
            if (in_valid && in_ready) begin
                if (sent == 0) first_in = cycle;
                sent = sent + 1;
            end
            // what the next cycle drives
            rnd_in = xorshift(rnd_in);
            rnd_out = xorshift(rnd_out);
            if (!in_valid || in_ready) begin
                in_valid <= (sent < n_words) && (rnd_in[31:16] >= gap);
                in_data <= (sent < n_words) ? mem[sent] : {IN_W{1'b0}};
            end
            out_ready <= rnd_out[31:16] >= bp;
            if (received > n_out) finish(2);
            else if (received == n_out && sent == n_words) begin
                quiet = quiet + 1;
                if (quiet > drain) finish(0);
            end else if (cycle >= max_cycles) finish(1);
        end
    end
endmodule

`default_nettype wire
