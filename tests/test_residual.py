"""Residual blocks as Brevitas users write them (QuantEltwiseAdd, or ``+`` of two tensors through one shared
quantizer): read into one IR ``Residual`` node (two integer sub-chains and an exact integer sum on a common grid),
executed by the golden model, equal to qonnx's execution at every quantizer (inside the branches too) and to the
module's own forward; serialized and read back; the common grid exact for any float32 scales."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from brevitas_builders import train_steps
from residual_builders import resnet8, tiny_residual

from qnn.checks import tail_tolerance
from qnn.checks.levels import compare_levels, raise_if_failed
from qnn.cli import main
from qnn.errors import CheckFailed
from qnn.golden import execute, predict
from qnn.ir import nodes as N
from qnn.ir.from_qonnx import load_qonnx
from qnn.ir.qonnx.ops_residual import common_grid
from qnn.ir.serialize import load_graph, save_graph
from qnn.vectors import random_float_inputs


@pytest.fixture(scope="module", params=["eltwise", "shared"])
def tiny(request, tmp_path_factory):
    import qnn

    torch.manual_seed(0)
    m = tiny_residual(request.param)
    train_steps(m, (1, 1, 8, 8))
    res = qnn.from_brevitas(m, torch.zeros(1, 1, 8, 8), tmp_path_factory.mktemp("res") / "run", vectors=128)
    return m, res


def test_residual_block_is_one_exact_node(tiny):
    _, res = tiny
    graph = res.run.graph()
    (block,) = [n for n in graph.nodes if isinstance(n, N.Residual)]
    assert block.branch and all(n.is_integer for n in (*block.branch, *block.skip)) and graph.is_streamlined
    assert sum(isinstance(n, N.Conv2d) for n in block.branch) == 2
    chk = res.import_check
    assert chk["ok"] and chk["boundary_cases"] == 0 and not chk["not_compared"]
    inner = {n.name for n in (*block.branch, *block.skip) if isinstance(n, N.MultiThreshold)}
    assert inner <= set(chk["layers"])  # the quantizers inside the block were compared too
    assert res.module_check["ok"] and res.module_check["quantizers_compared"] >= 6


def test_residual_serializes_and_runs_the_same(tiny, tmp_path):
    _, res = tiny
    graph = res.run.graph()
    save_graph(graph, tmp_path / "ir")
    back = load_graph(tmp_path / "ir")
    x = random_float_inputs(graph, 32)
    assert np.array_equal(execute(graph, x), execute(back, x))
    assert back.summary() == graph.summary()
    assert np.array_equal(predict(graph, x)[0], predict(back, x)[0])  # the compiled plan runs it too


def test_wrong_multiplier_is_caught_after_the_add(tiny):
    _, res = tiny
    graph = res.run.graph()
    nodes = list(graph.nodes)
    i = next(k for k, n in enumerate(nodes) if isinstance(n, N.Residual))
    nodes[i] = nodes[i].with_(mul_b=np.asarray(nodes[i].mul_b) * 2)  # the skip counted twice
    bad = graph.with_nodes(nodes)
    x = random_float_inputs(graph, 16)
    with pytest.raises(CheckFailed, match=rf"at quantizer {nodes[i + 1].name}"):
        raise_if_failed(compare_levels(bad, load_qonnx(res.run.onnx), x, tail_tolerance(graph)))


@pytest.mark.parametrize("sa,sb", [(0.243094, 0.0319375), (0.5, 0.125), (3e-5, 0.7), (0.1, 0.1)])
def test_common_grid_is_exact(sa, sb):
    ma, mb, s = common_grid(np.float32(sa), np.float32(sb))
    for m, v in ((ma, sa), (mb, sb)):
        assert int(m) * float(s) == float(np.float32(v))  # exact as real numbers (float64 holds the product)
    if sa / sb == 4.0:
        assert (int(ma), int(mb)) == (4, 1)  # powers of two stay shifts
    if sa == sb:
        assert int(ma) == int(mb) == 1


def test_hardware_refuses_residual_in_one_line(tiny, capsys):
    _, res = tiny
    assert main(["rtl", str(res.run.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "residual block has no RTL generation yet" in err[0]


def test_resnet8_style_imports_exactly(tmp_path):
    """Three basic blocks, two of them strided with a 1x1 conv + BatchNorm on the skip, global average pooling."""
    import qnn

    torch.manual_seed(0)
    m = resnet8(channels=(4, 8, 8))
    train_steps(m, (1, 1, 28, 28))
    res = qnn.from_brevitas(m, torch.zeros(1, 1, 28, 28), tmp_path / "run", vectors=32, check=16)
    blocks = [n for n in res.run.graph().nodes if isinstance(n, N.Residual)]
    assert len(blocks) == 3 and sum(bool(b.skip) and any(isinstance(n, N.Conv2d) for n in b.skip)
                                    for b in blocks) == 2
    assert res.import_check["ok"] and res.module_check["ok"]
