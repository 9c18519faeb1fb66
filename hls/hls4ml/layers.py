"""Two hls4ml layers that hls4ml lacks, added through its extension API: ``QnnMultiThreshold`` and ``QnnShift``.

hls4ml has no layer that reproduces the IR's requantizations exactly:

- ``MultiThreshold`` (BatchNorm + activation + quantizer folded into per-channel integer thresholds) would be a
  BatchNormalization in float-like fixed point followed by a quantized ReLU in hls4ml, which rounds differently;
- ``Shift`` (``clip(round_half_even(x / 2**s))``) has no layer of its own: hls4ml folds scales into the types.

The extension API (``hls4ml.model.layers.register_layer``, ``backend.register_template``,
``backend.register_source``) adds a layer class, its C++ config/function-call templates and a kernel header that
the writer copies into ``firmware/nnet_utils``. The kernels live in ``cpp/nnet_qnn_requant.h`` (real C++, one
io_parallel and one io_stream overload each); this module only generates their ``config`` structs.

``QnnSumPool`` (``pool.py``, the IR's global SumPool) and ``QnnAdd`` (``residual.py``, a residual block's sum with
multipliers) are registered here too. ``register()`` is idempotent and must run before a model that uses the layers is built.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

HEADER = Path(__file__).parent / "cpp" / "nnet_qnn_requant.h"
_INCLUDE = ["nnet_utils/nnet_qnn_requant.h"]
_BACKENDS = ("Vivado", "Vitis")
_registered = False


def _classes():
    """Build the layer and template classes lazily: importing hls4ml takes seconds."""
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.model.attributes import Attribute, TypeAttribute, WeightAttribute
    from hls4ml.model.layers import Layer

    class QnnMultiThreshold(Layer):
        """out = out_scale * #{k : x >= thresholds[c, k]} + out_bias, per channel c of the last axis."""

        _expected_attributes = [
            Attribute("n_in"),
            Attribute("n_chan"),
            Attribute("n_thresh"),
            Attribute("out_scale"),
            Attribute("out_bias"),
            WeightAttribute("thresholds"),
            TypeAttribute("thresholds"),
        ]

        def initialize(self):
            self.add_output_variable(list(self.get_input_variable().shape))
            self.add_weights_variable(name="thresholds", var_name="t{index}")

    class QnnShift(Layer):
        """out = clip(round_half_even(x / 2**shift)) through an ap_fixed cast (AP_RND_CONV, AP_SAT)."""

        _expected_attributes = [
            Attribute("n_in"),
            Attribute("shift"),
            TypeAttribute("scaled"),
            TypeAttribute("bits"),
            TypeAttribute("round"),
        ]

        def initialize(self):
            self.add_output_variable(list(self.get_input_variable().shape))

    mt_config = """struct config{index} : nnet::qnn_multithreshold_config {{
    static const unsigned n_in = {n_in};
    static const unsigned n_chan = {n_chan};
    static const unsigned n_thresh = {n_thresh};
    static const unsigned search_step = {search_step};
    static const int out_scale = {out_scale};
    static const int out_bias = {out_bias};
    static const unsigned reuse_factor = {reuse};
    typedef {thresholds_t.name} threshold_t;
    typedef ap_uint<{count_bits}> count_t;
}};\n"""
    shift_config = """struct config{index} : nnet::qnn_shift_config {{
    static const unsigned n_in = {n_in};
    static const int shift = {shift};
    static const unsigned reuse_factor = {reuse};
    typedef {scaled_t.name} scaled_t;
    typedef {bits_t.name} bits_t;
    typedef {round_t.name} round_t;
}};\n"""

    class MultiThresholdConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(QnnMultiThreshold)

        def format(self, node):
            params = self._default_config_params(node)
            n = int(node.get_attr("n_thresh"))
            params["count_bits"] = max(1, n.bit_length())
            params["search_step"] = 1 << (n.bit_length() - 1)
            return mt_config.format(**params)

    class MultiThresholdFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(QnnMultiThreshold, include_header=_INCLUDE)

        def format(self, node):
            params = self._default_function_params(node)
            params["t"] = node.get_weights("thresholds").name
            return "nnet::qnn_multithreshold<{input_t}, {output_t}, {config}>({input}, {output}, {t});".format(**params)

    class ShiftConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(QnnShift)

        def format(self, node):
            return shift_config.format(**self._default_config_params(node))

    class ShiftFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(QnnShift, include_header=_INCLUDE)

        def format(self, node):
            params = self._default_function_params(node)
            return "nnet::qnn_shift<{input_t}, {output_t}, {config}>({input}, {output});".format(**params)

    layers = {"QnnMultiThreshold": QnnMultiThreshold, "QnnShift": QnnShift}
    templates = [MultiThresholdConfigTemplate, MultiThresholdFunctionTemplate, ShiftConfigTemplate,
                 ShiftFunctionTemplate]
    return layers, templates


def register() -> None:
    """Register the layers, their templates and the kernel header with hls4ml's Vivado and Vitis backends."""
    global _registered
    if _registered:
        return
    from hls4ml.backends import get_backend
    from hls4ml.model.layers import register_layer

    from hls.hls4ml import pool, residual

    layers, templates = _classes()
    for mod in (pool, residual):
        more_layers, more_templates = mod.classes()
        layers, templates = {**layers, **more_layers}, templates + more_templates
    for name, cls in layers.items():
        register_layer(name, cls)
    for backend_name in _BACKENDS:
        backend = get_backend(backend_name)
        for t in templates:
            backend.register_template(t)
        backend.register_source(HEADER)
        backend.register_source(pool.HEADER)
        backend.register_source(residual.HEADER)
    _registered = True


def threshold_rows(thresholds: np.ndarray, channels: int) -> np.ndarray:
    """The IR's thresholds [C or 1, K] as a full [channels, K] table (a shared row is repeated), each row sorted
    ascending: the count #{k : x >= t_k} does not depend on the order, and the kernel's binary search needs it."""
    t = np.sort(np.asarray(thresholds, dtype=np.int64), axis=1)
    return np.broadcast_to(t, (channels, t.shape[1])).copy()
