// Verilator main for the simulated board: board_top (PLL bypassed) with a host UART on its pins.
//
// Bytes on stdin are sent to the board's RX pin as 8N1 frames of SIM_CPB cycles per bit; bytes the board
// sends on its TX pin are decoded the same way and written to stdout as they complete.  The clock runs
// while anything is in flight (bytes to send or being received, or the shell's sim_busy); once all is
// quiet the main blocks on stdin, so an idle board costs no CPU and time only passes while there is work
// (a frame with lost bytes still times out: the shell is busy until it answers).  At EOF it exits.
// stderr gets one line per reply: "reply <cycle of its start bit> <cycle the last request byte ended>",
// and "cycles <n>" at the end.  The board leaves reset with the line idle before the first byte goes out.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>

#include "Vboard_top.h"
#include "verilated.h"

#ifndef SIM_CPB
#error "SIM_CPB (cycles per bit) must be defined"
#endif

int main(int argc, char** argv) {
    const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    ctx->commandArgs(argc, argv);
    const std::unique_ptr<Vboard_top> top{new Vboard_top{ctx.get()}};
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    std::deque<uint8_t> q;
    bool eof = false;
    int ser_left = 0, ser_cnt = 0;  // host -> board serializer
    uint32_t ser = 0;
    bool des = false;  // board -> host deserializer
    int des_cnt = 0, des_bits = 0;
    uint8_t des_byte = 0;
    uint64_t cycle = 0, quiet = 0;
    uint64_t t_in_end = 0, t_out_end = 0;  // last host byte sent, last board byte received
    top->PIN_CLK = 0;
    top->PIN_RX = 1;
    top->PIN_RST = PIN_RST_IDLE;
    top->eval();
    for (int i = 0; i < 32 * SIM_CPB; i++) {  // out of reset with the line idle before the first byte
        top->PIN_CLK = 1;
        top->eval();
        top->PIN_CLK = 0;
        top->eval();
        cycle++;
    }
    uint8_t buf[4096];
    while (!ctx->gotFinish()) {
        if (q.empty() && !eof && ser_left <= 1) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n > 0) q.insert(q.end(), buf, buf + n);
            else if (n == 0) eof = true;
        }
        // host serializer: one bit per SIM_CPB cycles, start bit first
        if (ser_left == 0 && !q.empty()) {
            ser = (uint32_t(q.front()) << 1) | 0x200u;
            q.pop_front();
            ser_left = 10;
            ser_cnt = SIM_CPB;
        }
        top->PIN_RX = ser_left ? (ser & 1u) : 1;
        top->PIN_CLK = 1;
        top->eval();
        top->PIN_CLK = 0;
        top->eval();
        cycle++;
        if (ser_left && --ser_cnt == 0) {
            ser >>= 1;
            ser_cnt = SIM_CPB;
            if (--ser_left == 0) t_in_end = cycle;
        }
        // host deserializer: sample mid-bit
        const int line = top->PIN_TX;
        if (!des) {
            if (!line) {
                des = true;
                des_cnt = SIM_CPB + SIM_CPB / 2;
                des_bits = 0;
                des_byte = 0;
                if (t_out_end <= t_in_end) {  // the first byte of a reply: cycles since the last request byte
                    fprintf(stderr, "reply %llu %llu\n", (unsigned long long)cycle, (unsigned long long)t_in_end);
                }
            }
        } else if (--des_cnt == 0) {
            if (des_bits < 8) {
                des_byte |= uint8_t(line << des_bits);
                des_bits++;
                des_cnt = SIM_CPB;
            } else {
                des = false;
                if (line) {
                    if (write(1, &des_byte, 1) != 1) return 1;
                    t_out_end = cycle;
                }
            }
        }
        const bool idle = ser_left == 0 && q.empty() && !des && !top->sim_busy;
        quiet = idle ? quiet + 1 : 0;
        if (quiet > uint64_t(4 * SIM_CPB)) {
            fflush(stderr);
            if (eof) break;
            struct pollfd p = {0, POLLIN, 0};
            poll(&p, 1, -1);
            quiet = 0;
        }
    }
    fprintf(stderr, "cycles %llu\n", (unsigned long long)cycle);
    top->final();
    return 0;
}
