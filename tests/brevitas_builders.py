"""Models as Brevitas users write them: ``brevitas.nn`` layers with Brevitas' default (float-scale) quantizers,
trained a few steps on random data, exported with ``brevitas.export.export_qonnx``."""
from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import torch


def build(kind: str, seed: int = 0) -> tuple[torch.nn.Module, tuple[int, ...]]:
    """(module in eval mode after a few training steps, input shape with batch 1)."""
    import brevitas.nn as qnn
    from brevitas.quant import SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst

    torch.manual_seed(seed)
    if kind == "hardtanh-mlp":  # 2-bit weights (default float scale), 2-bit HardTanh activations
        m = torch.nn.Sequential(
            qnn.QuantIdentity(bit_width=2, return_quant_tensor=True),
            qnn.QuantLinear(64, 32, bias=True, weight_bit_width=2),
            qnn.QuantHardTanh(bit_width=2, max_val=1.0, min_val=-1.0, return_quant_tensor=True),
            qnn.QuantLinear(32, 10, bias=True, weight_bit_width=2))
        shape = (1, 64)
    elif kind == "binary-mlp":  # binary weights, bipolar activations
        m = torch.nn.Sequential(
            qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True),
            qnn.QuantLinear(64, 32, bias=False, weight_quant=SignedBinaryWeightPerTensorConst),
            qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst, return_quant_tensor=True),
            qnn.QuantLinear(32, 10, bias=False, weight_quant=SignedBinaryWeightPerTensorConst))
        shape = (1, 64)
    elif kind == "cnn8":  # per-channel 8-bit 5x5 conv, 8-bit ReLU
        m = torch.nn.Sequential(
            qnn.QuantIdentity(bit_width=8, return_quant_tensor=True),
            qnn.QuantConv2d(1, 8, 5, weight_bit_width=8, weight_scaling_per_output_channel=True),
            qnn.QuantReLU(bit_width=8, return_quant_tensor=True), torch.nn.Flatten(),
            qnn.QuantLinear(8 * 24 * 24, 10, bias=True, weight_bit_width=8))
        shape = (1, 1, 28, 28)
    else:
        raise ValueError(kind)
    train_steps(m, shape)
    return m.eval(), shape


def train_steps(m: torch.nn.Module, shape, steps: int = 5, lr: float = 0.01) -> None:
    """A few SGD steps on random inputs in [-1, 1), so that scales and weights move off their initial values."""
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=lr)
    for _ in range(steps):
        y = m(torch.rand(32, *shape[1:]) * 2 - 1)
        loss = getattr(y, "value", y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()


def export(m: torch.nn.Module, shape, path: Path) -> Path:
    from brevitas.export import export_qonnx

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        export_qonnx(m, input_t=torch.zeros(shape), export_path=str(path))
    return Path(path)
