"""Save and load an IntGraph as ``graph.json`` (structure) + ``graph.npz`` (constants), losslessly."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from qnn.errors import QnnError
from qnn.ir.graph import IntGraph
from qnn.ir.nodes import NODE_TYPES, Node, node_fields
from qnn.qtype import QType
from qnn.util.atomic import atomic_write_bytes, atomic_write_text

FORMAT = "qnn-ir/1"


def _encode(value, key: str, arrays: dict):
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arrays[key] = np.asarray(value)
        return {"array": key}
    if isinstance(value, QType):
        return {"qtype": value.name}
    if isinstance(value, Node):  # a residual block's sub-chains
        return {"node": _encode_node(value, key, arrays)}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]}
    return value


def _decode(value, arrays):
    if isinstance(value, dict):
        if "array" in value:
            return arrays[value["array"]]
        if "qtype" in value:
            return QType.parse(value["qtype"])
        if "tuple" in value:
            return tuple(_decode(v, arrays) for v in value["tuple"])
        if "node" in value:
            return _decode_node(value["node"], arrays)
    return value


def _encode_node(n: Node, key: str, arrays: dict) -> dict:
    return {"op": n.kind, **{k: _encode(v, f"{key}.{k}", arrays) for k, v in node_fields(n).items()}}


def _decode_node(spec: dict, arrays) -> Node:
    spec = dict(spec)
    cls = NODE_TYPES[spec.pop("op")]
    return cls(**{k: _decode(v, arrays) for k, v in spec.items()})


def to_json_npz(graph: IntGraph) -> tuple[str, bytes]:
    arrays: dict[str, np.ndarray] = {}
    doc = {
        "format": FORMAT,
        "input_shape": list(graph.input_shape),
        "input_layout": graph.input_layout,
        "meta": graph.meta,
        "nodes": [_encode_node(n, f"n{i}", arrays) for i, n in enumerate(graph.nodes)],
    }
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return json.dumps(doc, indent=1), buf.getvalue()


def save_graph(graph: IntGraph, folder: str | Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, blob = to_json_npz(graph)
    atomic_write_bytes(folder / "graph.npz", blob)
    atomic_write_text(folder / "graph.json", text)
    return folder


def load_graph(folder: str | Path) -> IntGraph:
    folder = Path(folder)
    try:
        doc = json.loads((folder / "graph.json").read_text())
        arrays = dict(np.load(folder / "graph.npz"))
    except FileNotFoundError as e:
        raise QnnError(f"no IR in {folder} ({Path(e.filename).name} missing): run `qnn export` first") from None
    except (ValueError, OSError) as e:
        raise QnnError(f"the IR in {folder} is corrupt ({e}); re-run `qnn export`") from None
    if doc.get("format") != FORMAT:
        raise QnnError(f"{folder}/graph.json is not a {FORMAT} file")
    nodes = [_decode_node(spec, arrays) for spec in doc["nodes"]]
    return IntGraph(tuple(nodes), tuple(doc["input_shape"]), doc["input_layout"], doc.get("meta", {}))
