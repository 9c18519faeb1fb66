"""Reading QONNX into the integer IR, one module per concern.

- ``load``: parse, qonnx cleanup (legacy domains, folded constants), then validation;
- ``inputs``: the type of the graph input (``finn_datatype`` annotations, ``--input-type`` for float inputs);
- ``graphview``: constants, quantized constants, shapes of the cleaned graph;
- ``walk``: the reader's state and the handler contract;
- ``ops_quant``, ``ops_linear``, ``ops_shape``, ``ops_activation``: op handlers by family;
- ``reader``: the walk along the chain from the input.
"""
from qnn.ir.qonnx.load import display_name, load_qonnx
from qnn.ir.qonnx.reader import read_qonnx, supported_ops

__all__ = ["display_name", "load_qonnx", "read_qonnx", "supported_ops"]
