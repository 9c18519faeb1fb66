// The sum of a residual block of the integer IR (Residual) with integer multipliers, for hls4ml (registered
// through its extension API by hls/hls4ml/residual.py):
//
//   res[i] = mul_a[c] * data1[i] + mul_b[c] * data2[i],   c = i % n_chan (channels-last; scalars are repeated)
//
// exactly: both products and their sum are computed in CONFIG_T::sum_t, which holds every product and every sum
// of the input types' ranges, then cast to res_T, the IR's Residual out_type (it holds every reachable sum). Both
// multipliers are constants (weights); with both equal to 1 the generator uses hls4ml's own Add instead.
//
// As the other kernels: an io_parallel version (arrays) and an io_stream version (packs of the same size on both
// inputs and the output).
#ifndef NNET_QNN_ADD_H_
#define NNET_QNN_ADD_H_

#include "hls_stream.h"
#include "nnet_common.h"

namespace nnet {

struct qnn_add_config {
    static const unsigned n_elem = 1;  // elements in each tensor
    static const unsigned n_chan = 1;  // channels (last axis); multipliers are per channel
    static const unsigned reuse_factor = 1;
    typedef ap_int<16> sum_t;
    typedef ap_int<8> mul_a_t;
    typedef ap_int<8> mul_b_t;
};

template <class in1_T, class in2_T, typename CONFIG_T>
typename CONFIG_T::sum_t qnn_add_one(in1_T a, in2_T b, typename CONFIG_T::mul_a_t ma, typename CONFIG_T::mul_b_t mb) {
    #pragma HLS INLINE
    typename CONFIG_T::sum_t pa = (typename CONFIG_T::sum_t)ma * (typename CONFIG_T::sum_t)a;
    typename CONFIG_T::sum_t pb = (typename CONFIG_T::sum_t)mb * (typename CONFIG_T::sum_t)b;
    return (typename CONFIG_T::sum_t)(pa + pb);
}

// ---------------------------------------------------------------------------------------------- io_parallel
template <class input1_T, class input2_T, class res_T, typename CONFIG_T>
void qnn_add(input1_T data1[CONFIG_T::n_elem], input2_T data2[CONFIG_T::n_elem], res_T res[CONFIG_T::n_elem],
             const typename CONFIG_T::mul_a_t mul_a[CONFIG_T::n_chan],
             const typename CONFIG_T::mul_b_t mul_b[CONFIG_T::n_chan]) {
    #pragma HLS PIPELINE II = CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable = mul_a complete
    #pragma HLS ARRAY_PARTITION variable = mul_b complete
QnnAddLoop:
    for (unsigned i = 0; i < CONFIG_T::n_elem; i++) {
        #pragma HLS UNROLL
        const unsigned c = i % CONFIG_T::n_chan;
        res[i] = (res_T)qnn_add_one<input1_T, input2_T, CONFIG_T>(data1[i], data2[i], mul_a[c], mul_b[c]);
    }
}

// ---------------------------------------------------------------------------------------------- io_stream
template <class input1_T, class input2_T, class res_T, typename CONFIG_T>
void qnn_add(hls::stream<input1_T> &data1, hls::stream<input2_T> &data2, hls::stream<res_T> &res,
             const typename CONFIG_T::mul_a_t mul_a[CONFIG_T::n_chan],
             const typename CONFIG_T::mul_b_t mul_b[CONFIG_T::n_chan]) {
    #pragma HLS ARRAY_PARTITION variable = mul_a complete
    #pragma HLS ARRAY_PARTITION variable = mul_b complete
QnnAddStreamLoop:
    for (unsigned p = 0; p < CONFIG_T::n_elem / res_T::size; p++) {
        #pragma HLS PIPELINE
        input1_T in1 = data1.read();
        input2_T in2 = data2.read();
        res_T out_pack;
        PRAGMA_DATA_PACK(out_pack)
    QnnAddPackLoop:
        for (unsigned j = 0; j < res_T::size; j++) {
            #pragma HLS UNROLL
            const unsigned c = (p * res_T::size + j) % CONFIG_T::n_chan;
            out_pack[j] = (typename res_T::value_type)qnn_add_one<typename input1_T::value_type,
                                                                   typename input2_T::value_type, CONFIG_T>(
                in1[j], in2[j], mul_a[c], mul_b[c]);
        }
        res.write(out_pack);
    }
}

} // namespace nnet

#endif
