"""Random quantized networks for the property suite: a configuration (``NetConfig``, what Hypothesis draws and
shrinks), the Brevitas model it describes, and its preparation (statistics, a few training steps, random BatchNorm).

The layers are the toolkit's own quantizers (``qnn.models.quantizers``), so the suite covers what ``qnn train``
builds, over a wider space: any kernel, stride, padding and max-pool window, bias on/off, 1..8 bits everywhere
(1 = bipolar), input bits 1..8 (1 = FINN's sign(2x - 1)); DS-CNNs (``ds_nets``): depthwise + pointwise blocks and
average pooling (global or windowed).
"""
from __future__ import annotations

from dataclasses import dataclass

import brevitas.nn as bnn
import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn

from qnn.models import quantizers as Q

POOLS = (None, (2, 2), (3, 3), (2, 1), (3, 2))  # max-pool (kernel, stride); None = no pool
POOL_AT = ("after_act", "before_act", "before_bn")


@dataclass(frozen=True)
class Conv:
    channels: int
    kernel: int
    stride: int = 1
    pad: int = 0
    pool: tuple[int, int] | None = None
    pool_at: str = "after_act"  # after_act | before_act (conv -> BN -> pool -> act) | before_bn (conv -> pool -> BN)
    depthwise: bool = False  # groups = input channels (channels must equal them): a DS-CNN's depthwise layer


@dataclass(frozen=True)
class NetConfig:
    in_shape: tuple[int, int, int]  # C, H, W
    convs: tuple[Conv, ...] = ()
    hidden: tuple[int, ...] = ()
    classes: int = 3
    input_bits: int = 8
    weight_bits: int = 2
    act_bits: int = 2
    batchnorm: bool = True
    bias: bool = True
    trained: bool = False  # a few Adam steps on random labels, else random init (+ statistics)
    seed: int = 0
    avg_pool: tuple[int, int] | str | None = None  # after the convs: "global" or (kernel, stride), then a quantizer

    @property
    def arch(self) -> str:
        if self.avg_pool or any(c.depthwise for c in self.convs):
            return "dscnn"
        return "cnn" if self.convs else "mlp"

    @property
    def pool_kernels_equal_strides(self) -> bool:
        return all(c.pool is None or c.pool[0] == c.pool[1] for c in self.convs)


def _out(n: int, k: int, s: int, p: int = 0) -> int:
    return (n + 2 * p - k) // s + 1


def feature_shape(cfg: NetConfig) -> tuple[int, int, int]:
    c, h, w = cfg.in_shape
    for cv in cfg.convs:
        h, w, c = _out(h, cv.kernel, cv.stride, cv.pad), _out(w, cv.kernel, cv.stride, cv.pad), cv.channels
        if cv.pool:
            h, w = _out(h, *cv.pool), _out(w, *cv.pool)
    if cfg.avg_pool == "global":
        h, w = 1, 1
    elif cfg.avg_pool:
        h, w = _out(h, *cfg.avg_pool), _out(w, *cfg.avg_pool)
    return c, h, w


@st.composite
def conv_nets(draw, max_convs: int = 2) -> NetConfig:
    """CNNs: 1..max_convs conv blocks (kernel 1..3, stride 1..2, padding 0..1, maybe a max-pool), 0..1 dense."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 9)), draw(st.integers(3, 9))
    shape = (c, h, w)
    convs = []
    for _ in range(draw(st.integers(1, max_convs))):
        k = draw(st.integers(1, 3))
        s = draw(st.integers(1, 2))
        p = draw(st.integers(0, 1 if k > 1 else 0))
        ho, wo = _out(h, k, s, p), _out(w, k, s, p)
        if min(ho, wo) < 1:
            break
        pool = draw(st.sampled_from([pl for pl in POOLS if pl is None or min(ho, wo) >= pl[0]]))
        if pool:
            ho, wo = _out(ho, *pool), _out(wo, *pool)
        ch = draw(st.integers(1, 6))
        convs.append(Conv(ch, k, s, p, pool, draw(st.sampled_from(POOL_AT)) if pool else "after_act"))
        h, w = ho, wo
    if not convs:
        convs.append(Conv(draw(st.integers(1, 4)), 1))
    return _common(draw, shape, tuple(convs), draw(st.lists(st.integers(1, 12), max_size=1)))


@st.composite
def mlp_nets(draw) -> NetConfig:
    """MLPs: an input of 1..32 values (C, H, W), one in ten 1 x 24 x 24 (worst-case sums past 2**24: the golden
    model's int64 path), 1..3 hidden layers of 1..16 neurons."""
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    if draw(st.integers(0, 9)) == 9:
        shape = (1, 24, 24)
    return _common(draw, shape, (), draw(st.lists(st.integers(1, 16), min_size=1, max_size=3)))


@st.composite
def ds_nets(draw, max_blocks: int = 2) -> NetConfig:
    """DS-CNNs: a conv (kernel 1..3, stride 1..2), 1..max_blocks depthwise (3x3 or 2x2, stride 1..2, padding 0..1)
    + pointwise (1x1) blocks, then average pooling (global, or a window) with its quantizer, 0..1 dense."""
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(4, 9)), draw(st.integers(4, 9))
    shape = (c, h, w)
    k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    p = draw(st.integers(0, 1 if k > 1 else 0))
    ch = draw(st.integers(1, 6))
    convs, h, w = [Conv(ch, k, s, p)], _out(h, k, s, p), _out(w, k, s, p)
    for _ in range(draw(st.integers(1, max_blocks))):
        k, s = draw(st.sampled_from([3, 2])), draw(st.integers(1, 2))
        p = draw(st.integers(0, 1))
        ho, wo = _out(h, k, s, p), _out(w, k, s, p)
        if min(ho, wo) < 1:
            break
        out = draw(st.integers(1, 6))
        convs += [Conv(ch, k, s, p, depthwise=True), Conv(out, 1)]
        ch, h, w = out, ho, wo
    windows = [pl for pl in ((2, 2), (2, 1), (3, 2)) if min(h, w) >= pl[0]]
    avg = draw(st.sampled_from(["global"] * 3 + windows))
    cfg = _common(draw, shape, tuple(convs), draw(st.lists(st.integers(1, 12), max_size=1)))
    return NetConfig(**{**cfg.__dict__, "avg_pool": avg})


def _common(draw, shape, convs, hidden) -> NetConfig:
    return NetConfig(in_shape=shape, convs=convs, hidden=tuple(hidden), classes=draw(st.integers(2, 5)),
                     input_bits=draw(st.integers(1, 8)), weight_bits=draw(st.integers(1, 8)),
                     act_bits=draw(st.integers(1, 8)), batchnorm=draw(st.booleans()), bias=draw(st.booleans()),
                     trained=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


class RandomNet(nn.Module):
    """input quantizer -> [QuantConv2d -> BN? -> act -> MaxPool?]* -> flatten -> [QuantLinear -> BN? -> act]* ->
    QuantLinear."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        wq, bq = Q.weight_kwargs(cfg.weight_bits), Q.bias_kwargs() if cfg.bias else {}
        self.inp = Q.input_quant(cfg.input_bits)
        feats: list[nn.Module] = []
        cin = cfg.in_shape[0]
        for cv in cfg.convs:
            feats.append(bnn.QuantConv2d(cin, cv.channels, cv.kernel, stride=cv.stride, padding=cv.pad, bias=cfg.bias,
                                         groups=cin if cv.depthwise else 1, **wq, **bq))
            pool = [nn.MaxPool2d(cv.pool[0], cv.pool[1])] if cv.pool else []
            feats += pool if cv.pool_at == "before_bn" else []
            feats += [nn.BatchNorm2d(cv.channels)] if cfg.batchnorm else []
            feats += pool if cv.pool_at == "before_act" else []
            feats.append(Q.act(cfg.act_bits))
            feats += pool if cv.pool_at == "after_act" else []
            cin = cv.channels
        if cfg.avg_pool:  # average pooling, then a quantizer (its 1/N folds into that quantizer's thresholds)
            feats.append(nn.AdaptiveAvgPool2d(1) if cfg.avg_pool == "global" else nn.AvgPool2d(*cfg.avg_pool))
            feats.append(Q.act(cfg.act_bits))
        self.features = nn.Sequential(*feats)
        c, h, w = feature_shape(cfg)
        dense: list[nn.Module] = []
        width = c * h * w
        for n in cfg.hidden:
            dense.append(bnn.QuantLinear(width, n, bias=cfg.bias, **wq, **bq))
            dense += [nn.BatchNorm1d(n)] if cfg.batchnorm else []
            dense.append(Q.act(cfg.act_bits))
            width = n
        dense.append(bnn.QuantLinear(width, cfg.classes, bias=cfg.bias, **wq, **bq))
        self.classifier = nn.Sequential(*dense)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.inp(x)).flatten(1))


def build(cfg: NetConfig) -> nn.Module:
    """The Brevitas model, prepared: activation scales from statistics, maybe trained a few steps, BatchNorm running
    statistics and affine parameters set to random values near the data's (so thresholds are non-trivial)."""
    torch.manual_seed(cfg.seed)
    gen = np.random.default_rng(cfg.seed)
    m = RandomNet(cfg)
    bns = [b for b in m.modules() if isinstance(b, nn.BatchNorm1d | nn.BatchNorm2d)]
    with torch.no_grad():
        for b in bns:  # random affine parameters, some channels with a negative gamma
            sign = torch.from_numpy(np.where(gen.random(b.num_features) < 0.25, -1.0, 1.0)).float()
            b.weight.copy_(sign * torch.from_numpy(gen.uniform(0.25, 2.0, b.num_features)).float())
            b.bias.copy_(torch.from_numpy(gen.normal(0, 0.5, b.num_features)).float())
            b.momentum = 1.0  # running statistics = the last batch's
    m.train()
    x = torch.rand(32, *cfg.in_shape)
    with torch.no_grad():
        m(x)
    if cfg.trained:
        opt = torch.optim.Adam(m.parameters(), lr=1e-2)
        y = torch.from_numpy(gen.integers(0, cfg.classes, len(x)))
        for _ in range(2):  # the last forward also sets the BatchNorm statistics (momentum 1)
            loss = nn.functional.cross_entropy(m(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        for b in bns:  # running statistics near the data's, randomly off; some gamma 0, some variance ~0
            c = b.num_features
            std = b.running_var.clamp_min(1e-4).sqrt()
            b.running_mean.add_(torch.from_numpy(gen.normal(0, 0.5, c)).float() * std)
            b.running_var.mul_(torch.from_numpy(gen.uniform(0.5, 2.0, c)).float())
            b.running_var.copy_(torch.where(torch.from_numpy(gen.random(c) < 0.05), 1e-7, b.running_var))
            b.weight.copy_(torch.where(torch.from_numpy(gen.random(c) < 0.05), 0.0, b.weight))
    return m.eval()


def refuses(cfg: NetConfig, model: nn.Module) -> bool:
    """True when the toolkit must refuse the model: a max-pool before a BatchNorm with a negative gamma (max does not
    commute with a decreasing map, and thresholds cannot take a min)."""
    if not cfg.batchnorm:
        return False
    bns = [b for b in model.features if isinstance(b, nn.BatchNorm2d)]
    return any(cv.pool and cv.pool_at == "before_bn" and bool((b.weight < 0).any()) for cv, b in zip(cfg.convs, bns))


def features(cfg: NetConfig) -> list[str]:
    """Names of the configuration features this network covers (tallied by the suite)."""
    f = [f"in{cfg.input_bits}", f"w{cfg.weight_bits}", f"a{cfg.act_bits}", "bn" if cfg.batchnorm else "no_bn",
         "bias" if cfg.bias else "no_bias", "trained" if cfg.trained else "random_init"]
    f += [f"pool{cv.pool[0]}s{cv.pool[1]}_{cv.pool_at}" for cv in cfg.convs if cv.pool]
    f += [f"k{cv.kernel}s{cv.stride}p{cv.pad}" + ("_depthwise" if cv.depthwise else "") for cv in cfg.convs]
    f += [f"avgpool_{cfg.avg_pool}" if cfg.avg_pool == "global" else f"avgpool{cfg.avg_pool[0]}s{cfg.avg_pool[1]}"
          ] if cfg.avg_pool else []
    f += ["wide_input"] if cfg.in_shape[1] * cfg.in_shape[2] * cfg.in_shape[0] > 256 else []
    return f


def inputs(cfg: NetConfig, n: int = 16) -> np.ndarray:
    """Float inputs in [0, 1]: random values, the quantizer's grid points and the ties halfway between them, 0 and 1."""
    gen = np.random.default_rng(cfg.seed + 1)
    shape = (n, *cfg.in_shape)
    x = gen.random(shape, dtype=np.float32)
    levels = 2 ** max(cfg.input_bits, 1)
    k = gen.integers(0, levels + 1, shape)
    grid = (k / levels).astype(np.float32)  # exact grid points (ties of the 1-bit sign at 0.5)
    tie = ((k + 0.5) / levels).clip(0, 1).astype(np.float32)  # round-half-even ties
    pick = gen.integers(0, 4, shape)
    x = np.where(pick == 1, grid, np.where(pick == 2, tie, x))
    x[0] = 0.0
    x[-1] = 1.0
    return x.astype(np.float32)
