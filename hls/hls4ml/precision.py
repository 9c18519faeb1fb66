"""HLS types from the IR's ``QType``s: every precision is derived from the graph, none is guessed.

Rules (all exact by construction, checked by C simulation against the golden model):

- every tensor between layers is an integer type: ``ap_int<bits>`` / ``ap_uint<bits>`` holding the IR's values;
- bipolar (-1/+1) tensors and weights are ``ap_int<2>`` holding -1 and +1, not hls4ml's 1-bit XNOR encoding
  (0/1, whose products and accumulator offset follow other rules); a 2-bit signed weight makes hls4ml pick its
  ``weight_ternary`` product (a mux between -x, 0, x), so no multiplier is spent on them either;
- nothing is 1 bit wide: hls4ml special-cases ``ap_uint<1>`` data in its dense ``cast`` (binary networks);
- the accumulator of a Dense/Conv2d is the IR's ``acc_type`` (worst-case bounds of the sum with its bias); every
  hls4ml kernel adds in that type with wrap-around, so even partial sums are exact modulo 2**bits, and the final
  sum, which fits, is exact;
- the Shift requantization is an ``ap_fixed`` cast: the accumulator reinterpreted with ``shift`` fractional bits
  (``scaled``), cast to ``ap_(u)fixed<b, b, AP_RND_CONV, AP_SAT>`` (``round``): AP_RND_CONV rounds half to even
  and AP_SAT clips to the output range (AP_SAT_SYM for narrow signed types), as the golden ``shift`` does.
"""
from __future__ import annotations

import numpy as np

from qnn.qtype import QType


def ap_int(t: QType) -> str:
    """The integer HLS type holding every value of ``t``."""
    if t.bipolar:
        return "ap_int<2>"
    if t.signed:
        return f"ap_int<{t.bits}>"
    return f"ap_uint<{max(t.bits, 2)}>"


def width(t: QType) -> int:
    """Bits of ``ap_int(t)``."""
    return 2 if t.bipolar else (t.bits if t.signed else max(t.bits, 2))


def holding(values: np.ndarray, *types: QType) -> QType:
    """The narrowest type holding ``values`` and every value of ``types``."""
    v = np.asarray(values, dtype=np.int64)
    lo = min([int(v.min(initial=0))] + [t.min for t in types])
    hi = max([int(v.max(initial=0))] + [t.max for t in types])
    return QType.for_range(lo, hi)


def weight_type(weight: np.ndarray, declared: QType) -> QType:
    """The IR's weight type if it holds the weights (it may not after a pass negated rows), else the tightest."""
    if declared is not None and declared.contains(weight):
        return declared
    return holding(weight)


def shift_types(in_type: QType, shift: int, out_type: QType) -> dict[str, str]:
    """(scaled, bits, round) types of the Shift kernel (see ``cpp/nnet_qnn_requant.h``).

    ``scaled`` holds ``x / 2**shift`` exactly with the same signedness as the input: for ``shift > 0`` it is the
    input's bits with ``shift`` of them fractional (widened so that at least one integer bit remains); for
    ``shift <= 0`` it is an integer type wide enough for ``x * 2**-shift``."""
    w_in = width(in_type)
    signed = in_type.signed
    fx = "ap_fixed" if signed else "ap_ufixed"
    ix = "ap_int" if signed else "ap_uint"
    if shift > 0:
        w = max(w_in, shift + 1)
        scaled, bits = f"{fx}<{w},{w - shift}>", f"{ix}<{w}>"
    else:
        w = w_in - shift
        scaled, bits = f"{fx}<{w},{w}>", f"{ix}<{w}>"
    if out_type.bipolar:
        raise ValueError("a Shift cannot produce a bipolar type")
    ob = out_type.bits  # the cast must clip to the IR's range, not to the (maybe wider) ap_int holding it
    sat = "AP_SAT_SYM" if (out_type.signed and out_type.narrow) else "AP_SAT"
    rnd = f"{'ap_fixed' if out_type.signed else 'ap_ufixed'}<{ob},{ob},AP_RND_CONV,{sat}>"
    return {"scaled": scaled, "bits": bits, "round": rnd}
