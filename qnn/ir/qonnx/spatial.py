"""1-D signals as IR images: an ONNX tensor [N, C, L] (Conv1d, MaxPool1d, AvgPool1d, ...) is the IR image
[N, 1, L, C] (H = 1), so that every integer kernel, hls4ml layer and RTL core of the 2-D flow runs it unchanged.

The walk records how many spatial axes the ONNX tensor has (``Walk.spatial``); the handlers read their per-axis
attributes through this module, which gives them in 2-D form: a 1-D ``kernel_shape [K]`` is (1, K), ``strides [S]``
(1, S), ``pads [B, E]`` (0, B, 0, E) in ONNX's 2-D order (top, left, bottom, right), and a Conv weight [O, I, K] is
[O, I, 1, K]. The IR's channels-last flatten order of [1, L, C] is (l, c), ONNX's of [C, L] is (c, l): the 2-D
flatten's column permutation with H = 1 covers it.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import UnsupportedOp
from qnn.ir.qonnx.load import display_name
from qnn.ir.qonnx.walk import Walk


def per_axis(w: Walk, node, name: str, default: int | None = None) -> tuple[int, int]:
    """A per-spatial-axis attribute (``kernel_shape``, ``strides``, ``dilations``) as (along H, along W)."""
    a = w.attrs(node)
    v = a.get(name)
    if v is None:
        if default is None:
            raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} without {name}")
        v = [default] * w.spatial
    v = tuple(int(x) for x in v)
    if len(v) != w.spatial:
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} {name} {list(v)} does not match its input's "
                            f"{w.spatial} spatial axes")
    return v if w.spatial == 2 else (1, v[0])


def pads(w: Walk, node) -> tuple[int, int, int, int]:
    """ONNX ``pads`` as (top, left, bottom, right); refuses ``auto_pad`` other than NOTSET."""
    a = w.attrs(node)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto not in ("NOTSET", ""):
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} with auto_pad={auto}; export explicit pads "
                            "(auto_pad=NOTSET)")
    p = tuple(int(x) for x in a.get("pads", [0] * (2 * w.spatial)))
    if len(p) != 2 * w.spatial:
        raise UnsupportedOp(f"node {display_name(node)}: {node.op_type} pads {list(p)} do not match its input's "
                            f"{w.spatial} spatial axes")
    return p if w.spatial == 2 else (0, p[0], 0, p[1])


def weight(w: Walk, node, wi: np.ndarray) -> np.ndarray:
    """A Conv weight [O, I, KH, KW] (a 1-D weight [O, I, K] becomes [O, I, 1, K])."""
    if wi.ndim != 2 + w.spatial:
        raise UnsupportedOp(f"node {display_name(node)}: Conv weight of shape {list(wi.shape)} on an input with "
                            f"{w.spatial} spatial axes; only 1-D and 2-D convolutions are supported")
    return wi if w.spatial == 2 else wi[:, :, None, :]
