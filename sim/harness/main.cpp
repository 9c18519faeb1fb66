// Plain Verilator main for qnn_harness: toggles the clock until the harness calls $finish.
// No per-cycle work beyond eval(); the harness reads vectors and writes outputs itself.
#include <memory>

#include "Vqnn_harness.h"
#include "verilated.h"

int main(int argc, char** argv) {
    const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    ctx->commandArgs(argc, argv);
    const std::unique_ptr<Vqnn_harness> top{new Vqnn_harness{ctx.get()}};
    top->clk = 0;
    top->eval();
    while (!ctx->gotFinish()) {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
    }
    top->final();
    return 0;
}
