"""How integer values travel on a stream: element width and interpretation of the bits.

``mode`` is the one the cores take (``IN_MODE``/``W_MODE``): 0 unsigned, 1 signed two's complement,
2 bipolar (one bit, 1 = +1, 0 = -1).  A bipolar tensor that must carry zeros (the zero padding of a
convolution) travels as 2-bit signed instead (``Encoding.for_type(t, need_zero=True)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnn.qtype import QType

UNSIGNED, SIGNED, BIPOLAR = 0, 1, 2


@dataclass(frozen=True)
class Encoding:
    bits: int
    mode: int

    @staticmethod
    def for_type(t: QType, need_zero: bool = False) -> Encoding:
        if t.bipolar:
            return Encoding(2, SIGNED) if need_zero else Encoding(1, BIPOLAR)
        return Encoding(t.bits, SIGNED if t.signed else UNSIGNED)

    @property
    def signed(self) -> bool:
        return self.mode == SIGNED

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Integer values -> unsigned bit patterns (int64)."""
        x = np.asarray(x, dtype=np.int64)
        if self.mode == BIPOLAR:
            return (x > 0).astype(np.int64)
        return x & ((1 << self.bits) - 1)

    def decode(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.int64) & ((1 << self.bits) - 1)
        if self.mode == BIPOLAR:
            return 2 * u - 1
        if self.mode == SIGNED:
            return np.where(u >= (1 << (self.bits - 1)), u - (1 << self.bits), u)
        return u

    def to_dict(self) -> dict:
        return {"bits": self.bits, "mode": self.mode}

    @staticmethod
    def from_dict(d: dict) -> Encoding:
        return Encoding(int(d["bits"]), int(d["mode"]))


def pack_words(values: np.ndarray, per_word: int, enc: Encoding) -> list[int]:
    """A flat sequence of values -> stream words of ``per_word`` elements (element 0 in the low bits)."""
    u = enc.encode(np.asarray(values).reshape(-1))
    if len(u) % per_word:
        raise ValueError(f"{len(u)} values do not fill words of {per_word}")
    words = []
    for i in range(0, len(u), per_word):
        w = 0
        for k, v in enumerate(u[i : i + per_word].tolist()):
            w |= v << (k * enc.bits)
        words.append(w)
    return words


def unpack_words(words, per_word: int, enc: Encoding) -> np.ndarray:
    """Stream words -> the flat sequence of decoded values."""
    mask = (1 << enc.bits) - 1
    u = [(int(w) >> (k * enc.bits)) & mask for w in words for k in range(per_word)]
    return enc.decode(np.asarray(u, dtype=np.int64))
