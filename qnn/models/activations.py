"""The hidden-layer activations ``qnn train --activation`` offers, and their output quantizers.

``relu`` is Brevitas' ``QuantReLU`` (unsigned). Every other activation is the float PyTorch op followed by a
Brevitas ``QuantIdentity`` with a learned power-of-two scale, unsigned where the op's output is (sigmoid), signed
elsewhere. That is exactly the QONNX pattern ``op -> Quant`` the reader maps onto thresholds: any monotonic function
followed by a quantizer is a set of per-channel thresholds on the accumulator.

GELU and SiLU are not monotonic: they dip to a minimum (GELU -0.170 at x = -0.752, SiLU -0.278 at x = -1.278)
before rising. Their quantizer's scale is kept at least ``MIN_SCALE`` (a power of two above twice the dip), so that
the dip rounds to zero and the quantized activation is monotonic: the IR checks this (``fold_requant``) on the
reachable accumulator range and refuses a model where it does not hold.

At 1 bit every activation is the bipolar sign (as FINN's binarized networks), whatever ``--activation`` says.
"""
from __future__ import annotations

from torch import nn

ACTIVATIONS = ("relu", "sigmoid", "tanh", "hardtanh", "leaky-relu", "elu", "gelu", "silu")
UNSIGNED = ("relu", "sigmoid")
LEAKY_SLOPE = 0.125  # a power of two: x * slope is exact in float32
# smallest output scale that rounds the dip of a non-monotonic activation to 0 (round(dip / scale) == 0)
MIN_SCALE = {"gelu": 0.5, "silu": 1.0}


def float_op(name: str) -> nn.Module:
    """The float PyTorch module of an activation (the float baseline uses it alone)."""
    ops = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "hardtanh": nn.Hardtanh,
           "leaky-relu": lambda: nn.LeakyReLU(LEAKY_SLOPE), "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU}
    return ops[name]()


def is_signed(name: str) -> bool:
    return name not in UNSIGNED


def act_layer(bits: int, name: str = "relu") -> nn.Module:
    """The quantized activation of a hidden layer: a module returning a Brevitas ``QuantTensor``."""
    import brevitas.nn as bnn
    from brevitas.core.scaling import ScalingImplType
    from brevitas.quant import SignedBinaryActPerTensorConst

    from qnn.models.quantizers import Pow2IntAct, Pow2UintAct  # power-of-two scales, even when clamped

    if bits == 1:
        return bnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True)
    if name == "relu":
        return bnn.QuantReLU(act_quant=Pow2UintAct, bit_width=bits, return_quant_tensor=True)
    quant = Pow2IntAct if is_signed(name) else Pow2UintAct
    kw: dict = {}
    if name in MIN_SCALE:
        # a learned power-of-two scale that never drops below MIN_SCALE (Brevitas clamps the max value
        # scale * 2**(bits-1), consistently in training and inference for a PARAMETER scale)
        top = 2 ** (bits - 1)
        kw = {"scaling_impl_type": ScalingImplType.PARAMETER, "scaling_min_val": MIN_SCALE[name] * top,
              "scaling_init": max(4.0, MIN_SCALE[name] * top)}
    return nn.Sequential(float_op(name), bnn.QuantIdentity(act_quant=quant, bit_width=bits, return_quant_tensor=True,
                                                           **kw))
