"""Depthwise-separable CNN for keyword spotting (MLPerf Tiny's DS-CNN shape):

    input quantizer -> conv KHxKW stride S -> BN -> act
    -> [depthwise 3x3 -> BN -> act -> pointwise 1x1 -> BN -> act] x blocks
    -> global average pooling -> activation quantizer -> dense to the classes

``spec.channels`` gives the width of the first conv and then one entry per block (the pointwise output; the
depthwise layer keeps its input's channels), so ``blocks = len(channels) - 1``. The first conv's kernel and stride
come from ``spec.extra`` (``kernel``, ``stride``; default 10x4 stride 2 as MLPerf Tiny) with 'same'-style padding
(symmetric, ceil(n / stride) outputs: 49x10 MFCC -> 25x5). The average pool is followed by a quantizer, so that its 1/N becomes part of
the next integer thresholds (the IR keeps an exact integer sum, ``SumPool``).
"""
from __future__ import annotations

import brevitas.nn as bnn
import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.activations import act_layer, float_op
from qnn.models.spec import ModelSpec

DEFAULT_KERNEL = (10, 4)
DEFAULT_STRIDE = (2, 2)
DW_KERNEL = 3


def dscnn_geometry(spec: ModelSpec) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, padding) of the first conv."""
    k = tuple(spec.extra.get("kernel", DEFAULT_KERNEL))
    s = tuple(spec.extra.get("stride", DEFAULT_STRIDE))
    if len(k) != 2 or len(s) != 2 or min(k) < 1 or min(s) < 1:
        from qnn.errors import QnnError

        raise QnnError(f"dscnn kernel/stride must be two positive integers each, got {k} / {s}")
    pad = []
    for n, kk, ss in zip(spec.in_shape[1:], k, s):
        total = max((-(-n // ss) - 1) * ss + kk - n, 0)  # what 'same' padding needs for ceil(n / stride) outputs
        pad.append(-(-total // 2))
    return k, s, (pad[0], pad[1])


def _act(spec: ModelSpec) -> nn.Module:
    return float_op(spec.activation) if spec.is_float else act_layer(spec.act_bits, spec.activation)


def _pool_quant(spec: ModelSpec) -> nn.Module:
    """The quantizer after the average pool (its input is the mean of quantized activations)."""
    if spec.is_float:
        return nn.Identity()
    if spec.act_bits == 1:
        return act_layer(1)
    from qnn.models.activations import is_signed

    quant = Q.Pow2IntAct if is_signed(spec.activation) else Q.Pow2UintAct
    return bnn.QuantIdentity(act_quant=quant, bit_width=spec.act_bits, return_quant_tensor=True)


class DSCNN(nn.Module):
    """Quantized (Brevitas) or float DS-CNN, by ``spec.is_float``."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        if len(spec.channels) < 1:
            raise ValueError("dscnn needs at least one channel count")
        kernel, stride, pad = dscnn_geometry(spec)
        fl = spec.is_float

        def conv(cin: int, cout: int, k, s=1, p=0, groups: int = 1) -> nn.Module:
            if fl:
                return nn.Conv2d(cin, cout, k, stride=s, padding=p, groups=groups)
            return bnn.QuantConv2d(cin, cout, k, stride=s, padding=p, groups=groups, bias=True,
                                   **Q.weight_kwargs(spec.weight_bits), **Q.bias_kwargs())

        def bn(c: int) -> list[nn.Module]:
            return [nn.BatchNorm2d(c)] if spec.batchnorm else []

        self.inp = nn.Identity() if fl else Q.input_quant(spec.input_bits)
        c = spec.channels[0]
        layers: list[nn.Module] = [conv(spec.in_shape[0], c, kernel, stride, pad), *bn(c), _act(spec)]
        for cout in spec.channels[1:]:
            layers += [conv(c, c, DW_KERNEL, 1, DW_KERNEL // 2, groups=c), *bn(c), _act(spec)]
            layers += [conv(c, cout, 1), *bn(cout), _act(spec)]
            c = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pool_quant = _pool_quant(spec)
        self.classifier = (nn.Linear(c, spec.num_classes) if fl else
                           bnn.QuantLinear(c, spec.num_classes, bias=True, **Q.weight_kwargs(spec.weight_bits),
                                           **Q.bias_kwargs()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool_quant(self.pool(self.features(self.inp(x))))
        return self.classifier(x.flatten(1))
