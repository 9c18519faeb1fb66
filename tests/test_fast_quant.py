"""The fused training path of Brevitas' IntQuant (qnn.models.fast_quant): same values, same gradients, eval untouched."""
from __future__ import annotations

import pytest
import torch

from qnn.models import build_model, spec_from_preset
from qnn.models.fast_quant import _sum_to, fuse_int_quant


def _pair(preset: str, bits: int, in_shape, stats_steps: int):
    def make(fused: bool):
        torch.manual_seed(0)
        spec = spec_from_preset(preset, in_shape=in_shape, num_classes=5, weight_bits=bits, act_bits=bits)
        m = build_model(spec).train()
        for mm in m.modules():
            if hasattr(mm, "collect_stats_steps"):
                mm.collect_stats_steps = stats_steps
        n = fuse_int_quant(m) if fused else 0
        return m, n
    (a, _), (b, n) = make(False), make(True)
    return a, b, n


def _step(m, x, y):
    m.zero_grad()
    out = m(x)
    out = out.value if hasattr(out, "value") else out
    torch.nn.functional.cross_entropy(out, y).backward()
    return out.detach(), {k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("preset,bits,in_shape", [("kws-dscnn", 4, (1, 12, 6)), ("kws-cnn", 3, (1, 12, 6)),
                                                  ("kws-mlp", 2, (1, 12, 6))])
def test_fused_matches_brevitas(preset, bits, in_shape):
    a, b, n = _pair(preset, bits, in_shape, stats_steps=2)
    assert n > 0
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand((16, *in_shape), generator=g), torch.randint(0, 5, (16,), generator=g)
    for step in range(5):  # 2 statistics steps, the step that initialises the scales, then learned scales
        oa, ga = _step(a, x, y)
        ob, gb = _step(b, x, y)
        assert torch.equal(oa, ob), f"forward differs at step {step}"
        assert ga.keys() == gb.keys()
        scale_grads = [k for k in ga if k.endswith(".value")]
        if step >= 3:
            assert scale_grads and any(ga[k].abs().sum() > 0 for k in scale_grads)  # the learned scales train
            for k in ga:  # after the statistics phase: Brevitas' own gradients, the scales' summed in another order
                if k in scale_grads:
                    assert torch.allclose(ga[k], gb[k], rtol=1e-5, atol=1e-9), k
                else:
                    assert torch.equal(ga[k], gb[k]), k
        else:  # the statistics-phase scale gradient is summed in another order: float32 rounding only
            for k in ga:
                tol = 1e-4 * float(ga[k].abs().max()) + 1e-6
                assert torch.allclose(ga[k], gb[k], rtol=0, atol=tol), k
    a.eval(), b.eval()
    with torch.no_grad():
        ea, eb = a(x), b(x)
    assert torch.equal(getattr(ea, "value", ea), getattr(eb, "value", eb))


def test_clamped_values_get_no_gradient_and_sum_to_reduces_broadcast():
    from qnn.models import quantizers as Q

    m = Q.act(2).train()
    for mm in m.modules():
        if hasattr(mm, "collect_stats_steps"):
            mm.collect_stats_steps = 1
    assert fuse_int_quant(m) == 1
    m(torch.rand(8) * 4)  # statistics step
    x = torch.tensor([0.1, 0.5, 100.0, -3.0], requires_grad=True)
    out = m(x)
    out.value.sum().backward()
    assert x.grad.tolist()[2:] == [0.0, 0.0]  # clamped above, and below by the ReLU
    assert x.grad[1] == 1.0
    assert _sum_to(torch.ones(2, 3, 4), torch.Size([3, 1])).tolist() == [[8.0]] * 3
