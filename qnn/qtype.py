"""Quantized value types: small immutable value objects (after qonnx ``DataType``).

A ``QType`` names the set of integers a tensor may hold:

- ``QType(4, signed=False)``            -> 0 .. 15
- ``QType(4, signed=True)``             -> -8 .. 7
- ``QType(4, signed=True, narrow=True)`` -> -7 .. 7
- ``QType.bipolar()``                   -> {-1, +1} (one bit: 0 encodes -1, 1 encodes +1)

Values are always the true integers (``-1``/``+1`` for bipolar); how hardware encodes them is the
concern of the hardware generators (``encode``/``decode`` give the canonical bit patterns).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QType:
    bits: int
    signed: bool
    narrow: bool = False
    bipolar: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= 64:
            raise ValueError(f"QType bits must be 1..64, got {self.bits}")
        if self.bipolar and (self.bits != 1 or not self.signed):
            raise ValueError("a bipolar QType is 1 bit and signed")
        if self.signed and self.bits == 1 and not self.bipolar:
            raise ValueError("a signed 1-bit integer type is ambiguous: use QType.bipolar()")

    # constructors ---------------------------------------------------------------------------
    @staticmethod
    def bipolar_type() -> QType:
        return QType(1, True, bipolar=True)

    @staticmethod
    def for_range(lo: int, hi: int) -> QType:
        """The narrowest type holding every integer in ``[lo, hi]`` (unsigned if ``lo >= 0``)."""
        lo, hi = int(lo), int(hi)
        if lo > hi:
            raise ValueError(f"empty range [{lo}, {hi}]")
        if lo >= 0:
            return QType(max(1, int(hi).bit_length()), False)
        bits = max((-lo - 1).bit_length(), max(hi, 0).bit_length()) + 1
        return QType(max(2, bits), True)

    # properties -----------------------------------------------------------------------------
    @property
    def min(self) -> int:
        if self.bipolar:
            return -1
        if not self.signed:
            return 0
        return -(1 << (self.bits - 1)) + (1 if self.narrow else 0)

    @property
    def max(self) -> int:
        if self.bipolar:
            return 1
        return (1 << (self.bits - (1 if self.signed else 0))) - 1

    @property
    def levels(self) -> int:
        """Number of representable values."""
        return 2 if self.bipolar else self.max - self.min + 1

    def from_level(self, c: np.ndarray) -> np.ndarray:
        """Map a level index ``0 .. levels-1`` (e.g. a threshold count) to the value."""
        c = np.asarray(c, dtype=np.int64)
        return 2 * c - 1 if self.bipolar else c + self.min

    def contains(self, x: np.ndarray) -> bool:
        x = np.asarray(x)
        if x.size == 0:
            return True
        if self.bipolar:
            return bool(np.all(np.abs(x) == 1))
        return bool(x.min() >= self.min and x.max() <= self.max)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Values -> unsigned bit patterns of ``bits`` width (two's complement; bipolar: +1 -> 1)."""
        x = np.asarray(x, dtype=np.int64)
        if self.bipolar:
            return (x > 0).astype(np.int64)
        return x & ((1 << self.bits) - 1)

    def decode(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.int64) & ((1 << self.bits) - 1)
        if self.bipolar:
            return 2 * u - 1
        if self.signed:
            return np.where(u >= (1 << (self.bits - 1)), u - (1 << self.bits), u)
        return u

    # text form ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        if self.bipolar:
            return "BIPOLAR"
        return f"{'INT' if self.signed else 'UINT'}{self.bits}{'N' if self.narrow else ''}"

    @staticmethod
    def parse(name: str) -> QType:
        if name == "BIPOLAR":
            return QType.bipolar_type()
        narrow = name.endswith("N")
        core = name[:-1] if narrow else name
        if core.startswith("UINT"):
            return QType(int(core[4:]), False, narrow)
        if core.startswith("INT"):
            return QType(int(core[3:]), True, narrow)
        raise ValueError(f"unknown QType name {name!r}")

    def __str__(self) -> str:
        return self.name
