"""The properties, each a function that raises AssertionError naming what differs; ``COUNTS`` tallies every network
generated and every property checked (the suite's conftest writes and prints them at the end of the session).

- brevitas_golden: Brevitas' float32 forward == the golden model's logits, bit for bit, identical argmax;
- golden_qonnx: the golden model == qonnx's execution of the exported file, bit for bit (the IR read with
  onnxruntime's BatchNorm rounding; brevitas_golden uses PyTorch's, see qnn.ir.float_semantics);
- passes: every streamlining pass leaves the graph's outputs identical (the raw graph == Brevitas, too); a model the
  toolkit must refuse (``netgen.refuses``) is refused with the reason named, and only those;
- golden_int64: the golden model's BLAS path == its int64 path;
- serialize: the IR saved and loaded is the same graph (same JSON, same arrays, same outputs);
- hls_csim / rtl: hls4ml C simulation and RTL simulation == golden, as integers (the sampled, marked subset).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import torch
from netgen import NetConfig, build, features, inputs, refuses

from qnn.errors import QnnError
from qnn.evaluate import qonnx_logits
from qnn.export import export_qonnx
from qnn.golden import execute, predict
from qnn.ir.from_qonnx import load_qonnx, read_qonnx
from qnn.ir.passes import STREAMLINE, streamline
from qnn.ir.serialize import load_graph, save_graph, to_json_npz
from qnn.models.spec import ModelSpec

COUNTS: Counter = Counter()


class Net:
    """One generated network: Brevitas model, its QONNX file, the raw and the streamlined IR, float inputs."""

    def __init__(self, cfg: NetConfig, folder: Path, n_inputs: int = 16) -> None:
        self.cfg = cfg
        self.model = build(cfg)
        self.path = Path(folder) / "model.onnx"
        export_qonnx(self.model, ModelSpec(weight_bits=cfg.weight_bits, act_bits=cfg.act_bits,
                                           in_shape=cfg.in_shape), self.path)
        self.loaded = load_qonnx(self.path)  # cleaned once; read again by golden_qonnx
        self.raw = read_qonnx(self.loaded)
        self.stages = [self.raw]  # the graph after each pass of STREAMLINE (checked by ``passes``)
        for p in STREAMLINE:
            self.stages.append(p(self.stages[-1]))
        self.graph, self.refusal = self.stages[-1], None
        if not self.graph.is_streamlined:
            try:
                streamline(self.raw)
                raise AssertionError("streamline() accepted a graph that is not streamlined")
            except QnnError as e:
                self.graph, self.refusal = None, str(e)
        self.x = inputs(cfg, n_inputs)
        with torch.no_grad():
            self.brevitas = self.model(torch.from_numpy(self.x)).numpy()
        COUNTS["networks"] += 1
        COUNTS[f"networks_{cfg.arch}"] += 1
        COUNTS.update(f"feature_{f}" for f in features(cfg))


def _same(a: np.ndarray, b: np.ndarray, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    if not np.array_equal(a, b):
        bad = np.argwhere(a != b)[0]
        raise AssertionError(f"{what}: first difference at {tuple(bad)}: {a[tuple(bad)]!r} vs {b[tuple(bad)]!r} "
                             f"({int((a != b).sum())} of {a.size} values differ, max |diff| "
                             f"{np.abs(a.astype(np.float64) - b.astype(np.float64)).max():.6g})")


def brevitas_golden(net: Net) -> None:
    _, logits = predict(net.graph, net.x)
    _same(logits.argmax(1), net.brevitas.argmax(1), "golden vs Brevitas argmax")
    _same(logits.astype(np.float32), net.brevitas.astype(np.float32), "golden vs Brevitas logits")
    COUNTS["brevitas_golden"] += 1


def golden_qonnx(net: Net, n: int = 2) -> None:
    ref = qonnx_logits(net.path, net.x[:n], net.graph.input_layout).astype(np.float32)
    # BatchNorm rounded as onnxruntime rounds it (qnn.ir.float_semantics; net.graph follows PyTorch)
    graph = streamline(read_qonnx(net.loaded, batchnorm="onnx"))
    _, logits = predict(graph, net.x[:n])
    _same(logits.astype(np.float32), ref, "golden vs qonnx execution logits")
    COUNTS["golden_qonnx"] += 1


def passes(net: Net) -> None:
    ref = execute(net.raw, net.x)
    _same(np.asarray(ref, np.float32), net.brevitas.astype(np.float32), "raw IR (before passes) vs Brevitas")
    for p, g in zip(STREAMLINE, net.stages[1:], strict=True):
        out = execute(g, net.x)
        assert out.dtype == ref.dtype, f"pass {p.__name__} changed the output dtype {ref.dtype} -> {out.dtype}"
        _same(out, ref, f"pass {p.__name__}")
        COUNTS[f"pass_{p.__name__}"] += 1
    COUNTS["passes"] += 1


def refusal(net: Net) -> None:
    must = refuses(net.cfg, net.model)
    assert must == (net.refusal is not None), f"expected {'a refusal' if must else 'no refusal'}, got {net.refusal}"
    if must:
        assert "max-pool" in net.refusal and "negative gamma" in net.refusal, net.refusal
        COUNTS["refused_pool_before_decreasing_bn"] += 1


def golden_int64(net: Net) -> None:
    _same(execute(net.graph, net.x, force_int64=True), execute(net.graph, net.x), "golden int64 vs BLAS path")
    COUNTS["golden_int64"] += 1


def serialize(net: Net, folder: Path) -> None:
    save_graph(net.graph, Path(folder) / "ir")
    back = load_graph(Path(folder) / "ir")
    (t1, a1), (t2, a2) = to_json_npz(net.graph), to_json_npz(back)
    assert t1 == t2, "graph.json differs after a round trip"
    blob1, blob2 = np.load(_io(a1)), np.load(_io(a2))
    assert sorted(blob1.files) == sorted(blob2.files)
    for k in blob1.files:
        assert blob1[k].dtype == blob2[k].dtype and np.array_equal(blob1[k], blob2[k]), f"array {k} differs"
    _same(execute(back, net.x), execute(net.graph, net.x), "golden of the loaded IR")
    COUNTS["serialize"] += 1


def _io(blob):
    import io

    return io.BytesIO(blob) if isinstance(blob, bytes | bytearray) else blob


def all_fast(net: Net, folder: Path) -> None:
    """Every property of the fast suite on one network."""
    passes(net)
    refusal(net)
    if net.graph is None:
        return
    brevitas_golden(net)
    golden_int64(net)
    serialize(net, folder)
    golden_qonnx(net)
