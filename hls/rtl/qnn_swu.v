// qnn_swu: sliding-window unit (line buffer) that turns an image stream into convolution windows.
//
// Input: an IFM_H x IFM_W image with C channels, pixels row-major, channels within a pixel, in words of
// SIMD channels.  Output: for every output pixel (row-major), its K_H x K_W window in (kh, kw, channel)
// order, the order of the weights [out, kh, kw, in] flattened, in words of SIMD channels; positions in the
// zero padding (P_T/P_L/P_B/P_R) read as zero words.  One output word per cycle.  DW = 1 (depthwise, for
// qnn_vvau): the window in (channel word, kh, kw) order instead, all K_H*K_W taps of one word of SIMD
// channels before the next word's.
//
// The buffer keeps ROWS = K_H + S_H image rows in a circular set of row slots (block RAM).  The writer
// claims a slot when a row starts and may run a full row ahead of the reader; the reader releases rows
// when its window moves down (and all rows of the image at the end of a frame, so the next image's rows
// can arrive while the last windows are read).  The reader issues a word only when every row that the
// current output row needs is complete.  Pipelined without stalls: issue -> window coordinates ->
// slot and column -> address -> RAM read -> RAM output register -> output buffer (qnn_obuf: a word is issued only with a
// credit, so in_ready never depends on out_ready).  The write address is a running counter; after a
// window row ends the reader waits two cycles (row bookkeeping and its row test are registered), and the writer may reuse
// released rows only once the reads in flight are done.
`timescale 1ns / 1ps
`default_nettype none

module qnn_swu #(
    parameter IFM_H = 6,
    parameter IFM_W = 6,
    parameter C     = 2,   // channels
    parameter SIMD  = 1,   // channels per word (divides C)
    parameter K_H   = 3,
    parameter K_W   = 3,
    parameter S_H   = 1,
    parameter S_W   = 1,
    parameter P_T   = 1,
    parameter P_L   = 1,
    parameter P_B   = 1,
    parameter P_R   = 1,
    parameter EW    = 4,   // bits per element
    parameter DW    = 0    // 1: depthwise order (channel word, kh, kw)
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire                 in_valid,
    output wire                 in_ready,
    input  wire [SIMD*EW-1:0]   in_data,
    output wire                 out_valid,
    input  wire                 out_ready,
    output wire [SIMD*EW-1:0]   out_data
);
    localparam CF = C / SIMD;
    localparam OFM_H = (IFM_H + P_T + P_B - K_H) / S_H + 1;
    localparam OFM_W = (IFM_W + P_L + P_R - K_W) / S_W + 1;
    localparam ROWS = K_H + S_H;
    localparam ROW_WORDS = IFM_W * CF;
    localparam DEPTH = ROWS * ROW_WORDS;
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    // width of the coordinate arithmetic (signed): room for every coordinate, count and word index, plus
    // a sign and a bit of margin, so the comparisons and adders are as short as the image allows
    localparam integer DIM_H = IFM_H + P_T + P_B + K_H + S_H;
    localparam integer DIM_W = IFM_W + P_L + P_R + K_W + S_W;
    localparam integer DIM_C = IFM_W * (C / SIMD) + C / SIMD;
    localparam integer DIM = (DIM_H > DIM_W) ? ((DIM_H > DIM_C) ? DIM_H : DIM_C)
                                             : ((DIM_W > DIM_C) ? DIM_W : DIM_C);
    localparam N = $clog2(DIM + 1) + 2;

    localparam integer H_I = IFM_H;
    localparam signed [N-1:0] H = H_I[N-1:0];
    localparam integer W_I = IFM_W;
    localparam signed [N-1:0] W = W_I[N-1:0];
    localparam signed [N-1:0] ZERO = 0;
    localparam signed [N-1:0] ONE = 1;
    localparam integer R_I = ROWS;
    localparam signed [N-1:0] R = R_I[N-1:0];
    localparam integer CFN_I = CF;
    localparam signed [N-1:0] CFN = CFN_I[N-1:0];
    localparam integer SH_I = S_H;
    localparam signed [N-1:0] SH = SH_I[N-1:0];
    localparam integer SW_I = S_W;
    localparam signed [N-1:0] SW = SW_I[N-1:0];
    localparam integer KH1_I = K_H - 1;
    localparam signed [N-1:0] KH1 = KH1_I[N-1:0];
    localparam integer KW1_I = K_W - 1;
    localparam signed [N-1:0] KW1 = KW1_I[N-1:0];
    localparam integer CF1_I = CF - 1;
    localparam signed [N-1:0] CF1 = CF1_I[N-1:0];
    localparam integer OH1_I = OFM_H - 1;
    localparam signed [N-1:0] OH1 = OH1_I[N-1:0];
    localparam integer OW1_I = OFM_W - 1;
    localparam signed [N-1:0] OW1 = OW1_I[N-1:0];
    localparam integer TOP0_I = -P_T;
    localparam signed [N-1:0] TOP0 = TOP0_I[N-1:0];
    localparam integer LEFT0_I = -P_L;
    localparam signed [N-1:0] LEFT0 = LEFT0_I[N-1:0];

    initial begin
        if (C % SIMD != 0 || OFM_H < 1 || OFM_W < 1 || IFM_H + P_T + P_B > 16000 || IFM_W + P_L + P_R > 16000
            || P_T >= K_H || P_B >= K_H || P_L >= K_W || P_R >= K_W) begin
            $display("qnn_swu %m: SIMD must divide C, padding must be smaller than the kernel, image < 16000");
            $finish;
        end
    end

    localparam SLW = $clog2(ROWS + 1) + 1;      // a row slot, with room for the wrap
    localparam CLW = $clog2(ROW_WORDS + 1) + 1;  // a word within a row slot
    localparam integer RW_L = ROW_WORDS;
    localparam integer DEPTH_L = DEPTH - 1;
    localparam [AW-1:0] WA_LAST = DEPTH_L[AW-1:0];

    // ---- bookkeeping shared by writer and reader ------------------------------------------------
    // Both in -ROWS..ROWS (negative when the reader releases rows the writer has not reached yet, e.g.
    // a stride above the kernel): counted in CW signed bits, short carry chains on the ready path.
    localparam CW = SLW + 1;
    reg signed [CW-1:0] complete;  // rows fully written and not yet released by the reader
    localparam [SLW-1:0] R_S = R_I[SLW-1:0];
    localparam signed [CW-1:0] R_C = R_I[CW-1:0];
    localparam signed [CW-1:0] ONE_C = 1;
    localparam signed [CW-1:0] ZERO_C = 0;

    // ---- writer: slots are consecutive rows of a circular buffer, so the address just counts ------
    reg signed [N-1:0] wx, wcf;
    reg [AW-1:0] wa;
    wire row_start = (wx == ZERO) && (wcf == ZERO);
    wire row_end = (wx == W - ONE) && (wcf == CF1);
    reg room;  // occupied < ROWS (occupied = occ_rel + rel_3), registered beside the count's update
    assign in_ready = !row_start || room;
    wire write = in_valid && in_ready;
    wire claim = write && row_start;  // the writer takes a row slot
    // row slots claimed by the writer and not yet released to it (occupied), less the release under way
    // (rel_3): the writer's count, kept so that room needs no adder before its comparison
    reg signed [CW-1:0] occ_rel;
    reg signed [CW-1:0] rel_q, rel_1, rel_2, rel_3;  // rows released (0..ROWS), delayed (below)

    // ---- reader -----------------------------------------------------------------------------------
    reg signed [N-1:0] oy, ox, kh, kw, cf;
    reg signed [N-1:0] top, left;  // window origin in image coordinates (may be negative)
    reg signed [N-1:0] rs;         // the slot of r_lo, the oldest unreleased row of the reader's frame
    reg hold, hold2;                // the two cycles after a window row ends: bookkeeping settles
    wire credit;

    wire last_row = (oy == OH1);
    // The row state steps by constants, so what depends on top is kept in registers of its own that
    // step with it (no adder in front of a comparison or a second adder): next_top = top + S_H,
    // bottom = top + K_H - 1 and whether it is past the image; r_lo = max(top, 0), so
    // next_lo = max(next_top, 0) and top - r_lo = min(top, 0) are a sign bit and a multiplexer.
    reg signed [N-1:0] next_top, bottom;
    reg bottom_out;                 // bottom > H - 1
    wire signed [N-1:0] next_lo = next_top[N-1] ? ZERO : next_top;
    wire signed [N-1:0] r_lo = top[N-1] ? ZERO : top;  // max(top, 0)
    wire [SLW-1:0] top_rel = top[N-1] ? top[SLW-1:0] : {SLW{1'b0}};  // top - r_lo (mod 2**SLW)
    localparam integer NT0_I = -P_T + S_H;
    localparam integer BT0_I = -P_T + K_H - 1;
    localparam integer BOUT_I = IFM_H - 1 - S_H;  // bottom + S_H > H - 1  <=>  bottom > BOUT
    localparam signed [N-1:0] NT0 = NT0_I[N-1:0];
    localparam signed [N-1:0] BT0 = BT0_I[N-1:0];
    localparam signed [N-1:0] BOUT = BOUT_I[N-1:0];
    localparam [0:0] BOUT0 = (BT0_I > IFM_H - 1);
    // Registered every cycle from the row state, which changes only at a row's end (then `hold`
    // keeps the reader idle for the one cycle these take to follow).
    reg signed [N-1:0] need_rel;  // rows from r_lo that the current window row needs, minus one
    reg signed [N-1:0] rel_row;   // rows released at the end of this window row
    reg [SLW-1:0] slot_base;      // rs + top - r_lo (mod 2**SLW): image row top + kh is in slot slot_base + kh
    always @(posedge clk) begin
        need_rel <= ((last_row || bottom_out) ? H - ONE : bottom) - r_lo;
        rel_row <= (last_row ? H : next_lo) - r_lo;
        slot_base <= rs[SLW-1:0] + top_rel;
    end
`ifndef SYNTHESIS
    always @(posedge clk) begin
        if (!rst && (need_rel < ZERO || need_rel >= R || complete > R_C || complete < -R_C
                     || occ_rel + rel_3 > R_C || occ_rel + rel_3 < -R_C || room != (occ_rel + rel_3 < R_C)
                     || rel_row < ZERO || rel_row > R || rs < ZERO || rs >= R)) begin
            $display("qnn_swu %m: ERROR row counts out of range");
            $finish;
        end
        if (!rst && (next_top != top + SH || bottom != top + KH1 || bottom_out != (bottom > H - ONE))) begin
            $display("qnn_swu %m: ERROR row registers out of step with top");
            $finish;
        end
    end
`endif
    // rows_ok: complete > need_rel one cycle late (0 <= need_rel < K_H and |complete| <= ROWS: compared in CW
    // bits), so no comparison sits in front of the issue logic.  Late is safe: between row ends need_rel is
    // constant and complete only grows; after a row end both settle in the hold cycle and rows_ok in the
    // second one (hold2), when the reader still waits.
    reg rows_ok;
    always @(posedge clk) begin
        if (rst) rows_ok <= 1'b0;
        else rows_ok <= (complete > $signed({1'b0, need_rel[SLW-1:0]}));
    end
    wire issue = credit && rows_ok && !hold && !hold2;

    wire pix_end = (cf == CF1) && (kw == KW1) && (kh == KH1);
    // which window counters step on an issue: DW = 0 cf fastest, then kw, kh; DW = 1 kw, then kh, cf
    wire c_end = (cf == CF1), w_end = (kw == KW1), h_end = (kh == KH1);
    wire step_cf = (DW != 0) ? (w_end && h_end) : 1'b1;
    wire step_kw = (DW != 0) ? 1'b1 : c_end;
    wire step_kh = (DW != 0) ? w_end : (c_end && w_end);
    wire row_done = issue && pix_end && (ox == OW1);
    // 0 <= rs < ROWS and 0 <= rel_row <= ROWS: the slot wraps in SLW bits
    wire [SLW-1:0] rs_adv = rs[SLW-1:0] + rel_row[SLW-1:0];
    wire [SLW-1:0] rs_wrap = rs_adv - R_S;

    // releases: to the reader's count at once (it waits the hold cycle), to the writer after the
    // reads in flight (4 cycles)

    always @(posedge clk) begin
        if (rst) {rel_q, rel_1, rel_2, rel_3} <= {4*CW{1'b0}};
        else {rel_q, rel_1, rel_2, rel_3} <= {row_done ? rel_row[CW-1:0] : ZERO_C, rel_q, rel_1, rel_2};
    end

    // read pipeline: A coordinates, B slot + column, C address, D RAM read, then the output buffer
    reg va, vb, vc, vd, ve;
    reg signed [N-1:0] a_iy, a_ix, a_cf;
    reg [SLW-1:0] a_slot;  // slot_base + kh, modulo 2**SLW
    reg b_pad_y, b_pad_x, c_pad, d_pad, e_pad;
    reg [SLW-1:0] b_slot;
    reg [CLW-1:0] b_col;
    reg [AW-1:0] c_addr;
    // Waiver: only the low bits of a slot, a column and an address sum are needed (addresses < DEPTH).
    /* verilator lint_off UNUSEDSIGNAL */
    // a_slot < 2 ROWS (a negative one is a padding row, whose word is replaced by zero): wrapped in SLW bits
    wire [SLW-1:0] a_slot_w = (a_slot >= R_S) ? a_slot - R_S : a_slot;
    wire signed [N-1:0] a_col = a_ix * CFN + a_cf;
    wire [AW+SLW+CLW-1:0] c_sum = b_slot * RW_L[AW-1:0] + {{(AW + SLW){1'b0}}, b_col};
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        a_iy <= top + kh;
        a_ix <= left + kw;
        a_slot <= slot_base + kh[SLW-1:0];
        a_cf <= cf;
        // outside 0 .. H-1 (W-1): one unsigned comparison (a negative coordinate reads as a large one)
        b_pad_y <= ($unsigned(a_iy) >= $unsigned(H));
        b_pad_x <= ($unsigned(a_ix) >= $unsigned(W));
        b_slot <= a_slot_w;
        b_col <= a_col[CLW-1:0];
        c_pad <= b_pad_y || b_pad_x;
        c_addr <= c_sum[AW-1:0];
        d_pad <= c_pad;
        e_pad <= d_pad;
    end
    always @(posedge clk) begin
        if (rst) {va, vb, vc, vd, ve} <= 5'b0;
        else {va, vb, vc, vd, ve} <= {issue, va, vb, vc, vd};
    end

    // the line buffer: a two-register read (qnn_ram.v; on ECP5 block RAM with its output register)
    wire [SIMD*EW-1:0] e_data;
    qnn_ram #(.WIDTH(SIMD*EW), .DEPTH(DEPTH)) u_mem (
        .clk(clk), .we(write), .waddr(wa), .wdata(in_data), .raddr(c_addr), .rdata(e_data)
    );

    qnn_obuf #(.WIDTH(SIMD*EW), .CAP(10)) u_out (
        .clk(clk), .rst(rst), .reserve(issue), .credit(credit),
        .push(ve), .push_data(e_pad ? {SIMD*EW{1'b0}} : e_data),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );

    always @(posedge clk) begin
        if (rst) begin
            occ_rel <= ZERO_C;
            room <= 1'b1;
            complete <= ZERO_C;
            {wx, wcf} <= {2*N{1'b0}};
            wa <= {AW{1'b0}};
            {oy, ox, kh, kw, cf} <= {5*N{1'b0}};
            top <= TOP0;
            next_top <= NT0;
            bottom <= BT0;
            bottom_out <= BOUT0;
            left <= LEFT0;
            rs <= ZERO;
            hold <= 1'b1;
            hold2 <= 1'b1;
        end else begin
            // writer
            if (write) begin
                if (wcf == CF1) begin
                    wcf <= ZERO;
                    wx <= (wx == W - ONE) ? ZERO : wx + ONE;
                end else wcf <= wcf + ONE;
                wa <= (wa == WA_LAST) ? {AW{1'b0}} : wa + 1'b1;
            end
            occ_rel <= occ_rel + (claim ? ONE_C : ZERO_C) - rel_2;
            room <= claim ? (occ_rel < R_C - ONE_C) : (occ_rel < R_C);
            complete <= complete + ((write && row_end) ? ONE_C : ZERO_C) - rel_q;
            // reader
            hold <= row_done;
            hold2 <= hold;
            if (issue) begin
                if (step_cf) cf <= c_end ? ZERO : cf + ONE;
                if (step_kw) kw <= w_end ? ZERO : kw + ONE;
                if (step_kh) kh <= h_end ? ZERO : kh + ONE;
                if (pix_end) begin
                    if (ox != OW1) begin
                        ox <= ox + ONE;
                        left <= left + SW;
                    end else begin
                        ox <= ZERO;
                        left <= LEFT0;
                        if (!last_row) begin
                            oy <= oy + ONE;
                            top <= next_top;
                            next_top <= next_top + SH;
                            bottom <= bottom + SH;
                            bottom_out <= (bottom > BOUT);
                        end else begin
                            oy <= ZERO;
                            top <= TOP0;
                            next_top <= NT0;
                            bottom <= BT0;
                            bottom_out <= BOUT0;
                        end
                        rs <= {{(N-SLW){1'b0}}, (rs_adv >= R_S) ? rs_wrap : rs_adv};
                    end
                end
            end
        end
    end
endmodule

`default_nettype wire
