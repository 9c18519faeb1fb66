"""Compatibility re-export: the QONNX reader is the package ``qnn.ir.qonnx``."""
from qnn.ir.qonnx import display_name, load_qonnx, read_qonnx, supported_ops

__all__ = ["display_name", "load_qonnx", "read_qonnx", "supported_ops"]
