// qnn_pnr_shell: a few-pin wrapper around qnn_top for place and route.
//
// A network's stream words are hundreds of bits wide, more than any package has pins.  For place and
// route (fmax, utilization) the shell feeds the input word through a shift register and captures each
// output word into a shift register read out one bit at a time, so every output bit stays observable
// (nothing is optimized away) with 10 pins.  It adds IN_W + OUT_W flip-flops; synthesis figures of the
// bare qnn_top are reported separately.  A design with SPRAM weights (compiled with QNN_WEIGHT_LOAD) has its
// weight-load port on two more pins (wl_valid, wl_done; the load word is a 16-bit shift register fed by sin);
// without it wl_valid is unused and wl_done is 1.
`timescale 1ns / 1ps
`default_nettype none

module qnn_pnr_shell #(
    parameter IN_W  = 8,   // qnn_top input word width
    parameter OUT_W = 8    // qnn_top output word width
) (
    input  wire clk,
    input  wire rst,
    input  wire sin,        // serial input bit
    input  wire sin_en,     // shift sin into the input word
    input  wire in_valid,   // present the input word
    output wire in_ready,
    input  wire out_ready,  // accept an output word into the output shift register
    output wire out_valid,
    input  wire sout_en,    // shift the output register by one bit
    output wire sout,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire wl_valid,   // present the load word (QNN_WEIGHT_LOAD)
    /* verilator lint_on UNUSEDSIGNAL */
    output wire wl_done
);
    reg [IN_W-1:0] in_sr;
    reg [OUT_W-1:0] out_sr;
    wire [OUT_W-1:0] out_data;

    always @(posedge clk) begin
        if (sin_en) in_sr <= {in_sr[IN_W-2:0], sin};
        if (out_valid && out_ready) out_sr <= out_data;
        else if (sout_en) out_sr <= {1'b0, out_sr[OUT_W-1:1]};
    end
    assign sout = out_sr[0];

`ifdef QNN_WEIGHT_LOAD
    reg [15:0] wl_sr;
    always @(posedge clk) if (sin_en) wl_sr <= {wl_sr[14:0], sin};
`else
    assign wl_done = 1'b1;
`endif

    qnn_top u_top (
        .clk(clk), .rst(rst),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_sr),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data)
`ifdef QNN_WEIGHT_LOAD
        , .wl_valid(wl_valid), .wl_data(wl_sr), .wl_done(wl_done)
`endif
    );
endmodule

`default_nettype wire
