// Sum pooling of the integer IR (SumPool), for hls4ml (registered through its extension API by hls/hls4ml/pool.py).
//
// global sum pool: res[c] = sum over every pixel p of data[p * n_chan + c] (channels-last), exactly: the sum is
//   accumulated in res_T, the IR's SumPool type, which holds in_type's range times the pixel count. Average
//   pooling is this sum with its 1/N folded into the next thresholds by the IR (nothing is divided here).
//
// As the other kernels: an io_parallel version (arrays) and an io_stream version (one pack of n_chan per pixel in,
// one pack of n_chan out after the last pixel).
#ifndef NNET_QNN_POOL_H_
#define NNET_QNN_POOL_H_

#include "hls_stream.h"
#include "nnet_common.h"

namespace nnet {

struct qnn_sumpool_config {
    static const unsigned n_pixels = 1;  // in_height * in_width
    static const unsigned n_chan = 1;
    static const unsigned reuse_factor = 1;
};

// ---------------------------------------------------------------------------------------------- io_parallel
template <class data_T, class res_T, typename CONFIG_T>
void qnn_global_sumpool(data_T data[CONFIG_T::n_pixels * CONFIG_T::n_chan], res_T res[CONFIG_T::n_chan]) {
    #pragma HLS PIPELINE II = CONFIG_T::reuse_factor
SumPoolChan:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        #pragma HLS UNROLL
        res_T acc = 0;
    SumPoolPixel:
        for (unsigned p = 0; p < CONFIG_T::n_pixels; p++) {
            #pragma HLS UNROLL
            acc += data[p * CONFIG_T::n_chan + c];
        }
        res[c] = acc;
    }
}

// ---------------------------------------------------------------------------------------------- io_stream
template <class data_T, class res_T, typename CONFIG_T>
void qnn_global_sumpool(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    typename res_T::value_type acc[CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable = acc complete
SumPoolInit:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        #pragma HLS UNROLL
        acc[c] = 0;
    }
SumPoolStream:
    for (unsigned p = 0; p < CONFIG_T::n_pixels * CONFIG_T::n_chan / data_T::size; p++) {
        #pragma HLS PIPELINE
        data_T in_pack = data.read();
    SumPoolPack:
        for (unsigned j = 0; j < data_T::size; j++) {
            #pragma HLS UNROLL
            acc[(p * data_T::size + j) % CONFIG_T::n_chan] += in_pack[j];
        }
    }
    res_T out_pack;
    PRAGMA_DATA_PACK(out_pack)
SumPoolOut:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        #pragma HLS UNROLL
        out_pack[c] = acc[c];
    }
    res.write(out_pack);
}

} // namespace nnet

#endif
