// qnn_rom: ROM with a two-cycle read (address register, then output register), so that a block
// RAM's slow clock-to-out never sits on a fabric path: data = ROM[addr] two clock edges after addr
// (contents from a $readmemh file).
//
// Behaviour (simulation, and every synthesis target but one): the memory is read into a register,
// which a second register follows.  Under `define QNN_ECP5_OUTREG (set by `qnn synth --target ecp5`,
// hls/synth/ecp5_outreg.py) a memory that goes to block RAM is written with the first register only
// and the attribute ram_style = "qnn_outreg": the synthesis script maps it to a DP16KD with
// REGMODE = "OUTREG", whose output register is the second register, so the latency is the same two
// cycles and the 5.8 ns clock-to-out of an unregistered DP16KD leaves the fabric paths.  That define
// is only correct together with that script (which refuses to leave such a memory unmapped).
//
// STYLE: 0 auto (block RAM with its output register when DEPTH > 16 and WIDTH*DEPTH >= 1024 bits,
// else Yosys decides), 1 block RAM, 2 LUTs (distributed).
//
// Banked (BANK_DEPTH > 0 and DEPTH > BANK_DEPTH): a ROM deeper than one block RAM column.  Left to
// Yosys, such a memory becomes several block RAMs in depth with a bank-select multiplexer after their
// outputs, in the same cycle as whatever follows, and with a select register for a one-register read:
// a cycle early for the DP16KD's output register.  Here the memory is NB = ceil(DEPTH/BANK_DEPTH)
// banks side by side, one row of BANK_DEPTH words of NB*WIDTH bits (bank b = words b*BANK_DEPTH ..
// in bits [b*WIDTH +: WIDTH]; the INIT_FILE is written in that layout, hls/rtlgen/memfile.py
// banked_fields), read with the two registers above, then a registered 4:1 multiplexer per stage
// (MS = ceil(log4(NB)) stages) with its select delayed alongside.  Latency: LATENCY = 2 + MS edges,
// which the caller states (checked at elaboration).
`timescale 1ns / 1ps
`default_nettype none

module qnn_rom #(
    parameter WIDTH = 8,     // bits per word
    parameter DEPTH = 16,    // words
    parameter STYLE = 0,     // 0 auto, 1 block RAM, 2 LUTs
    parameter INIT_FILE = "none",  // $readmemh file ("none": an empty ROM); banked: the banked layout
    parameter BANK_DEPTH = 0,  // words per bank, a power of two (0: one bank)
    parameter LATENCY = 2      // edges from addr to data: 2, or 2 + MS when banked (the caller's statement)
) (
    input  wire                              clk,
    input  wire [((DEPTH > 1) ? $clog2(DEPTH) : 1)-1:0] addr,
    output wire [WIDTH-1:0]                  data
);
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam BANKED = (BANK_DEPTH > 0) && (DEPTH > BANK_DEPTH);
    localparam NB = BANKED ? (DEPTH + BANK_DEPTH - 1) / BANK_DEPTH : 1;  // banks
    localparam MS = mux_stages(NB);                  // registered 4:1 multiplexer stages
    localparam RD = BANKED ? BANK_DEPTH : DEPTH;     // the memory's rows
    localparam RW = NB * WIDTH;                      // and their width
    localparam RAW = (RD > 1) ? $clog2(RD) : 1;
    localparam SW = (2 * MS > 0) ? 2 * MS : 1;       // bank index, padded to 2 bits per stage

    function integer mux_stages(input integer n);  // ceil(log4(n))
        integer k;
        begin
            mux_stages = 0;
            for (k = 1; k < n; k = k * 4) mux_stages = mux_stages + 1;
        end
    endfunction

    initial begin
        if (LATENCY != 2 + MS || (BANKED && (1 << RAW) != BANK_DEPTH)) begin
            $display("qnn_rom %m: LATENCY must be 2 + ceil(log4(banks)) = %0d and BANK_DEPTH a power of two", 2 + MS);
            $finish;
        end
    end

    wire [RAW-1:0] ra = addr[RAW-1:0];
    wire [RW-1:0] row;  // ROW[ra], two edges after addr
`ifdef QNN_ECP5_OUTREG
    localparam OUTREG = (STYLE == 1) || (STYLE == 0 && RD > 16 && RW * RD >= 1024);
`else
    localparam OUTREG = 0;
`endif
    generate
        if (OUTREG) begin : g_outreg
            (* rom_style = "qnn_outreg", ram_style = "qnn_outreg" *) reg [RW-1:0] mem [0:RD-1];
            reg [RW-1:0] q;  // + the DP16KD output register (REGMODE = "OUTREG")
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) q <= mem[ra];
            assign row = q;
        end else if (STYLE == 1) begin : g_block
            (* rom_style = "block", ram_style = "block" *) reg [RW-1:0] mem [0:RD-1];
            reg [RW-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[ra];
                q2 <= q;
            end
            assign row = q2;
        end else if (STYLE == 2) begin : g_lut
            (* rom_style = "logic", ram_style = "logic" *) reg [RW-1:0] mem [0:RD-1];
            reg [RW-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[ra];
                q2 <= q;
            end
            assign row = q2;
        end else begin : g_auto
            reg [RW-1:0] mem [0:RD-1];
            reg [RW-1:0] q, q2;
            initial if (INIT_FILE != "none") $readmemh(INIT_FILE, mem);
            always @(posedge clk) begin
                q <= mem[ra];
                q2 <= q;
            end
            assign row = q2;
        end
    endgenerate

    // ---- banked: the bank index follows the row read, then 4:1 per registered stage -----------------
    generate
        if (BANKED) begin : g_banked
            localparam NP = 1 << (2 * MS);  // banks padded to a power of four
            // Waiver: addr's low (row) bits are read above, and the padding's top bits may go unread.
            /* verilator lint_off UNUSEDSIGNAL */
            wire [AW+SW-1:0] addr_x = {{SW{1'b0}}, addr};
            /* verilator lint_on UNUSEDSIGNAL */
            reg [SW-1:0] sel_a;
            // [k*SW +: SW]: the bank index of the row entering stage k + 1 (the top one is not read)
            /* verilator lint_off UNUSEDSIGNAL */
            reg [(MS+1)*SW-1:0] sel;
            /* verilator lint_on UNUSEDSIGNAL */
            always @(posedge clk) begin
                sel_a <= addr_x[RAW +: SW];
                sel <= {sel[MS*SW-1:0], sel_a};
            end
            genvar s;
            for (s = 0; s <= MS; s = s + 1) begin : g_st
                localparam integer N = NP >> (2 * s);  // words out of stage s (s = 0: the row, padded)
                wire [N*WIDTH-1:0] v;
                if (s == 0 && NP > NB) begin : g_pad
                    assign v = {{((NP - NB) * WIDTH){1'b0}}, row};
                end else if (s == 0) begin : g_row
                    assign v = row;
                end else begin : g_mux  // one procedural driver per stage (cheap for Icarus)
                    // constant part-selects in each branch: an index computed from sl would make Yosys build a
                    // shifter across the whole stage input for every word
                    reg [N*WIDTH-1:0] r;
                    wire [1:0] sl = sel[(s - 1)*SW + 2*(s - 1) +: 2];
                    wire [4*N*WIDTH-1:0] prev = g_st[s - 1].v;
                    integer e;
                    always @(posedge clk)
                        for (e = 0; e < N; e = e + 1)
                            case (sl)
                                2'd0: r[e*WIDTH +: WIDTH] <= prev[(4*e)*WIDTH +: WIDTH];
                                2'd1: r[e*WIDTH +: WIDTH] <= prev[(4*e + 1)*WIDTH +: WIDTH];
                                2'd2: r[e*WIDTH +: WIDTH] <= prev[(4*e + 2)*WIDTH +: WIDTH];
                                default: r[e*WIDTH +: WIDTH] <= prev[(4*e + 3)*WIDTH +: WIDTH];
                            endcase
                    assign v = r;
                end
            end
            assign data = g_st[MS].v;
        end else begin : g_one
            assign data = row;
        end
    endgenerate
endmodule

`default_nettype wire
