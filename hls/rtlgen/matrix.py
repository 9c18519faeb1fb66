"""What matrix-like hardware layers (the MVU's and the depthwise VVAU's) derive from their fields alike."""
from __future__ import annotations

from qnn.qtype import QType


class MatrixShape:
    """Mixin for a layer with ``weight`` [n_out, n_in], ``vectors`` products per inference, ``requant``, ``acc_type``."""

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])

    @property
    def macs(self) -> int:
        return self.n_in * self.n_out * self.vectors

    @property
    def out_type(self) -> QType:
        return self.requant.out_type if self.requant is not None else self.acc_type
