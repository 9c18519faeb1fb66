"""Multi-layer perceptrons (FINN TFC/SFC/LFC shapes and free sizes); with no hidden layer, logistic regression
(``logreg``) or the perceptron (``perceptron``: sign outputs)."""
from __future__ import annotations

import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.dense import dense_stack, output_layer
from qnn.models.spec import ModelSpec


class QuantMLP(nn.Module):
    """input quantizer -> [QuantLinear -> BatchNorm1d? -> activation quantizer -> dropout?] x N -> QuantLinear
    (-> bipolar sign for a perceptron)."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.inp = Q.input_quant(spec.input_bits)
        self.layers = nn.Sequential(*dense_stack(spec, spec.in_features))
        self.out = output_layer(spec)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """The last Linear's output, before any sign output (what a hinge loss trains)."""
        return self.layers(self.inp(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scores(x)
        if self.out is None:
            return s
        o = self.out(s)
        return o.value if hasattr(o, "value") else o  # a QuantTensor of +-1


class FloatMLP(QuantMLP):
    """The float baseline with the same shape."""

    def __init__(self, spec: ModelSpec) -> None:
        nn.Module.__init__(self)
        self.spec = spec
        self.layers = nn.Sequential(*dense_stack(spec, spec.in_features))
        self.out = output_layer(spec)

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))
