"""Quantized multi-layer perceptron (FINN TFC/SFC/LFC shapes and free sizes)."""
from __future__ import annotations

import brevitas.nn as bnn
import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.spec import ModelSpec


class QuantMLP(nn.Module):
    """input quantizer -> [QuantLinear -> BatchNorm1d? -> activation quantizer -> dropout?] x N -> QuantLinear."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.inp = Q.input_quant(spec.input_bits)
        layers: list[nn.Module] = []
        width = spec.in_features
        for h in spec.hidden:
            layers.append(bnn.QuantLinear(width, h, bias=True, **Q.weight_kwargs(spec.weight_bits), **Q.bias_kwargs()))
            if spec.batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(Q.act(spec.act_bits))
            if spec.dropout:
                layers.append(nn.Dropout(spec.dropout))
            width = h
        layers.append(bnn.QuantLinear(width, spec.num_classes, bias=True, **Q.weight_kwargs(spec.weight_bits),
                                      **Q.bias_kwargs()))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.inp(x.flatten(1)))


class FloatMLP(nn.Module):
    """The float baseline with the same shape."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        layers: list[nn.Module] = []
        width = spec.in_features
        for h in spec.hidden:
            layers += [nn.Linear(width, h)] + ([nn.BatchNorm1d(h)] if spec.batchnorm else []) + [nn.ReLU()]
            if spec.dropout:
                layers.append(nn.Dropout(spec.dropout))
            width = h
        layers.append(nn.Linear(width, spec.num_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))
