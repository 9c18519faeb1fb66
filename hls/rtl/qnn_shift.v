// qnn_shift: requantization by a power of two, out = clip(round_half_even(x / 2**SHIFT)).
//
// Exactly qnn.golden.ops.shift: a positive SHIFT divides with round-half-to-even, zero passes
// through, a negative SHIFT multiplies by 2**-SHIFT; the result saturates to [OUT_MIN, OUT_MAX] and
// leaves as OUT_BITS two's complement bits.  PE elements per word.  Input register, then the
// output buffer (qnn_obuf, credits: in_ready never depends on out_ready).  The rounded value and the two
// saturation tests are registered side by side (the tests compare the value before the rounding
// increment, against bounds moved by it, so no comparison waits for the adder); then a multiplexer.
// Latency 5 cycles.
`timescale 1ns / 1ps
`default_nettype none

module qnn_shift #(
    parameter PE       = 2,   // elements per word
    parameter IN_BITS  = 12,  // signed input width
    parameter SHIFT    = 4,   // right shift (negative: left shift)
    parameter OUT_BITS = 4,   // output element width
    parameter OUT_MIN  = 0,   // saturation bounds (the output type's range)
    parameter OUT_MAX  = 15
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    in_valid,
    output wire                    in_ready,
    input  wire [PE*IN_BITS-1:0]   in_data,
    output wire                    out_valid,
    input  wire                    out_ready,
    output wire [PE*OUT_BITS-1:0]  out_data
);
    localparam LSH = (SHIFT < 0) ? -SHIFT : 0;
    localparam RSH = (SHIFT > 0) ? SHIFT : 0;
    localparam EW = IN_BITS + LSH + OUT_BITS + 2;  // wide enough for x << LSH, the bounds and rounding
    // the bounds, sign-extended from 32-bit integers to EW bits
    localparam integer LO_I = OUT_MIN;
    localparam integer HI_I = OUT_MAX;
    localparam [EW+31:0] LO_W = {{EW{LO_I[31]}}, LO_I};
    localparam [EW+31:0] HI_W = {{EW{HI_I[31]}}, HI_I};
    localparam signed [EW-1:0] LO = LO_W[EW-1:0];
    localparam signed [EW-1:0] HI = HI_W[EW-1:0];
    localparam QW = ((IN_BITS - RSH > OUT_BITS + 1) ? IN_BITS - RSH : OUT_BITS + 1) + 2;
    localparam signed [QW-1:0] LO_Q = LO_W[QW-1:0];
    localparam signed [QW-1:0] HI_Q = HI_W[QW-1:0];

    initial begin
        if (OUT_MIN > OUT_MAX || OUT_BITS < 1 || OUT_BITS > 31) begin
            $display("qnn_shift %m: need OUT_MIN <= OUT_MAX and 1 <= OUT_BITS <= 31");
            $finish;
        end
    end

    // accept while the output buffer has room (credit: registers only); input register, then the
    // rounding and saturation straight into the output buffer
    wire credit;
    assign in_ready = credit;
    reg [PE*IN_BITS-1:0] x1;
    reg v1;
    always @(posedge clk) x1 <= in_data;
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else v1 <= in_valid && credit;
    end

    reg v2;
    always @(posedge clk) begin
        if (rst) v2 <= 1'b0;
        else v2 <= v1;
    end

    wire [PE*OUT_BITS-1:0] res;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [IN_BITS-1:0] x = x1[p*IN_BITS +: IN_BITS];
            wire signed [EW-1:0] xe = {{(EW - IN_BITS){x[IN_BITS-1]}}, x};
            reg signed [EW-1:0] y;
            reg lt, gt;  // y < OUT_MIN, y > OUT_MAX
            if (RSH > 0) begin : g_right
                wire signed [EW-1:0] q = xe >>> RSH;          // floor(x / 2**RSH)
                wire half = xe[RSH-1];
                wire below;
                if (RSH > 1) begin : g_below
                    assign below = |xe[RSH-2:0];
                end else begin : g_nobelow
                    assign below = 1'b0;
                end
                // round up when the remainder is above half, or exactly half and q is odd
                wire up = half && (below || q[0]);
                // y = q + up < LO  <=>  q < LO - up;  y > HI  <=>  q > HI - up, compared in QW bits (q has
                // IN_BITS - RSH + 1 significant bits, the bounds OUT_BITS + 2)
                wire signed [QW-1:0] qn = q[QW-1:0];
                always @(posedge clk) begin
                    y <= q + {{(EW - 1){1'b0}}, up};
                    lt <= up ? (qn < LO_Q - 1) : (qn < LO_Q);
                    gt <= up ? (qn > HI_Q - 1) : (qn > HI_Q);
                end
            end else begin : g_left
                wire signed [EW-1:0] y0 = xe <<< LSH;
                always @(posedge clk) begin
                    y <= y0;
                    lt <= (y0 < LO);
                    gt <= (y0 > HI);
                end
            end
            // Waiver: c is saturated into [OUT_MIN, OUT_MAX], so its bits above OUT_BITS are only
            // sign copies; the output keeps the low OUT_BITS on purpose.
            /* verilator lint_off UNUSEDSIGNAL */
            wire signed [EW-1:0] c = lt ? LO : gt ? HI : y;
            /* verilator lint_on UNUSEDSIGNAL */
            assign res[p*OUT_BITS +: OUT_BITS] = c[OUT_BITS-1:0];
        end
    endgenerate

    qnn_obuf #(.WIDTH(PE*OUT_BITS), .CAP(6)) u_out (
        .clk(clk), .rst(rst), .reserve(in_valid && credit), .credit(credit), .push(v2), .push_data(res),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
