// Requantization kernels of the integer IR, for hls4ml (registered through its extension API by hls/hls4ml/layers.py).
//
// multithreshold: out = out_scale * #{k : x >= T[c][k]} + out_bias, c = element index % n_chan (channels-last).
//   Represents any monotonic BatchNorm + activation + quantizer exactly (FINN's MultiThreshold). out_scale/out_bias
//   give the output value of each level: (1, type min) for integer types, (2, -1) for bipolar -1/+1. Rows must be
//   ascending (the count does not depend on the order, so the generator sorts them) for the binary search.
// shift: out = clip(round_half_even(x / 2^shift)) as ap_fixed casts: the accumulator's bits are reinterpreted as a
//   fixed-point number with `shift` fractional bits (scaled_t), then cast to round_t, an integer-valued ap_fixed
//   of the output's range whose AP_RND_CONV quantization mode rounds half to even and AP_SAT saturates
//   (ap_fixed_base.h: quantization, then overflow), then to the output's integer type res_T (exact). A negative
//   shift multiplies by 2^-shift before the (saturating) cast.
//
// Both come as an io_parallel version (arrays of n_in elements) and an io_stream version (hls::stream of
// nnet::array packs, as hls4ml streams channels-last tensors: one pack per pixel).
#ifndef NNET_QNN_REQUANT_H_
#define NNET_QNN_REQUANT_H_

#include "hls_stream.h"
#include "nnet_common.h"

namespace nnet {

struct qnn_multithreshold_config {
    static const unsigned n_in = 1;      // elements in the tensor
    static const unsigned n_chan = 1;    // channels (last axis); thresholds are per channel
    static const unsigned n_thresh = 1;  // thresholds per channel (levels - 1), each row ascending
    static const unsigned search_step = 1; // largest power of two <= n_thresh
    static const int out_scale = 1;
    static const int out_bias = 0;
    static const unsigned reuse_factor = 1;
    typedef ap_int<16> threshold_t;
    typedef ap_uint<8> count_t;
};

struct qnn_shift_config {
    static const unsigned n_in = 1;
    static const int shift = 0;
    static const unsigned reuse_factor = 1;
    typedef ap_fixed<16, 16> scaled_t;   // the input's value divided by 2^shift, exactly
    typedef ap_int<16> bits_t;           // an integer of scaled_t's width and signedness
    typedef ap_fixed<8, 8, AP_RND_CONV, AP_SAT> round_t;  // output range, round half to even, saturate
};

// #{k : x >= t[k]} for an ascending row t of n_thresh thresholds, by binary lifting: ceil(log2(n_thresh + 1))
// compare-and-select steps instead of n_thresh comparators and an adder tree (255 thresholds at 8 bits: 8 steps).
template <class data_T, class CONFIG_T>
typename CONFIG_T::count_t qnn_threshold_count(data_T x, const typename CONFIG_T::threshold_t *t) {
    #pragma HLS INLINE
    typename CONFIG_T::count_t pos = 0; // invariant: t[0 .. pos-1] <= x
ThresholdSearch:
    for (unsigned step = CONFIG_T::search_step; step > 0; step >>= 1) {
        #pragma HLS UNROLL
        if (pos + step <= CONFIG_T::n_thresh && x >= t[pos + step - 1])
            pos += step;
    }
    return pos;
}

template <class res_T, class CONFIG_T> res_T qnn_threshold_level(typename CONFIG_T::count_t count) {
    #pragma HLS INLINE
    return (res_T)(CONFIG_T::out_scale * (int)count + CONFIG_T::out_bias);
}

template <class data_T, class CONFIG_T> typename CONFIG_T::scaled_t qnn_scale_down(data_T x) {
    #pragma HLS INLINE
    typename CONFIG_T::scaled_t v;
    if (CONFIG_T::shift > 0) {
        // same bits, `shift` of them now fractional: v == x / 2^shift exactly
        typename CONFIG_T::bits_t bits = x;  // same width and signedness as scaled_t
        v.range() = bits.range();
    } else {
        v = x;
        v = v << (-CONFIG_T::shift);  // scaled_t has room for the left shift (see layers.py)
    }
    return v;
}

// ---------------------------------------------------------------------------------------------- io_parallel
template <class data_T, class res_T, typename CONFIG_T>
void qnn_multithreshold(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                        const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_chan * CONFIG_T::n_thresh]) {
    #pragma HLS PIPELINE II = CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
MultiThresholdLoop:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        const unsigned c = i % CONFIG_T::n_chan;
        res[i] = qnn_threshold_level<res_T, CONFIG_T>(
            qnn_threshold_count<data_T, CONFIG_T>(data[i], &thresholds[c * CONFIG_T::n_thresh]));
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void qnn_shift(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
    #pragma HLS PIPELINE II = CONFIG_T::reuse_factor
ShiftLoop:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        res[i] = (res_T)(typename CONFIG_T::round_t)qnn_scale_down<data_T, CONFIG_T>(data[i]);
    }
}

// ---------------------------------------------------------------------------------------------- io_stream
template <class data_T, class res_T, typename CONFIG_T>
void qnn_multithreshold(hls::stream<data_T> &data, hls::stream<res_T> &res,
                        const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_chan * CONFIG_T::n_thresh]) {
    #pragma HLS ARRAY_PARTITION variable = thresholds complete
MultiThresholdStreamLoop:
    for (unsigned p = 0; p < CONFIG_T::n_in / res_T::size; p++) {
        #pragma HLS PIPELINE
        data_T in_pack = data.read();
        res_T out_pack;
        PRAGMA_DATA_PACK(out_pack)
    MultiThresholdPackLoop:
        for (unsigned j = 0; j < res_T::size; j++) {
            #pragma HLS UNROLL
            const unsigned c = (p * res_T::size + j) % CONFIG_T::n_chan;
            out_pack[j] = qnn_threshold_level<typename res_T::value_type, CONFIG_T>(
                qnn_threshold_count<typename data_T::value_type, CONFIG_T>(in_pack[j], &thresholds[c * CONFIG_T::n_thresh]));
        }
        res.write(out_pack);
    }
}

template <class data_T, class res_T, typename CONFIG_T> void qnn_shift(hls::stream<data_T> &data, hls::stream<res_T> &res) {
ShiftStreamLoop:
    for (unsigned p = 0; p < CONFIG_T::n_in / res_T::size; p++) {
        #pragma HLS PIPELINE
        data_T in_pack = data.read();
        res_T out_pack;
        PRAGMA_DATA_PACK(out_pack)
    ShiftPackLoop:
        for (unsigned j = 0; j < res_T::size; j++) {
            #pragma HLS UNROLL
            typename CONFIG_T::round_t r = qnn_scale_down<typename data_T::value_type, CONFIG_T>(in_pack[j]);
            out_pack[j] = (typename res_T::value_type)r;
        }
        res.write(out_pack);
    }
}

} // namespace nnet

#endif
