"""DS-CNN end to end in the IR: depthwise Conv (group == channels), GlobalAveragePool / AveragePool (+ Brevitas'
Trunc) read from QONNX; golden == Brevitas bit for bit and golden == qonnx's execution of the file."""
from types import SimpleNamespace

import brevitas.nn as bnn
import numpy as np
import pytest
import torch
from torch import nn
from train_helpers import quick_train

from qnn.evaluate import compare_logits, qonnx_logits
from qnn.export import export_qonnx_file
from qnn.golden import predict
from qnn.golden.execute import quantize_input, run_integer
from qnn.ir import nodes as N
from qnn.models import build_model, spec_from_preset
from qnn.models import quantizers as Q
from qnn.models.activations import act_layer
from qnn.train import predict_logits

SHAPE = (1, 49, 10)


def _data(n: int, seed: int = 0, shape=SHAPE):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape), dtype=np.float32)
    x[: n // 2] *= np.linspace(0.2, 1, shape[-1], dtype=np.float32)  # some structure for BatchNorm to find
    return SimpleNamespace(x=x, y=rng.integers(0, 12, n))


def _small(bits: int, **kw):
    kw.setdefault("channels", (8, 8, 12))
    kw.setdefault("extra", {"kernel": (4, 3), "stride": (2, 2)})
    return spec_from_preset("kws-dscnn", in_shape=SHAPE, num_classes=12, weight_bits=bits, act_bits=bits, **kw)


def test_preset_shape_is_mlperf_dscnn():
    spec = spec_from_preset("kws-dscnn", in_shape=SHAPE, num_classes=12)
    model = build_model(spec).eval()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert spec.channels == (64,) * 5 and len(convs) == 9
    assert convs[0].kernel_size == (10, 4) and convs[0].stride == (2, 2)
    assert [c.groups for c in convs[1::2]] == [64] * 4 and all(c.kernel_size == (1, 1) for c in convs[2::2])
    feats = model.features(model.inp(torch.zeros(1, *SHAPE)))
    assert tuple(feats.shape) == (1, 64, 25, 5)  # 'same' padding at stride 2, as MLPerf Tiny
    assert model(torch.zeros(3, *SHAPE)).shape == (3, 12)
    assert build_model(spec.with_(weight_bits=32, act_bits=32))(torch.zeros(2, *SHAPE)).shape == (2, 12)


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_dscnn_golden_equals_brevitas_and_qonnx(bits, tmp_path):
    spec = _small(bits)
    model = quick_train(spec, _data(256), steps=25)
    graph = export_qonnx_file(model, spec, tmp_path / "m.onnx")
    kinds = [n.kind for n in graph.body]
    assert kinds.count("DepthwiseConv2d") == 2 and kinds.count("SumPool") == 1 and "Divide" not in kinds
    assert isinstance(graph.body[kinds.index("SumPool")], N.SumPool) and graph.body[kinds.index("SumPool")].global_pool
    x = _data(400, seed=1).x
    ref = predict_logits(model, x)
    ints, logits = predict(graph, x)
    assert compare_logits(logits, ref)["max_abs_diff"] == 0.0  # bit for bit
    assert np.array_equal(ints, run_integer(graph, quantize_input(graph, x)))  # compiled plan == int64 reference
    assert np.array_equal(logits[:12], qonnx_logits(tmp_path / "m.onnx", x[:12], graph.input_layout))


class _PoolNet(nn.Module):
    """conv -> act -> depthwise -> act -> pool -> (quantizer) -> dense: the pooling forms Brevitas exports."""

    def __init__(self, pool: str) -> None:
        super().__init__()
        self.inp = Q.input_quant(8)
        self.c1 = bnn.QuantConv2d(1, 6, 3, padding=1, **Q.weight_kwargs(4), **Q.bias_kwargs())
        self.a1 = act_layer(4)
        self.dw = bnn.QuantConv2d(6, 6, 3, stride=(2, 1), padding=(0, 1), groups=6, **Q.weight_kwargs(3),
                                  **Q.bias_kwargs())
        self.bn = nn.BatchNorm2d(6)
        self.a2 = act_layer(3)
        if pool == "avg":  # non-global AveragePool + QuantIdentity
            self.pool, self.q, feat = nn.AvgPool2d((3, 2)), act_layer(4, "hardtanh")[1], 6 * 2 * 3
        elif pool == "trunc":  # Brevitas TruncAvgPool2d: AveragePool -> Trunc
            self.pool, self.q, feat = bnn.TruncAvgPool2d(kernel_size=2, stride=2, return_quant_tensor=True), None, 6 * 3 * 3
        else:  # Brevitas TruncAdaptiveAvgPool2d: GlobalAveragePool -> Trunc
            self.pool, self.q, feat = bnn.TruncAdaptiveAvgPool2d(output_size=1, return_quant_tensor=True), None, 6
        self.fc = bnn.QuantLinear(feat, 5, bias=True, **Q.weight_kwargs(4), **Q.bias_kwargs())

    def forward(self, x):
        x = self.pool(self.a2(self.bn(self.dw(self.a1(self.c1(self.inp(x)))))))
        return self.fc((self.q(x) if self.q is not None else x).flatten(1))


@pytest.mark.parametrize("pool,kinds", [("avg", ["SumPool", "MultiThreshold"]), ("trunc", ["SumPool", "Shift"]),
                                        ("global-trunc", ["SumPool", "Shift"])])
def test_average_pool_forms(pool, kinds, tmp_path):
    torch.manual_seed(0)
    data = _data(128, shape=(1, 13, 6))
    model = _PoolNet(pool)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(15):
        loss = model(torch.from_numpy(data.x)).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    spec = SimpleNamespace(is_float=False, in_shape=(1, 13, 6))
    graph = export_qonnx_file(model, spec, tmp_path / "p.onnx")
    body = [n.kind for n in graph.body]
    i = body.index("SumPool")
    assert body[i : i + 2] == kinds and "DepthwiseConv2d" in body
    x = _data(300, seed=2, shape=(1, 13, 6)).x
    ints, logits = predict(graph, x)
    ref_q = qonnx_logits(tmp_path / "p.onnx", x[:40], graph.input_layout)
    model.fc.return_quant_tensor = True  # Brevitas' own output integers and scale
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    ref, scale = out.value.numpy(), np.float32(out.scale.item())
    assert np.array_equal(ints, out.int().numpy()) and graph.nodes[-1].scale == scale  # every form, bit for bit
    assert np.array_equal(logits, ints.astype(np.float32) * scale)
    if pool != "global-trunc":  # power-of-two scales up to the logits (Trunc over 2x2: s * 2**k / 4): exact
        assert np.array_equal(logits, ref) and np.array_equal(logits[:40], ref_q)
    else:  # s * 2**k / 9: the same integers times the same scale, but Brevitas computes its float value another
        # way (a float GEMM of dequantized inputs), and qonnx as Brevitas: at most one float32 rounding apart
        assert np.all(np.abs(logits - ref) <= np.spacing(np.abs(ref)))
        assert np.all(np.abs(logits[:40] - ref_q) <= np.spacing(np.abs(ref_q)))


# the float32 bound: every partial sum below 2**24 when max_c sum|w_c| * 255 = 9 * wmax * 255 < 2**24, i.e.
# wmax <= 7310 (16,776,450); 7311 gives 16,778,745 and the int64 reference. A bound off by one weight step picks
# the wrong kernel here; a float32 kernel past the bound rounds odd sums (channel 0 at the bound on 3 vectors)
@pytest.mark.parametrize("wmax,kind", [(7310, "depthwise-f32+threshold"), (7311, "reference")])
def test_plan_depthwise_step_exact_on_both_sides_of_the_bound(wmax, kind):
    from qnn.golden.plan import compile_plan
    from qnn.qtype import QType

    rng = np.random.default_rng(5)
    c = 5
    w = rng.integers(-wmax, wmax + 1, size=(c, 3, 3))
    w[0] = wmax  # channel 0 at the bound's edge: sum |w| * 255
    dw = N.DepthwiseConv2d("dw", weight=w, bias=rng.integers(-50, 50, size=c), in_type=QType(8, False),
                           weight_type=QType.for_range(-wmax, wmax), stride=(2, 1), pad=(1, 0, 1, 1))
    lo, hi = dw.acc_bounds
    t = np.sort(rng.integers(int(lo.min()), int(hi.max()), size=(c, 15)), axis=1)
    from qnn.ir.graph import IntGraph

    graph = IntGraph((N.Quantize("q", scale=np.float32(1 / 256), quant_type=QType(8, False)), dw,
                      N.MultiThreshold("mt", thresholds=t, in_type=dw.acc_type, out_type=QType(4, False)),
                      N.Flatten("f")), (c, 7, 6), "NCHW")
    plan = compile_plan(graph)
    assert plan.kinds[0] == kind
    x = rng.random((70, c, 7, 6), dtype=np.float32)
    x[:3] = 1.0  # the largest input everywhere: the accumulators at their bounds
    assert np.array_equal(plan.predict(x), run_integer(graph, quantize_input(graph, x)))


@pytest.mark.slow
def test_cli_dscnn_on_kws_golden_equals_brevitas_on_every_test_clip(tmp_path, capsys):
    """`qnn train --model kws-dscnn --dataset kws` then `qnn export`: golden == Brevitas on the whole test split
    (the embedded synthetic keywords: tests/conftest.py keeps the shell's QNN_DATA from the tests)."""
    from qnn.cli import main
    from qnn.data import load_dataset
    from qnn.run import Run
    from qnn.train import load_model

    run = tmp_path / "ds"
    assert main(["train", str(run), "--model", "kws-dscnn", "--dataset", "kws", "--channels", "16,16,16", "-w", "4",
                 "-a", "4", "--epochs", "1", "--threads", "1", "--quiet"]) == 0
    assert main(["export", str(run)]) == 0
    capsys.readouterr()
    r = Run(run)
    test = load_dataset("kws", "test", r.config["dataset"]["data_dir"])
    ref = predict_logits(load_model(r), test.x)
    _, logits = predict(r.graph(), test.x)
    assert len(test) >= 300 and np.array_equal(logits, ref)
