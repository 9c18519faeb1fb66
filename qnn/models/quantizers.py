"""Brevitas quantizer choices: power-of-two (fixed-point) scales everywhere, so that every requantization is an
integer shift or threshold and every tensor maps onto ``ap_fixed`` exactly.

- weights: ``bits == 1`` -> bipolar {-1, +1} (constant scale 1, as FINN's BNN-PYNQ); else signed narrow-range
  integers with a power-of-two scale from the weights' maximum.
- activations: ``bits == 1`` -> bipolar sign (QuantIdentity); else unsigned ReLU with a learned power-of-two scale.
- inputs in [0, 1]: ``bits >= 2`` -> unsigned ``bits`` with the constant scale 2**-bits (q = round(x * 2**bits),
  clipped); ``bits == 1`` -> FINN's BNN-PYNQ meaning, the bipolar sign of 2x - 1 (x >= 0.5 -> +1, else -1).
- biases: 32-bit integers at the accumulator's scale (input scale x weight scale).
"""
from __future__ import annotations

import brevitas.nn as bnn
import torch
from brevitas.core.scaling import ScalingImplType
from brevitas.quant import (
    Int8ActPerTensorFixedPoint,
    Int8WeightPerTensorFixedPoint,
    Int32Bias,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFixedPoint,
)

FLOAT_BITS = 32  # "bits 32" means a float baseline without quantization
# Brevitas clamps a scale to scaling_min_val *after* rounding it to a power of two; its default 1e-10 is not one,
# so a quantizer whose statistics are all zero (a dead activation, all-zero weights) got scale 1e-10 and the float
# forward stopped being exact (found by the property suite). A power-of-two floor keeps every scale a power of two.
MIN_SCALE = 2.0**-32


class Pow2Weight(Int8WeightPerTensorFixedPoint):
    scaling_min_val = MIN_SCALE


class Pow2UintAct(Uint8ActPerTensorFixedPoint):
    scaling_min_val = MIN_SCALE


class Pow2IntAct(Int8ActPerTensorFixedPoint):
    scaling_min_val = MIN_SCALE


class BipolarWeight(SignedBinaryWeightPerTensorConst):
    """{-1, +1} weights with scale 1 (Brevitas' default constant is 0.1, not a power of two)."""

    scaling_const = 1.0


def weight_kwargs(bits: int) -> dict:
    if bits == 1:
        return {"weight_quant": BipolarWeight}
    return {"weight_quant": Pow2Weight, "weight_bit_width": bits}


def bias_kwargs() -> dict:
    return {"bias_quant": Int32Bias}


def act(bits: int) -> bnn.QuantIdentity | bnn.QuantReLU:
    if bits == 1:
        return bnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    return bnn.QuantReLU(act_quant=Pow2UintAct, bit_width=bits, return_quant_tensor=True)


class BipolarInput(torch.nn.Module):
    """``--input-bits 1``: x in [0, 1] -> sign(2x - 1) in {-1, +1} with scale 1, as FINN's TFC_1W1A.

    A 1-bit *unsigned* Brevitas quantizer cannot be used here: Brevitas exports every 1-bit quantizer as a
    ``BipolarQuant`` whatever its signedness, so the exported file would compute sign(x) (all +1 on [0, 1]) while
    training saw {0, 1}. The ``2x - 1`` is exported as Mul/Sub in front of the ``BipolarQuant`` and runs on the host
    (an ``Affine`` in the IR front); in float32 ``2x - 1`` is exact near 0.5, so the sign is x >= 0.5 everywhere.
    """

    def __init__(self) -> None:
        super().__init__()
        self.quant = bnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)

    def forward(self, x: torch.Tensor):
        return self.quant(2.0 * x - 1.0)


def input_quant(bits: int) -> torch.nn.Module:
    """Inputs in [0, 1] -> unsigned ``bits``-bit integers with scale exactly 2**-bits; 1 bit -> ``BipolarInput``."""
    if bits == 1:
        return BipolarInput()
    return bnn.QuantIdentity(
        act_quant=Uint8ActPerTensorFixedPoint,
        bit_width=bits,
        scaling_impl_type=ScalingImplType.CONST,
        max_val=(2**bits - 1) / 2**bits,
        return_quant_tensor=True,
    )
