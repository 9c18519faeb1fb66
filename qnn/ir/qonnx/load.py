"""Load a QONNX file: parse it, let qonnx clean it up, then validate what came out.

qonnx's cleanup is what makes older exports readable: it moves the legacy custom-op domains of earlier exporters
(``onnx.brevitas``, ``finn``, ``finn.custom_op.general``, often with no opset import for them) to qonnx's own, folds
constants (dynamic ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chains become constant shapes), infers shapes
and gives unique names. ``onnx.checker`` runs only after it: a file that is not ONNX at all (not protobuf, no graph)
is refused before cleanup with a clear message, a legacy file is not.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import onnx

from qnn.errors import QnnError

ORIG_NAME = "qnn-original-name:"
LEGACY_DOMAINS = ("onnx.brevitas", "finn", "finn.custom_op.general")
QONNX_DOMAIN = "qonnx.custom_op.general"


def display_name(node) -> str:
    """The node's name in the user's file (qonnx cleanup gives new names)."""
    if node.doc_string.startswith(ORIG_NAME):
        return node.doc_string[len(ORIG_NAME):]
    return node.name


def _short(e: Exception, n: int = 160) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:n]}"


def parse_onnx(path: str | Path) -> onnx.ModelProto:
    """The file as an ONNX protobuf, or a one-line QnnError for anything that is not ONNX at all."""
    path = Path(path)
    if not path.is_file():
        raise QnnError(f"model file {path} does not exist")
    try:
        proto = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - any parse failure means the same to the user
        raise QnnError(f"{path} is not a valid ONNX model ({_short(e, 120)})") from None
    if not proto.graph.node:
        raise QnnError(f"{path} holds an empty ONNX graph")
    return proto


def modernize(proto: onnx.ModelProto) -> onnx.ModelProto:
    """Legacy exporter conventions -> what qonnx's cleanup and onnx.checker expect (in place).

    Custom ops in a legacy domain move to qonnx's domain; every domain used gets an opset import; a file with no
    default opset gets opset 9 (what those exporters wrote); initializers listed as graph inputs stop being inputs;
    a dynamic batch dimension becomes 1 (so that dynamic flatten chains fold to constant shapes).
    """
    g = proto.graph
    for n in g.node:
        if n.domain in LEGACY_DOMAINS and not any(a.name == "backend" for a in n.attribute):
            n.domain = QONNX_DOMAIN
        if n.name and not n.doc_string:  # cleanup renames nodes: keep the user's names for error messages
            n.doc_string = ORIG_NAME + n.name
    have = {o.domain: o.version for o in proto.opset_import}
    default = [(d, v) for d, v in have.items() if d in ("", "ai.onnx")] or [("", 9)]
    ops = default + [(d, v) for d, v in have.items() if d not in ("", "ai.onnx")]  # qonnx runs with opset_import[0]
    ops += [(d, 1) for d in sorted({n.domain for n in g.node} - set(have) - {"", "ai.onnx"})]
    del proto.opset_import[:]
    proto.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in ops)
    inits = {i.name for i in g.initializer}
    for vi in [i for i in g.input if i.name not in inits] + list(g.output):  # a dynamic batch is 1 here
        dims = vi.type.tensor_type.shape.dim
        if len(dims) and not dims[0].HasField("dim_value"):
            dims[0].dim_value = 1
    if proto.ir_version < 4:  # initializers stop being graph inputs below, which IR version 4 allows
        proto.ir_version = 4
    keep = [i for i in g.input if i.name not in inits]
    if len(keep) != len(g.input):
        del g.input[:]
        g.input.extend(keep)
    return proto


def load_qonnx(path: str | Path):
    """Parse, clean up with qonnx (shapes inferred, constants folded, unique names), then validate."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    path = Path(path)
    proto = parse_onnx(path)
    try:
        with warnings.catch_warnings():  # qonnx warns when it renames old-style domains: that is expected here
            warnings.simplefilter("ignore")
            model = cleanup_model(ModelWrapper(modernize(proto)))
    except Exception as e:  # noqa: BLE001
        raise QnnError(f"qonnx could not clean up {path}: {_short(e)}") from None
    try:
        onnx.checker.check_model(model.model)
    except Exception as e:  # noqa: BLE001
        raise QnnError(f"{path} is not a valid ONNX model after qonnx's cleanup ({_short(e, 120)})") from None
    return model
