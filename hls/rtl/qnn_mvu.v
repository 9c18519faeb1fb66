// qnn_mvu: matrix-vector unit, acc[o] = bias[o] + sum_i W[o][i] * x[i], folded PE x SIMD.
//
// Folding (as FINN's MVAU): PE output neurons are computed in parallel, each with SIMD multipliers;
// one input vector of N_IN elements arrives as SF = N_IN/SIMD words, and the N_OUT outputs leave as
// NF = N_OUT/PE words of PE accumulators.  One vector takes NF*SF cycles with the MAC array busy
// every cycle.  During the first neuron fold (nf = 0) the input words are consumed from the stream and
// stored in an input buffer; the other folds re-read them from that buffer.
//
// Weights live in a ROM of NF*SF words, each holding PE*SIMD weights: word nf*SF+sf, bits
// [(p*SIMD+s)*W_BITS +: W_BITS] = W[nf*PE+p][sf*SIMD+s].  Biases live in a ROM of NF words of PE
// accumulators.  Both are loaded by $readmemh (hex), so Yosys infers block RAM ROMs.
//
// Value encodings (IN_MODE / W_MODE): 0 = unsigned, 1 = signed two's complement, 2 = bipolar
// (one bit, 1 = +1, 0 = -1).  Products are exact signed products; the accumulator is ACC_BITS signed
// (from the IR's worst-case bounds, so the final sum always fits; partial sums wrap harmlessly).
//
// Pipeline: issue (ROM + buffer read) -> multiply/add tree -> accumulate -> output register.  A
// single stall signal (output register full and not taken) freezes the whole pipeline, including the
// ROM read enables, so backpressure is exact.
`timescale 1ns / 1ps
`default_nettype none

module qnn_mvu #(
    parameter N_IN     = 16,  // input vector length (K*K*C for a convolution)
    parameter N_OUT    = 8,   // output channels
    parameter PE       = 2,   // output channels in parallel (divides N_OUT)
    parameter SIMD     = 4,   // inputs in parallel (divides N_IN)
    parameter IN_BITS  = 4,   // bits per input element
    parameter IN_MODE  = 0,   // 0 unsigned, 1 signed, 2 bipolar
    parameter W_BITS   = 2,   // bits per weight
    parameter W_MODE   = 1,   // 1 signed, 2 bipolar
    parameter ACC_BITS = 16,  // signed accumulator width
    parameter WEIGHT_FILE = "none",  // $readmemh files; "none" leaves the ROMs empty (lint,
    parameter BIAS_FILE   = "none"   // elaboration with defaults)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     in_valid,
    output wire                     in_ready,
    input  wire [SIMD*IN_BITS-1:0]  in_data,
    output reg                      out_valid,
    input  wire                     out_ready,
    output reg  [PE*ACC_BITS-1:0]   out_data
);
    localparam SF = N_IN / SIMD;
    localparam NF = N_OUT / PE;
    localparam WDEPTH = SF * NF;
    localparam SFW = (SF > 1) ? $clog2(SF) : 1;
    localparam NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam WAW = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
    localparam integer SF_LAST_I = SF - 1;
    localparam integer NF_LAST_I = NF - 1;
    localparam integer WA_LAST_I = WDEPTH - 1;
    localparam [SFW-1:0] SF_LAST = SF_LAST_I[SFW-1:0];
    localparam [NFW-1:0] NF_LAST = NF_LAST_I[NFW-1:0];
    localparam [WAW-1:0] WA_LAST = WA_LAST_I[WAW-1:0];
    // extended operand widths: unsigned gets a zero sign bit, bipolar becomes a 2-bit signed +-1
    localparam XW = (IN_MODE == 0) ? IN_BITS + 1 : (IN_MODE == 1) ? IN_BITS : 2;
    localparam WW = (W_MODE == 0) ? W_BITS + 1 : (W_MODE == 1) ? W_BITS : 2;
    localparam PW = XW + WW;                       // exact product width
    localparam MW = (PW > ACC_BITS) ? PW : ACC_BITS;  // width of the adder tree (mod 2^MW)

    initial begin
        if (N_IN % SIMD != 0 || N_OUT % PE != 0) begin
            $display("qnn_mvu %m: SIMD must divide N_IN and PE must divide N_OUT");
            $finish;
        end
        if ((IN_MODE == 2 && IN_BITS != 1) || (W_MODE == 2 && W_BITS != 1) || IN_MODE > 2 || W_MODE > 2) begin
            $display("qnn_mvu %m: bipolar operands are 1 bit; modes are 0, 1, 2");
            $finish;
        end
    end

    // ---- memories ---------------------------------------------------------------------------------
    reg [PE*SIMD*W_BITS-1:0] wrom [0:WDEPTH-1];
    reg [PE*ACC_BITS-1:0] brom [0:NF-1];
    reg [SIMD*IN_BITS-1:0] ibuf [0:SF-1];
    initial begin
        if (WEIGHT_FILE != "none") $readmemh(WEIGHT_FILE, wrom);
        if (BIAS_FILE != "none") $readmemh(BIAS_FILE, brom);
    end

    // ---- stage 0: issue -----------------------------------------------------------------------------
    reg [SFW-1:0] sf;
    reg [NFW-1:0] nf;
    reg [WAW-1:0] wa;
    wire stall = out_valid && !out_ready;
    wire first_fold = (nf == {NFW{1'b0}});
    assign in_ready = !stall && first_fold;
    wire issue = !stall && (!first_fold || in_valid);

    always @(posedge clk) begin
        if (rst) begin
            sf <= {SFW{1'b0}};
            nf <= {NFW{1'b0}};
            wa <= {WAW{1'b0}};
        end else if (issue) begin
            sf <= (sf == SF_LAST) ? {SFW{1'b0}} : sf + 1'b1;
            wa <= (wa == WA_LAST) ? {WAW{1'b0}} : wa + 1'b1;
            if (sf == SF_LAST) nf <= (nf == NF_LAST) ? {NFW{1'b0}} : nf + 1'b1;
        end
    end

    // ---- stage 1: operands ready --------------------------------------------------------------------
    reg [PE*SIMD*W_BITS-1:0] w1;
    reg [PE*ACC_BITS-1:0] b1;
    reg [SIMD*IN_BITS-1:0] x_buf1, x_in1;
    reg v1, from_in1, first1, last1;

    always @(posedge clk) begin
        if (issue && first_fold) ibuf[sf] <= in_data;
        if (!stall) begin
            w1 <= wrom[wa];
            b1 <= brom[nf];
            x_buf1 <= ibuf[sf];
            x_in1 <= in_data;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            from_in1 <= 1'b0;
            first1 <= 1'b0;
            last1 <= 1'b0;
        end else if (!stall) begin
            v1 <= issue;
            from_in1 <= first_fold;
            first1 <= (sf == {SFW{1'b0}});
            last1 <= (sf == SF_LAST);
        end
    end

    wire [SIMD*IN_BITS-1:0] x1 = from_in1 ? x_in1 : x_buf1;

    // ---- products and adder tree (stage 1 -> 2) ---------------------------------------------------
    wire [PE*ACC_BITS-1:0] dot;
    genvar p, s;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [SIMD*MW-1:0] prods;
            for (s = 0; s < SIMD; s = s + 1) begin : g_simd
                wire [IN_BITS-1:0] xe = x1[s*IN_BITS +: IN_BITS];
                wire [W_BITS-1:0] we = w1[(p*SIMD + s)*W_BITS +: W_BITS];
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
                if (MW > PW) begin : g_ext
                    assign prods[s*MW +: MW] = {{(MW - PW){prod[PW-1]}}, prod};
                end else begin : g_same
                    assign prods[s*MW +: MW] = prod;
                end
            end
            reg [MW-1:0] sum;
            integer k;
            always @* begin
                sum = {MW{1'b0}};
                for (k = 0; k < SIMD; k = k + 1) sum = sum + prods[k*MW +: MW];
            end
            assign dot[p*ACC_BITS +: ACC_BITS] = sum[ACC_BITS-1:0];
        end
    endgenerate

    reg [PE*ACC_BITS-1:0] dot2, b2;
    reg v2, first2, last2;
    always @(posedge clk) begin
        if (!stall) begin
            dot2 <= dot;
            b2 <= b1;
        end
    end
    always @(posedge clk) begin
        if (rst) begin
            v2 <= 1'b0;
            first2 <= 1'b0;
            last2 <= 1'b0;
        end else if (!stall) begin
            v2 <= v1;
            first2 <= first1;
            last2 <= last1;
        end
    end

    // ---- stage 2: accumulate, output register -------------------------------------------------------
    reg [PE*ACC_BITS-1:0] acc;
    reg [PE*ACC_BITS-1:0] acc_next;
    integer q;
    always @* begin
        for (q = 0; q < PE; q = q + 1)
            acc_next[q*ACC_BITS +: ACC_BITS] = (first2 ? b2[q*ACC_BITS +: ACC_BITS] : acc[q*ACC_BITS +: ACC_BITS])
                                               + dot2[q*ACC_BITS +: ACC_BITS];
    end

    always @(posedge clk) begin
        if (!stall && v2) acc <= acc_next;
        if (!stall && v2 && last2) out_data <= acc_next;
    end
    always @(posedge clk) begin
        if (rst) out_valid <= 1'b0;
        else if (!stall) out_valid <= v2 && last2;
    end
endmodule

`default_nettype wire
