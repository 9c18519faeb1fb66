"""A training-time fast path for Brevitas' integer quantizer: one autograd function instead of a chain of ops.

Brevitas' ``IntQuant`` computes ``y = (clamp(round_ste(x / s + z), lo, hi) - z) * s`` as separate autograd ops
(div, add, round, two ``where`` for the clamp, sub, mul) and their backward passes. On the DS-CNN's activations
(a batch of 128 x 64 channels x 25 x 5) that chain, forward and backward, took 17 ms per activation layer against
1 ms for a plain ReLU: about 60 % of a training step at one thread (measured with torch.profiler).

``fuse_int_quant(model)`` gives each plain ``IntQuant`` of the model (round-to-nearest, ``TensorClamp``, no quant
delay) a forward that, while the model trains with gradients enabled, computes the very same values with one
``torch.autograd.Function`` whose backward is Brevitas' own gradient written out:

* x: the straight-through estimator, ``g`` where ``lo <= round(x / s + z) <= hi``, 0 where clamped (exactly
  Brevitas' ``(g * s) / s`` for the power-of-two scales this toolkit uses);
* s: ``sum(g * (q - z)) - sum(g * x * in_range) / s`` reduced to the scale's shape (the product rule through
  ``q * s`` and ``x / s``); the zero point and the clamp bounds must not need gradients (else Brevitas' path).

An activation scale still collecting runtime statistics (Brevitas' first ``collect_stats_steps`` = 300 steps)
stays on Brevitas' path: there the scale is a percentile of the input itself.

Outside training (eval, export, golden checks, ``torch.no_grad``) the forward is Brevitas' unchanged, so the
exactness contract never depends on this module. Forward values are identical; the gradients of weights, biases
and inputs too (bit for bit once the scales are learned, tests/test_fast_quant.py); the scale gradient is summed
in another order (float32 rounding), so a trained model agrees with one trained on Brevitas' path up to float32
rounding, not bit for bit.
"""
from __future__ import annotations

import types

import torch
from brevitas.core.function_wrapper import RoundSte, TensorClamp
from brevitas.core.quant.delay import _NoDelay
from brevitas.core.quant.int_base import IntQuant


def _sum_to(t: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Sum ``t`` down to ``shape`` (the inverse of broadcasting)."""
    if t.shape == shape:
        return t
    lead = t.dim() - len(shape)
    t = t.sum(dim=tuple(range(lead))) if lead > 0 else t
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and t.shape[i] != 1)
    return (t.sum(dim=dims, keepdim=True) if dims else t).reshape(shape)


class _IntQuantFn(torch.autograd.Function):
    """(clamp(round(x / s + z), lo, hi) - z) * s with Brevitas' gradients; z is None for a zero zero-point (two
    passes fewer over the tensor: x / s + 0 and q - 0 are the same values)."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, lo, hi):  # noqa: ANN001 (autograd signature)
        r = torch.div(x, scale)
        if zero_point is not None:
            r.add_(zero_point)
        r.round_()
        q = torch.clamp(r, lo, hi)
        if zero_point is not None:
            q.sub_(zero_point)
            r.sub_(zero_point)
        ctx.save_for_backward(x, scale, q, r)
        return q * scale

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001
        x, scale, q, r = ctx.saved_tensors
        gx = g * (q == r)  # in range: not clamped
        gs = None
        if ctx.needs_input_grad[1]:
            gs = _sum_to(g * q, scale.shape) - _sum_to(gx * x, scale.shape) / scale
        return (gx if ctx.needs_input_grad[0] else None), gs, None, None, None


def _fused_forward(self: IntQuant, scale: torch.Tensor, zero_point: torch.Tensor, bit_width: torch.Tensor,
                   x: torch.Tensor) -> torch.Tensor:
    if self.training and torch.is_grad_enabled() and not self._qnn_collecting():
        lo, hi = self.min_int(bit_width), self.max_int(bit_width)
        if not (zero_point.requires_grad or lo.requires_grad or hi.requires_grad):
            zp = zero_point if bool(zero_point.any()) else None
            return _IntQuantFn.apply(self.input_view_impl(x), scale, zp, lo, hi)
    return IntQuant.forward(self, scale, zero_point, bit_width, x)


def _collecting(scaling: torch.nn.Module):
    """Whether ``scaling`` (a runtime-statistics scale) still collects statistics at this call (its scale is then a
    percentile of the very input being quantized: that phase stays on Brevitas' path, so that a run resumed in
    it continues exactly; tests/test_train.py)."""
    if not hasattr(scaling, "collect_stats_steps"):
        return lambda: False
    return lambda: scaling.counter <= scaling.collect_stats_steps


def fusable(m: torch.nn.Module) -> bool:
    return (type(m) is IntQuant and type(m.float_to_int_impl) is RoundSte and type(m.tensor_clamp_impl) is TensorClamp
            and isinstance(m.delay_wrapper.delay_impl, _NoDelay))


def fuse_int_quant(model: torch.nn.Module) -> int:
    """Install the fast training path on every fusable ``IntQuant`` of ``model``; returns how many."""
    n = 0
    for parent in model.modules():
        m = getattr(parent, "int_quant", None)
        if m is not None and fusable(m):
            object.__setattr__(m, "_qnn_collecting", _collecting(getattr(parent, "scaling_impl", None)))
            m.forward = types.MethodType(_fused_forward, m)
            n += 1
    return n
