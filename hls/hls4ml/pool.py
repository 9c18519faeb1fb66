"""``QnnSumPool``: the IR's global ``SumPool`` as an hls4ml extension layer (kernel ``cpp/nnet_qnn_pool.h``).

hls4ml's ``GlobalPooling2D`` averages: it divides the sum by the pixel count in fixed point, which cannot be exact
for a count that is not a power of two (1/125 has no finite binary expansion). The IR keeps the exact integer sum
and folds the 1/N into the next thresholds, so the layer here only sums, in the IR's ``SumPool`` type.
Registered by ``layers.register()`` with the other extension layers.
"""
from __future__ import annotations

from pathlib import Path

HEADER = Path(__file__).parent / "cpp" / "nnet_qnn_pool.h"
_INCLUDE = ["nnet_utils/nnet_qnn_pool.h"]


def classes():
    """(layer classes by name, template classes), built lazily (importing hls4ml takes seconds)."""
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.model.attributes import Attribute
    from hls4ml.model.layers import Layer

    class QnnSumPool(Layer):
        """res[0, 0, c] = sum over the [H, W] pixels of x[h, w, c]."""

        _expected_attributes = [Attribute("in_height"), Attribute("in_width"), Attribute("n_chan")]

        def initialize(self):
            self.add_output_variable([1, 1, self.get_attr("n_chan")])

    config = """struct config{index} : nnet::qnn_sumpool_config {{
    static const unsigned n_pixels = {n_pixels};
    static const unsigned n_chan = {n_chan};
    static const unsigned reuse_factor = {reuse};
}};\n"""

    class SumPoolConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(QnnSumPool)

        def format(self, node):
            params = self._default_config_params(node)
            params["n_pixels"] = int(node.get_attr("in_height")) * int(node.get_attr("in_width"))
            return config.format(**params)

    class SumPoolFunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(QnnSumPool, include_header=_INCLUDE)

        def format(self, node):
            params = self._default_function_params(node)
            return "nnet::qnn_global_sumpool<{input_t}, {output_t}, {config}>({input}, {output});".format(**params)

    return {"QnnSumPool": QnnSumPool}, [SumPoolConfigTemplate, SumPoolFunctionTemplate]
