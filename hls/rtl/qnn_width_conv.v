// qnn_width_conv: stream width converter (gearbox) between words of IN_N and OUT_N elements.
//
// Elements keep their order: element 0 of a word is the first in stream order (lowest bits).
// Any IN_N/OUT_N pair works as long as the number of elements per frame is a multiple of both
// (the generator guarantees it: PE divides the channels of the producer, SIMD those of the consumer).
// Equal widths are a plain wire.  When one width divides the other (the usual case: PE and SIMD are
// divisors of the channels) the converter is registers and a counter only: an upsizer collects
// OUT_N/IN_N words into a buffer that moves to the output register; a downsizer shifts a held word out
// OUT_N elements at a time, with a second register taking the next word.  Otherwise a gearbox of
// CAP = 2*max(IN_N, OUT_N) elements sustains min(IN_N, OUT_N) elements per cycle.  In every case
// in_ready comes from registers only (never combinationally from out_ready).
`timescale 1ns / 1ps
`default_nettype none

module qnn_width_conv #(
    parameter IN_N  = 4,  // elements per input word
    parameter OUT_N = 2,  // elements per output word
    parameter EW    = 4   // bits per element
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              in_valid,
    output wire              in_ready,
    input  wire [IN_N*EW-1:0]  in_data,
    output wire              out_valid,
    input  wire              out_ready,
    output wire [OUT_N*EW-1:0] out_data
);
    initial begin
        if (IN_N < 1 || OUT_N < 1 || EW < 1) begin
            $display("qnn_width_conv %m: IN_N, OUT_N and EW must be >= 1");
            $finish;
        end
    end

    generate
        if (IN_N == OUT_N) begin : g_wire
            assign out_valid = in_valid;
            assign in_ready = out_ready;
            assign out_data = in_data;
            // clk/rst unused in this configuration
            wire unused = &{1'b0, clk, rst};
        end else if (OUT_N % IN_N == 0) begin : g_up
            localparam K = OUT_N / IN_N;
            localparam KW = (K > 1) ? $clog2(K) : 1;
            localparam integer K_LAST_I = K - 1;
            localparam [KW-1:0] K_LAST = K_LAST_I[KW-1:0];
            reg [OUT_N*EW-1:0] buffer, out_q;
            reg [KW-1:0] k;
            reg full, ov;  // full: a complete buffer waits for the output register
            wire in_fire = in_valid && !full;
            wire out_free = !ov || out_ready;
            wire complete = in_fire && (k == K_LAST);
            reg [OUT_N*EW-1:0] with_in;
            integer i;
            always @* begin
                with_in = buffer;
                for (i = 0; i < K; i = i + 1)
                    if (k == i[KW-1:0]) with_in[i*IN_N*EW +: IN_N*EW] = in_data;
            end
            assign in_ready = !full;
            assign out_valid = ov;
            assign out_data = out_q;
            always @(posedge clk) begin
                if (in_fire) buffer <= with_in;
                if (complete && out_free) out_q <= with_in;
                else if (full && out_free) out_q <= buffer;
            end
            always @(posedge clk) begin
                if (rst) begin
                    k <= {KW{1'b0}};
                    full <= 1'b0;
                    ov <= 1'b0;
                end else begin
                    if (in_fire) k <= complete ? {KW{1'b0}} : k + 1'b1;
                    if (complete && !out_free) full <= 1'b1;
                    else if (out_free) full <= 1'b0;
                    if (out_free) ov <= complete || full;
                end
            end
        end else if (IN_N % OUT_N == 0) begin : g_down
            localparam K = IN_N / OUT_N;
            localparam KW = (K > 1) ? $clog2(K) : 1;
            localparam integer K_LAST_I = K - 1;
            localparam [KW-1:0] K_LAST = K_LAST_I[KW-1:0];
            reg [IN_N*EW-1:0] hold, nxt;
            reg [KW-1:0] j;
            reg hv, nv;  // hold / next register valid
            wire in_fire = in_valid && !nv;
            wire out_fire = hv && out_ready;
            wire hold_free = !hv || (out_fire && j == K_LAST);
            assign in_ready = !nv;
            assign out_valid = hv;
            assign out_data = hold[OUT_N*EW-1:0];
            always @(posedge clk) begin
                if (hold_free) hold <= nv ? nxt : in_data;
                else if (out_fire) hold <= hold >> (OUT_N * EW);
                if (in_fire && !(hold_free && !nv)) nxt <= in_data;
            end
            always @(posedge clk) begin
                if (rst) begin
                    j <= {KW{1'b0}};
                    hv <= 1'b0;
                    nv <= 1'b0;
                end else begin
                    if (hold_free) begin
                        j <= {KW{1'b0}};
                        hv <= nv || in_fire;
                        nv <= 1'b0;
                    end else begin
                        if (out_fire) j <= j + 1'b1;
                        if (in_fire) nv <= 1'b1;
                    end
                end
            end
        end else begin : g_gear
            localparam CAP = 2 * ((IN_N > OUT_N) ? IN_N : OUT_N);
            localparam CW = $clog2(CAP + 1);
            localparam integer ROOM_I = CAP - IN_N;  // accept while count <= ROOM
            localparam integer IN_I = IN_N;
            localparam integer OUT_I = OUT_N;
            localparam [CW-1:0] IN_C = IN_I[CW-1:0];
            localparam [CW-1:0] OUT_C = OUT_I[CW-1:0];
            localparam [CW-1:0] ROOM = ROOM_I[CW-1:0];

            reg [CAP*EW-1:0] buffer;
            reg [CW-1:0] count;
            wire in_fire = in_valid && in_ready;
            wire out_fire = out_valid && out_ready;
            assign in_ready = (count <= ROOM);
            assign out_valid = (count >= OUT_C);
            assign out_data = buffer[OUT_N*EW-1:0];

            wire [CAP*EW-1:0] shifted = out_fire ? (buffer >> (OUT_N * EW)) : buffer;
            wire [CW-1:0] base = out_fire ? count - OUT_C : count;
            wire [31:0] base32 = {{(32 - CW){1'b0}}, base};
            reg [CAP*EW-1:0] next;
            integer i;
            always @* begin
                next = shifted;
                for (i = 0; i < CAP; i = i + 1) begin
                    if (in_fire && i >= base32 && i < base32 + IN_N)
                        next[i*EW +: EW] = in_data[(i - base32)*EW +: EW];
                end
            end

            always @(posedge clk) begin
                if (rst) begin
                    count <= {CW{1'b0}};
                    buffer <= {CAP*EW{1'b0}};
                end else begin
                    count <= base + (in_fire ? IN_C : {CW{1'b0}});
                    buffer <= next;
                end
            end
        end
    endgenerate
endmodule

`default_nettype wire
