"""The layer probe: each layer's output stream inside ``qnn_top``, compared with the golden model's layer outputs.

The generator puts a ``qnn_tap`` on every stream that carries an IR node's output (``Stage.probe``: a matrix
unit's accumulators = the Dense/Conv2d node, a requantizer = its MultiThreshold/Shift node, a max-pool); a
probe run records the words of chosen frames.  Streams are channels-last (pixels row-major, channels within a
pixel, ``out_elems`` per word), which is the golden tensor of that node flattened in its own layout, so a
differing element index names a pixel and a channel directly.  The first tap in stream order that differs is
the first layer that differs: everything before it agrees.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hls.rtlgen.design import Design
from hls.rtlgen.encoding import Encoding
from qnn.golden.execute import run_integer
from qnn.ir.graph import IntGraph
from sim.harness.vectors import parse_word, unpack

WHAT = {"qnn_mvu": "accumulators", "qnn_thresh": "thresholds", "qnn_shift": "shift", "qnn_maxpool": "max-pool"}


@dataclass(frozen=True)
class Tap:
    stream: int  # s<stream> in qnn_top: the output of stage stream-1
    stage: str
    module: str
    node: str  # IR node whose output the stream carries
    elems: int  # elements per word
    enc: Encoding
    frame_elems: int


def taps(design: Design) -> list[Tap]:
    """The design's layer taps in stream order (none for designs generated before the probe existed)."""
    return [Tap(k + 1, s["name"], s["module"], s["layer"], int(s["out_elems"]), Encoding.from_dict(s["out_enc"]),
                int(s["frame_elems"])) for k, s in enumerate(design.stages) if s.get("probe")]


def golden_layers(graph: IntGraph, q: np.ndarray) -> dict[str, np.ndarray]:
    """Every body node's output for the vectors ``q`` [n, ...]: name -> array [n, ...] (channels-last)."""
    return {node.name: out for node, out in zip(graph.body, run_integer(graph, q, trace=True))}


def _position(shape: tuple[int, ...], index: int) -> str:
    if len(shape) == 3:
        h, w, c = np.unravel_index(index, shape)
        return f"pixel ({h}, {w}), channel {c}"
    return f"channel {index}" if len(shape) == 1 else f"element {np.unravel_index(index, shape)}"


def compare_taps(design: Design, graph: IntGraph, q: np.ndarray, vector0: int, probes: dict[int, list[str]]) -> list[dict]:
    """Compare the recorded frames (the vectors ``q``, numbered from ``vector0``) tap by tap with golden.

    Returns one row per tap: layer, stage, what, vectors compared, vectors that differ and the first
    difference (vector, index, position, got, expected, values differing in that vector) or None."""
    count = len(q)
    gold = golden_layers(graph, q)
    rows = []
    for t in taps(design):
        exp_all = gold.get(t.node)
        row = {"layer": t.node, "stage": t.stage, "what": WHAT.get(t.module, t.module), "stream": t.stream,
               "vectors": count, "differ": 0, "first": None}
        if exp_all is None:
            row["error"] = f"no golden output for node {t.node}"
            rows.append(row)
            continue
        words = [parse_word(w) for w in probes.get(t.stream, [])]
        got = unpack(words, t.elems, t.enc) if words else np.zeros(0, dtype=np.int64)
        shape = exp_all.shape[1:]
        per = int(np.prod(shape))
        for v in range(count):
            exp = exp_all[v].reshape(-1)
            g = got[v * per:(v + 1) * per]
            if len(g) < per:
                diff = {"vector": vector0 + v, "index": len(g), "position": _position(shape, len(g)),
                        "got": None, "expected": int(exp[len(g)]), "values_differ": per - len(g),
                        "values": per, "missing": per - len(g)}
            else:
                bad = np.flatnonzero(g != exp)
                if not len(bad):
                    continue
                i = int(bad[0])
                diff = {"vector": vector0 + v, "index": i, "position": _position(shape, i), "got": int(g[i]),
                        "expected": int(exp[i]), "values_differ": int(len(bad)), "values": per, "missing": 0}
            row["differ"] += 1
            if row["first"] is None:
                row["first"] = diff
        rows.append(row)
    return rows


def first_layer(rows: list[dict]) -> dict | None:
    """The earliest (vector, then stream order) tap difference: the first layer that differs."""
    cands = [(r["first"]["vector"], i, r) for i, r in enumerate(rows) if r["first"] is not None]
    if not cands:
        return None
    _, _, r = min(cands, key=lambda c: (c[0], c[1]))
    return {"layer": r["layer"], "stage": r["stage"], "what": r["what"], **r["first"]}


def describe_layer(d: dict) -> str:
    if d.get("missing"):
        return (f"layer {d['layer']} ({d['stage']}, {d['what']}) is the first to differ: vector {d['vector']}, "
                f"RTL gave {d['values'] - d['missing']} of {d['values']} values")
    return (f"layer {d['layer']} ({d['stage']}, {d['what']}) is the first to differ: vector {d['vector']}, "
            f"{d['position']}: RTL {d['got']}, golden {d['expected']} ({d['values_differ']} of {d['values']} values "
            "of this layer differ)")
