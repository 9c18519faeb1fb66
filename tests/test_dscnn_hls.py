"""hls4ml C simulation of DS-CNNs == golden, bit for bit: hls4ml's DepthwiseConv2D kernels with the IR's exact
types, and the QnnSumPool extension layer (global sum; the 1/N lives in the next thresholds)."""
import numpy as np
import pytest
from hls_helpers import small_graph

from hls.hls4ml.convert import convert
from hls.hls4ml.flow import build_project, random_vectors
from hls.hls4ml.options import HlsOptions
from qnn.errors import QnnError
from qnn.ir import nodes as N

GEOM = {"extra": {"kernel": (4, 3), "stride": (2, 2)}}


def _graph(tmp_path, w=4, a=4, in_shape=(1, 8, 6), channels=(4, 6)):
    return small_graph(tmp_path, "kws-dscnn", w, a, True, in_shape=in_shape, channels=channels, **GEOM)


def test_dscnn_io_stream_csim_bit_exact(tmp_path):
    graph = _graph(tmp_path)
    kinds = [n.kind for n in graph.body]
    assert {"DepthwiseConv2d", "SumPool"} <= set(kinds)
    res = build_project(graph, HlsOptions(io_type="io_stream"), tmp_path / "prj", random_vectors(graph, 150, seed=3))
    assert res.csim.vectors == 150 and res.csim.bit_exact, res.csim.first_mismatch.describe()
    params = (res.project / "firmware" / "parameters.h").read_text()
    assert "pool_height = " in params and "depthwise" in (res.project / "firmware" / "myproject.cpp").read_text()


def test_conversion_types_and_refusals(tmp_path):
    graph = _graph(tmp_path)
    conv = convert(graph, HlsOptions())
    by_class = {layer["class_name"]: (layer, conv.layer_config[layer["name"]]["Precision"])
                for layer in conv.layers}
    dw, prec = by_class["DepthwiseConv2D"]
    node = next(n for n in graph.body if isinstance(n, N.DepthwiseConv2d))
    assert dw["depthwise_data"].shape == (3, 3, node.channels, 1)
    assert np.array_equal(dw["depthwise_data"][..., 0].transpose(2, 0, 1), node.weight)
    assert prec["accum"] == prec["result"] == f"ap_int<{node.acc_type.bits}>"
    pool, pprec = by_class["QnnSumPool"]
    sp = next(n for n in graph.body if isinstance(n, N.SumPool))
    assert pprec["result"] == f"ap_uint<{sp.out_type.bits}>" and pool["in_height"] * pool["in_width"] == sp.divisor
    with pytest.raises(QnnError, match="no resource strategy"):
        convert(graph, HlsOptions(strategy="resource"))


@pytest.mark.hls
@pytest.mark.parametrize("w,a,io", [(4, 4, "io_parallel"), (2, 2, "io_stream"), (8, 8, "io_stream")])
def test_dscnn_csim_bit_exact_sizes(tmp_path, w, a, io):
    graph = _graph(tmp_path, w, a, in_shape=(1, 16, 10), channels=(8, 8, 12))
    res = build_project(graph, HlsOptions(io_type=io), tmp_path / "prj", random_vectors(graph, 300, seed=w))
    assert res.csim.vectors == 300 and res.csim.bit_exact, res.csim.first_mismatch.describe()


@pytest.mark.hls
def test_dscnn_trace_covers_depthwise_and_sumpool_and_names_a_changed_depthwise(tmp_path):
    from hls.hls4ml.csim import trace
    from hls.hls4ml.model import build_model

    graph = _graph(tmp_path)
    q = random_vectors(graph, 100, seed=7)
    model, conv = build_model(graph, HlsOptions(), tmp_path / "prj")
    same, compared = trace(model, conv, graph, q)
    body = list(graph.body)
    k = next(i for i, n in enumerate(body) if isinstance(n, N.DepthwiseConv2d))
    pool = next(i for i, n in enumerate(body) if isinstance(n, N.SumPool))
    assert same is None and conv.layer_map.hls_names[k] in compared and conv.layer_map.hls_names[pool] in compared
    dw = body[k]
    w = dw.weight.copy()
    w[1, 1, 1] += 1  # the centre tap of channel 1: every output pixel of that channel changes (unless its input is 0)
    nodes = list(graph.nodes)
    nodes[nodes.index(dw)] = dw.with_(weight=w)
    mism, compared = trace(model, conv, graph.with_nodes(nodes), q)
    assert mism is not None and mism.ir_node == dw.name and mism.index[-1] == 1
    assert compared == conv.layer_map.hls_names[: k + 1]


@pytest.mark.parametrize("io", ["io_stream", pytest.param("io_parallel", marks=pytest.mark.hls)])
def test_windowed_sumpool_csim_bit_exact(tmp_path, io):
    """nn.AvgPool2d((3, 2)) + a quantizer: a windowed SumPool (stride == kernel), 1/N in the next thresholds."""
    from types import SimpleNamespace

    import torch
    from test_dscnn_golden import _data, _PoolNet

    from qnn.export import export_qonnx_file

    torch.manual_seed(1)
    model = _PoolNet("avg").train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.from_numpy(_data(64, shape=(1, 13, 6)).x))
    graph = export_qonnx_file(model.eval(), SimpleNamespace(is_float=False, in_shape=(1, 13, 6)), tmp_path / "p.onnx")
    pool = next(n for n in graph.body if isinstance(n, N.SumPool))
    assert not pool.global_pool and pool.kernel == (3, 2) == pool.stride
    res = build_project(graph, HlsOptions(io_type=io), tmp_path / "prj", random_vectors(graph, 150, seed=4))
    assert res.csim.vectors == 150 and res.csim.bit_exact, res.csim.first_mismatch.describe()
    if io == "io_stream":
        overlapping = graph.with_nodes([n.with_(stride=(1, 1)) if n is pool else n for n in graph.nodes])
        with pytest.raises(QnnError, match="stride == kernel"):
            convert(overlapping, HlsOptions(io_type="io_stream"))
