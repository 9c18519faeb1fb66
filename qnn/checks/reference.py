"""A QONNX file executed node by node, as qonnx executes it, with chosen quantizer outputs replaced.

``Stepper(model).run(x, inject)`` walks the cleaned graph in its (topological) order like qonnx's ``execute_onnx``
(onnxruntime for standard ops, qonnx's NumPy code for its custom ops, the same sanitising of annotated tensors) and,
after each activation quantizer, calls ``inject(name, output)``: a returned array takes the quantizer's place in the
context, so every later node sees it. The comparison in ``qnn.checks.levels`` injects the golden model's levels, so
that each layer of the reference runs on the golden model's own input and a difference cannot travel downstream.

``dtype="float64"`` runs the same nodes on a float64 copy of the file (initializers and value infos widened): the
exact value of a segment to within float64 rounding, against which a float32 level is judged. onnxruntime has no
float64 ``Conv``, ``AveragePool`` or ``GlobalAveragePool``: those three run in PyTorch (float64, same attributes);
qonnx's ``Quant``/``BipolarQuant`` give float32, so they run through its ``int_quant`` on float64 arrays here.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import onnx
from onnx import numpy_helper
from qonnx.core.onnx_exec import execute_node
from qonnx.util.basic import get_preferred_qonnx_opset, get_sanitize_quant_tensors, sanitize_quant_values

QUANT_OPS = ("Quant", "BipolarQuant")


def activation_quantizers(model) -> list:
    """The Quant/BipolarQuant nodes on activations (those whose input is not computed from constants alone)."""
    const = {i.name for i in model.graph.initializer}
    out = []
    for node in model.graph.node:
        if all(i in const or i == "" for i in node.input):
            const.update(node.output)
        elif node.op_type in QUANT_OPS:
            out.append(node)
    return out


def output_tensor(model) -> str:
    """The graph output, or the input of a final Softmax (the IR drops it: both then give logits)."""
    name = model.graph.output[0].name
    last = model.find_producer(name)
    return last.input[0] if last is not None and last.op_type == "Softmax" else name


class Stepper:
    def __init__(self, model, dtype: str = "float32"):
        self.model = model if dtype == "float32" else _widened(model)
        self.dtype = np.float32 if dtype == "float32" else np.float64
        self.graph = self.model.graph
        self.quants = {n.name for n in activation_quantizers(self.model)}
        imports = self.model.get_opset_imports()
        self.opsets = [imports.get(n.domain, get_preferred_qonnx_opset()) for n in self.graph.node]
        self.input = [i.name for i in self.graph.input if self.model.get_initializer(i.name) is None][0]
        self.output = output_tensor(self.model)

    def run(self, x: np.ndarray, inject: Callable[[str, np.ndarray], np.ndarray | None] | None = None) -> dict:
        """Execute one input (with its batch axis of 1); return the full context (every tensor by name)."""
        ctx = self.model.make_empty_exec_context()
        ctx[self.input] = np.asarray(x, self.dtype).reshape(ctx[self.input].shape)
        sanitize = get_sanitize_quant_tensors() != 0
        for node, opset in zip(self.graph.node, self.opsets):
            if sanitize:
                ctx = sanitize_quant_values(self.model, node.input, ctx)
            if self.dtype == np.float64 and node.op_type in _WIDE:
                ctx[node.output[0]] = _WIDE[node.op_type](node, *(ctx[i] for i in node.input if i))
            else:
                execute_node(node, ctx, self.graph, opset)
                if self.dtype == np.float64:  # qonnx's custom ops give float32
                    for o in node.output:
                        ctx[o] = np.asarray(ctx[o], np.float64) if np.asarray(ctx[o]).dtype == np.float32 else ctx[o]
            if sanitize:
                ctx = sanitize_quant_values(self.model, node.output, ctx)
            if inject is not None and node.name in self.quants:
                new = inject(node.name, ctx[node.output[0]])
                if new is not None:
                    ctx[node.output[0]] = np.asarray(new, self.dtype).reshape(ctx[node.output[0]].shape)
            if node.output[0] == self.output:
                break
        return ctx


def _widened(model):
    """A float64 copy: float initializers and every float value info become double."""
    m = copy.deepcopy(model)
    g = m.graph
    for init in g.initializer:
        if init.data_type == onnx.TensorProto.FLOAT:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float64), init.name))
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = onnx.TensorProto.DOUBLE
    for node in g.node:  # Constant nodes holding float tensors
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == onnx.TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float64), a.t.name))
    return m


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _padded(x, pads):
    """ONNX pads [begin..., end...] on the spatial axes, zeros."""
    import torch.nn.functional as F

    k = len(pads) // 2
    if not any(pads):
        return x
    torch_pads = []
    for d in reversed(range(k)):  # torch: last axis first, (begin, end)
        torch_pads += [pads[d], pads[d + k]]
    return F.pad(x, torch_pads)


def _conv64(node, x, w, b=None):
    import torch
    import torch.nn.functional as F

    a = _attrs(node)
    nd = x.ndim - 2
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    xt = _padded(torch.from_numpy(np.array(x, np.float64)), a.get("pads", [0] * 2 * nd))
    conv = F.conv1d if nd == 1 else F.conv2d
    y = conv(xt, torch.from_numpy(np.array(w, np.float64)),
             None if b is None else torch.from_numpy(np.array(b, np.float64)),
             stride=tuple(a.get("strides", [1] * nd)), dilation=tuple(a.get("dilations", [1] * nd)),
             groups=int(a.get("group", 1)))
    return y.numpy()


def _avgpool64(node, x):
    import torch
    import torch.nn.functional as F

    a = _attrs(node)
    nd = x.ndim - 2
    k = tuple(a["kernel_shape"])
    s = tuple(a.get("strides", [1] * nd))
    pads = a.get("pads", [0] * 2 * nd)
    pool = F.avg_pool1d if nd == 1 else F.avg_pool2d
    xt = torch.from_numpy(np.array(x, np.float64))
    mode = dict(kernel_size=k, stride=s, ceil_mode=bool(a.get("ceil_mode", 0)))
    sums = pool(_padded(xt, pads), **mode) * float(np.prod(k))
    if a.get("count_include_pad", 0) or not any(pads):
        return (sums / float(np.prod(k))).numpy()
    counts = pool(_padded(torch.ones_like(xt), pads), **mode) * float(np.prod(k))
    return (sums / counts).numpy()


def _gap64(node, x):
    return np.asarray(x, np.float64).mean(axis=tuple(range(2, x.ndim)), keepdims=True)


def _quant64(node, x, scale, zp, bits):
    from qonnx.custom_op.general.intquant import int_quant

    a = _attrs(node)
    return int_quant(np.asarray(x, np.float64), np.asarray(scale, np.float64), np.asarray(zp, np.float64),
                     np.asarray(bits, np.float64), int(a.get("signed", 1)), int(a.get("narrow", 0)),
                     _text(a.get("rounding_mode", "ROUND")))


def _bipolar64(node, x, scale):
    return np.where(np.asarray(x, np.float64) >= 0, 1.0, -1.0) * np.asarray(scale, np.float64)


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


_WIDE = {"Conv": _conv64, "AveragePool": _avgpool64, "GlobalAveragePool": _gap64, "Quant": _quant64,
         "BipolarQuant": _bipolar64}
