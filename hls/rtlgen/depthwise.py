"""Depthwise-separable layers in hardware: the vector-vector unit (``qnn_vvau``) and sum pooling (``qnn_sumpool``).

A ``DepthwiseConv2d`` becomes a sliding window unit in its depthwise order (``qnn_swu`` ``DW=1``: per pixel, per
word of PE channels, all K_H*K_W taps), a width converter to PE*SIMD elements when SIMD > 1, and a VVAU fused with
the requantizer that follows; a ``SumPool`` (average pooling kept exact as a sum, kernel = stride, or global)
becomes a ``qnn_sumpool`` whose signed sums feed the next thresholds (which hold the 1/N).
"""
from __future__ import annotations

import numpy as np


def vvau_weight_fields(weight: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """weight [C, K] (taps in (kh, kw) order) -> ROM fields [CF*TF, PE*SIMD]: word cf*TF+tf, field s*PE+p =
    W[cf*PE+p, tf*SIMD+s] (the layout of the VVAU's input words)."""
    c, k = weight.shape
    cf, tf = c // pe, k // simd
    w = np.asarray(weight).reshape(cf, pe, tf, simd).transpose(0, 2, 3, 1)  # [cf, tf, simd, pe]
    return w.reshape(cf * tf, simd * pe)
