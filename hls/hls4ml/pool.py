"""``QnnSumPool``: the IR's ``SumPool`` as an hls4ml extension layer (kernel ``cpp/nnet_qnn_pool.h``): global, or
windows of any stride in io_parallel and non-overlapping windows (stride == kernel) in io_stream.

hls4ml's ``GlobalPooling2D`` averages: it divides the sum by the pixel count in fixed point, which cannot be exact
for a count that is not a power of two (1/125 has no finite binary expansion). The IR keeps the exact integer sum
and folds the 1/N into the next thresholds, so the layer here only sums, in the IR's ``SumPool`` type.
Registered by ``layers.register()`` with the other extension layers.
"""
from __future__ import annotations

from pathlib import Path

HEADER = Path(__file__).parent / "cpp" / "nnet_qnn_pool.h"
_INCLUDE = ["nnet_utils/nnet_qnn_pool.h"]
_ATTRS = ("in_height", "in_width", "n_chan", "pool_height", "pool_width", "stride_height", "stride_width",
          "out_height", "out_width")


def classes():
    """(layer classes by name, template classes), built lazily (importing hls4ml takes seconds)."""
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.model.attributes import Attribute
    from hls4ml.model.layers import Layer

    class QnnSumPool(Layer):
        """res[oy, ox, c] = sum over the window at (oy * stride_h, ox * stride_w) of x[h, w, c]."""

        _expected_attributes = [Attribute(a) for a in _ATTRS]

        def initialize(self):
            self.add_output_variable([self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_chan")])

    config = ("struct config{index} : nnet::qnn_sumpool_config {{\n"
              + "".join(f"    static const unsigned {a} = {{{a}}};\n" for a in _ATTRS)
              + "    static const unsigned reuse_factor = {reuse};\n}};\n")

    class SumPoolConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(QnnSumPool)

        def format(self, node):
            return config.format(**self._default_config_params(node))

    class SumPoolFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(QnnSumPool, include_header=_INCLUDE)

        def format(self, node):
            params = self._default_function_params(node)
            return "nnet::qnn_sumpool<{input_t}, {output_t}, {config}>({input}, {output});".format(**params)

    return {"QnnSumPool": QnnSumPool}, [SumPoolConfigTemplate, SumPoolFunctionTemplate]
