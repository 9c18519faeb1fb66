"""Residual networks as Brevitas users write them (``QuantEltwiseAdd``, or ``+`` of two quantized tensors that
share one quantizer), small enough for tests; ResNet-8-style for MNIST and a residual keyword-spotting net."""
from __future__ import annotations

import brevitas.nn as qnn
from torch import nn


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN, then the skip added: ``add="eltwise"`` (Brevitas' QuantEltwiseAdd with its own input
    quantizers), ``"shared"`` (both inputs through one QuantIdentity, then a plain ``+``); a strided block takes a
    1x1 strided conv + BN on the skip (``downsample``)."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, bits: int = 4, add: str = "eltwise"):
        super().__init__()
        self.add_kind = add
        self.conv1 = qnn.QuantConv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False, weight_bit_width=bits)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu1 = qnn.QuantReLU(bit_width=bits, return_quant_tensor=True)
        self.conv2 = qnn.QuantConv2d(c_out, c_out, 3, padding=1, bias=False, weight_bit_width=bits)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(qnn.QuantConv2d(c_in, c_out, 1, stride=stride, bias=False, weight_bit_width=bits),
                                      nn.BatchNorm2d(c_out))
        if add == "eltwise":
            self.q_branch = qnn.QuantIdentity(bit_width=bits, return_quant_tensor=True)
            self.add = qnn.QuantEltwiseAdd()
        else:
            self.shared = qnn.QuantIdentity(bit_width=bits, return_quant_tensor=True)
        self.relu_out = qnn.QuantReLU(bit_width=bits, return_quant_tensor=True)

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        skip = x if self.down is None else self.down(x)
        if self.add_kind == "eltwise":
            s = self.add(self.q_branch(y), skip)
        else:
            s = self.shared(y) + self.shared(skip)
        return self.relu_out(s)


def resnet8(bits: int = 4, channels=(8, 16, 32), add: str = "eltwise", in_ch: int = 1, classes: int = 10):
    """ResNet-8-style CNN (stem + three basic blocks, the last two strided, global average pool, dense)."""
    c0, c1, c2 = channels
    return nn.Sequential(
        qnn.QuantIdentity(bit_width=8, return_quant_tensor=True),
        qnn.QuantConv2d(in_ch, c0, 3, padding=1, bias=False, weight_bit_width=bits), nn.BatchNorm2d(c0),
        qnn.QuantReLU(bit_width=bits, return_quant_tensor=True),
        BasicBlock(c0, c0, 1, bits, add), BasicBlock(c0, c1, 2, bits, add), BasicBlock(c1, c2, 2, bits, add),
        nn.AdaptiveAvgPool2d((1, 1)),
        qnn.QuantIdentity(bit_width=bits, return_quant_tensor=True), nn.Flatten(),
        qnn.QuantLinear(c2, classes, bias=True, weight_bit_width=bits))


def tiny_residual(add: str = "eltwise", bits: int = 4):
    """One block on a small image: the fast test case."""
    return nn.Sequential(
        qnn.QuantIdentity(bit_width=8, return_quant_tensor=True),
        qnn.QuantConv2d(1, 4, 3, bias=False, weight_bit_width=bits), nn.BatchNorm2d(4),
        qnn.QuantReLU(bit_width=bits, return_quant_tensor=True),
        BasicBlock(4, 4, 1, bits, add), nn.Flatten(), qnn.QuantLinear(4 * 6 * 6, 10, bias=True, weight_bit_width=bits))
