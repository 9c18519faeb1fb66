"""QONNX export of trained Brevitas models, and the IR read back from a QONNX file."""
from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import onnx.helper
import torch

from qnn.errors import QnnError
from qnn.ir.float_semantics import META_KEY, torch_batchnorm
from qnn.ir.from_qonnx import load_qonnx, read_qonnx
from qnn.ir.graph import IntGraph
from qnn.ir.passes import streamline
from qnn.models.spec import ModelSpec
from qnn.util.atomic import atomic_path


def export_qonnx(model: torch.nn.Module, spec: ModelSpec, path: str | Path) -> Path:
    """Write the model as a cleaned QONNX file (opset/IR versions that onnxruntime and qonnx accept)."""
    from brevitas.export import export_qonnx as brevitas_export_qonnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    if spec.is_float:
        raise QnnError("a float baseline has no QONNX export; train with bits 1..8 to export")
    path = Path(path)
    model = model.eval()
    dummy = torch.zeros(1, *spec.in_shape)
    with atomic_path(path) as tmp, warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        brevitas_export_qonnx(model, input_t=dummy, export_path=str(tmp), dynamo=False)
        clean = cleanup_model(ModelWrapper(str(tmp)))
        onnx.helper.set_model_props(clean.model, {META_KEY: torch_batchnorm()})  # golden follows Brevitas' BatchNorm
        clean.save(str(tmp))
    return path


def graph_from_qonnx(path: str | Path, input_layout: str | None = None, input_type: str | None = None,
                     batchnorm: str | None = None) -> IntGraph:
    """Read, clean and streamline a QONNX file into an integer-only IR graph (``input_type``: hls4ml syntax, for a
    float input the model does not quantize itself; see ``qnn.ir.qonnx.inputs``; ``batchnorm``: the float32
    BatchNorm form to follow, by default the file's, see ``qnn.ir.float_semantics``)."""
    return streamline(read_qonnx(load_qonnx(path), input_layout, input_type, batchnorm))


def export_qonnx_file(model: torch.nn.Module, spec: ModelSpec, path: str | Path) -> IntGraph:
    export_qonnx(model, spec, path)
    return graph_from_qonnx(path)
