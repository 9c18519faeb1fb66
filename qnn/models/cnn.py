"""Quantized CNN: [conv3x3 -> BatchNorm2d -> activation -> maxpool2] blocks, then dense layers."""
from __future__ import annotations

import brevitas.nn as bnn
import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.activations import act_layer, float_op
from qnn.models.dense import dense_stack
from qnn.models.spec import ModelSpec


def _flat_features(spec: ModelSpec) -> int:
    c, h, w = spec.in_shape
    for ch in spec.channels:
        h, w, c = h // 2, w // 2, ch
    return c * h * w


class QuantCNN(nn.Module):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.inp = Q.input_quant(spec.input_bits)
        blocks: list[nn.Module] = []
        cin = spec.in_shape[0]
        for ch in spec.channels:
            blocks.append(bnn.QuantConv2d(cin, ch, 3, padding=1, bias=True, **Q.weight_kwargs(spec.weight_bits),
                                          **Q.bias_kwargs()))
            if spec.batchnorm:
                blocks.append(nn.BatchNorm2d(ch))
            blocks.append(act_layer(spec.act_bits, spec.activation))
            blocks.append(nn.MaxPool2d(2))
            cin = ch
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(*dense_stack(spec, _flat_features(spec)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.inp(x))
        return self.classifier(x.flatten(1))


class FloatCNN(nn.Module):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        blocks: list[nn.Module] = []
        cin = spec.in_shape[0]
        for ch in spec.channels:
            blocks += [nn.Conv2d(cin, ch, 3, padding=1)] + ([nn.BatchNorm2d(ch)] if spec.batchnorm else [])
            blocks += [float_op(spec.activation), nn.MaxPool2d(2)]
            cin = ch
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(*dense_stack(spec, _flat_features(spec)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))
