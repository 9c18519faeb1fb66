"""The IR's ``Residual`` block (``y = mul_a * branch(x) + mul_b * skip(x)``) as hls4ml layers.

The branch's and the skip's nodes become layers as any other IR node (``convert``), each chain reading the block's
input tensor: hls4ml layer dicts name their ``inputs``, so the graph branches there. In io_parallel the array is
simply read twice; in io_stream hls4ml's own ``clone_output`` optimizer (Vivado/Vitis backends, run when the model
is built) inserts a ``Clone`` layer that copies the stream once per consumer, in the producer's type. An empty skip
is the identity: the sum then reads the block's input directly (cloned the same way).

The sum, in the IR's ``out_type``:

- both multipliers 1: hls4ml's ``Merge`` layer with ``op = add`` (``nnet::add`` in ``nnet_merge.h`` /
  ``nnet_merge_stream.h``: ``res = data1 + data2``; ap_int addition widens its result, so the sum is exact before it
  is assigned to the result type, which holds every reachable sum);
- otherwise ``QnnAdd``, an extension layer (kernel ``cpp/nnet_qnn_add.h``): ``res = mul_a[c] * data1 + mul_b[c] *
  data2`` in a ``sum_t`` holding every product and sum of the input types, the multipliers (scalars or per channel)
  held as small weight arrays. Registered by ``layers.register()`` with the other extension layers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hls.hls4ml import precision as P
from qnn.ir import nodes as N
from qnn.qtype import QType

HEADER = Path(__file__).parent / "cpp" / "nnet_qnn_add.h"
_INCLUDE = ["nnet_utils/nnet_qnn_add.h"]


def sub_chains(node: N.Residual) -> tuple[tuple[str, tuple], ...]:
    return (("branch", tuple(node.branch)), ("skip", tuple(node.skip)))


def multipliers(node: N.Residual, n_chan: int) -> tuple[np.ndarray, np.ndarray]:
    """``mul_a``, ``mul_b`` as [n_chan] int64 vectors (a scalar is repeated)."""
    out = []
    for m in (node.mul_a, node.mul_b):
        m = np.asarray(m, dtype=np.int64).reshape(-1)
        if m.size not in (1, n_chan):
            raise ValueError(f"{m.size} multipliers for {n_chan} channels")
        out.append(np.broadcast_to(m, (n_chan,)).copy())
    return out[0], out[1]


def sum_type(ma: np.ndarray, a: QType, mb: np.ndarray, b: QType) -> QType:
    """A type holding every product ``ma * a``, ``mb * b`` and every sum of them, over the types' whole ranges."""
    bounds = []
    for m, t in ((ma, a), (mb, b)):
        p = np.stack([m * t.min, m * t.max])
        bounds.append((int(p.min()), int(p.max())))
    (la, ha), (lb, hb) = bounds
    return QType.for_range(min(la, lb, la + lb, 0), max(ha, hb, ha + hb, 0))


def sum_layer(node: N.Residual, name: str, ends, backend_name: str):
    """(layer dict, precision dict) of the block's sum of its two chains' outputs ``ends`` (name, shape, type each);
    ValueError says why the block cannot be built."""
    (a, a_shape, a_type), (b, b_shape, b_type) = ends
    out = node.out_type
    if out is None or out.bipolar:
        raise ValueError(f"its sum has no integer type (out_type {out})")
    if not node.branch and not node.skip:
        raise ValueError("both of its paths are the identity (nothing to build)")
    if tuple(a_shape) != tuple(b_shape):
        raise ValueError(f"its branch gives {list(a_shape)} and its skip {list(b_shape)}; the sum needs equal shapes")
    n_chan = int(a_shape[-1])
    ma, mb = multipliers(node, n_chan)
    if np.all(ma == 1) and np.all(mb == 1):
        return {"class_name": "Merge", "op": "add", "name": name, "inputs": [a, b]}, {"result": P.ap_int(out)}
    from hls4ml.backends import get_backend

    conv = get_backend(backend_name).convert_precision_string
    layer = {"class_name": "QnnAdd", "name": name, "inputs": [a, b], "n_elem": int(np.prod(a_shape)),
             "n_chan": n_chan, "mul_a_data": ma.astype(np.float64), "mul_b_data": mb.astype(np.float64),
             "sum_t": conv(P.ap_int(sum_type(ma, a_type, mb, b_type)))}
    prec = {"mul_a": P.ap_int(P.holding(ma)), "mul_b": P.ap_int(P.holding(mb)), "result": P.ap_int(out)}
    return layer, prec


def classes():
    """(layer classes by name, template classes), built lazily (importing hls4ml takes seconds)."""
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.model.attributes import Attribute, TypeAttribute, WeightAttribute
    from hls4ml.model.layers import Layer

    class QnnAdd(Layer):
        """res = mul_a[c] * in1 + mul_b[c] * in2, per channel c of the last axis, computed in sum_t."""

        _expected_attributes = [
            Attribute("n_elem"),
            Attribute("n_chan"),
            WeightAttribute("mul_a"),
            WeightAttribute("mul_b"),
            TypeAttribute("mul_a"),
            TypeAttribute("mul_b"),
            TypeAttribute("sum"),
        ]

        def initialize(self):
            assert len(self.inputs) == 2
            a, b = (self.get_input_variable(i) for i in self.inputs)
            assert list(a.shape) == list(b.shape), (a.shape, b.shape)
            self.add_output_variable(list(a.shape))
            self.add_weights_variable(name="mul_a", var_name="ma{index}")
            self.add_weights_variable(name="mul_b", var_name="mb{index}")

    config = """struct config{index} : nnet::qnn_add_config {{
    static const unsigned n_elem = {n_elem};
    static const unsigned n_chan = {n_chan};
    static const unsigned reuse_factor = {reuse};
    typedef {sum_t.name} sum_t;
    typedef {mul_a_t.name} mul_a_t;
    typedef {mul_b_t.name} mul_b_t;
}};\n"""

    class AddConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(QnnAdd)

        def format(self, node):
            return config.format(**self._default_config_params(node))

    class AddFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(QnnAdd, include_header=_INCLUDE)

        def format(self, node):
            a, b = (node.get_input_variable(i) for i in node.inputs)
            out = node.get_output_variable()
            return (f"nnet::qnn_add<{a.type.name}, {b.type.name}, {out.type.name}, config{node.index}>"
                    f"({a.name}, {b.name}, {out.name}, {node.get_weights('mul_a').name}, "
                    f"{node.get_weights('mul_b').name});")

    return {"QnnAdd": QnnAdd}, [AddConfigTemplate, AddFunctionTemplate]
