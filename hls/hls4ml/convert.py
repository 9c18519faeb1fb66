"""The integer IR's body as an hls4ml model: a layer list built directly from the streamlined graph.

Why not hls4ml's QONNX frontend on ``model.onnx``? That path re-derives everything the IR already knows, in
floating point: it needs cleanup, channels-last conversion and Gemm->MatMul rewrites, turns BatchNorm and scales
into fixed-point multiplications whose precision it infers, and maps quantized ReLUs onto hls4ml's own rounding.
hls4ml does not promise bit-exactness there, and overriding every inferred precision afterwards would still leave
BatchNorm computed differently from the golden model's thresholds. The IR, in contrast, is integer-only and
already verified against Brevitas; building the hls4ml layers straight from it gives one integer operation per
IR node, with types read off the node (``precision.py``), so exactness is a property of the construction and the
C simulation only confirms it. hls4ml still does everything it is good at: kernels, streaming, reuse/strategy,
the project, the Vivado/Vitis build scripts.

The mapping, one hls4ml layer per IR body node (``LayerMap`` records it for the layer-by-layer trace):

=================  ===================================================================================
IR node            hls4ml layer
=================  ===================================================================================
Dense              Dense (weights transposed to hls4ml's [in, out]), accumulator = result = IR acc type
Conv2d             Conv2D channels_last, weights [kh, kw, in, out], explicit pads; io_stream inserts its
                   own ZeroPadding2D in front
MultiThreshold     QnnMultiThreshold (extension layer, ``layers.py``)
Shift              QnnShift (extension layer: an ap_fixed cast with AP_RND_CONV / AP_SAT)
DepthwiseConv2d    DepthwiseConv2D channels_last (hls4ml's depthwise kernels), weights [kh, kw, C, 1]
MaxPool            MaxPooling2D (no padding)
SumPool            QnnSumPool (extension layer, ``pool.py``: the exact integer sum; the 1/N is in the next
                   thresholds); io_stream needs stride == kernel
Flatten            Reshape to a vector (a no-op in io_parallel, a repack in io_stream)
Residual           its branch's and skip's nodes as above, both reading the block's input (io_stream: hls4ml
                   inserts a Clone), then hls4ml's Add (multipliers 1) or QnnAdd (``residual.py``)
=================  ===================================================================================

Every layer names its input (``inputs``), so a residual block's two paths and their sum form a DAG; its layers
take their IR nodes' names, the sum the Residual's. ``LayerMap`` maps the layer computing each body node's output
to the node (a Residual: its sum) and names the layers inside blocks in ``inner`` (``Add_0.branch[0]``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from hls.hls4ml import precision as P
from hls.hls4ml import residual as R
from hls.hls4ml.layers import register, threshold_rows
from hls.hls4ml.options import HlsOptions
from qnn.errors import QnnError
from qnn.ir import nodes as N
from qnn.ir.graph import IntGraph
from qnn.qtype import QType

INPUT_NAME = "qnn_input"


@dataclass
class LayerMap:
    """Which hls4ml layer computes which IR body node (index into ``graph.body``)."""

    hls_names: list[str] = field(default_factory=list)
    ir_index: list[int] = field(default_factory=list)
    inner: dict[str, str] = field(default_factory=dict)  # layers inside residual blocks -> "Add_0.branch[1]"

    def add(self, name: str, index: int) -> None:
        self.hls_names.append(name)
        self.ir_index.append(index)

    def to_dict(self) -> dict:
        return {"hls_names": self.hls_names, "ir_index": self.ir_index, "inner": self.inner}


@dataclass
class Conversion:
    layers: list[dict]  # hls4ml layer list (dicts as hls4ml's converters produce them)
    layer_config: dict  # HLSConfig "LayerName" entries: precisions per layer
    layer_map: LayerMap
    in_shape: tuple[int, ...]  # without batch, channels-last
    out_size: int
    in_type: QType
    out_type: QType


def hw_input_shape(graph: IntGraph) -> tuple[int, ...]:
    """Shape of one input as the hardware sees it: [H, W, C] images (channels-last) or [N] vectors."""
    if graph.input_layout == "NCHW":
        c, h, w = graph.input_shape
        return (h, w, c)
    if graph.input_layout == "NHWC":
        return tuple(graph.input_shape)
    return (int(np.prod(graph.input_shape)),)


def _flat(nodes):
    """Every node, a Residual followed by its branch's and skip's nodes (recursively)."""
    for node in nodes:
        yield node
        if isinstance(node, N.Residual):
            for _path, chain in R.sub_chains(node):
                yield from _flat(chain)


def _names(body) -> dict[int, str]:
    """C-identifier-safe, unique layer names from the IR's node names (blocks' nodes included), by ``id(node)``."""
    used, out = {INPUT_NAME, "input"}, {}
    for node in _flat(body):
        base = re.sub(r"\W", "_", node.name) or node.kind.lower()
        if base[0].isdigit():
            base = "l_" + base
        name, k = base, 1
        while name.lower() in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name.lower())
        out[id(node)] = name
    return out


def _unsupported(node: N.Node, why: str) -> QnnError:
    return QnnError(f"layer {node.name} ({node.kind}) is not supported by the hls4ml flow: {why}")


def convert(graph: IntGraph, options: HlsOptions) -> Conversion:
    """Layer list + per-layer precisions for the graph's integer body (which must be streamlined)."""
    register()
    options.check()
    _quant, body, _tail = graph.split()
    if not body:
        raise QnnError("the graph has no integer layers to put in hardware")
    in_type = graph.input_quant.out_type
    shape = hw_input_shape(graph)

    em = _Emitter(_names(body), options)
    em.layers.append({"class_name": "InputLayer", "name": INPUT_NAME, "input_shape": list(shape)})
    em.cfg[INPUT_NAME] = {"Precision": {"result": P.ap_int(in_type)}}
    cur, cur_type = INPUT_NAME, in_type
    for idx, node in enumerate(body):
        cur, shape, cur_type = em.node(node, cur, shape, cur_type)
        em.lmap.add(cur, idx)
    if len(shape) != 1:
        raise QnnError(f"the network's output has shape {list(shape)}; the hls4ml flow expects a vector (end with a Dense)")
    return Conversion(em.layers, em.cfg, em.lmap, tuple(em.layers[0]["input_shape"]), int(shape[0]), in_type, cur_type)


class _Emitter:
    """Appends the layers of IR nodes, each reading a named tensor: (name of the output, its shape, its type)."""

    def __init__(self, names: dict[int, str], options: HlsOptions):
        self.names, self.options = names, options
        self.layers: list[dict] = []
        self.cfg: dict = {}
        self.lmap = LayerMap()

    def node(self, node, src: str, shape, in_type: QType):
        name = self.names[id(node)]
        if isinstance(node, N.Residual):
            return self.residual(node, name, src, shape, in_type)
        layer, prec, shape, out_type = _layer(node, name, shape, in_type, self.options)
        layer["inputs"] = [src]
        self.layers.append(layer)
        self.cfg[name] = {"Precision": prec}
        return name, shape, out_type

    def chain(self, nodes, src: str, shape, in_type: QType, where: str):
        for k, node in enumerate(nodes):
            src, shape, in_type = self.node(node, src, shape, in_type)
            self.lmap.inner[src] = f"{where}[{k}]"
        return src, shape, in_type

    def residual(self, node: N.Residual, name: str, src: str, shape, in_type: QType):
        """Both sub-chains on ``src``, then their sum (``residual.py``); a refusal names the block."""
        ends = [self.chain(chain, src, shape, in_type, f"{node.name}.{path}") for path, chain in R.sub_chains(node)]
        try:
            layer, prec = R.sum_layer(node, name, ends, self.options.backend_name)
        except ValueError as e:
            raise _unsupported(node, str(e)) from None
        self.layers.append(layer)
        self.cfg[name] = {"Precision": prec}
        return name, ends[0][1], node.out_type


def _layer(node, name, shape, in_type: QType, options: HlsOptions):
    """(layer dict, precision dict, output shape, output type) for one IR node."""
    if isinstance(node, N.Dense):
        if len(shape) != 1:
            raise _unsupported(node, f"a Dense on a {len(shape)}-D tensor {list(shape)}; flatten it first")
        n_out, n_in = node.weight.shape
        if n_in != shape[0]:
            raise _unsupported(node, f"weights take {n_in} inputs but the tensor has {shape[0]}")
        options.check_reuse(name, n_in, n_out)
        acc = node.acc_type
        layer = {"class_name": "Dense", "name": name, "n_in": n_in, "n_out": n_out,
                 "weight_data": node.weight.T.astype(np.float64).copy(), "bias_data": node.bias.astype(np.float64)}
        prec = {"weight": P.ap_int(P.weight_type(node.weight, node.weight_type)), "bias": P.ap_int(P.holding(node.bias)),
                "accum": P.ap_int(acc), "result": P.ap_int(acc)}
        return layer, prec, (n_out,), acc
    if isinstance(node, N.Conv2d):
        if len(shape) != 3:
            raise _unsupported(node, f"a Conv2d needs an image [H, W, C], got {list(shape)}")
        h, w, c = shape
        n_out, kh, kw, n_in = node.weight.shape
        if n_in != c:
            raise _unsupported(node, f"weights take {n_in} channels but the tensor has {c}")
        pt, pl, pb, pr = node.pad
        sh, sw = node.stride
        oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
        options.check_reuse(name, kh * kw * n_in, n_out)
        acc = node.acc_type
        layer = {"class_name": "Conv2D", "name": name, "data_format": "channels_last",
                 "in_height": h, "in_width": w, "n_chan": c, "n_filt": n_out, "filt_height": kh, "filt_width": kw,
                 "stride_height": sh, "stride_width": sw, "out_height": oh, "out_width": ow,
                 "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr,
                 "weight_data": node.weight.transpose(1, 2, 3, 0).astype(np.float64).copy(),
                 "bias_data": node.bias.astype(np.float64)}
        prec = {"weight": P.ap_int(P.weight_type(node.weight, node.weight_type)), "bias": P.ap_int(P.holding(node.bias)),
                "accum": P.ap_int(acc), "result": P.ap_int(acc)}
        return layer, prec, (oh, ow, n_out), acc
    if isinstance(node, N.DepthwiseConv2d):
        return _depthwise(node, name, shape, options)
    if isinstance(node, N.SumPool):
        return _sumpool(node, name, shape, options)
    if isinstance(node, N.MultiThreshold):
        n_chan = shape[-1]
        t = np.asarray(node.thresholds)
        if t.shape[0] not in (1, n_chan):
            raise _unsupported(node, f"{t.shape[0]} rows of thresholds for {n_chan} channels")
        rows = threshold_rows(t, n_chan)
        out = node.out_type
        scale, bias = (2, -1) if out.bipolar else (1, out.min)
        layer = {"class_name": "QnnMultiThreshold", "name": name, "n_in": int(np.prod(shape)), "n_chan": n_chan,
                 "n_thresh": rows.shape[1], "out_scale": scale, "out_bias": bias,
                 "thresholds_data": rows.reshape(-1).astype(np.float64)}
        prec = {"thresholds": P.ap_int(P.holding(rows, in_type)), "result": P.ap_int(out)}
        return layer, prec, shape, out
    if isinstance(node, N.Shift):
        if node.out_type.bipolar:
            raise _unsupported(node, "a Shift cannot produce a bipolar type")
        from hls4ml.backends import get_backend

        conv = get_backend(options.backend_name).convert_precision_string
        types = P.shift_types(in_type, node.shift, node.out_type)
        layer = {"class_name": "QnnShift", "name": name, "n_in": int(np.prod(shape)), "shift": int(node.shift),
                 **{f"{k}_t": conv(v) for k, v in types.items()}}
        return layer, {"result": P.ap_int(node.out_type)}, shape, node.out_type
    if isinstance(node, N.MaxPool):
        if len(shape) != 3:
            raise _unsupported(node, f"a MaxPool needs an image [H, W, C], got {list(shape)}")
        h, w, c = shape
        (kh, kw), (sh, sw) = node.kernel, node.stride
        if options.io_type == "io_stream" and (kh, kw) != (sh, sw):
            raise _unsupported(node, f"io_stream pooling needs stride == kernel, got kernel {kh}x{kw} stride {sh}x{sw}; "
                                     "use --io-type io_parallel")
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        layer = {"class_name": "MaxPooling2D", "name": name, "data_format": "channels_last",
                 "in_height": h, "in_width": w, "n_filt": c, "pool_height": kh, "pool_width": kw,
                 "stride_height": sh, "stride_width": sw, "out_height": oh, "out_width": ow,
                 "pad_top": 0, "pad_bottom": 0, "pad_left": 0, "pad_right": 0}
        t = P.ap_int(in_type)
        return layer, {"result": t, "accum": t}, (oh, ow, c), in_type
    if isinstance(node, N.Flatten):
        n = int(np.prod(shape))
        layer = {"class_name": "Reshape", "name": name, "target_shape": [n]}
        return layer, {"result": P.ap_int(in_type)}, (n,), in_type
    raise _unsupported(node, "no hls4ml layer implements it")


def _depthwise(node: N.DepthwiseConv2d, name: str, shape, options: HlsOptions):
    if len(shape) != 3:
        raise _unsupported(node, f"a DepthwiseConv2d needs an image [H, W, C], got {list(shape)}")
    h, w, c = shape
    n_chan, kh, kw = node.weight.shape
    if n_chan != c:
        raise _unsupported(node, f"weights take {n_chan} channels but the tensor has {c}")
    pt, pl, pb, pr = node.pad
    sh, sw = node.stride
    oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
    if options.strategy == "resource":
        raise _unsupported(node, "hls4ml's DepthwiseConv2D has no resource strategy; use --strategy latency")
    acc = node.acc_type
    layer = {"class_name": "DepthwiseConv2D", "name": name, "data_format": "channels_last",
             "in_height": h, "in_width": w, "n_chan": c, "depth_multiplier": 1, "n_filt": c,
             "filt_height": kh, "filt_width": kw, "stride_height": sh, "stride_width": sw,
             "out_height": oh, "out_width": ow, "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr,
             "depthwise_data": node.weight.transpose(1, 2, 0)[..., None].astype(np.float64).copy(),
             "bias_data": node.bias.astype(np.float64)}
    prec = {"weight": P.ap_int(P.weight_type(node.weight, node.weight_type)), "bias": P.ap_int(P.holding(node.bias)),
            "accum": P.ap_int(acc), "result": P.ap_int(acc)}
    return layer, prec, (oh, ow, c), acc


def _sumpool(node: N.SumPool, name: str, shape, options: HlsOptions):
    if len(shape) != 3:
        raise _unsupported(node, f"a SumPool needs an image [H, W, C], got {list(shape)}")
    h, w, c = shape
    (kh, kw), (sh, sw) = node.kernel, node.stride
    if options.io_type == "io_stream" and (kh, kw) != (sh, sw):
        raise _unsupported(node, f"io_stream sum pooling needs stride == kernel, got kernel {kh}x{kw} stride "
                                 f"{sh}x{sw}; use --io-type io_parallel")
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = node.out_type
    layer = {"class_name": "QnnSumPool", "name": name, "in_height": h, "in_width": w, "n_chan": c,
             "pool_height": kh, "pool_width": kw, "stride_height": sh, "stride_width": sw,
             "out_height": oh, "out_width": ow}
    return layer, {"result": P.ap_int(out)}, (oh, ow, c), out
