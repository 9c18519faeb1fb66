"""The dense stack shared by the MLP and the CNN's classifier: [Linear -> BatchNorm1d? -> activation -> dropout?] x N
-> Linear, quantized (Brevitas) or float; a ``sign`` output (perceptron) adds the bipolar sign after the last Linear.
"""
from __future__ import annotations

import brevitas.nn as bnn
import torch
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.activations import act_layer, float_op
from qnn.models.spec import ModelSpec


def hidden_act(spec: ModelSpec) -> nn.Module:
    return float_op(spec.activation) if spec.is_float else act_layer(spec.act_bits, spec.activation)


def dense_stack(spec: ModelSpec, width: int) -> list[nn.Module]:
    def linear(i: int, o: int) -> nn.Module:
        if spec.is_float:
            return nn.Linear(i, o)
        return bnn.QuantLinear(i, o, bias=True, **Q.weight_kwargs(spec.weight_bits), **Q.bias_kwargs())

    layers: list[nn.Module] = []
    for h in spec.hidden:
        layers.append(linear(width, h))
        if spec.batchnorm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(hidden_act(spec))
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        width = h
    layers.append(linear(width, spec.num_classes))
    return layers


class FloatSign(nn.Module):
    """sign(x) in {-1, +1} (0 -> +1) with a straight-through gradient: the float baseline's sign output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.where(x >= 0, 1.0, -1.0)
        return x + (s - x).detach()


def output_layer(spec: ModelSpec) -> nn.Module | None:
    """The module after the last Linear: None for logits, the bipolar sign for ``output == "sign"``."""
    if spec.output != "sign":
        return None
    return FloatSign() if spec.is_float else act_layer(1)
