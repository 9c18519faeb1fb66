"""Random models written the way Brevitas users write them: ``brevitas.nn`` layers with Brevitas' own quantizer
classes (float and power-of-two scales, per-tensor and per-channel, zero points, binary/ternary constants,
HardTanh/Tanh/Sigmoid, Int8/16/32 bias, BatchNorm with negative gammas, max/average pooling), trained a few steps on
random data. ``BrevCfg`` is what Hypothesis draws and shrinks; ``build`` makes the module."""
from __future__ import annotations

from dataclasses import dataclass

import brevitas.nn as bnn
import brevitas.quant as bq
import torch
from hypothesis import strategies as st
from torch import nn

WEIGHT_QUANTS = {  # name -> (quantizer, takes a bit width)
    "Int8WeightPerTensorFloat": (bq.Int8WeightPerTensorFloat, True),
    "Int8WeightPerChannelFloat": (bq.Int8WeightPerChannelFloat, True),
    "Int8WeightPerTensorFixedPoint": (bq.Int8WeightPerTensorFixedPoint, True),
    "SignedBinaryWeightPerTensorConst": (bq.SignedBinaryWeightPerTensorConst, False),
    "SignedTernaryWeightPerTensorConst": (bq.SignedTernaryWeightPerTensorConst, False),
}
ACTS = ("QuantReLU", "QuantReLU-ShiftedUint8", "QuantIdentity-Int8", "QuantIdentity-Int8FixedPoint",
        "QuantIdentity-Int8MinMaxInit", "QuantHardTanh", "QuantTanh", "QuantSigmoid", "QuantIdentity-Binary")
INPUT_QUANTS = ("Int8ActPerTensorFloat", "Uint8ActPerTensorFloat", "ShiftedUint8ActPerTensorFloat",
                "Int8ActPerTensorFixedPoint")
BIASES = ("none", "float", "Int8Bias", "Int16Bias", "Int32Bias")


@dataclass(frozen=True)
class Layer:
    kind: str  # "conv" | "linear"
    out: int
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    bn: bool = False
    pool: str = "none"  # none | max | avg (2x2 after the activation)


@dataclass(frozen=True)
class BrevCfg:
    in_shape: tuple  # (C, H, W) or (F,)
    input_quant: str
    input_bits: int
    layers: tuple
    weight_quant: str
    weight_bits: int
    act: str
    act_bits: int
    bias: str
    seed: int

    @property
    def tags(self) -> dict:
        return {"weight": self.weight_quant, "act": self.act, "input": self.input_quant, "bias": self.bias}


@st.composite
def brevitas_nets(draw, weight: str | None = None, act: str | None = None) -> BrevCfg:
    """A random model; ``weight``/``act`` fix the weight quantizer / activation class (else drawn too)."""
    image = draw(st.booleans())
    layers = []
    if image:
        c, hw = draw(st.integers(1, 3)), draw(st.integers(5, 9))
        in_shape, size = (c, hw, hw), hw
        for _ in range(draw(st.integers(1, 2))):
            k = draw(st.integers(1, min(5, size)))
            s = draw(st.integers(1, 2))
            p = draw(st.integers(0, min(2, k - 1)))
            size = (size + 2 * p - k) // s + 1
            pool = draw(st.sampled_from(("none", "max", "avg"))) if size >= 2 else "none"
            size = size // 2 if pool != "none" else size
            layers.append(Layer("conv", draw(st.integers(2, 6)), k, s, p, draw(st.booleans()), pool))
            if size < 2:
                break
    else:
        in_shape = (draw(st.integers(4, 24)),)
    for _ in range(draw(st.integers(0, 1))):
        layers.append(Layer("linear", draw(st.integers(3, 16)), bn=draw(st.booleans())))
    layers.append(Layer("linear", draw(st.integers(2, 6))))
    return BrevCfg(in_shape, draw(st.sampled_from(INPUT_QUANTS)), draw(st.integers(2, 8)), tuple(layers),
                   weight or draw(st.sampled_from(sorted(WEIGHT_QUANTS))), draw(st.integers(2, 8)),
                   act or draw(st.sampled_from(ACTS)),
                   draw(st.integers(2, 8)), draw(st.sampled_from(BIASES)), draw(st.integers(0, 2**16)))


def _act(name: str, bits: int):
    q = dict(bit_width=bits, return_quant_tensor=True)
    if name == "QuantReLU":
        return bnn.QuantReLU(**q)
    if name == "QuantReLU-ShiftedUint8":
        return bnn.QuantReLU(act_quant=bq.ShiftedUint8ActPerTensorFloat, **q)
    if name == "QuantIdentity-Int8":
        return bnn.QuantIdentity(act_quant=bq.Int8ActPerTensorFloat, **q)
    if name == "QuantIdentity-Int8FixedPoint":
        return bnn.QuantIdentity(act_quant=bq.Int8ActPerTensorFixedPoint, **q)
    if name == "QuantIdentity-Int8MinMaxInit":
        return bnn.QuantIdentity(act_quant=bq.Int8ActPerTensorFloatMinMaxInit, min_val=-2.0, max_val=2.0, **q)
    if name == "QuantHardTanh":
        return bnn.QuantHardTanh(max_val=1.0, min_val=-1.0, **q)
    if name == "QuantTanh":
        return bnn.QuantTanh(**q)
    if name == "QuantSigmoid":
        return bnn.QuantSigmoid(**q)
    if name == "QuantIdentity-Binary":
        return bnn.QuantIdentity(act_quant=bq.SignedBinaryActPerTensorConst, return_quant_tensor=True)
    raise ValueError(name)


def build(cfg: BrevCfg) -> tuple[nn.Module, tuple]:
    """(module in eval mode, trained a few steps; example input shape with batch 1)."""
    torch.manual_seed(cfg.seed)
    wq, takes_bits = WEIGHT_QUANTS[cfg.weight_quant]
    wkw = dict(weight_quant=wq) | (dict(weight_bit_width=cfg.weight_bits) if takes_bits else {})
    bias = cfg.bias != "none"
    bkw = dict(bias_quant=getattr(bq, cfg.bias)) if cfg.bias not in ("none", "float") else {}
    in_q = getattr(bq, cfg.input_quant)
    mods: list[nn.Module] = [bnn.QuantIdentity(act_quant=in_q, bit_width=cfg.input_bits, return_quant_tensor=True)]
    ch = cfg.in_shape[0]
    flat = len(cfg.in_shape) == 1
    for i, lay in enumerate(cfg.layers):
        last = i == len(cfg.layers) - 1
        if lay.kind == "conv":
            mods.append(bnn.QuantConv2d(ch, lay.out, lay.kernel, stride=lay.stride, padding=lay.pad, bias=bias,
                                        **wkw, **bkw))
            if lay.bn:
                mods.append(nn.BatchNorm2d(lay.out))
        else:
            if not flat:
                mods.append(nn.Flatten())
                flat = True
                ch = _flat_features(mods, cfg.in_shape)
            mods.append(bnn.QuantLinear(ch, lay.out, bias=bias, **wkw, **bkw))
            if lay.bn and not last:
                mods.append(nn.BatchNorm1d(lay.out))
        if not last:
            mods.append(_act(cfg.act, cfg.act_bits))
            if lay.pool == "max":
                mods.append(nn.MaxPool2d(2))  # on the QuantTensor, as Brevitas users pool
            elif lay.pool == "avg":
                mods.append(bnn.TruncAvgPool2d(2, return_quant_tensor=True))
        ch = lay.out
    m = nn.Sequential(*mods)
    shape = (1, *cfg.in_shape)
    _prepare(m, shape)
    return m.eval(), shape


def _flat_features(mods, in_shape) -> int:
    with torch.no_grad():
        y = nn.Sequential(*mods).eval()(torch.zeros(1, *in_shape))
    return int(getattr(y, "value", y).numel())


def _prepare(m: nn.Module, shape) -> None:
    """Statistics and a few SGD steps on random data; BatchNorm gets random running statistics and gammas of both
    signs, so that decreasing channels are exercised."""
    g = torch.Generator().manual_seed(1)
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=0.02)
    for _ in range(3):
        y = m(torch.rand(16, *shape[1:], generator=g) * 2 - 1)
        loss = getattr(y, "value", y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        for b in m.modules():
            if isinstance(b, nn.BatchNorm1d | nn.BatchNorm2d):
                n = b.num_features
                b.running_mean.uniform_(-0.5, 0.5, generator=g)
                b.running_var.uniform_(0.2, 2.0, generator=g)
                b.weight.copy_((torch.rand(n, generator=g) + 0.2) * torch.where(torch.rand(n, generator=g) < 0.3,
                                                                               -1.0, 1.0))
                b.bias.uniform_(-0.3, 0.3, generator=g)
    m.eval()
