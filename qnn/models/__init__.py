"""Brevitas models (quantized) and their float baselines, rebuilt from a ``ModelSpec``."""
from __future__ import annotations

from torch import nn

from qnn.models.spec import PRESETS, ModelSpec, spec_from_preset


def build_model(spec: ModelSpec) -> nn.Module:
    from qnn.models.cnn import FloatCNN, QuantCNN
    from qnn.models.mlp import FloatMLP, QuantMLP

    if spec.arch == "dscnn":
        from qnn.models.dscnn import DSCNN

        return DSCNN(spec)
    if spec.arch == "mlp":
        return FloatMLP(spec) if spec.is_float else QuantMLP(spec)
    return FloatCNN(spec) if spec.is_float else QuantCNN(spec)


__all__ = ["ModelSpec", "PRESETS", "build_model", "spec_from_preset"]
