// qnn_board_shell: qnn_top behind a UART and a small framed protocol (docs/board.md).
//
// Request  (host -> board): 0xA5, CMD, LEN_LO, LEN_HI, LEN payload bytes, SUM
// Reply    (board -> host): 0x5A, STATUS, LEN_LO, LEN_HI, LEN payload bytes, SUM
// SUM is the sum modulo 256 of every byte after the start byte.  Commands: 0x01 infer (payload: the
// IN_WORDS input words of one vector, IN_WB bytes each, least significant byte first; reply: the
// OUT_WORDS output words, OUT_WB bytes each), 0x02 argmax (same request; reply: the index of the largest
// output element, 2 bytes, the first one on ties), 0x03 info (no payload; reply: protocol version,
// IN_WORDS, IN_WB, OUT_WORDS, OUT_WB, DESIGN_ID).  STATUS 0 is ok; an error reply has no payload:
// 1 checksum, 2 length, 3 timeout (a byte lost mid-frame: no byte for TIMEOUT cycles), 4 command,
// 5 overrun (an input word came before the network took the previous one), 6 weights not loaded.
// Weight load (a design whose weights are in SPRAM, compiled with QNN_WEIGHT_LOAD; WL_WORDS > 0): command
// 0x04 load weights (payload: the WL_WORDS 16-bit load words of weight_load.hex, least significant byte
// first; reply: ok, no payload) restarts the network's load counters and streams the words into its load
// port as they arrive; only a frame whose checksum is right (and that filled every memory) marks the
// weights loaded.  Until then infer and argmax frames are answered with error 6 and reach no network.  The
// SPRAM contents survive the network resets that follow errors; a failed load frame leaves them not loaded.
// Input words stream into the network as they arrive; its output words are taken as soon as they come
// (a network may answer before its whole input is in: a streaming convolution) into a buffer of
// OUT_WORDS words, sent once the checksum has been checked.  An error resets the network for 16 cycles,
// so a partial or corrupt vector leaves nothing behind and the next start byte begins a clean frame.
`timescale 1ns / 1ps
`default_nettype none

module qnn_board_shell #(
    parameter CPB        = 104,      // clock cycles per UART bit (f_clk / baud)
    parameter TIMEOUT    = 1000000,  // cycles without a byte mid-frame before the frame is dropped
    parameter IN_W       = 8,        // qnn_top input word width (bits)
    parameter IN_WORDS   = 1,        // input words per vector
    parameter OUT_W      = 8,        // qnn_top output word width (bits)
    parameter OUT_WORDS  = 1,        // output words per vector
    parameter OUT_N      = 1,        // elements per output word (OUT_N * OUT_EW == OUT_W)
    parameter OUT_EW     = 8,        // bits per output element
    parameter OUT_SIGNED = 0,        // output elements are two's complement (argmax compares signed)
    parameter DESIGN_ID  = 0,        // 32-bit identifier of the generated design (info reply)
    parameter HEARTBEAT  = 22,       // bit of a free-running counter shown on led_alive
    parameter WL_WORDS   = 0,        // 16-bit weight-load words (0: the weights are all ROMs; else QNN_WEIGHT_LOAD)
    parameter MEM_DIR    = "./"      // qnn_top ROM folder
) (
    input  wire clk,
    input  wire rst,        // synchronous, active high (qnn_reset_sync)
    input  wire rx,
    output wire tx,
    output wire led_alive,  // blinks while the clock runs and reset is released
    output wire led_busy,   // a frame is being received, computed or answered
    output wire led_error,  // the last reply was an error
    output reg  led_frame,  // toggles on every good reply
    output wire busy        // led_busy or the transmitter still sending
);
    localparam IN_WB = (IN_W + 7) / 8;
    localparam OUT_WB = (OUT_W + 7) / 8;
    localparam IN_LEN = IN_WORDS * IN_WB;
    localparam OUT_LEN = OUT_WORDS * OUT_WB;
    localparam INFO_LEN = 11;
    localparam TW = $clog2(TIMEOUT + 1);
    localparam [7:0] SOF_REQ = 8'hA5, SOF_REP = 8'h5A, VERSION = 8'd1;
    localparam [7:0] CMD_INFER = 8'h01, CMD_ARGMAX = 8'h02, CMD_INFO = 8'h03, CMD_LOAD = 8'h04;
    localparam [7:0] ST_OK = 8'd0, ERR_CHECKSUM = 8'd1, ERR_LENGTH = 8'd2, ERR_TIMEOUT = 8'd3,
                     ERR_COMMAND = 8'd4, ERR_OVERRUN = 8'd5, ERR_NOT_LOADED = 8'd6;
    localparam integer WL_LEN_I = 2 * WL_WORDS;
    localparam [15:0] WL_LEN = WL_LEN_I[15:0];
    localparam [OUT_EW-1:0] SIGN_FLIP = OUT_SIGNED ? ({{(OUT_EW-1){1'b0}}, 1'b1} << (OUT_EW - 1)) : {OUT_EW{1'b0}};

    initial begin
        if (IN_LEN > 65535 || OUT_LEN > 65535 || WL_LEN_I > 65535 || OUT_N * OUT_EW != OUT_W || IN_WORDS < 1 || OUT_WORDS < 1) begin
            $display("qnn_board_shell: bad geometry IN_LEN=%0d OUT_LEN=%0d OUT_N*OUT_EW=%0d OUT_W=%0d",
                     IN_LEN, OUT_LEN, OUT_N * OUT_EW, OUT_W);
            $finish;
        end
    end

    // --- UART ---------------------------------------------------------------------------------
    wire rx_valid, rx_active;
    /* verilator lint_off UNUSEDSIGNAL */
    wire rx_ferr;  // a dropped byte shows up as a checksum error or a timeout of its frame
    /* verilator lint_on UNUSEDSIGNAL */
    wire [7:0] rx_data;
    reg tx_valid;
    reg [7:0] tx_data;
    wire tx_ready;
    qnn_uart_rx #(.CPB(CPB)) u_rx (.clk(clk), .rst(rst), .rx(rx), .valid(rx_valid), .data(rx_data),
                                   .ferr(rx_ferr), .active(rx_active));
    qnn_uart_tx #(.CPB(CPB)) u_tx (.clk(clk), .rst(rst), .valid(tx_valid), .ready(tx_ready), .data(tx_data),
                                   .tx(tx));

    // --- network ------------------------------------------------------------------------------
    reg [4:0] flush;  // network reset cycles left
    reg in_valid;
    reg [IN_W-1:0] in_word;
    wire in_ready, out_valid;
    wire [OUT_W-1:0] out_data;
    reg out_take;
    reg wl_valid;       // one load word for the network's load port
    reg [15:0] wl_word;
    reg loaded;         // the weights are in (always, without a load port)
    wire wl_done;
    qnn_top #(.MEM_DIR(MEM_DIR)) u_top (
        .clk(clk), .rst(rst || flush != 0),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_word),
        .out_valid(out_valid), .out_ready(out_take), .out_data(out_data)
`ifdef QNN_WEIGHT_LOAD
        , .wl_valid(wl_valid), .wl_data(wl_word), .wl_done(wl_done)
`endif
    );
`ifndef QNN_WEIGHT_LOAD
    assign wl_done = 1'b1;
`endif

    // --- protocol -----------------------------------------------------------------------------
    localparam [3:0] S_IDLE = 4'd0, S_CMD = 4'd1, S_LEN0 = 4'd2, S_LEN1 = 4'd3, S_DATA = 4'd4, S_SKIP = 4'd5,
                     S_CHK = 4'd6, S_FLUSH = 4'd7, S_ARG_LOAD = 4'd8, S_ARG_SCAN = 4'd9, S_HDR = 4'd10,
                     S_LOAD = 4'd11, S_PAY = 4'd12, S_SUM = 4'd13, S_WLD = 4'd14;
    reg [3:0] state;
    reg [7:0] cmd, sum, status, err;
    reg [15:0] len, cnt;
    reg [15:0] len_m1;       // the reply's payload length - 1 (a register: no subtractor before the compare)
    reg [7:0] bcnt;          // byte within a word
    reg [1:0] hidx;          // header byte
    reg [TW-1:0] tmo;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [IN_WB*8-1:0] in_sr;  // its low byte is shifted out as the next byte comes
    /* verilator lint_on UNUSEDSIGNAL */
    reg [OUT_WB*8-1:0] osr;
    reg [OUT_WB*8-1:0] obuf [0:OUT_WORDS-1];  // the vector's output words, as they came
    reg [15:0] owr, ord;                        // words captured, words read out
    localparam OAW = (OUT_WORDS > 1) ? $clog2(OUT_WORDS) : 1;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [OAW-1:0] owr_a = owr[OAW-1:0], ord_a = ord[OAW-1:0];  // the buffer addresses
    /* verilator lint_on UNUSEDSIGNAL */
    reg [15:0] ecnt, wcnt;   // element within a word, word within a vector (argmax)
    reg [15:0] best_idx;
    reg [OUT_EW-1:0] best;
    reg first;
    reg err_led;
    reg [HEARTBEAT:0] hb;

    wire [IN_WB*8-1:0] in_next;
    generate
        if (IN_WB == 1) begin : g_in1
            assign in_next = rx_data;
        end else begin : g_inn
            assign in_next = {rx_data, in_sr[IN_WB*8-1:8]};
        end
    endgenerate
    wire [15:0] rx_len = {rx_data, len[7:0]};
    wire is_load = (WL_WORDS > 0) && (cmd == CMD_LOAD);
    wire known = (cmd == CMD_INFER) || (cmd == CMD_ARGMAX) || (cmd == CMD_INFO) || is_load;
    wire [15:0] want = (cmd == CMD_INFO) ? 16'd0 : is_load ? WL_LEN : IN_LEN[15:0];
    wire unloaded = (cmd == CMD_INFER || cmd == CMD_ARGMAX) && !loaded;
    wire [OUT_EW-1:0] key = osr[OUT_EW-1:0] ^ SIGN_FLIP;  // signed order as unsigned order
    wire receiving = ((state >= S_CMD) && (state <= S_CHK)) || (state == S_WLD);
    wire tx_go = tx_valid && tx_ready;
    wire [7:0] out_byte = osr[7:0];
    wire [OUT_WB*8-1:0] out_ext;  // the output word zero-extended to whole bytes
    generate
        if (OUT_WB * 8 == OUT_W) begin : g_out8
            assign out_ext = out_data;
        end else begin : g_outx
            assign out_ext = {{(OUT_WB * 8 - OUT_W){1'b0}}, out_data};
        end
    endgenerate

    reg [7:0] pay_byte;
    always @* begin
        pay_byte = out_byte;
        if (cmd == CMD_ARGMAX) pay_byte = (cnt == 0) ? best_idx[7:0] : best_idx[15:8];
        else if (cmd == CMD_INFO) begin
            case (cnt[3:0])
                4'd0: pay_byte = VERSION;
                4'd1: pay_byte = IN_WORDS[7:0];
                4'd2: pay_byte = IN_WORDS[15:8];
                4'd3: pay_byte = IN_WB[7:0];
                4'd4: pay_byte = OUT_WORDS[7:0];
                4'd5: pay_byte = OUT_WORDS[15:8];
                4'd6: pay_byte = OUT_WB[7:0];
                4'd7: pay_byte = DESIGN_ID[7:0];
                4'd8: pay_byte = DESIGN_ID[15:8];
                4'd9: pay_byte = DESIGN_ID[23:16];
                default: pay_byte = DESIGN_ID[31:24];
            endcase
        end
    end

    always @* begin
        tx_valid = 1'b0;
        tx_data = 8'h00;
        out_take = (owr != OUT_WORDS[15:0]) && (flush == 0) && (state != S_IDLE) && (state != S_FLUSH);
        case (state)
            S_HDR: begin
                tx_valid = 1'b1;
                case (hidx)
                    2'd0: tx_data = SOF_REP;
                    2'd1: tx_data = status;
                    2'd2: tx_data = len[7:0];
                    default: tx_data = len[15:8];
                endcase
            end
            S_PAY: begin
                tx_valid = 1'b1;
                tx_data = pay_byte;
            end
            S_SUM: begin
                tx_valid = 1'b1;
                tx_data = sum;
            end
            default: ;
        endcase
    end

    // reply with `st` and `n` payload bytes (errors: reset the network first)
    task reply(input [7:0] st, input [15:0] n);
        begin
            status <= st;
            len <= n;
            len_m1 <= n - 16'd1;
            hidx <= 0;
            if (st != ST_OK) begin
                flush <= 5'd16;
                state <= S_FLUSH;
            end else begin
                state <= S_HDR;
            end
        end
    endtask

    always @(posedge clk) begin
        if (out_valid && out_take) obuf[owr_a] <= out_ext;
    end

    always @(posedge clk) begin
        hb <= hb + 1'b1;
        if (out_valid && out_take) owr <= owr + 1'b1;
        if (in_valid && in_ready) in_valid <= 1'b0;
        if (flush != 0) flush <= flush - 1'b1;
        wl_valid <= 1'b0;
        if (rst) begin
            state <= S_IDLE;
            in_valid <= 1'b0;
            loaded <= (WL_WORDS == 0);
            flush <= 5'd0;
            owr <= 0;
            err_led <= 1'b0;
            led_frame <= 1'b0;
            hb <= 0;
        end else begin
            if (receiving) begin
                if (rx_valid) tmo <= 0;
                else tmo <= tmo + 1'b1;
                if (!rx_valid && tmo == TIMEOUT[TW-1:0] - 1'b1) reply(err != ST_OK ? err : ERR_TIMEOUT, 16'd0);
            end
            case (state)
                S_IDLE: if (rx_valid && rx_data == SOF_REQ) begin
                    state <= S_CMD;
                    owr <= 0;
                    ord <= 0;
                    sum <= 8'd0;
                    err <= ST_OK;
                    tmo <= 0;
                end
                S_CMD: if (rx_valid) begin
                    cmd <= rx_data;
                    sum <= sum + rx_data;
                    state <= S_LEN0;
                end
                S_LEN0: if (rx_valid) begin
                    len[7:0] <= rx_data;
                    sum <= sum + rx_data;
                    state <= S_LEN1;
                end
                S_LEN1: if (rx_valid) begin
                    len[15:8] <= rx_data;
                    sum <= sum + rx_data;
                    cnt <= rx_len;
                    bcnt <= 0;
                    if (!known) err <= ERR_COMMAND;
                    else if (rx_len != want) err <= ERR_LENGTH;
                    else if (unloaded) err <= ERR_NOT_LOADED;
                    if (rx_len == 0) state <= S_CHK;
                    else if (!known || rx_len != want || unloaded) state <= S_SKIP;
                    else if (is_load) begin
                        state <= S_WLD;
                        loaded <= 1'b0;
                        flush <= 5'd16;  // restart the load counters (the next byte is >= 10 bit times away)
                    end else state <= S_DATA;
                end
                S_WLD: if (rx_valid) begin  // load words: low byte, then high byte
                    sum <= sum + rx_data;
                    bcnt <= bcnt + 1'b1;
                    if (bcnt[0]) begin
                        wl_valid <= 1'b1;
                        wl_word <= {rx_data, in_sr[7:0]};
                    end else begin
                        in_sr[7:0] <= rx_data;
                    end
                    cnt <= cnt - 1'b1;
                    if (cnt == 1) state <= S_CHK;
                end
                S_DATA: if (rx_valid) begin
                    sum <= sum + rx_data;
                    in_sr <= in_next;
                    bcnt <= bcnt + 1'b1;
                    if (bcnt == IN_WB[7:0] - 8'd1) begin
                        bcnt <= 0;
                        if (in_valid && !in_ready) err <= ERR_OVERRUN;
                        else begin
                            in_valid <= 1'b1;
                            in_word <= in_next[IN_W-1:0];
                        end
                    end
                    cnt <= cnt - 1'b1;
                    if (cnt == 1) state <= S_CHK;
                end
                S_SKIP: if (rx_valid) begin
                    sum <= sum + rx_data;
                    cnt <= cnt - 1'b1;
                    if (cnt == 1) state <= S_CHK;
                end
                S_CHK: if (rx_valid) begin
                    if (err != ST_OK) reply(err, 16'd0);
                    else if (rx_data != sum) reply(ERR_CHECKSUM, 16'd0);
                    else if (is_load) begin
                        if (wl_done) begin
                            loaded <= 1'b1;
                            reply(ST_OK, 16'd0);
                        end else reply(ERR_LENGTH, 16'd0);  // (cannot happen: the length was checked)
                    end
                    else if (cmd == CMD_INFO) reply(ST_OK, INFO_LEN[15:0]);
                    else if (cmd == CMD_INFER) reply(ST_OK, OUT_LEN[15:0]);
                    else begin
                        state <= S_ARG_LOAD;
                        status <= ST_OK;
                        first <= 1'b1;
                        ecnt <= 0;
                        wcnt <= 0;
                        best_idx <= 0;
                        cnt <= 0;
                    end
                end
                S_FLUSH: begin
                    in_valid <= 1'b0;
                    owr <= 0;
                    if (flush == 5'd1) state <= S_HDR;
                end
                S_ARG_LOAD: if (ord != owr) begin
                    osr <= obuf[ord_a];
                    ord <= ord + 1'b1;
                    ecnt <= 0;
                    state <= S_ARG_SCAN;
                end
                S_ARG_SCAN: begin
                    if (first || key > best) begin
                        best <= key;
                        best_idx <= cnt;
                    end
                    first <= 1'b0;
                    cnt <= cnt + 1'b1;
                    osr <= osr >> OUT_EW;
                    ecnt <= ecnt + 1'b1;
                    if (ecnt == OUT_N[15:0] - 16'd1) begin
                        wcnt <= wcnt + 1'b1;
                        if (wcnt == OUT_WORDS[15:0] - 16'd1) reply(ST_OK, 16'd2);
                        else state <= S_ARG_LOAD;
                    end
                end
                S_HDR: if (tx_go) begin
                    hidx <= hidx + 1'b1;
                    sum <= (hidx == 0) ? 8'd0 : sum + tx_data;
                    cnt <= 0;
                    bcnt <= 0;
                    if (hidx == 3) begin
                        if (len == 0) state <= S_SUM;
                        else if (cmd == CMD_INFER) state <= S_LOAD;
                        else state <= S_PAY;
                    end
                end
                S_LOAD: if (ord != owr) begin
                    osr <= obuf[ord_a];
                    ord <= ord + 1'b1;
                    state <= S_PAY;
                end
                S_PAY: if (tx_go) begin
                    sum <= sum + tx_data;
                    cnt <= cnt + 1'b1;
                    osr <= osr >> 8;
                    bcnt <= bcnt + 1'b1;
                    if (cnt == len_m1) state <= S_SUM;
                    else if (cmd == CMD_INFER && bcnt == OUT_WB[7:0] - 8'd1) begin
                        bcnt <= 0;
                        state <= S_LOAD;
                    end
                end
                S_SUM: if (tx_go) begin
                    state <= S_IDLE;
                    err_led <= (status != ST_OK);
                    if (status == ST_OK) led_frame <= ~led_frame;
                end
                default: state <= S_IDLE;
            endcase
        end
    end

    assign led_alive = hb[HEARTBEAT];
    assign led_busy = (state != S_IDLE);
    assign led_error = err_led;
    assign busy = led_busy || !tx_ready || rx_active;
endmodule

`default_nettype wire
