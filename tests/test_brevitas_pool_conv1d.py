"""Models as Brevitas users write them: ``brevitas.nn`` layers with Brevitas' default quantizers (float scales; some
per-channel weight scales), a few training steps on random data, ``brevitas.export.export_qonnx``, then
``qnn.importer.import_model(..., dataset="none")``, whose own check is golden == qonnx's execution of the file
(16 random inputs of the input type here; ``CheckFailed`` otherwise), then the same check on 64 inputs whose
amplitude and channel offsets vary (i.i.d. uniform inputs average out to nearly one mean).

- mean pooling as ONNX ``ReduceMean`` (``x.mean((2, 3))``, keepdim or not, axes as an input at opset 20 and as an
  attribute at opset 13), a global pool flattened before its quantizer, ``nn.AvgPool2d`` with zero padding counted;
- 1-D convolutions over [N, C, L] (``QuantConv1d``, depthwise too, ``nn.MaxPool1d``, ``nn.AvgPool1d``,
  ``nn.AdaptiveAvgPool1d``, ``x.mean(2)``), read as IR images [N, 1, L, C];
- refusals, one line naming the node and what would work.

Hardware: hls4ml C simulation and RTL simulation bit-exact against the golden model (one C simulation unmarked;
the rest under the ``hls`` / ``rtl`` markers)."""
from __future__ import annotations

import json
import warnings

import brevitas.nn as qnn
import numpy as np
import onnx
import pytest
import torch
from brevitas.quant import Int8WeightPerChannelFloat
from torch import nn

from qnn.errors import QnnError, UnsupportedOp
from qnn.importer import import_model

PER_CHANNEL = {"weight_quant": Int8WeightPerChannelFloat}


class Mean(nn.Module):
    def __init__(self, dims, keepdim: bool) -> None:
        super().__init__()
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        return x.mean(self.dims, keepdim=self.keepdim)


class Net2d(nn.Module):
    """QuantIdentity -> QuantConv2d -> QuantReLU -> pool -> (QuantIdentity, flatten or flatten, QuantIdentity) ->
    QuantLinear."""

    def __init__(self, pool, feat: int = 6, per_channel: bool = True, flatten_first: bool = False) -> None:
        super().__init__()
        self.inp = qnn.QuantIdentity(return_quant_tensor=True)
        self.conv = qnn.QuantConv2d(2, 6, 3, bias=True, **(PER_CHANNEL if per_channel else {}))
        self.act = qnn.QuantReLU()
        self.pool, self.flatten_first = pool, flatten_first
        self.q = qnn.QuantIdentity(return_quant_tensor=True)
        self.fc = qnn.QuantLinear(feat, 4, bias=True)

    def forward(self, x):
        x = self.pool(self.act(self.conv(self.inp(x))))
        return self.fc(self.q(x.flatten(1)) if self.flatten_first else self.q(x).flatten(1))


class Net1d(nn.Module):
    """A keyword-spotting-style 1-D CNN over [N, C, L] (MFCC coefficients as channels over time): QuantIdentity ->
    QuantConv1d (padding 1) -> QuantReLU -> QuantConv1d (stride 2, maybe depthwise) -> QuantReLU -> pool ->
    QuantIdentity (after an average) -> flatten -> QuantLinear."""

    def __init__(self, pool, feat: int, depthwise: bool = False, requant: bool = True) -> None:
        super().__init__()
        self.inp = qnn.QuantIdentity(return_quant_tensor=True)
        self.c1 = qnn.QuantConv1d(10, 8, 3, padding=1, bias=True, **PER_CHANNEL)
        self.a1 = qnn.QuantReLU(return_quant_tensor=True)
        self.c2 = qnn.QuantConv1d(8, 8, 3, stride=2, bias=True, groups=8 if depthwise else 1)
        self.a2 = qnn.QuantReLU(return_quant_tensor=not requant)
        self.pool = pool
        self.q = qnn.QuantIdentity(return_quant_tensor=True) if requant else nn.Identity()
        self.fc = qnn.QuantLinear(feat, 5, bias=True)

    def forward(self, x):
        return self.fc(self.q(self.pool(self.a2(self.c2(self.a1(self.c1(self.inp(x))))))).flatten(1))


IMG, SIG = (2, 7, 7), (10, 25)
# name: (model, input shape without batch, export keyword arguments, IR kinds that must appear in this order)
MODELS = {
    "mean": (lambda: Net2d(Mean((2, 3), False)), IMG, {}, ["SumPool", "Flatten", "MultiThreshold", "Dense"]),
    "mean-keepdim-opset13": (lambda: Net2d(Mean((-1, -2), True), per_channel=False), IMG, {"opset_version": 13},
                             ["SumPool", "MultiThreshold", "Flatten", "Dense"]),
    "gap-flatten-first": (lambda: Net2d(nn.AdaptiveAvgPool2d((1, 1)), flatten_first=True), IMG, {},
                          ["SumPool", "Flatten", "MultiThreshold", "Dense"]),
    "avgpool-padded": (lambda: Net2d(nn.AvgPool2d(3, 2, padding=1), feat=6 * 3 * 3), IMG, {},
                       ["DepthwiseConv2d", "MultiThreshold", "Flatten", "Dense"]),
    "conv1d-maxpool": (lambda: Net1d(nn.MaxPool1d(2), 8 * 6, requant=False), SIG, {},
                       ["Conv2d", "MultiThreshold", "Conv2d", "MultiThreshold", "MaxPool", "Flatten", "Dense"]),
    "conv1d-dw-mean": (lambda: Net1d(Mean(2, False), 8, depthwise=True), SIG, {},
                       ["Conv2d", "DepthwiseConv2d", "SumPool", "Flatten", "MultiThreshold", "Dense"]),
    "conv1d-avgpool": (lambda: Net1d(nn.AvgPool1d(3), 8 * 4), SIG, {"opset_version": 13},
                       ["Conv2d", "Conv2d", "SumPool", "MultiThreshold", "Flatten", "Dense"]),
    "conv1d-adaptive": (lambda: Net1d(nn.AdaptiveAvgPool1d(1), 8), SIG, {},
                        ["Conv2d", "Conv2d", "SumPool", "MultiThreshold", "Flatten", "Dense"]),
}


def _export(model: nn.Module, shape, path, **kw):
    from brevitas.export import export_qonnx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_qonnx(model.eval(), input_t=torch.rand(1, *shape), export_path=str(path), dynamo=False, **kw)
    return path


def _trained(name: str, seed: int = 0) -> tuple[nn.Module, tuple]:
    """The model after 6 Adam steps on random inputs, labelled by which quarter of the first channel has the
    largest mean (activation scales, weights and biases moved off their initial values)."""
    make, shape, _, _ = MODELS[name]
    torch.manual_seed(seed)
    model = make()
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    model.train()
    for _ in range(6):
        x = torch.rand(32, *shape)
        y = x[:, 0].reshape(32, 4, -1).mean(2).argmax(1) if x[0, 0].numel() % 4 == 0 else \
            x[:, 0].reshape(32, -1)[:, :24].reshape(32, 4, 6).mean(2).argmax(1)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), shape


def _imported(tmp_path, name: str):
    model, shape = _trained(name)
    path = _export(model, shape, tmp_path / f"{name}.onnx", **MODELS[name][2])
    run = import_model(path, tmp_path / "run", dataset="none", check=16)  # CheckFailed if golden != qonnx
    return run, path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """Each model imported once per module (the hardware tests reuse the runs)."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = _imported(tmp_path_factory.mktemp(name), name)
        return cache[name]

    return get


def _in_order(kinds: list[str], want: list[str]) -> bool:
    it = iter(kinds)
    return all(k in it for k in want)


def structured_inputs(shape, n: int = 64, seed: int = 3) -> np.ndarray:
    """Inputs in [-1, 1] whose per-vector amplitude and per-channel offsets vary, so that window and global means
    spread over many levels (i.i.d. uniform inputs average out to nearly the same mean)."""
    rng = np.random.default_rng(seed)
    ones = (1,) * (len(shape) - 1)
    x = rng.uniform(-1, 1, (n, *shape)) * rng.random((n, 1, *ones)) + rng.uniform(-0.6, 0.6, (n, shape[0], *ones))
    return np.clip(x, -1, 1).astype(np.float32)


@pytest.mark.parametrize("name", list(MODELS))
def test_import_golden_equals_qonnx(imported, name):
    """The import's check (16 random inputs) passed; golden == qonnx's execution on 64 structured inputs too (the
    exactness contract of ``qnn.checks``: every quantizer level and the logits), on a model whose outputs vary."""
    from qnn.evaluate import check_qonnx
    from qnn.golden import predict

    run, path = imported(name)
    check = json.loads((run.path / "metrics.json").read_text())["import_check"]
    assert check["ok"] and check["n"] == 16
    graph = run.graph()
    kinds = [n.kind for n in graph.body]
    assert _in_order(kinds, MODELS[name][3]), kinds
    x = structured_inputs(MODELS[name][1])
    res = check_qonnx(graph, path, x)  # CheckFailed on a difference
    assert res["ok"] and res["n"] == 64
    _, logits = predict(graph, x)
    assert len(np.unique(logits, axis=0)) > 48  # not a constant model
    ops = [n.op_type for n in onnx.load(path).graph.node]
    if name.startswith("conv1d"):  # [N, C, L] -> the IR image [C, 1, L] (NCHW), kernels 1 x K
        assert graph.input_shape == (10, 1, 25) and graph.meta["onnx_input_shape"] == [10, 25]
        assert all(n.weight.shape[1] == 1 for n in graph.body if n.kind in ("Conv2d", "DepthwiseConv2d"))
    if "mean" in name:
        mean = next(n for n in onnx.load(path).graph.node if n.op_type == "ReduceMean")
        as_attr = any(a.name == "axes" for a in mean.attribute)
        assert as_attr == ("opset13" in name) and len(mean.input) == 1 + (not as_attr)
    else:
        assert "ReduceMean" not in ops


def test_conv1d_weights_and_flatten_order(imported):
    """Conv1d weight [O, I, K] -> [O, 1, K, I]; the Dense after the 1-D flatten reads ONNX's (c, l) columns in the
    IR's channels-last (l, c) order."""
    run, path = imported("conv1d-maxpool")
    graph = run.graph()
    model = onnx.load(path)
    from onnx import numpy_helper

    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    w_quant = next(n for n in model.graph.node if n.output[0] == conv.input[1])
    w, s = inits[w_quant.input[0]], inits[w_quant.input[1]]
    want = np.clip(np.round(w / s), -127, 127).astype(np.int64)  # [O, I, K], Brevitas' narrow 8-bit
    c1 = graph.body[0]
    assert c1.weight.shape == (8, 1, 3, 10) and np.array_equal(c1.weight[:, 0], want.transpose(0, 2, 1))
    assert c1.pad == (0, 1, 0, 1) and tuple(c1.stride) == (1, 1) and tuple(graph.body[2].stride) == (1, 2)
    dense = next(n for n in graph.body if n.kind == "Dense")
    gemm_w = next(n for n in model.graph.node if n.op_type == "Gemm")
    fq = next(n for n in model.graph.node if n.output[0] == gemm_w.input[1])
    wf = np.clip(np.round(inits[fq.input[0]] / inits[fq.input[1]]), -127, 127).astype(np.int64)  # [5, C * L]
    assert np.array_equal(dense.weight, wf.reshape(5, 8, 6).transpose(0, 2, 1).reshape(5, -1))


def _refused(tmp_path, model, shape, **kw) -> str:
    path = _export(model, shape, tmp_path / "r.onnx", **kw)
    with pytest.raises(QnnError) as e:
        import_model(path, tmp_path / "r", dataset="none")
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and not (tmp_path / "r").exists()
    return msg


def test_refusals(tmp_path):
    msg = _refused(tmp_path, Net2d(Mean(1, True), feat=25), IMG)  # the mean over channels
    assert "node /pool/ReduceMean: ReduceMean over axes [1] of a tensor of rank 4" in msg
    assert "only the mean over the spatial axes [2, 3]" in msg
    msg = _refused(tmp_path, Net2d(nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), feat=54), IMG)
    assert "node /pool/AveragePool: AveragePool with padding and count_include_pad=0" in msg
    assert "use count_include_pad=1" in msg
    net = Net1d(nn.MaxPool1d(2), 8 * 6, requant=False)
    net.c1 = qnn.QuantConv1d(10, 8, 3, padding=2, dilation=2, bias=True)
    assert "node /c1/Conv: dilated Conv is not supported; use dilations=1" in _refused(tmp_path, net, SIG)


def test_1d_input_refuses_a_dataset_of_another_shape(tmp_path):
    """A [N, C, L] model takes [C, L] samples (or [C, 1, L]); MNIST's [1, 28, 28] are not read as [28, 28]."""
    from qnn.export import graph_from_qonnx
    from qnn.golden.execute import to_channels_last

    net = Net1d(nn.MaxPool1d(2), 8 * 6, requant=False)
    net.c1 = qnn.QuantConv1d(28, 8, 3, padding=1, bias=True)
    path = _export(net, (28, 28), tmp_path / "m.onnx")
    with pytest.raises(QnnError, match=r"the model input \[28, 1, 28\] \(NCHW\) does not fit mnist samples of shape "
                                       r"\[1, 28, 28\]; use --dataset none"):
        import_model(path, tmp_path / "r", dataset="mnist")
    graph = graph_from_qonnx(path)
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert to_channels_last(graph, x).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="not the model's 1-D input"):
        to_channels_last(graph, x[:, None])


def test_unsupported_op_message_names_reduce_mean(tmp_path):
    """ReduceMean of a vector: refused naming the node (not 'op ReduceMean is not supported')."""
    from qonnx_builders import GraphBuilder

    b = GraphBuilder([1, 8])
    y = b.node("ReduceMean", [b.quant("inp", 0.5, bits=4)], name="rm", axes=[1], keepdims=0)
    path = b.build(y, [1], tmp_path / "v.onnx")
    with pytest.raises(UnsupportedOp, match=r"node rm: ReduceMean over axes \[1\] of a tensor of rank 2"):
        import_model(path, tmp_path / "r", dataset="none")


# hardware ------------------------------------------------------------------------------------------------------
HW_FAST = "conv1d-maxpool"
HLS = [(HW_FAST, "io_parallel"), *(pytest.param(k, "io_parallel", marks=pytest.mark.hls) for k in MODELS if k != HW_FAST),
       *(pytest.param(k, "io_stream", marks=pytest.mark.hls) for k in ("conv1d-maxpool", "conv1d-dw-mean"))]
RTL = [pytest.param(k, marks=pytest.mark.rtl) for k in MODELS]


@pytest.mark.parametrize("name,io_type", HLS)
def test_hls_csim_equals_golden(imported, tmp_path, name, io_type):
    from hls.hls4ml.flow import build_project, random_vectors
    from hls.hls4ml.options import HlsOptions

    graph = imported(name)[0].graph()
    q = random_vectors(graph, 200)  # over the input type's whole range
    res = build_project(graph, HlsOptions(io_type=io_type), tmp_path / "prj", q)
    assert res.csim.vectors == 200 and res.csim.bit_exact, res.csim.first_mismatch.describe()


@pytest.mark.parametrize("name", RTL)
def test_rtl_equals_golden(imported, tmp_path, name):
    from hls.hls4ml.flow import random_vectors
    from hls.rtlgen import generate_rtl
    from sim.network import simulate

    graph = imported(name)[0].graph()
    generate_rtl(graph, tmp_path / "rtl", target_cycles=200)
    q = random_vectors(graph, 60)
    res = simulate(tmp_path / "rtl", graph, q, simulator="verilator", work_dir=tmp_path / "sim",
                   throughput_vectors=6, gap=0.3, backpressure=0.4)
    assert res.vectors == 60 and res.exact == res.vectors, res.first_mismatch()
