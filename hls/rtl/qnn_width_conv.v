// qnn_width_conv: stream width converter (gearbox) between words of IN_N and OUT_N elements.
//
// Elements keep their order: element 0 of a word is the first in stream order (lowest bits).
// Any IN_N/OUT_N pair works as long as the number of elements per frame is a multiple of both
// (the generator guarantees it: PE divides the channels of the producer, SIMD those of the consumer).
// A buffer of CAP = 2*max(IN_N, OUT_N) elements sustains min(IN_N, OUT_N) elements per cycle.
// in_ready depends only on the fill level; equal widths are a plain wire.
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
