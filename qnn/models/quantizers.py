"""Brevitas quantizer choices: power-of-two (fixed-point) scales everywhere, so that every requantization is an
integer shift or threshold and every tensor maps onto ``ap_fixed`` exactly.

- weights: ``bits == 1`` -> bipolar {-1, +1} (constant scale 1, as FINN's BNN-PYNQ); else signed narrow-range
  integers with a power-of-two scale from the weights' maximum.
- activations: ``bits == 1`` -> bipolar sign (QuantIdentity); else unsigned ReLU with a learned power-of-two scale.
- inputs in [0, 1]: unsigned ``bits`` with the constant scale 2**-bits (q = round(x * 2**bits), clipped).
- biases: 32-bit integers at the accumulator's scale (input scale x weight scale).
"""
from __future__ import annotations

import brevitas.nn as bnn
from brevitas.core.scaling import ScalingImplType
from brevitas.quant import (
    Int8WeightPerTensorFixedPoint,
    Int32Bias,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFixedPoint,
)

FLOAT_BITS = 32  # "bits 32" means a float baseline without quantization


class BipolarWeight(SignedBinaryWeightPerTensorConst):
    """{-1, +1} weights with scale 1 (Brevitas' default constant is 0.1, not a power of two)."""

    scaling_const = 1.0


def weight_kwargs(bits: int) -> dict:
    if bits == 1:
        return {"weight_quant": BipolarWeight}
    return {"weight_quant": Int8WeightPerTensorFixedPoint, "weight_bit_width": bits}


def bias_kwargs() -> dict:
    return {"bias_quant": Int32Bias}


def act(bits: int) -> bnn.QuantIdentity | bnn.QuantReLU:
    if bits == 1:
        return bnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    return bnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=bits, return_quant_tensor=True)


def input_quant(bits: int) -> bnn.QuantIdentity:
    """Inputs in [0, 1] -> unsigned ``bits``-bit integers with scale exactly 2**-bits."""
    return bnn.QuantIdentity(
        act_quant=Uint8ActPerTensorFixedPoint,
        bit_width=bits,
        scaling_impl_type=ScalingImplType.CONST,
        max_val=(2**bits - 1) / 2**bits,
        return_quant_tensor=True,
    )
