// qnn_swu: sliding-window unit (line buffer) that turns an image stream into convolution windows.
//
// Input: an IFM_H x IFM_W image with C channels, pixels row-major, channels within a pixel, in words of
// SIMD channels.  Output: for every output pixel (row-major), its K_H x K_W window in (kh, kw, channel)
// order, the order of the weights [out, kh, kw, in] flattened, in words of SIMD channels; positions in the
// zero padding (P_T/P_L/P_B/P_R) read as zero words.  One output word per cycle.
//
// The buffer keeps ROWS = K_H + S_H image rows in a circular set of row slots (block RAM).  The writer
// claims a slot when a row starts and may run a full row ahead of the reader; the reader releases rows
// when its window moves down (and all rows of the image at the end of a frame, so the next image's rows
// can arrive while the last windows are read).  The reader issues a word only when every row that the
// current output row needs is complete.  Output pipeline: address -> RAM read -> output register.
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
    parameter EW    = 4    // bits per element
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
    localparam N = 16;  // width of the coordinate arithmetic (signed)

    localparam integer H_I = IFM_H;
    localparam signed [N-1:0] H = H_I[N-1:0];
    localparam integer W_I = IFM_W;
    localparam signed [N-1:0] W = W_I[N-1:0];
    localparam signed [N-1:0] ZERO = 0;
    localparam signed [N-1:0] ONE = 1;
    localparam integer R_I = ROWS;
    localparam signed [N-1:0] R = R_I[N-1:0];
    localparam integer RW_I = ROW_WORDS;
    localparam signed [N-1:0] RW = RW_I[N-1:0];
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

    reg [SIMD*EW-1:0] mem [0:DEPTH-1];

    // ---- bookkeeping shared by writer and reader ------------------------------------------------
    reg signed [N-1:0] occupied;  // row slots claimed by the writer and not yet released
    reg signed [N-1:0] complete;  // rows fully written and not yet released

    // ---- writer -----------------------------------------------------------------------------------
    reg signed [N-1:0] wx, wcf, ws;
    wire row_start = (wx == ZERO) && (wcf == ZERO);
    wire row_end = (wx == W - ONE) && (wcf == CF1);
    assign in_ready = !row_start || (occupied < R);
    wire write = in_valid && in_ready;
    // Waiver (both addresses): coordinates are computed in N-bit signed arithmetic; an address is
    // always in [0, DEPTH), so only its low AW bits are used.
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [N-1:0] waddr = ws * RW + wx * CFN + wcf;
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        if (write) mem[waddr[AW-1:0]] <= in_data;
    end

    // ---- reader -----------------------------------------------------------------------------------
    reg signed [N-1:0] oy, ox, kh, kw, cf;
    reg signed [N-1:0] top, left;  // window origin in image coordinates (may be negative)
    reg signed [N-1:0] r_lo, rs;   // oldest unreleased row of the reader's frame and its slot
    reg v;                          // output register valid
    reg pad_q;
    reg [SIMD*EW-1:0] rd_q;
    wire stall = v && !out_ready;

    wire signed [N-1:0] iy = top + kh;
    wire signed [N-1:0] ix = left + kw;
    wire last_row = (oy == OH1);
    wire signed [N-1:0] bottom = top + KH1;
    wire signed [N-1:0] need = (last_row || bottom > H - ONE) ? H - ONE : bottom;
    wire rows_ok = (complete > need - r_lo);
    wire pad = (iy < ZERO) || (iy >= H) || (ix < ZERO) || (ix >= W);
    wire signed [N-1:0] slot_raw = rs + (iy - r_lo);
    wire signed [N-1:0] slot = (slot_raw >= R) ? slot_raw - R : slot_raw;
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [N-1:0] raddr = slot * RW + ix * CFN + cf;
    /* verilator lint_on UNUSEDSIGNAL */
    wire issue = !stall && rows_ok;

    wire pix_end = (cf == CF1) && (kw == KW1) && (kh == KH1);
    wire row_done = issue && pix_end && (ox == OW1);
    wire frame_done = row_done && last_row;
    // first row of the next window row (clamped into the image); the whole frame at the end
    wire signed [N-1:0] next_top = top + SH;
    wire signed [N-1:0] next_lo = (next_top > ZERO) ? next_top : ZERO;
    wire signed [N-1:0] release_n = !row_done ? ZERO : frame_done ? H - r_lo : next_lo - r_lo;
    wire signed [N-1:0] rs_adv = rs + release_n;

    always @(posedge clk) begin
        if (!stall) begin
            rd_q <= mem[raddr[AW-1:0]];
            pad_q <= pad;
        end
    end

    assign out_valid = v;
    assign out_data = pad_q ? {SIMD*EW{1'b0}} : rd_q;

    always @(posedge clk) begin
        if (rst) begin
            occupied <= ZERO;
            complete <= ZERO;
            {wx, wcf, ws} <= {3*N{1'b0}};
            {oy, ox, kh, kw, cf} <= {5*N{1'b0}};
            top <= TOP0;
            left <= LEFT0;
            r_lo <= ZERO;
            rs <= ZERO;
            v <= 1'b0;
        end else begin
            // writer
            if (write) begin
                if (wcf == CF1) begin
                    wcf <= ZERO;
                    wx <= (wx == W - ONE) ? ZERO : wx + ONE;
                end else wcf <= wcf + ONE;
                if (row_end) ws <= (ws == R - ONE) ? ZERO : ws + ONE;
            end
            occupied <= occupied + ((write && row_start) ? ONE : ZERO) - release_n;
            complete <= complete + ((write && row_end) ? ONE : ZERO) - release_n;
            // reader
            if (!stall) v <= rows_ok;
            if (issue) begin
                if (cf != CF1) cf <= cf + ONE;
                else begin
                    cf <= ZERO;
                    if (kw != KW1) kw <= kw + ONE;
                    else begin
                        kw <= ZERO;
                        if (kh != KH1) kh <= kh + ONE;
                        else begin
                            kh <= ZERO;
                            if (ox != OW1) begin
                                ox <= ox + ONE;
                                left <= left + SW;
                            end else begin
                                ox <= ZERO;
                                left <= LEFT0;
                                if (!last_row) begin
                                    oy <= oy + ONE;
                                    top <= next_top;
                                    r_lo <= next_lo;
                                end else begin
                                    oy <= ZERO;
                                    top <= TOP0;
                                    r_lo <= ZERO;
                                end
                                rs <= (rs_adv >= R) ? rs_adv - R : rs_adv;
                            end
                        end
                    end
                end
            end
        end
    end
endmodule

`default_nettype wire
