// qnn_spram: a weight memory in the iCE40 UP5K's single-port RAMs (SB_SPRAM256KA, 16K x 16 bits each),
// filled after reset through a load port, read with qnn_rom's contract: data = MEM[addr] two clock
// edges after addr (the SPRAM's own output register, then one fabric register).
//
// SPRAM cannot be initialised by the bitstream, so the contents come in as a stream of 16-bit load
// words (wl_valid, wl_data) after reset: for every address 0 .. DEPTH-1, LANES words, lane 0 (bits
// [15:0] of the memory word) first; the bits of the last lane beyond WIDTH are ignored.  Each accepted
// word is written one cycle later (registered address and data); wl_full rises after the last write and
// stays high until reset (reset only restarts the load counters: the contents stay).  Words that come
// while wl_full is high are ignored.  The caller does not read while loading (the read data is
// undefined during a write, as on the SPRAM).
//
// Tiling: LANES = ceil(WIDTH/16) SPRAMs side by side, BANKS = ceil(DEPTH/16384) of those rows; a read
// selects its bank with a registered bank index.  Under synthesis (`SYNTHESIS`, which Yosys defines) or
// `QNN_SPRAM_PRIMITIVE` each tile is an SB_SPRAM256KA (Yosys' synth_ice40 knows the cell; its simulation
// model is in Yosys' share/ice40/cells_sim.v); otherwise an exact behavioural model of the way it is
// used here (read every cycle it is not written; 16 bits; no masks, standby or sleep).
`timescale 1ns / 1ps
`default_nettype none

module qnn_spram #(
    parameter WIDTH = 16,   // bits per word
    parameter DEPTH = 1024  // words
) (
    input  wire                                          clk,
    input  wire                                          rst,      // restarts the load counters
    input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0]  addr,
    output wire [WIDTH-1:0]                              data,
    input  wire                                          wl_valid, // one load word
    input  wire [15:0]                                   wl_data,
    output reg                                           wl_full   // every word loaded
);
    localparam TD = 16384;                           // words per SPRAM
    localparam LANES = (WIDTH + 15) / 16;
    localparam BANKS = (DEPTH + TD - 1) / TD;
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam TAW = (DEPTH >= TD) ? 14 : AW;        // address bits inside one tile
    localparam TDEPTH = (DEPTH >= TD) ? TD : DEPTH;  // words of one tile that are used
    localparam LW = (LANES > 1) ? $clog2(LANES) : 1;
    localparam BW = (BANKS > 1) ? $clog2(BANKS) : 1;
    localparam integer LAST_LANE_I = LANES - 1;
    localparam integer LAST_ADDR_I = DEPTH - 1;
    localparam [LW-1:0] LAST_LANE = LAST_LANE_I[LW-1:0];
    localparam [AW-1:0] LAST_ADDR = LAST_ADDR_I[AW-1:0];

    initial begin
        if (WIDTH < 1 || DEPTH < 1) begin
            $display("qnn_spram %m: WIDTH and DEPTH must be >= 1");
            $finish;
        end
    end

    // ---- load: counters on the accepted word, the write one cycle later --------------------------
    reg [LW-1:0] lane;
    reg [AW-1:0] la;
    reg counting;  // the counters have not passed the last word
    reg we;
    reg [LW-1:0] we_lane;
    reg [AW-1:0] we_a;
    reg [15:0] we_d;
    reg we_last;
    wire take = wl_valid && counting;
    always @(posedge clk) begin
        if (rst) begin
            lane <= {LW{1'b0}};
            la <= {AW{1'b0}};
            counting <= 1'b1;
            we <= 1'b0;
            we_last <= 1'b0;
            wl_full <= 1'b0;
        end else begin
            we <= take;
            we_lane <= lane;
            we_a <= la;
            we_d <= wl_data;
            we_last <= take && lane == LAST_LANE && la == LAST_ADDR;
            if (take) begin
                if (lane == LAST_LANE) begin
                    lane <= {LW{1'b0}};
                    la <= la + 1'b1;
                    if (la == LAST_ADDR) counting <= 1'b0;
                end else begin
                    lane <= lane + 1'b1;
                end
            end
            if (we_last) wl_full <= 1'b1;
        end
    end

    // ---- tiles ------------------------------------------------------------------------------------
    /* verilator lint_off UNUSEDSIGNAL */
    wire [AW-1:0] ta = we ? we_a : addr;  // the single port: the write address while loading (banked: bits 13:0)
    /* verilator lint_on UNUSEDSIGNAL */
    wire [BANKS*LANES*16-1:0] tq;          // every tile's output, bank-major
    genvar b, l;
    generate
        for (b = 0; b < BANKS; b = b + 1) begin : g_bank
            for (l = 0; l < LANES; l = l + 1) begin : g_lane
                localparam [LW-1:0] LI = l;
                localparam [BW-1:0] BI = b;
                /* verilator lint_off UNUSEDSIGNAL */
                wire [13:0] t_addr;  // behavioural model of a shallow memory: only TAW bits used
                /* verilator lint_on UNUSEDSIGNAL */
                wire t_we;
                wire [15:0] t_q;
                if (DEPTH > TD) begin : g_banked
                    assign t_addr = ta[13:0];
                    assign t_we = we && we_lane == LI && we_a[AW-1:14] == BI;
                end else begin : g_one
                    assign t_addr = {{(14 - TAW){1'b0}}, ta[TAW-1:0]};
                    assign t_we = we && we_lane == LI;
                end
`ifdef SYNTHESIS
                SB_SPRAM256KA u_spram (
                    .ADDRESS(t_addr), .DATAIN(we_d), .MASKWREN(4'b1111), .WREN(t_we), .CHIPSELECT(1'b1),
                    .CLOCK(clk), .STANDBY(1'b0), .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(t_q)
                );
`elsif QNN_SPRAM_PRIMITIVE
                SB_SPRAM256KA u_spram (
                    .ADDRESS(t_addr), .DATAIN(we_d), .MASKWREN(4'b1111), .WREN(t_we), .CHIPSELECT(1'b1),
                    .CLOCK(clk), .STANDBY(1'b0), .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(t_q)
                );
`else
                reg [15:0] mem [0:TDEPTH-1];
                reg [15:0] q;
                always @(posedge clk) begin
                    if (t_we) begin
                        mem[t_addr[TAW-1:0]] <= we_d;
                        q <= 16'bx;
                    end else begin
                        q <= mem[t_addr[TAW-1:0]];
                    end
                end
                assign t_q = q;
`endif
                assign tq[(b*LANES + l)*16 +: 16] = t_q;
            end
        end
    endgenerate

    // ---- read: bank select (registered with the read), then the output register -------------------
    reg [BW-1:0] bank1;
    reg [WIDTH-1:0] q2;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [LANES*16-1:0] row = tq[bank1*LANES*16 +: LANES*16];  // bits beyond WIDTH: padding
    wire [AW-1:0] addr_u = addr;
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        if (BANKS > 1) bank1 <= addr_u[AW-1:AW-BW];
        else bank1 <= {BW{1'b0}};
        q2 <= row[WIDTH-1:0];
    end
    assign data = q2;
endmodule

`default_nettype wire
