"""Small exported models and run directories for the RTL tests (seconds to build, no training)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from qnn.export import export_qonnx_file
from qnn.ir.serialize import save_graph
from qnn.models import build_model, spec_from_preset
from qnn.run import Run


def make_graph(tmp: Path, preset: str = "tfc", w: int = 2, a: int = 2, hidden=(16, 16), channels=None,
               in_shape=(1, 28, 28), seed: int = 0):
    """A Brevitas model with moved BatchNorm statistics, exported and streamlined into an IntGraph."""
    torch.manual_seed(seed)
    kw = {"channels": tuple(channels)} if channels else {}
    spec = spec_from_preset(preset, in_shape=in_shape, num_classes=10, weight_bits=w, act_bits=a,
                            hidden=tuple(hidden), **kw)
    m = build_model(spec)
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(64, *in_shape))
    m.eval()
    tmp.mkdir(parents=True, exist_ok=True)
    return export_qonnx_file(m, spec, tmp / "model.onnx"), spec


def make_run(tmp: Path, **kw) -> Run:
    """A run directory with config.json (embedded MNIST) and ir/, as `qnn export` leaves it."""
    graph, spec = make_graph(tmp / "export", **kw)
    run = Run(tmp / "run")
    run.write_config({"dataset": {"name": "mnist", "data_dir": None, "options": {}}, "model": spec.to_dict()})
    save_graph(graph, run.ir_dir)
    return run


def random_inputs(graph, n: int, seed: int = 0) -> np.ndarray:
    """Quantized random inputs in [0, 1) for graphs whose shape is not MNIST's."""
    from qnn.golden.execute import quantize_input

    x = np.random.default_rng(seed).random((n, *graph.input_shape), dtype=np.float32)
    return quantize_input(graph, x)


def corrupt_weight(rtl_dir: Path, design, graph, q: np.ndarray, layer: int) -> dict:
    """Flip the top bit of one weight of matrix layer ``layer`` in its generated ROM (``<name>_weights.mem``).

    The weight (output channel o, input i) is the first one whose change alters the network's output on some
    vector of ``q`` (found by running the golden model with the corrupted weight), so the simulation must fail
    and the layer probe must find it; when no weight does (thresholds far from every accumulator), the first
    that alters the layer's own output (found with ``trace``).  Returns the layer name, o, i, ``vector``: the
    first vector whose network output changes (None if none), ``layer_vector``: the first whose layer output
    changes, and that vector's layer output with the corrupted weight (``layer_out``) and without
    (``golden_out``)."""
    import dataclasses

    from hls.rtlgen.encoding import Encoding
    from hls.rtlgen.memfile import mvu_weight_fields
    from qnn.golden.execute import apply_node, run_integer

    ly = design.layers[layer]
    body = list(graph.body)
    k = next(j for j, n in enumerate(body) if n.name == ly["name"])
    node = body[k]
    w = node.weight.reshape(node.weight.shape[0], -1)
    enc = Encoding.for_type(node.weight_type)
    x = q
    for n in body[:k]:
        x = apply_node(n, x)
    ref = run_integer(graph, q).reshape(len(q), -1)
    dense = x[0].size == w.shape[1]
    gold = apply_node(node, x)
    found = fallback = None
    for i in (np.flatnonzero(x.reshape(len(q), -1).any(axis=0)) if dense else range(w.shape[1])):
        for o in range(w.shape[0]):
            w2 = w.copy()
            w2[o, i] = enc.decode(enc.encode(w2[o, i]) ^ (1 << (enc.bits - 1)))
            layer_out = y = apply_node(dataclasses.replace(node, weight=w2.reshape(node.weight.shape)), x)
            lv = np.flatnonzero((layer_out != gold).reshape(len(q), -1).any(axis=1))
            if not len(lv):
                continue
            for n in body[k + 1:]:
                y = apply_node(n, y)
            changed = np.flatnonzero((y.reshape(len(q), -1) != ref).any(axis=1))
            cand = int(o), int(i), int(changed[0]) if len(changed) else None, int(lv[0]), layer_out
            fallback = fallback or cand
            if len(changed):
                found = cand
                break
        if found:
            break
    found = found or fallback
    if found is None:
        raise AssertionError("no single-weight corruption changes the layer's output")
    o, i, v, lv, layer_out = found
    fields = mvu_weight_fields(np.arange(w.size).reshape(w.shape), ly["pe"], ly["simd"])
    word, field = (int(a[0]) for a in np.nonzero(fields == o * w.shape[1] + i))
    rom = Path(rtl_dir) / f"{ly['name']}_weights.mem"
    lines = rom.read_text().split()
    bit = field * enc.bits + enc.bits - 1
    lines[word] = format(int(lines[word], 16) ^ (1 << bit), f"0{len(lines[word])}x")
    rom.write_text("\n".join(lines) + "\n")
    at = v if v is not None else lv
    return {"layer": ly["name"], "o": o, "i": i, "vector": v, "layer_vector": lv, "layer_out": layer_out[at],
            "golden_out": gold[at]}
