// qnn_mvu: matrix-vector unit, acc[o] = bias[o] + sum_i W[o][i] * x[i], folded PE x SIMD, pipelined.
//
// Folding (as FINN's MVAU): PE output neurons are computed in parallel, each with SIMD multipliers;
// one input vector of N_IN elements arrives as SF = N_IN/SIMD words, and the N_OUT outputs leave as
// NF = N_OUT/PE words of PE accumulators.  One vector takes NF*SF cycles with the MAC array busy
// every cycle.  During the first neuron fold (nf = 0) the input words are consumed from the stream and
// stored in an input buffer; the other folds re-read them from that buffer.
//
// Weights live in a ROM of NF*SF words, each holding PE*SIMD weights: word nf*SF+sf, bits
// [(p*SIMD+s)*W_BITS +: W_BITS] = W[nf*PE+p][sf*SIMD+s].  Biases live in a ROM of NF words of PE
// accumulators.  Both are loaded by $readmemh (hex); MEM_STYLE picks block RAM or LUTs for the weights,
// or 3: the iCE40 UP5K's SPRAM (qnn_spram.v), which the bitstream cannot initialise: its words come
// after reset through the load port (wl_valid, wl_data; wl_full once every word is in; WEIGHT_FILE is
// then unused).  With the other styles the load port is unused and wl_full is 1.
//
// Value encodings (IN_MODE / W_MODE): 0 = unsigned, 1 = signed two's complement, 2 = bipolar
// (one bit, 1 = +1, 0 = -1).  Products are exact; bipolar x bipolar is an XNOR and the adder tree a
// popcount (sum = 2*popcount - SIMD, the -N_IN folded into the bias), as FINN does.  The accumulator
// is ACC_BITS signed (from the IR's worst-case bounds, so the final sum fits; partial sums wrap
// harmlessly).  Adder-tree levels grow by one bit per level.
//
// Pipeline (no stall anywhere inside): issue (counters) -> input-buffer and weight-ROM reads ->
// their output registers (qnn_rom.v, qnn_ram.v; on ECP5 the block RAM's own) -> [a banked weight ROM
// (W_BANK_DEPTH, deeper than one block RAM column): WMS registered bank-multiplexer stages, the operand
// and tags delayed alike] -> operand register (input mux) -> operand and weights registered again
// next to the products (the route from a block RAM gets its own cycle) -> product register -> balanced adder tree
// with a register every TREE_STAGE levels -> accumulator -> output buffer (qnn_obuf).  Backpressure
// never reaches the datapath: a neuron fold's last beat is issued only while the output buffer has a
// slot for it (a credit), and in_ready is a register of its own (never combinationally dependent on
// out_ready, and no high-fanout net on it).  Latency: 7 + ceil(log2(SIMD) / TREE_STAGE) + WMS cycles
// from the last input word of a fold to its output word.
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
    parameter TREE_STAGE = 2, // adder-tree levels between pipeline registers (>= 1)
    parameter OPERAND_REG = 1, // 1: operand and weights registered again next to the products (ECP5 speed); 0: not (lean)
    parameter MEM_STYLE = 0,  // weight ROM: 0 auto (Yosys decides), 1 block RAM, 2 LUTs (distributed), 3 SPRAM (loaded)
    parameter W_BANK_DEPTH = 0,  // weight ROM banks of this many words (qnn_rom.v; 0: one bank; the file banked)
    parameter WEIGHT_FILE = "none",  // $readmemh files; "none" leaves the ROMs empty (lint,
    parameter BIAS_FILE   = "none"   // elaboration with defaults)
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     in_valid,
    output wire                     in_ready,
    input  wire [SIMD*IN_BITS-1:0]  in_data,
    output wire                     out_valid,
    input  wire                     out_ready,
    output wire [PE*ACC_BITS-1:0]   out_data,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                     wl_valid,  // weight load word (MEM_STYLE 3 only)
    input  wire [15:0]              wl_data,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire                     wl_full    // every weight loaded (1 unless MEM_STYLE 3)
);
    localparam SF = N_IN / SIMD;
    localparam NF = N_OUT / PE;
    localparam WDEPTH = SF * NF;
    localparam SFW = (SF > 1) ? $clog2(SF) : 1;
    localparam NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam WAW = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
    localparam integer SF_LAST_I = SF - 1;
    localparam integer NF_LAST_I = NF - 1;
    localparam [SFW-1:0] SF_LAST = SF_LAST_I[SFW-1:0];
    localparam [NFW-1:0] NF_LAST = NF_LAST_I[NFW-1:0];
    localparam XNOR = (IN_MODE == 2) && (W_MODE == 2);
    // extended operand widths: unsigned gets a zero sign bit, bipolar becomes a 2-bit signed +-1
    localparam XW = (IN_MODE == 0) ? IN_BITS + 1 : (IN_MODE == 1) ? IN_BITS : 2;
    localparam WW = (W_MODE == 0) ? W_BITS + 1 : (W_MODE == 1) ? W_BITS : 2;
    localparam PW = XW + WW;                          // exact product width
    localparam MW = (PW > ACC_BITS) ? PW : ACC_BITS;  // widest adder-tree level (mod 2^MW)
    localparam LW = XNOR ? 1 : PW;                    // leaf width (XNOR: one bit, counted)
    localparam L = (SIMD > 1) ? $clog2(SIMD) : 0;    // adder-tree levels
    localparam NL = 1 << L;                           // leaves, padded to a power of two
    localparam R = (L + TREE_STAGE - 1) / TREE_STAGE; // registered tree levels
    localparam WT = (LW + L > MW) ? MW : LW + L;      // width of the tree's result
    localparam TD = 1 + R;                            // stages from the operand register to the tree's result
    localparam WBANKED = (MEM_STYLE != 3) && (W_BANK_DEPTH > 0) && (WDEPTH > W_BANK_DEPTH);
    localparam WMS = WBANKED ? mux_stages((WDEPTH + W_BANK_DEPTH - 1) / W_BANK_DEPTH) : 0;  // ROM bank-mux stages
    localparam LAT = 5 + OPERAND_REG + R + WMS;       // cycles from issue to the output FIFO write
    localparam CAP = (LAT + 3 + SF - 1) / SF + 1;     // output slots (credits) for one word per SF cycles
    localparam integer ADJ_I = XNOR ? -N_IN : 0;      // bias correction: sum = 2*popcount - N_IN
    localparam [ACC_BITS+31:0] ADJ_W = {{ACC_BITS{ADJ_I[31]}}, ADJ_I};
    localparam [ACC_BITS-1:0] ADJ = ADJ_W[ACC_BITS-1:0];
    localparam TW = 3 + NFW;                          // pipeline tag: valid, first, last, nf

    function integer mux_stages(input integer n);  // qnn_rom's: ceil(log4(banks))
        integer k;
        begin
            mux_stages = 0;
            for (k = 1; k < n; k = k * 4) mux_stages = mux_stages + 1;
        end
    endfunction

    function integer level_w(input integer l);  // width of adder-tree level l (leaves: l = 0)
        begin
            level_w = (LW + l > MW) ? MW : LW + l;
        end
    endfunction

    initial begin
        if (N_IN % SIMD != 0 || N_OUT % PE != 0) begin
            $display("qnn_mvu %m: SIMD must divide N_IN and PE must divide N_OUT");
            $finish;
        end
        if ((IN_MODE == 2 && IN_BITS != 1) || (W_MODE == 2 && W_BITS != 1) || IN_MODE > 2 || W_MODE > 2) begin
            $display("qnn_mvu %m: bipolar operands are 1 bit; modes are 0, 1, 2");
            $finish;
        end
        if (TREE_STAGE < 1 || MEM_STYLE < 0 || MEM_STYLE > 3) begin
            $display("qnn_mvu %m: TREE_STAGE must be >= 1 and MEM_STYLE 0, 1, 2 or 3");
            $finish;
        end
    end

    // ---- memories ---------------------------------------------------------------------------------
    reg [PE*ACC_BITS-1:0] brom [0:NF-1];
    initial if (BIAS_FILE != "none") $readmemh(BIAS_FILE, brom);

    // ---- stage 0: issue -----------------------------------------------------------------------------
    reg [SFW-1:0] sf;
    reg [NFW-1:0] nf;
    reg [WAW-1:0] wa;
    wire credit;  // the output buffer has a slot for one more fold's result
    // position flags kept as registers (sf == SF_LAST, nf == 0, nf == NF_LAST), so that in_ready and
    // issue are one LUT of registers; the next flags come from compares of the current counters
    reg at_last, first_fold, nf_last;
    wire sf_penult = (sf == SF_LAST - 1'b1);
    wire nf_penult = (nf == NF_LAST - 1'b1);
    wire can_issue = !at_last || credit;
    wire issue = can_issue && (!first_fold || in_valid);

    // in_ready is a register of its own, first_fold && can_issue computed one cycle ahead, so the
    // upstream read enable (and its fanout) starts at a flip-flop rather than at the credit net.  The
    // credit's next value mirrors qnn_obuf's reservation counter (reserve = issue && at_last,
    // taken = out_valid && out_ready).
    localparam CW = $clog2(CAP + 1);
    localparam integer CAP1_I = CAP - 1;
    localparam [CW-1:0] CAP1 = CAP1_I[CW-1:0];
    reg [CW-1:0] pend_m;
    reg in_ready_q;
    wire reserve = issue && at_last;
    wire taken = out_valid && out_ready;
    wire credit_n = (reserve && !taken) ? (pend_m != CAP1) : ((taken && !reserve) ? 1'b1 : credit);
    wire at_last_n = issue ? (at_last ? (SF == 1) : sf_penult) : at_last;
    wire first_fold_n = reserve ? nf_last : first_fold;
    always @(posedge clk) begin
        if (rst) begin
            pend_m <= {CW{1'b0}};
            in_ready_q <= 1'b1;
        end else begin
            if (reserve && !taken) pend_m <= pend_m + 1'b1;
            else if (taken && !reserve) pend_m <= pend_m - 1'b1;
            in_ready_q <= first_fold_n && (!at_last_n || credit_n);
        end
    end
    assign in_ready = in_ready_q;
`ifndef SYNTHESIS
    always @(posedge clk) begin
        if (!rst && in_ready_q != (first_fold && can_issue)) begin
            $display("qnn_mvu %m: ERROR in_ready register out of step with the credit");
            $finish;
        end
    end
`endif

    always @(posedge clk) begin
        if (rst) begin
            sf <= {SFW{1'b0}};
            nf <= {NFW{1'b0}};
            wa <= {WAW{1'b0}};
            at_last <= (SF == 1);
            first_fold <= 1'b1;
            nf_last <= (NF == 1);
        end else if (issue) begin
            sf <= at_last ? {SFW{1'b0}} : sf + 1'b1;
            at_last <= at_last ? (SF == 1) : sf_penult;
            wa <= (at_last && nf_last) ? {WAW{1'b0}} : wa + 1'b1;
            if (at_last) begin
                nf <= nf_last ? {NFW{1'b0}} : nf + 1'b1;
                first_fold <= nf_last;
                nf_last <= nf_last ? (NF == 1) : nf_penult;
            end
        end
    end

    // ---- stage 1: input-buffer and weight-ROM reads (address register, output register) ---
    // ---- stage 1b: both outputs registered (on ECP5 the block RAM's own output register), so the
    //      input mux of stage 2 starts from flip-flops -----------------------------------------------
    reg [SIMD*IN_BITS-1:0] x_in1, x_in1b;
    wire [SIMD*IN_BITS-1:0] x_buf1b;
    wire [PE*SIMD*W_BITS-1:0] w2;
    reg v1, from_in1, first1, last1;
    reg [NFW-1:0] nf1;
    reg [WAW-1:0] wa1;

    generate
        if (MEM_STYLE == 3) begin : g_wspram
            qnn_spram #(.WIDTH(PE*SIMD*W_BITS), .DEPTH(WDEPTH)) u_wrom (
                .clk(clk), .rst(rst), .addr(wa1), .data(w2), .wl_valid(wl_valid), .wl_data(wl_data), .wl_full(wl_full)
            );
        end else begin : g_wrom
            qnn_rom #(.WIDTH(PE*SIMD*W_BITS), .DEPTH(WDEPTH), .STYLE(MEM_STYLE), .INIT_FILE(WEIGHT_FILE),
                      .BANK_DEPTH(WBANKED ? W_BANK_DEPTH : 0), .LATENCY(2 + WMS)) u_wrom (
                .clk(clk), .addr(wa1), .data(w2)
            );
            assign wl_full = 1'b1;
        end
    endgenerate

    // The input buffer is written one cycle after the issue (registered enable, address and data: a short
    // path from in_valid); the next fold reads that address SF >= 2 cycles later.  With SF == 1 the next
    // fold reads it in the very next cycle, so the write stays immediate.
    wire ib_we;
    wire [SFW-1:0] ib_a;
    wire [SIMD*IN_BITS-1:0] ib_d;
    generate
        if (SF > 1) begin : g_ibuf_late
            reg we_r;
            reg [SFW-1:0] a_r;
            reg [SIMD*IN_BITS-1:0] d_r;
            always @(posedge clk) begin
                we_r <= !rst && issue && first_fold;
                a_r <= sf;
                d_r <= in_data;
            end
            assign ib_we = we_r;
            assign ib_a = a_r;
            assign ib_d = d_r;
        end else begin : g_ibuf_now
            assign ib_we = issue && first_fold;
            assign ib_a = sf;
            assign ib_d = in_data;
        end
    endgenerate
    qnn_ram #(.WIDTH(SIMD*IN_BITS), .DEPTH(SF)) u_ibuf (
        .clk(clk), .we(ib_we), .waddr(ib_a), .wdata(ib_d), .raddr(sf), .rdata(x_buf1b)
    );

    always @(posedge clk) begin
        x_in1 <= in_data;
        from_in1 <= first_fold;
        first1 <= (sf == {SFW{1'b0}});
        last1 <= at_last;
        nf1 <= nf;
        wa1 <= wa;
    end
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else v1 <= issue;
    end

    reg v1b, from_in1b, first1b, last1b;
    reg [NFW-1:0] nf1b;
    always @(posedge clk) begin
        x_in1b <= x_in1;
        from_in1b <= from_in1;
        first1b <= first1;
        last1b <= last1;
        nf1b <= nf1;
    end
    always @(posedge clk) begin
        if (rst) v1b <= 1'b0;
        else v1b <= v1;
    end

    // ---- stage 1c: with a banked weight ROM, WMS more cycles for its bank multiplexer; the operand
    //      (input mux first) and the tags wait alongside -------------------------------------------
    wire [SIMD*IN_BITS-1:0] x1c;  // the operand, as stage 2 registers it
    wire v1c, first1c, last1c;
    wire [NFW-1:0] nf1c;
    generate
        if (WMS == 0) begin : g_nowait
            assign x1c = from_in1b ? x_in1b : x_buf1b;
            assign v1c = v1b;
            assign first1c = first1b;
            assign last1c = last1b;
            assign nf1c = nf1b;
        end else begin : g_wait
            reg [WMS*SIMD*IN_BITS-1:0] xd;  // [k*SIMD*IN_BITS +: ...]: k + 1 cycles late
            reg [WMS*(2+NFW)-1:0] td;       // first, last, nf alike
            reg [WMS-1:0] vd;
            wire [SIMD*IN_BITS-1:0] xm = from_in1b ? x_in1b : x_buf1b;
            if (WMS == 1) begin : g_one
                always @(posedge clk) begin
                    xd <= xm;
                    td <= {first1b, last1b, nf1b};
                    vd <= rst ? 1'b0 : v1b;
                end
            end else begin : g_more
                always @(posedge clk) begin
                    xd <= {xd[(WMS-1)*SIMD*IN_BITS-1:0], xm};
                    td <= {td[(WMS-1)*(2+NFW)-1:0], first1b, last1b, nf1b};
                    vd <= rst ? {WMS{1'b0}} : {vd[WMS-2:0], v1b};
                end
            end
            assign x1c = xd[(WMS-1)*SIMD*IN_BITS +: SIMD*IN_BITS];
            assign {first1c, last1c, nf1c} = td[(WMS-1)*(2+NFW) +: 2+NFW];
            assign v1c = vd[WMS-1];
        end
    endgenerate

    // ---- stage 2: operand register ------------------------------------------------------------------
    reg [SIMD*IN_BITS-1:0] x2;
    reg v2, first2, last2;
    reg [NFW-1:0] nf2;
    always @(posedge clk) begin
        x2 <= x1c;
        first2 <= first1c;
        last2 <= last1c;
        nf2 <= nf1c;
    end
    always @(posedge clk) begin
        if (rst) v2 <= 1'b0;
        else v2 <= v1c;
    end

    // ---- stage 2b: operand and weights registered again in the fabric, next to the products (the block
    //      RAM's output register sits with the RAM; its route across the chip gets a cycle of its own) ----
    wire [SIMD*IN_BITS-1:0] x3;
    wire [PE*SIMD*W_BITS-1:0] w3;
    wire v3, first3, last3;
    wire [NFW-1:0] nf3;
    generate
        if (OPERAND_REG != 0) begin : g_opreg
            reg [SIMD*IN_BITS+PE*SIMD*W_BITS+2+NFW-1:0] r;
            reg v_r;
            always @(posedge clk) begin
                r <= {x2, w2, first2, last2, nf2};
                v_r <= !rst && v2;
            end
            assign {x3, w3, first3, last3, nf3} = r;
            assign v3 = v_r;
        end else begin : g_noopreg
            assign {x3, w3, v3, first3, last3, nf3} = {x2, w2, v2, first2, last2, nf2};
        end
    endgenerate

    // ---- tag pipeline alongside the products and the adder tree -----------------------------------
    genvar k;
    generate
        for (k = 0; k < TD; k = k + 1) begin : g_tag
            reg [TW-1:0] q;
            if (k == 0) begin : g_first
                always @(posedge clk) q <= rst ? {TW{1'b0}} : {v3, first3, last3, nf3};
            end else begin : g_next
                always @(posedge clk) q <= rst ? {TW{1'b0}} : g_tag[k - 1].q;
            end
        end
    endgenerate
    wire [TW-1:0] tag_t = g_tag[TD - 1].q;  // aligned with the tree's result
    wire v_t = tag_t[TW - 1];
    wire first_t = tag_t[TW - 2];
    wire last_t = tag_t[TW - 3];

    // bias: read two cycles ahead of its use (ROM register, then the XNOR correction)
    wire [NFW-1:0] nf_bias;
    generate
        if (R == 0) begin : g_nb1
            assign nf_bias = (OPERAND_REG != 0) ? nf2 : nf1c;
        end else if (R == 1) begin : g_nb2
            assign nf_bias = nf3;
        end else begin : g_nbt
            assign nf_bias = g_tag[R - 2].q[NFW-1:0];
        end
    endgenerate
    reg [PE*ACC_BITS-1:0] b_rd, b_t;
    integer bq;
    always @(posedge clk) begin
        b_rd <= brom[nf_bias];
        if (ADJ_I == 0) b_t <= b_rd;  // (the same logic; a loop per cycle costs Icarus time)
        else for (bq = 0; bq < PE; bq = bq + 1) b_t[bq*ACC_BITS +: ACC_BITS] <= b_rd[bq*ACC_BITS +: ACC_BITS] + ADJ;
    end

    // ---- products (registered) and the balanced adder tree ----------------------------------------
    // Every tree node (and every PE's next accumulator) is a net of its own, reached by hierarchical
    // name, never a slice of a wide vector driven in parts: Icarus turns a vector with many part drivers
    // into a strength-resolving concatenation that re-sends the whole vector on every change (the CNN
    // simulated 10x slower); the logic is the same.
    reg [PE*ACC_BITS-1:0] acc;
    reg [PE*WT-1:0] troot;  // the trees' results (their last register), PE p at [p*WT +: WT]
    genvar p, l, j;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            for (l = 0; l <= L; l = l + 1) begin : g_lvl
                localparam integer WO = level_w(l);
                localparam integer NN = NL >> l;
                for (j = 0; j < NN; j = j + 1) begin : g_n
                    // Waiver: the root's v is not read (the accumulator reads troot).
                    /* verilator lint_off UNUSEDSIGNAL */
                    wire [WO-1:0] v;
                    /* verilator lint_on UNUSEDSIGNAL */
                    if (l == 0 && j < SIMD) begin : g_prod
                        wire [IN_BITS-1:0] xe = x3[j*IN_BITS +: IN_BITS];
                        wire [W_BITS-1:0] we = w3[(p*SIMD + j)*W_BITS +: W_BITS];
                        wire [LW-1:0] pn;  // the product
                        if (XNOR) begin : g_xnor
                            assign pn = ~(xe ^ we);  // 1 = +1
                        end else begin : g_mul
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
                            assign pn = prod;
                        end
                        if (L == 0) begin : g_root  // SIMD = 1: the product register is the tree's result
                            always @(posedge clk) troot[p*WT +: WT] <= pn;
                            assign v = troot[p*WT +: WT];
                        end else begin : g_pq
                            reg [LW-1:0] pq;
                            always @(posedge clk) pq <= pn;
                            assign v = pq;
                        end
                    end else if (l == 0) begin : g_pad
                        assign v = {WO{1'b0}};
                    end else begin : g_add
                        localparam integer WI = level_w(l - 1);
                        localparam REGD = (l % TREE_STAGE == 0) || (l == L);
                        wire [WI-1:0] a = g_lvl[l - 1].g_n[2*j].v;
                        wire [WI-1:0] b = g_lvl[l - 1].g_n[2*j + 1].v;
                        wire [WO-1:0] sum;
                        if (WO > WI) begin : g_grow  // one more bit: sign- (or zero-, popcount) extend
                            wire ea = XNOR ? 1'b0 : a[WI-1];
                            wire eb = XNOR ? 1'b0 : b[WI-1];
                            assign sum = {ea, a} + {eb, b};
                        end else begin : g_wrap
                            assign sum = a + b;
                        end
                        if (l == L) begin : g_root
                            always @(posedge clk) troot[p*WT +: WT] <= sum;
                            assign v = troot[p*WT +: WT];
                        end else if (REGD) begin : g_reg
                            reg [WO-1:0] r;
                            always @(posedge clk) r <= sum;
                            assign v = r;
                        end else begin : g_comb
                            assign v = sum;
                        end
                    end
                end
            end
        end
    endgenerate

    // ---- the trees' results as ACC_BITS contributions; accumulate; the last beat of a fold writes the
    //      output FIFO --------------------------------------------------------------------------------
    // (one procedural block: a loop over the PEs costs Icarus far less than a vector assembled from parts)
    reg [PE*ACC_BITS-1:0] acc_next;
    integer e;
    wire [PE*ACC_BITS-1:0] base = first_t ? b_t : acc;  // bias on a fold's first beat, else the running sum
    generate
        if (XNOR && WT + 1 >= ACC_BITS) begin : g_pc_cut  // popcount c: sum = 2c (the -N_IN is in the bias)
            always @* for (e = 0; e < PE; e = e + 1)
                acc_next[e*ACC_BITS +: ACC_BITS] = base[e*ACC_BITS +: ACC_BITS] + {troot[e*WT +: ACC_BITS - 1], 1'b0};
        end else if (XNOR) begin : g_pc_zext
            always @* for (e = 0; e < PE; e = e + 1)
                acc_next[e*ACC_BITS +: ACC_BITS] = base[e*ACC_BITS +: ACC_BITS]
                                                   + {{(ACC_BITS - WT - 1){1'b0}}, troot[e*WT +: WT], 1'b0};
        end else if (WT >= ACC_BITS) begin : g_cut
            always @* for (e = 0; e < PE; e = e + 1)
                acc_next[e*ACC_BITS +: ACC_BITS] = base[e*ACC_BITS +: ACC_BITS] + troot[e*WT +: ACC_BITS];
        end else begin : g_sext
            always @* for (e = 0; e < PE; e = e + 1)
                acc_next[e*ACC_BITS +: ACC_BITS] = base[e*ACC_BITS +: ACC_BITS]
                                                   + {{(ACC_BITS - WT){troot[e*WT + WT - 1]}}, troot[e*WT +: WT]};
        end
    endgenerate
    always @(posedge clk) begin
        if (v_t) acc <= acc_next;
    end

    qnn_obuf #(.WIDTH(PE*ACC_BITS), .CAP(CAP)) u_out (
        .clk(clk), .rst(rst), .reserve(reserve), .credit(credit),
        .push(v_t && last_t), .push_data(acc_next),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
