"""Quantized multi-layer perceptron (FINN TFC/SFC/LFC shapes and free sizes)."""
from __future__ import annotations

import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.dense import dense_stack
from qnn.models.spec import ModelSpec


class QuantMLP(nn.Module):
    """input quantizer -> [QuantLinear -> BatchNorm1d? -> activation quantizer -> dropout?] x N -> QuantLinear."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.inp = Q.input_quant(spec.input_bits)
        self.layers = nn.Sequential(*dense_stack(spec, spec.in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.inp(x.flatten(1)))


class FloatMLP(nn.Module):
    """The float baseline with the same shape."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.layers = nn.Sequential(*dense_stack(spec, spec.in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))
