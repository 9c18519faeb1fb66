"""The golden model: integer-only NumPy execution of the IR (bit-exact reference for HLS and RTL)."""
from qnn.golden.execute import dequantize_output, execute, predict, quantize_input, run_integer

__all__ = ["execute", "predict", "quantize_input", "run_integer", "dequantize_output"]
