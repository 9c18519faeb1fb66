// Testbench of a qnn hls4ml project: every vector in tb_data through the top function, each output compared, as an
// integer, with the golden model's. Replaces hls4ml's own testbench (which prints outputs but checks nothing), under
// the same file name, so that `vitis_hls -f build_prj.tcl` (csim) and `sh build_csim.sh` (g++ only) both run it.
//
//   tb_data/tb_input_features.dat    one vector per line: the quantized input integers, channels-last order
//   tb_data/tb_output_predictions.dat one line per vector: the golden output integers (last accumulator)
//   tb_data/csim_results.log          what the design computed, same format (hls4ml's name, for C/RTL validation)
//
// Exit status 0 when every output of every vector is equal, 1 otherwise (csim_design reports a failure).
// qnn_tb_config.h (written with the project) names the top function, the sizes, the types and the io type.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "qnn_tb_config.h"

namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
} // namespace nnet

static bool read_line(std::ifstream &f, std::vector<long long> &v) {
    std::string line;
    if (!std::getline(f, line))
        return false;
    std::istringstream ss(line);
    v.clear();
    long long x;
    while (ss >> x)
        v.push_back(x);
    return true;
}

// One inference: integers in, integers out, whatever the io type.
static void run_top(const std::vector<long long> &x, std::vector<long long> &y) {
#if QNN_IO_STREAM
    hls::stream<qnn_in_t> in("qnn_in");
    hls::stream<qnn_out_t> out("qnn_out");
    for (unsigned p = 0; p < QNN_N_IN / qnn_in_t::size; p++) {
        qnn_in_t pack;
        for (unsigned j = 0; j < qnn_in_t::size; j++)
            pack[j] = x[p * qnn_in_t::size + j];
        in.write(pack);
    }
    QNN_TOP(in, out);
    for (unsigned p = 0; p < QNN_N_OUT / qnn_out_t::size; p++) {
        qnn_out_t pack = out.read();
        for (unsigned j = 0; j < qnn_out_t::size; j++)
            y[p * qnn_out_t::size + j] = pack[j].to_int64();
    }
#else
    qnn_in_t in[QNN_N_IN];
    qnn_out_t out[QNN_N_OUT];
    for (unsigned i = 0; i < QNN_N_IN; i++)
        in[i] = x[i];
    QNN_TOP(in, out);
    for (unsigned i = 0; i < QNN_N_OUT; i++)
        y[i] = out[i].to_int64();
#endif
}

int main() {
    std::ifstream fin("tb_data/tb_input_features.dat");
    std::ifstream fexp("tb_data/tb_output_predictions.dat");
    if (!fin.is_open() || !fexp.is_open()) {
        std::cerr << "FAIL: tb_data/tb_input_features.dat or tb_output_predictions.dat not found (run from the project "
                     "folder)"
                  << std::endl;
        return 1;
    }
    std::ofstream flog("tb_data/csim_results.log");
    std::vector<long long> x, want, got(QNN_N_OUT);
    unsigned n = 0, bad = 0;
    while (read_line(fin, x)) {
        if (!read_line(fexp, want) || x.size() != QNN_N_IN || want.size() != QNN_N_OUT) {
            std::cerr << "FAIL: vector " << n << ": expected " << QNN_N_IN << " inputs and " << QNN_N_OUT
                      << " outputs per line" << std::endl;
            return 1;
        }
        run_top(x, got);
        for (unsigned i = 0; i < QNN_N_OUT; i++)
            flog << got[i] << (i + 1 < QNN_N_OUT ? " " : "\n");
        for (unsigned i = 0; i < QNN_N_OUT; i++) {
            if (got[i] != want[i]) {
                if (bad < 5)
                    std::cerr << "MISMATCH vector " << n << " output " << i << ": got " << got[i] << ", golden "
                              << want[i] << std::endl;
                bad++;
                break;
            }
        }
        n++;
    }
    if (n == 0) {
        std::cerr << "FAIL: no test vectors" << std::endl;
        return 1;
    }
    if (bad) {
        std::cout << "FAIL: " << bad << " of " << n << " vectors differ from the golden model" << std::endl;
        return 1;
    }
    std::cout << "PASS: " << n << " of " << n << " vectors bit-exact" << std::endl;
    return 0;
}
