// qnn_sumpool: streaming sum pooling, kernel = stride (K_H x K_W), no padding, floor at the edges.
//
// Average pooling kept exact: the core outputs the integer sum of each window per channel, and the 1/N
// of the mean is absorbed by the thresholds that follow (IR side: SumPool, then the MultiThreshold of
// the next quantizer).  Global average pooling is K_H = IFM_H, K_W = IFM_W (one output pixel).
//
// Input: an IFM_H x IFM_W image, pixels row-major, C channels per pixel in words of PE elements
// (channels-last, as every stream here), IN_BITS each, unsigned or signed (SIGNED).  Output: the
// OFM_H x OFM_W sums, channels-last in words of PE signed OUT_BITS-bit elements (OUT_BITS >= IN_BITS +
// ceil(log2(K_H*K_W)), plus one for an unsigned input, so a sum never wraps).  A line buffer of
// OFM_W*C/PE words keeps the running sums of the output row being built; a word leaves when the last
// pixel of its window arrives; rows and columns past OFM_*K_* are consumed and dropped.  Pipelined
// without stalls, as qnn_maxpool: input register (with the window flags and a running line-buffer
// address) -> read-modify-write of the line buffer -> output buffer (qnn_obuf, credits: in_ready never
// depends on out_ready).  Latency 3 cycles.
`timescale 1ns / 1ps
`default_nettype none

module qnn_sumpool #(
    parameter IFM_H    = 4,
    parameter IFM_W    = 4,
    parameter C        = 4,   // channels
    parameter PE       = 2,   // channels per word (divides C)
    parameter K_H      = 2,   // window height = vertical stride
    parameter K_W      = 2,   // window width = horizontal stride
    parameter IN_BITS  = 4,   // bits per input element
    parameter SIGNED   = 0,   // input elements are two's complement
    parameter OUT_BITS = 7    // bits per output element (signed)
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   in_valid,
    output wire                   in_ready,
    input  wire [PE*IN_BITS-1:0]  in_data,
    output wire                   out_valid,
    input  wire                   out_ready,
    output wire [PE*OUT_BITS-1:0] out_data
);
    localparam CF = C / PE;
    localparam OFM_H = IFM_H / K_H;
    localparam OFM_W = IFM_W / K_W;
    localparam DEPTH = OFM_W * CF;
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam CNT = 16;  // width of the position counters (images up to 65535 wide)
    // the range of a window's sum, against what OUT_BITS signed bits hold (checked below)
    localparam integer NW = K_H * K_W;
    localparam integer LO = (SIGNED != 0) ? -(1 << (IN_BITS - 1)) * NW : 0;
    localparam integer HI = ((SIGNED != 0) ? (1 << (IN_BITS - 1)) - 1 : (1 << IN_BITS) - 1) * NW;
    localparam FITS = (OUT_BITS >= 32) || ((HI <= (1 << (OUT_BITS - 1)) - 1) && (LO >= -(1 << (OUT_BITS - 1))));
    localparam integer CF_LAST_I = CF - 1;
    localparam [CNT-1:0] CF_LAST = CF_LAST_I[CNT-1:0];
    localparam integer W_LAST_I = IFM_W - 1;
    localparam [CNT-1:0] W_LAST = W_LAST_I[CNT-1:0];
    localparam integer H_LAST_I = IFM_H - 1;
    localparam [CNT-1:0] H_LAST = H_LAST_I[CNT-1:0];
    localparam integer KW_LAST_I = K_W - 1;
    localparam [CNT-1:0] KW_LAST = KW_LAST_I[CNT-1:0];
    localparam integer KH_LAST_I = K_H - 1;
    localparam [CNT-1:0] KH_LAST = KH_LAST_I[CNT-1:0];
    localparam integer OW_I = OFM_W;
    localparam [CNT-1:0] OW = OW_I[CNT-1:0];
    localparam integer OH_I = OFM_H;
    localparam [CNT-1:0] OH = OH_I[CNT-1:0];
    localparam integer CF_A_I = CF;
    localparam [AW-1:0] CF_A = CF_A_I[AW-1:0];

    initial begin
        if (C % PE != 0 || OFM_H < 1 || OFM_W < 1 || IFM_W > 65535 || IFM_H > 65535) begin
            $display("qnn_sumpool %m: PE must divide C and the window must fit the image");
            $finish;
        end
        if (!FITS || OUT_BITS < IN_BITS + 1 - (SIGNED != 0) || IN_BITS > 24) begin
            $display("qnn_sumpool %m: OUT_BITS = %0d signed bits cannot hold a window's sum (%0d .. %0d)", OUT_BITS, LO, HI);
            $finish;
        end
    end

    reg [PE*OUT_BITS-1:0] line [0:DEPTH-1];
    reg [CNT-1:0] cf, ix, iy, kx, ky, ox, oy;
    reg [AW-1:0] base;  // ox * CF: the line-buffer address of this output column's first word

    wire credit;
    assign in_ready = credit;
    wire accept = in_valid && credit;
    wire in_win = (ox < OW) && (oy < OH);
    wire first = (kx == {CNT{1'b0}}) && (ky == {CNT{1'b0}});
    wire last = (kx == KW_LAST) && (ky == KH_LAST);

    // ---- stage 1: the accepted word (elements widened to OUT_BITS) with its flags and address ------
    reg [PE*OUT_BITS-1:0] x1;
    reg [AW-1:0] a1;
    reg v1, first1, last1;
    integer q;
    always @(posedge clk) begin
        for (q = 0; q < PE; q = q + 1)
            x1[q*OUT_BITS +: OUT_BITS] <= {{(OUT_BITS - IN_BITS){(SIGNED != 0) & in_data[q*IN_BITS + IN_BITS - 1]}},
                                           in_data[q*IN_BITS +: IN_BITS]};
        a1 <= base + cf[AW-1:0];
        first1 <= first;
        last1 <= last;
    end
    always @(posedge clk) begin
        if (rst) v1 <= 1'b0;
        else v1 <= accept && in_win;
    end

    // ---- stage 2: read-modify-write of the running sums; a window's last word leaves --------------
    wire [PE*OUT_BITS-1:0] old = line[a1];
    reg [PE*OUT_BITS-1:0] m;
    integer p;
    always @* begin
        for (p = 0; p < PE; p = p + 1)
            m[p*OUT_BITS +: OUT_BITS] = first1 ? x1[p*OUT_BITS +: OUT_BITS]
                                               : x1[p*OUT_BITS +: OUT_BITS] + old[p*OUT_BITS +: OUT_BITS];
    end
    always @(posedge clk) begin
        if (v1 && !last1) line[a1] <= m;
    end

    qnn_obuf #(.WIDTH(PE*OUT_BITS), .CAP(6)) u_out (
        .clk(clk), .rst(rst), .reserve(accept && in_win && last), .credit(credit),
        .push(v1 && last1), .push_data(m),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );

    always @(posedge clk) begin
        if (rst) begin
            {cf, ix, iy, kx, ky, ox, oy} <= {7*CNT{1'b0}};
            base <= {AW{1'b0}};
        end else begin
            if (accept) begin
                cf <= (cf == CF_LAST) ? {CNT{1'b0}} : cf + 1'b1;
                if (cf == CF_LAST) begin
                    if (ix == W_LAST) begin
                        ix <= {CNT{1'b0}};
                        kx <= {CNT{1'b0}};
                        ox <= {CNT{1'b0}};
                        base <= {AW{1'b0}};
                        if (iy == H_LAST) begin
                            iy <= {CNT{1'b0}};
                            ky <= {CNT{1'b0}};
                            oy <= {CNT{1'b0}};
                        end else begin
                            iy <= iy + 1'b1;
                            if (ky == KH_LAST) begin
                                ky <= {CNT{1'b0}};
                                oy <= oy + 1'b1;
                            end else ky <= ky + 1'b1;
                        end
                    end else begin
                        ix <= ix + 1'b1;
                        if (kx == KW_LAST) begin
                            kx <= {CNT{1'b0}};
                            ox <= ox + 1'b1;
                            base <= base + CF_A;
                        end else kx <= kx + 1'b1;
                    end
                end
            end
        end
    end
endmodule

`default_nettype wire
