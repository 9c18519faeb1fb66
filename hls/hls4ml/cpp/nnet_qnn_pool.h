// Sum pooling of the integer IR (SumPool), for hls4ml (registered through its extension API by hls/hls4ml/pool.py).
//
// sumpool: res[oy][ox][c] = sum over the window's pixels of data[oy*stride_h + ky][ox*stride_w + kx][c]
//   (channels-last, no padding, windows that do not fit dropped as the golden model's floor), exactly: the sum is
//   accumulated in res_T, the IR's SumPool type, which holds in_type's range times the window size. Average
//   pooling is this sum with its 1/N folded into the next thresholds by the IR (nothing is divided here). A global
//   pool is the window = the whole image.
//
// As the other kernels: an io_parallel version (arrays, any stride) and an io_stream version (one pack of n_chan
// per pixel, in raster order; windows must not overlap, stride == kernel: each output pixel is then complete at the
// last pixel of its window, and one row of n_chan partial sums per output column is all the state).
#ifndef NNET_QNN_POOL_H_
#define NNET_QNN_POOL_H_

#include "hls_stream.h"
#include "nnet_common.h"

namespace nnet {

struct qnn_sumpool_config {
    static const unsigned in_height = 1;
    static const unsigned in_width = 1;
    static const unsigned n_chan = 1;
    static const unsigned pool_height = 1;
    static const unsigned pool_width = 1;
    static const unsigned stride_height = 1;
    static const unsigned stride_width = 1;
    static const unsigned out_height = 1;
    static const unsigned out_width = 1;
    static const unsigned reuse_factor = 1;
};

// ---------------------------------------------------------------------------------------------- io_parallel
template <class data_T, class res_T, typename CONFIG_T>
void qnn_sumpool(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                 res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
    #pragma HLS PIPELINE II = CONFIG_T::reuse_factor
SumPoolRow:
    for (unsigned oy = 0; oy < CONFIG_T::out_height; oy++) {
    SumPoolCol:
        for (unsigned ox = 0; ox < CONFIG_T::out_width; ox++) {
        SumPoolChan:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                res_T acc = 0;
            SumPoolKy:
                for (unsigned ky = 0; ky < CONFIG_T::pool_height; ky++) {
                SumPoolKx:
                    for (unsigned kx = 0; kx < CONFIG_T::pool_width; kx++) {
                        const unsigned y = oy * CONFIG_T::stride_height + ky, x = ox * CONFIG_T::stride_width + kx;
                        acc += data[(y * CONFIG_T::in_width + x) * CONFIG_T::n_chan + c];
                    }
                }
                res[(oy * CONFIG_T::out_width + ox) * CONFIG_T::n_chan + c] = acc;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------- io_stream
template <class data_T, class res_T, typename CONFIG_T>
void qnn_sumpool(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    // stride == kernel (checked by the generator); data_T::size == res_T::size == n_chan (one pack per pixel)
    typename res_T::value_type acc[CONFIG_T::out_width][CONFIG_T::n_chan];
    #pragma HLS ARRAY_PARTITION variable = acc complete dim = 2
SumPoolStreamRow:
    for (unsigned y = 0; y < CONFIG_T::in_height; y++) {
    SumPoolStreamCol:
        for (unsigned x = 0; x < CONFIG_T::in_width; x++) {
            #pragma HLS PIPELINE
            data_T in_pack = data.read();
            const bool inside = y < CONFIG_T::out_height * CONFIG_T::pool_height &&
                                x < CONFIG_T::out_width * CONFIG_T::pool_width;
            if (!inside)
                continue;  // a row or column no window covers (floor), as the golden model drops it
            const unsigned ox = x / CONFIG_T::pool_width, ky = y % CONFIG_T::pool_height, kx = x % CONFIG_T::pool_width;
        SumPoolStreamAdd:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                #pragma HLS UNROLL
                typename res_T::value_type prev = (ky == 0 && kx == 0) ? (typename res_T::value_type)0 : acc[ox][c];
                acc[ox][c] = prev + in_pack[c];
            }
            if (ky == CONFIG_T::pool_height - 1 && kx == CONFIG_T::pool_width - 1) {
                res_T out_pack;
                PRAGMA_DATA_PACK(out_pack)
            SumPoolStreamOut:
                for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                    #pragma HLS UNROLL
                    out_pack[c] = acc[ox][c];
                }
                res.write(out_pack);
            }
        }
    }
}

} // namespace nnet

#endif
