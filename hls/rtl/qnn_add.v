// qnn_add: elementwise sum of two streams on a common integer grid, the join of a residual block.
//
// out[i] = MUL_A * a[i] + MUL_B * b[i] + BIAS, exact.  MUL_A, MUL_B (nonzero, either sign) and BIAS are
// integers per tensor (the same for every element and channel; the IR's per-channel multipliers are not
// built here).  Words of PE elements on all three streams, element 0 in the low bits; a and b each unsigned
// or two's complement (A_SIGNED, B_SIGNED); the output OUT_BITS two's complement (OUT_SIGNED = 1) or
// unsigned bits, checked at elaboration to hold the worst case over the input ranges (an unsigned output
// also needs the smallest sum >= 0).  All arithmetic is modulo 2**OUT_BITS, which is exact because the
// true sum fits; a multiplier is a multiplication by its magnitude (a constant, so Yosys turns a power of
// two into wiring) followed by a subtraction where it is negative.
//
// Join: a word of a and a word of b are consumed together, in one cycle: a_ready = b_valid && credit and
// b_ready = a_valid && credit (each input's ready depends on the other input's valid, never on out_ready).
// Pipelined without stalls: input registers -> product registers -> sum into the output buffer (qnn_obuf,
// credits: no combinational path from out_ready to a_ready/b_ready).  One word per cycle when both inputs
// are valid and the output is ready.  Latency 4 cycles.
`timescale 1ns / 1ps
`default_nettype none

module qnn_add #(
    parameter         PE         = 2,  // elements per word (all three streams)
    parameter         A_BITS     = 4,  // bits per element of a (1..24)
    parameter         A_SIGNED   = 0,  // a's elements are two's complement
    parameter         B_BITS     = 4,  // bits per element of b (1..24)
    parameter         B_SIGNED   = 0,  // b's elements are two's complement
    parameter integer MUL_A      = 1,  // multiplier of a (nonzero; A_BITS + clog2(|MUL_A| + 1) <= 29)
    parameter integer MUL_B      = 1,  // multiplier of b (nonzero; B_BITS + clog2(|MUL_B| + 1) <= 29)
    parameter integer BIAS       = 0,  // added to every element (|BIAS| < 2**29)
    parameter         OUT_SIGNED = 1,  // output elements are two's complement (0: unsigned)
    parameter         OUT_BITS   = 6   // bits per output element (<= 32); the default fits the defaults above
) (
    input  wire                   clk,
    input  wire                   rst,        // synchronous, active high
    input  wire                   a_valid,
    output wire                   a_ready,
    input  wire [PE*A_BITS-1:0]   a_data,
    input  wire                   b_valid,
    output wire                   b_ready,
    input  wire [PE*B_BITS-1:0]   b_data,
    output wire                   out_valid,
    input  wire                   out_ready,
    output wire [PE*OUT_BITS-1:0] out_data
);
    // the worst case: each input's range times its multiplier, plus the bias (32-bit integers; the
    // limits above keep every bound below 2**31 in magnitude)
    localparam integer AMIN = (A_SIGNED != 0) ? -(1 << (A_BITS - 1)) : 0;
    localparam integer AMAX = (A_SIGNED != 0) ? (1 << (A_BITS - 1)) - 1 : (1 << A_BITS) - 1;
    localparam integer BMIN = (B_SIGNED != 0) ? -(1 << (B_BITS - 1)) : 0;
    localparam integer BMAX = (B_SIGNED != 0) ? (1 << (B_BITS - 1)) - 1 : (1 << B_BITS) - 1;
    localparam integer LO = ((MUL_A < 0) ? MUL_A * AMAX : MUL_A * AMIN) + ((MUL_B < 0) ? MUL_B * BMAX : MUL_B * BMIN) + BIAS;
    localparam integer HI = ((MUL_A < 0) ? MUL_A * AMIN : MUL_A * AMAX) + ((MUL_B < 0) ? MUL_B * BMIN : MUL_B * BMAX) + BIAS;
    // the fewest output bits that hold LO .. HI
    localparam integer NEED_S = 1 + $clog2((HI + 1 > -LO) ? HI + 1 : -LO);
    localparam integer NEED_U = (HI > 0) ? $clog2(HI + 1) : 1;
    localparam integer NEED = (OUT_SIGNED != 0) ? NEED_S : NEED_U;
    localparam FITS = (OUT_BITS >= NEED) && ((OUT_SIGNED != 0) || (LO >= 0));
    localparam NEG_A = (MUL_A < 0);
    localparam NEG_B = (MUL_B < 0);
    localparam integer MAG_A = NEG_A ? -MUL_A : MUL_A;
    localparam integer MAG_B = NEG_B ? -MUL_B : MUL_B;
    // internal width: OUT_BITS whenever the parameters pass the checks (a nonzero multiplier makes the sum's
    // range at least 2**A_BITS wide); the maximum keeps the sign-extensions below legal when they do not
    localparam integer WAB = (A_BITS > B_BITS) ? A_BITS + 1 : B_BITS + 1;
    localparam integer W = (OUT_BITS > WAB) ? OUT_BITS : WAB;
    localparam [W-1:0] MAG_A_W = MAG_A[W-1:0];
    localparam [W-1:0] MAG_B_W = MAG_B[W-1:0];
    localparam [W-1:0] BIAS_W = BIAS[W-1:0];

    initial begin
        if (PE < 1 || A_BITS < 1 || A_BITS > 24 || B_BITS < 1 || B_BITS > 24 || OUT_BITS < 1 || OUT_BITS > 32
                || MUL_A == 0 || MUL_B == 0 || A_BITS + $clog2(MAG_A + 1) > 29 || B_BITS + $clog2(MAG_B + 1) > 29
                || BIAS >= (1 << 29) || BIAS <= -(1 << 29)) begin
            $display("qnn_add %m: need PE >= 1, 1 <= A_BITS, B_BITS <= 24, OUT_BITS <= 32, nonzero MUL_A, MUL_B, each input's bits + clog2(|MUL| + 1) <= 29 and |BIAS| < 2**29");
            $finish;
        end
        if (!FITS) begin
            if (OUT_SIGNED != 0 || LO < 0)
                $display("qnn_add %m: OUT_BITS = %0d cannot hold the sum (%0d .. %0d: %0d signed bits)", OUT_BITS, LO, HI,
                         NEED_S);
            else
                $display("qnn_add %m: OUT_BITS = %0d cannot hold the sum (%0d .. %0d: %0d unsigned bits)", OUT_BITS, LO, HI,
                         NEED_U);
            $finish;
        end
    end

    wire credit;
    wire accept = a_valid && b_valid && credit;
    assign a_ready = b_valid && credit;
    assign b_ready = a_valid && credit;

    // ---- stage 1: the accepted words, elements extended to W bits (sign or zero) ---------------------
    reg [PE*W-1:0] xa1, xb1;
    reg v1;
    integer q;
    always @(posedge clk) begin
        for (q = 0; q < PE; q = q + 1) begin
            xa1[q*W +: W] <= {{(W - A_BITS){(A_SIGNED != 0) & a_data[q*A_BITS + A_BITS - 1]}}, a_data[q*A_BITS +: A_BITS]};
            xb1[q*W +: W] <= {{(W - B_BITS){(B_SIGNED != 0) & b_data[q*B_BITS + B_BITS - 1]}}, b_data[q*B_BITS +: B_BITS]};
        end
    end

    // ---- stage 2: products by the multipliers' magnitudes (modulo 2**W) ------------------------------
    reg [PE*W-1:0] pa2, pb2;
    reg v2;
    integer r;
    always @(posedge clk) begin
        for (r = 0; r < PE; r = r + 1) begin
            pa2[r*W +: W] <= xa1[r*W +: W] * MAG_A_W;
            pb2[r*W +: W] <= xb1[r*W +: W] * MAG_B_W;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            v2 <= 1'b0;
        end else begin
            v1 <= accept;
            v2 <= v1;
        end
    end

    // ---- the signed sum, OUT_BITS per element, into the output buffer --------------------------------
    reg [PE*OUT_BITS-1:0] y;
    reg [W-1:0] s;
    integer e;
    always @* begin
        for (e = 0; e < PE; e = e + 1) begin
            s = BIAS_W;
            s = NEG_A ? s - pa2[e*W +: W] : s + pa2[e*W +: W];
            s = NEG_B ? s - pb2[e*W +: W] : s + pb2[e*W +: W];
            y[e*OUT_BITS +: OUT_BITS] = s[OUT_BITS-1:0];
        end
    end

    // reserve at accept, push 2 cycles later: CAP >= ceil((2 + 3) / 1) + 1 for one word per cycle
    qnn_obuf #(.WIDTH(PE*OUT_BITS), .CAP(6)) u_out (
        .clk(clk), .rst(rst), .reserve(accept), .credit(credit),
        .push(v2), .push_data(y),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
