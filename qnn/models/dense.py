"""The dense stack shared by the MLP and the CNN's classifier: [Linear -> BatchNorm1d? -> activation -> dropout?] x N
-> Linear, quantized (Brevitas) or float."""
from __future__ import annotations

import brevitas.nn as bnn
from torch import nn

from qnn.models import quantizers as Q
from qnn.models.spec import ModelSpec


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
        layers.append(nn.ReLU() if spec.is_float else Q.act(spec.act_bits))
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        width = h
    layers.append(linear(width, spec.num_classes))
    return layers
