// qnn_thresh: multi-threshold requantization, out = level(#{t in T[c] : x >= t}) per channel.
//
// Represents any monotonic map from accumulator to activation (BatchNorm + activation + quantizer)
// exactly, as FINN's MultiThreshold.  Words carry PE channels; NF consecutive words make one pixel's
// channel vector (channel nf*PE+p at element p), repeating for every pixel.  Thresholds live in a ROM of
// NF words: bits [(p*NT+i)*T_BITS +: T_BITS] hold threshold i (ascending) of channel nf*PE+p, signed.
// The level is encoded as OUT_BITS bits of count*OUT_SCALE + OUT_OFFSET: UINTn -> (1, 0), INTn ->
// (1, min), bipolar as one bit -> (1, 0), bipolar as 2-bit signed -> (2, -1).
// Pipeline without stalls: input + ROM read (qnn_rom: two registers, on ECP5 block RAM with its output
// register) -> registered comparisons (the sign of x - t, one carry chain) -> count -> output buffer
// (qnn_obuf, credits), so in_ready never depends on out_ready.  Latency 6 cycles.
`timescale 1ns / 1ps
`default_nettype none

module qnn_thresh #(
    parameter PE        = 2,   // channels per word
    parameter NF        = 4,   // words per channel vector (channels = PE*NF)
    parameter NT        = 3,   // thresholds per channel (levels - 1)
    parameter IN_BITS   = 12,  // signed input (accumulator) width
    parameter T_BITS    = 13,  // signed threshold width (>= IN_BITS)
    parameter OUT_BITS  = 2,   // output element width
    parameter OUT_SCALE = 1,
    parameter OUT_OFFSET = 0,
    parameter THRESH_FILE = "none",  // $readmemh file ("none": empty ROM)
    parameter TROM_LAT = 2  // threshold ROM read: 2 registers (qnn_rom, ECP5 speed) or 1 (lean)
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
    localparam NFW = (NF > 1) ? $clog2(NF) : 1;
    localparam integer NF_LAST_I = NF - 1;
    localparam [NFW-1:0] NF_LAST = NF_LAST_I[NFW-1:0];
    localparam LAT = 2 + TROM_LAT;  // cycles from accept to the output buffer write

    initial begin
        if (T_BITS < IN_BITS || NT < 1) begin
            $display("qnn_thresh %m: T_BITS must be >= IN_BITS and NT >= 1");
            $finish;
        end
    end


    // ---- stage 0: accept while the output buffer has room (credit: registers only) ---------------
    wire credit;
    assign in_ready = credit;
    wire accept = in_valid && credit;

    reg [NFW-1:0] nf;
    reg [PE*IN_BITS-1:0] x1;
    wire [PE*NT*T_BITS-1:0] t1;  // the thresholds of x1: read every cycle (nf moves only on accept)
    wire v_in;                   // accept, delayed to arrive at v1 with x1
    reg v1;
    generate
        if (TROM_LAT == 2) begin : g_trom2
            qnn_rom #(.WIDTH(PE*NT*T_BITS), .DEPTH(NF), .INIT_FILE(THRESH_FILE)) u_trom (
                .clk(clk), .addr(nf), .data(t1)
            );
            reg [PE*IN_BITS-1:0] x0;
            reg v0;
            always @(posedge clk) begin
                x0 <= in_data;
                x1 <= x0;
                v0 <= !rst && accept;
            end
            assign v_in = v0;
        end else begin : g_trom1
            reg [PE*NT*T_BITS-1:0] trom [0:NF-1];
            reg [PE*NT*T_BITS-1:0] t_q;
            initial if (THRESH_FILE != "none") $readmemh(THRESH_FILE, trom);
            always @(posedge clk) begin
                t_q <= trom[nf];
                x1 <= in_data;
            end
            assign t1 = t_q;
            assign v_in = accept;
        end
    endgenerate
    reg nf_last;  // nf == NF_LAST, as a register
    wire nf_penult = (nf == NF_LAST - 1'b1);
    always @(posedge clk) begin
        if (rst) begin
            nf <= {NFW{1'b0}};
            nf_last <= (NF == 1);
            v1 <= 1'b0;
        end else begin
            if (accept) begin
                nf <= nf_last ? {NFW{1'b0}} : nf + 1'b1;
                nf_last <= nf_last ? (NF == 1) : nf_penult;
            end
            v1 <= v_in;
        end
    end

    // ---- stage 1: compare (registered): ge2[p*NT+i] = x[p] >= T[p][i], as the sign of the
    //      (T_BITS+1)-bit difference x - t: one carry chain, nothing after it but the flip-flop ----------
    // Structural, one net per comparison and per partial count (Icarus evaluates a net only when its
    // inputs change; a procedural loop over PE*NT comparisons costs it ~1 us each): the logic is that of
    // the loops "for each channel p, threshold i: ge[p*NT+i] = ~sign(x[p] - T[p][i])" and "count the
    // ones of each channel's NT bits".
    localparam CB = $clog2(NT + 1);  // bits of a channel's count
    localparam [CB-1:0] CB_ONE = 1;
    localparam CL = (NT > 1) ? $clog2(NT) : 0;  // levels of the count's adder tree
    localparam NP = 1 << CL;                      // comparisons, padded to a power of two
    reg [PE*NT-1:0] ge2;
    reg v2;
    wire [PE*OUT_BITS-1:0] level;
    genvar gp, gi;
    generate
        for (gp = 0; gp < PE; gp = gp + 1) begin : g_ch
            // sign-extend the input to T_BITS + 1 (the difference's width)
            wire [IN_BITS-1:0] xc = x1[gp*IN_BITS +: IN_BITS];
            wire [T_BITS:0] xw = {{(T_BITS - IN_BITS + 1){xc[IN_BITS-1]}}, xc};
            wire [NT-1:0] ge;  // this channel's comparisons
            for (gi = 0; gi < NT; gi = gi + 1) begin : g_t
                wire [T_BITS-1:0] tv = t1[(gp*NT + gi)*T_BITS +: T_BITS];
                // Waiver: of the difference only the sign is used.
                /* verilator lint_off UNUSEDSIGNAL */
                wire [T_BITS:0] diff = xw - {tv[T_BITS-1], tv};
                /* verilator lint_on UNUSEDSIGNAL */
                assign ge[gi] = ~diff[T_BITS];
            end
            always @(posedge clk) ge2[gp*NT +: NT] <= ge;
            // ---- stage 2: count the thresholds reached (a balanced adder tree, CL levels), encode -----
            wire [NT-1:0] gc = ge2[gp*NT +: NT];
            for (gi = 0; gi <= CL; gi = gi + 1) begin : g_cnt
                wire [(NP >> gi)*CB-1:0] n;  // level gi: NP >> gi partial counts of CB bits
                if (gi == 0) begin : g_leaf
                    genvar gb;
                    for (gb = 0; gb < NP; gb = gb + 1) begin : g_b
                        if (gb < NT) begin : g_bit
                            assign n[gb*CB +: CB] = gc[gb] ? CB_ONE : {CB{1'b0}};
                        end else begin : g_pad
                            assign n[gb*CB +: CB] = {CB{1'b0}};
                        end
                    end
                end else begin : g_sum
                    genvar gb;
                    for (gb = 0; gb < (NP >> gi); gb = gb + 1) begin : g_b
                        assign n[gb*CB +: CB] = g_cnt[gi - 1].n[2*gb*CB +: CB] + g_cnt[gi - 1].n[(2*gb + 1)*CB +: CB];
                    end
                end
            end
            // Waiver: the level code is taken modulo 2**OUT_BITS on purpose.
            /* verilator lint_off UNUSEDSIGNAL */
            wire [31:0] code = {{(32 - CB){1'b0}}, g_cnt[CL].n[CB-1:0]} * OUT_SCALE + OUT_OFFSET;
            /* verilator lint_on UNUSEDSIGNAL */
            assign level[gp*OUT_BITS +: OUT_BITS] = code[OUT_BITS-1:0];
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) v2 <= 1'b0;
        else v2 <= v1;
    end

    qnn_obuf #(.WIDTH(PE*OUT_BITS), .CAP(LAT + 4)) u_out (
        .clk(clk), .rst(rst), .reserve(accept), .credit(credit), .push(v2), .push_data(level),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
    );
endmodule

`default_nettype wire
