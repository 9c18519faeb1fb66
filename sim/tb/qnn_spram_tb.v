// qnn_spram_tb: loads qnn_spram through its load port, then reads it back (tests/test_spram.py).
//
// Files in the working directory: load.hex (read: the LANES*DEPTH load words, $readmemh), addrs.hex (read:
// N_READS read addresses), out.txt (write: "<hex data>" per read address, in order; then "full_at <cycle>
// last_word_at <cycle>").  Load words go in with random idle cycles (xorshift, GAP in 1/65536); reads are
// back to back, one address per cycle, the data taken two edges later (the read contract of qnn_rom).
// Icarus and Verilator (--binary --timing) both run it; with QNN_SPRAM_PRIMITIVE and Yosys' ice40 cells_sim.v
// the tiles are the SB_SPRAM256KA simulation model itself.
`timescale 1ns / 1ps
`default_nettype none

module qnn_spram_tb #(
    parameter WIDTH = 20,
    parameter DEPTH = 100,
    parameter N_READS = 100,
    parameter GAP = 16384
);
    localparam LANES = (WIDTH + 15) / 16;
    localparam WORDS = LANES * DEPTH;
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rst = 1'b1;
    reg [AW-1:0] addr = {AW{1'b0}};
    wire [WIDTH-1:0] data;
    reg wl_valid = 1'b0;
    reg [15:0] wl_data = 16'd0;
    wire wl_full;
    qnn_spram #(.WIDTH(WIDTH), .DEPTH(DEPTH)) dut (
        .clk(clk), .rst(rst), .addr(addr), .data(data), .wl_valid(wl_valid), .wl_data(wl_data), .wl_full(wl_full)
    );

    reg [15:0] words [0:WORDS-1];
    reg [AW-1:0] addrs [0:N_READS-1];
    integer sent, cycle, last_at, full_at, i, fo;
    reg [31:0] rnd;
    initial begin
        $readmemh("load.hex", words);
        $readmemh("addrs.hex", addrs);
        fo = $fopen("out.txt", "w");
        sent = 0;
        cycle = 0;
        last_at = -1;
        full_at = -1;
        rnd = 32'h2545f491;
        repeat (3) @(posedge clk);
        rst <= 1'b0;
        while (sent < WORDS) begin  // load, with random idle cycles
            @(posedge clk);
            cycle = cycle + 1;
            if (wl_full && full_at < 0) full_at = cycle;
            if (wl_valid) begin
                sent = sent + 1;
                if (sent == WORDS) last_at = cycle;
            end
            rnd = rnd ^ (rnd << 13);
            rnd = rnd ^ (rnd >> 17);
            rnd = rnd ^ (rnd << 5);
            wl_valid <= (sent < WORDS) && (rnd[31:16] >= GAP);
            wl_data <= (sent < WORDS) ? words[sent] : 16'd0;
        end
        while (!wl_full) begin
            @(posedge clk);
            cycle = cycle + 1;
        end
        if (full_at < 0) full_at = cycle;
        @(posedge clk);
        for (i = 0; i < N_READS + 2; i = i + 1) begin  // one address per cycle, data two edges later
            if (i < N_READS) addr <= addrs[i];
            @(posedge clk);
            #1;
            if (i >= 1 && i <= N_READS) $fwrite(fo, "%h\n", data);
        end
        $fwrite(fo, "full_at %0d last_word_at %0d\n", full_at, last_at);
        $fclose(fo);
        $finish;
    end
endmodule

`default_nettype wire
