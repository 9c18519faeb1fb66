"""qnn: quantization-aware training to verified FPGA hardware with open tools.

``qnn.from_brevitas(module, example_input, run_dir)``: a ``brevitas.nn`` module as a run, checked against the module.
Heavy imports (PyTorch, Brevitas) happen on first use, not on ``import qnn``.
"""
from __future__ import annotations

__all__ = ["from_brevitas"]


def __getattr__(name: str):
    if name == "from_brevitas":
        from qnn.brevitas_user import from_brevitas

        return from_brevitas
    raise AttributeError(f"module 'qnn' has no attribute {name!r}")
