// qnn_fifo: first-word-fall-through stream FIFO with a registered output.
//
// The storage is a simple dual-port memory with a synchronous read that loads the output register
// directly, so Yosys maps deep FIFOs to block RAM and shallow ones to LUT RAM/flip-flops.
// in_ready is a register (the full flag), never combinationally dependent on out_ready, so a
// FIFO between two layers also breaks the ready path.  Capacity: DEPTH words in memory + 1 in the
// output register.  Latency: 2 cycles from in_valid&in_ready to out_valid.
`timescale 1ns / 1ps
`default_nettype none

module qnn_fifo #(
    parameter WIDTH = 8,   // bits per word
    parameter DEPTH = 4    // words of memory (>= 1)
) (
    input  wire             clk,
    input  wire             rst,        // synchronous, active high
    input  wire             in_valid,
    output wire             in_ready,
    input  wire [WIDTH-1:0] in_data,
    output reg              out_valid,
    input  wire             out_ready,
    output reg  [WIDTH-1:0] out_data
);
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam CW = $clog2(DEPTH + 1);
    localparam integer LAST_I = DEPTH - 1;
    localparam [AW-1:0] LAST = LAST_I[AW-1:0];

    initial begin
        if (DEPTH < 1 || WIDTH < 1) begin
            $display("qnn_fifo %m: DEPTH and WIDTH must be >= 1");
            $finish;
        end
    end

    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0] wr_ptr, rd_ptr;
    reg [CW-1:0] count;  // words in memory (not counting the output register)
    reg full, nonempty;  // registered flags of count (short paths from out_ready / in_valid)

    wire do_write = in_valid && !full;
    wire do_read = nonempty && (!out_valid || out_ready);
    assign in_ready = !full;
    localparam integer FULL1_I = DEPTH - 1;
    localparam [CW-1:0] FULL1 = FULL1_I[CW-1:0];
    localparam [CW-1:0] ONE = {{(CW - 1){1'b0}}, 1'b1};
    wire grow = do_write && !do_read;
    wire shrink = do_read && !do_write;

    always @(posedge clk) begin
        if (do_write) mem[wr_ptr] <= in_data;
        if (do_read) out_data <= mem[rd_ptr];
    end

    always @(posedge clk) begin
        if (rst) begin
            wr_ptr <= {AW{1'b0}};
            rd_ptr <= {AW{1'b0}};
            count <= {CW{1'b0}};
            full <= 1'b0;
            nonempty <= 1'b0;
            out_valid <= 1'b0;
        end else begin
            if (do_write) wr_ptr <= (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            if (do_read) rd_ptr <= (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;
            // the flags from compares of the current count (off the enable paths), selected by grow/shrink
            if (grow) begin
                count <= count + 1'b1;
                full <= (count == FULL1);
                nonempty <= 1'b1;
            end else if (shrink) begin
                count <= count - 1'b1;
                full <= 1'b0;
                nonempty <= (count != ONE);
            end
            if (do_read) out_valid <= 1'b1;
            else if (out_ready) out_valid <= 1'b0;
        end
    end
endmodule

`default_nettype wire
