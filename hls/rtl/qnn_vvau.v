// qnn_vvau: vector-vector unit for depthwise convolution (FINN's VVAU), folded PE x SIMD, pipelined.
//
// acc[c] = bias[c] + sum_t W[c][t] * x[t][c] for every output pixel: each channel c has its own K = K_H*K_W
// taps t and sees only its own input channel (group == channels).  PE channels are computed in parallel,
// each with SIMD taps in parallel.  The input is the depthwise-ordered window stream of qnn_swu (DW = 1),
// brought to PE*SIMD elements per word: for every output pixel, for every channel fold cf = 0..C/PE-1,
// TF = K/SIMD words; word tf holds taps tf*SIMD+s (s = 0..SIMD-1) of channels cf*PE+p at element
// s*PE + p.  Every input element is used once (no input buffer).  After the last tap word of a channel
// fold, one output word of PE accumulators leaves (channel cf*PE+p at element p): channels-last, as the
// threshold core takes it.  One pixel takes C/PE * K/SIMD cycles.
//
// Weights live in a ROM of CF*TF words, each holding PE*SIMD weights: word cf*TF+tf, bits
// [(s*PE+p)*W_BITS +: W_BITS] = W[cf*PE+p][tf*SIMD+s] (the input word's layout).  Biases live in a ROM of
// CF words of PE accumulators.  Both are loaded by $readmemh (hex); MEM_STYLE picks block RAM or LUTs
// for the weights (qnn_rom.v), as in qnn_mvu.
//
// Value encodings (IN_MODE / W_MODE): 0 unsigned, 1 signed two's complement, 2 bipolar (one bit,
// 1 = +1, 0 = -1; multiplied as a 2-bit signed +-1: a depthwise layer has few products, so there is no
// XNOR-popcount path).  Products are exact; the accumulator is ACC_BITS signed (from the IR's worst-case
// bounds; partial sums wrap harmlessly); adder-tree levels grow by one bit per level.
//
// Pipeline (no stall anywhere inside, as qnn_mvu): issue (counters, the word is taken) -> input and ROM
// address register -> weight ROM read (qnn_rom.v: read register, then output register = the weights'
// operand register; the input follows in two registers) -> product register -> balanced adder tree with
// a register every TREE_STAGE levels -> accumulator -> output buffer (qnn_obuf).  A channel fold's last
// word is taken only while the output buffer has a slot for its result (a credit), so in_ready depends on
// registers only, never combinationally on out_ready.  Latency: 6 + ceil(log2(SIMD) / TREE_STAGE) cycles
// from a fold's last input word to its output word.
`timescale 1ns / 1ps
`default_nettype none

module qnn_vvau #(
    parameter C        = 8,   // channels (= input channels = output channels)
    parameter K        = 9,   // taps per channel (K_H * K_W)
    parameter PE       = 2,   // channels in parallel (divides C)
    parameter SIMD     = 3,   // taps in parallel (divides K)
    parameter IN_BITS  = 4,   // bits per input element
    parameter IN_MODE  = 0,   // 0 unsigned, 1 signed, 2 bipolar
    parameter W_BITS   = 4,   // bits per weight
    parameter W_MODE   = 1,   // 0 unsigned, 1 signed, 2 bipolar
    parameter ACC_BITS = 16,  // signed accumulator width
    parameter TREE_STAGE = 2, // adder-tree levels between pipeline registers (>= 1)
    parameter MEM_STYLE = 0,  // weight ROM: 0 auto (Yosys decides), 1 block RAM, 2 LUTs (distributed)
    parameter WEIGHT_FILE = "none",  // $readmemh files; "none" leaves the ROMs empty (lint,
    parameter BIAS_FILE   = "none"   // elaboration with defaults)
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire                       in_valid,
    output wire                       in_ready,
    input  wire [PE*SIMD*IN_BITS-1:0] in_data,
    output wire                       out_valid,
    input  wire                       out_ready,
    output wire [PE*ACC_BITS-1:0]     out_data
);
    localparam TF = K / SIMD;   // words per channel fold
    localparam CF = C / PE;     // channel folds per pixel
    localparam WDEPTH = TF * CF;
    localparam TFW = (TF > 1) ? $clog2(TF) : 1;
    localparam CFW = (CF > 1) ? $clog2(CF) : 1;
    localparam WAW = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
    localparam integer TF_LAST_I = TF - 1;
    localparam [TFW-1:0] TF_LAST = TF_LAST_I[TFW-1:0];
    localparam integer CF_LAST_I = CF - 1;
    localparam [CFW-1:0] CF_LAST = CF_LAST_I[CFW-1:0];
    // extended operand widths: unsigned gets a zero sign bit, bipolar becomes a 2-bit signed +-1
    localparam XW = (IN_MODE == 0) ? IN_BITS + 1 : (IN_MODE == 1) ? IN_BITS : 2;
    localparam WW = (W_MODE == 0) ? W_BITS + 1 : (W_MODE == 1) ? W_BITS : 2;
    localparam PW = XW + WW;                          // exact product width
    localparam MW = (PW > ACC_BITS) ? PW : ACC_BITS;  // widest adder-tree level (mod 2^MW)
    localparam L = (SIMD > 1) ? $clog2(SIMD) : 0;    // adder-tree levels
    localparam NL = 1 << L;                           // leaves, padded to a power of two
    localparam R = (L + TREE_STAGE - 1) / TREE_STAGE; // registered tree levels
    localparam WT = (PW + L > MW) ? MW : PW + L;      // width of the tree's result
    localparam TD = 1 + R;                            // stages from the operand register to the tree's result
    localparam LAT = 5 + R;                           // cycles from issue to the output FIFO write
    localparam CAP = (LAT + 3 + TF - 1) / TF + 1;     // output slots (credits) for one word per TF cycles
    localparam TGW = 3 + CFW;                         // pipeline tag: valid, first, last, cf

    function integer level_w(input integer l);  // width of adder-tree level l (leaves: l = 0)
        begin
            level_w = (PW + l > MW) ? MW : PW + l;
        end
    endfunction

    initial begin
        if (K % SIMD != 0 || C % PE != 0) begin
            $display("qnn_vvau %m: SIMD must divide K and PE must divide C");
            $finish;
        end
        if ((IN_MODE == 2 && IN_BITS != 1) || (W_MODE == 2 && W_BITS != 1) || IN_MODE > 2 || W_MODE > 2) begin
            $display("qnn_vvau %m: bipolar operands are 1 bit; modes are 0, 1, 2");
            $finish;
        end
        if (TREE_STAGE < 1 || MEM_STYLE < 0 || MEM_STYLE > 2) begin
            $display("qnn_vvau %m: TREE_STAGE must be >= 1 and MEM_STYLE 0, 1 or 2");
            $finish;
        end
    end

    // ---- stage 0: issue (the input word is taken) ---------------------------------------------------
    reg [TFW-1:0] tf;
    reg [CFW-1:0] cf;
    reg [WAW-1:0] wa;
    reg at_last, cf_last;  // tf == TF_LAST, cf == CF_LAST, kept as registers
    wire credit;           // the output buffer has a slot for one more fold's result
    assign in_ready = !at_last || credit;
    wire issue = in_valid && in_ready;

    always @(posedge clk) begin
        if (rst) begin
            tf <= {TFW{1'b0}};
            cf <= {CFW{1'b0}};
            wa <= {WAW{1'b0}};
            at_last <= (TF == 1);
            cf_last <= (CF == 1);
        end else if (issue) begin
            tf <= at_last ? {TFW{1'b0}} : tf + 1'b1;
            at_last <= at_last ? (TF == 1) : (tf == TF_LAST - 1'b1);
            wa <= (at_last && cf_last) ? {WAW{1'b0}} : wa + 1'b1;
            if (at_last) begin
                cf <= cf_last ? {CFW{1'b0}} : cf + 1'b1;
                cf_last <= cf_last ? (CF == 1) : (cf == CF_LAST - 1'b1);
            end
        end
    end

    // ---- stage 1: input word, ROM address and tag registered ----------------------------------------
    reg [PE*SIMD*IN_BITS-1:0] x1;
    reg [WAW-1:0] wa1;
    reg v1, first1, last1;
    reg [CFW-1:0] cf1;
    always @(posedge clk) begin
        x1 <= in_data;
        wa1 <= wa;
        first1 <= (tf == {TFW{1'b0}});
        last1 <= at_last;
        cf1 <= cf;
    end
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else v1 <= issue;
    end

    // ---- stage 1b: weight ROM read (qnn_rom: address register, output register; on ECP5 the block RAM's
    //      own output register), the input follows ----------------------------------------------------
    wire [PE*SIMD*W_BITS-1:0] w2;  // ROM[wa1], aligned with stage 2
    qnn_rom #(.WIDTH(PE*SIMD*W_BITS), .DEPTH(WDEPTH), .STYLE(MEM_STYLE), .INIT_FILE(WEIGHT_FILE)) u_wrom (
        .clk(clk), .addr(wa1), .data(w2)
    );

    reg [PE*SIMD*IN_BITS-1:0] x1b;
    reg v1b, first1b, last1b;
    reg [CFW-1:0] cf1b;
    always @(posedge clk) begin
        x1b <= x1;
        first1b <= first1;
        last1b <= last1;
        cf1b <= cf1;
    end
    always @(posedge clk) begin
        if (rst) v1b <= 1'b0;
        else v1b <= v1;
    end

    // ---- stage 2: operand register ------------------------------------------------------------------
    reg [PE*SIMD*IN_BITS-1:0] x2;
    reg v2, first2, last2;
    reg [CFW-1:0] cf2;
    always @(posedge clk) begin
        x2 <= x1b;
        first2 <= first1b;
        last2 <= last1b;
        cf2 <= cf1b;
    end
    always @(posedge clk) begin
        if (rst) v2 <= 1'b0;
        else v2 <= v1b;
    end

    // ---- tag pipeline alongside the products and the adder tree -----------------------------------
    genvar k;
    generate
        for (k = 0; k < TD; k = k + 1) begin : g_tag
            reg [TGW-1:0] q;
            if (k == 0) begin : g_first
                always @(posedge clk) q <= rst ? {TGW{1'b0}} : {v2, first2, last2, cf2};
            end else begin : g_next
                always @(posedge clk) q <= rst ? {TGW{1'b0}} : g_tag[k - 1].q;
            end
        end
    endgenerate
    wire [TGW-1:0] tag_t = g_tag[TD - 1].q;  // aligned with the tree's result
    wire v_t = tag_t[TGW - 1];
    wire first_t = tag_t[TGW - 2];
    wire last_t = tag_t[TGW - 3];

    // bias: read two cycles ahead of its use (ROM read, then a register beside the accumulator)
    wire [CFW-1:0] cf_bias;
    generate
        if (R == 0) begin : g_cb1
            assign cf_bias = cf1b;
        end else if (R == 1) begin : g_cb2
            assign cf_bias = cf2;
        end else begin : g_cbt
            assign cf_bias = g_tag[R - 2].q[CFW-1:0];
        end
    endgenerate
    reg [PE*ACC_BITS-1:0] brom [0:CF-1];
    initial if (BIAS_FILE != "none") $readmemh(BIAS_FILE, brom);
    reg [PE*ACC_BITS-1:0] b_rd, b_t;
    always @(posedge clk) begin
        b_rd <= brom[cf_bias];
        b_t <= b_rd;
    end

    // ---- products (registered) and one balanced adder tree per channel -----------------------------
    wire [PE*ACC_BITS-1:0] dot;
    genvar p, s, l, j;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            for (l = 0; l <= L; l = l + 1) begin : g_lvl
                localparam integer WO = level_w(l);
                localparam integer NN = NL >> l;
                wire [NN*WO-1:0] val;
                if (l == 0) begin : g_leaves
                    for (s = 0; s < NL; s = s + 1) begin : g_leaf
                        if (s < SIMD) begin : g_prod
                            wire [IN_BITS-1:0] xe = x2[(s*PE + p)*IN_BITS +: IN_BITS];
                            wire [W_BITS-1:0] we = w2[(s*PE + p)*W_BITS +: W_BITS];
                            wire signed [XW-1:0] xs;
                            wire signed [WW-1:0] ws;
                            if (IN_MODE == 2) begin : g_xb
                                assign xs = {~xe[0], 1'b1};  // 1 -> 2'b01 (+1), 0 -> 2'b11 (-1)
                            end else if (IN_MODE == 1) begin : g_xs
                                assign xs = xe;
                            end else begin : g_xu
                                assign xs = {1'b0, xe};
                            end
                            if (W_MODE == 2) begin : g_wb
                                assign ws = {~we[0], 1'b1};
                            end else if (W_MODE == 1) begin : g_ws
                                assign ws = we;
                            end else begin : g_wu
                                assign ws = {1'b0, we};
                            end
                            wire signed [PW-1:0] prod = xs * ws;
                            reg [PW-1:0] pq;
                            always @(posedge clk) pq <= prod;
                            assign val[s*WO +: WO] = pq;
                        end else begin : g_pad
                            assign val[s*WO +: WO] = {WO{1'b0}};
                        end
                    end
                end else begin : g_add
                    localparam integer WI = level_w(l - 1);
                    localparam REGD = (l % TREE_STAGE == 0) || (l == L);
                    for (j = 0; j < NN; j = j + 1) begin : g_node
                        wire [WI-1:0] a = g_lvl[l - 1].val[(2*j)*WI +: WI];
                        wire [WI-1:0] b = g_lvl[l - 1].val[(2*j + 1)*WI +: WI];
                        wire [WO-1:0] sum;
                        if (WO > WI) begin : g_grow  // one more bit: sign-extend
                            assign sum = {a[WI-1], a} + {b[WI-1], b};
                        end else begin : g_wrap
                            assign sum = a + b;
                        end
                        if (REGD) begin : g_reg
                            reg [WO-1:0] r;
                            always @(posedge clk) r <= sum;
                            assign val[j*WO +: WO] = r;
                        end else begin : g_comb
                            assign val[j*WO +: WO] = sum;
                        end
                    end
                end
            end
            // the tree's result as an ACC_BITS contribution
            wire [WT-1:0] tsum = g_lvl[L].val;
            wire [ACC_BITS-1:0] d;
            if (WT >= ACC_BITS) begin : g_cut
                assign d = tsum[ACC_BITS-1:0];
            end else begin : g_sext
                assign d = {{(ACC_BITS - WT){tsum[WT-1]}}, tsum};
            end
            assign dot[p*ACC_BITS +: ACC_BITS] = d;
        end
    endgenerate

    // ---- accumulate; the last word of a channel fold writes the output FIFO ------------------------
    reg [PE*ACC_BITS-1:0] acc;
    reg [PE*ACC_BITS-1:0] acc_next;
    integer e;
    always @* begin
        for (e = 0; e < PE; e = e + 1)
            acc_next[e*ACC_BITS +: ACC_BITS] = (first_t ? b_t[e*ACC_BITS +: ACC_BITS] : acc[e*ACC_BITS +: ACC_BITS])
                                               + dot[e*ACC_BITS +: ACC_BITS];
    end
    always @(posedge clk) begin
        if (v_t) acc <= acc_next;
    end

    qnn_obuf #(.WIDTH(PE*ACC_BITS), .CAP(CAP)) u_out (
        .clk(clk), .rst(rst), .reserve(issue && at_last), .credit(credit),
        .push(v_t && last_t), .push_data(acc_next),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
