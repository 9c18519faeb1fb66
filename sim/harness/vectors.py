"""Stream words as ``$readmemh`` text, and back: vectorized, so 10,000 vectors take a fraction of a second.

A word holds ``per_word`` elements of ``enc.bits`` bits, element 0 in the lowest bits (``hls.rtlgen.encoding``);
a line is the word in hexadecimal, most significant digit first.
"""
from __future__ import annotations

import numpy as np

from hls.rtlgen.encoding import Encoding

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_CHUNK = 1 << 19  # words per slice (bounds the bit matrix to a few tens of MB)


def hex_lines(values: np.ndarray, per_word: int, enc: Encoding) -> bytes:
    """Flat values -> ``$readmemh`` text, one word per line."""
    u = enc.encode(np.asarray(values).reshape(-1))
    if len(u) % per_word:
        raise ValueError(f"{len(u)} values do not fill words of {per_word}")
    u = u.reshape(-1, per_word)
    width = per_word * enc.bits
    digits = (width + 3) // 4
    shifts = np.arange(enc.bits, dtype=np.int64)
    weights = np.array([1, 2, 4, 8], dtype=np.uint8)
    out = []
    for i in range(0, len(u), _CHUNK):
        part = u[i : i + _CHUNK]
        if width <= 63:  # whole words in int64, then their nibbles
            w = (part << (np.arange(per_word, dtype=np.int64) * enc.bits)).sum(axis=1)
            nibbles = (w[:, None] >> (4 * np.arange(digits - 1, -1, -1, dtype=np.int64))) & 15
        else:  # wide words: through a bit matrix
            bits = ((part[:, :, None] >> shifts) & 1).astype(np.uint8).reshape(len(part), width)  # LSB first
            bits = np.pad(bits, ((0, 0), (0, 4 * digits - width)))
            nibbles = (bits.reshape(len(part), digits, 4) * weights).sum(axis=2, dtype=np.uint8)[:, ::-1]
        text = np.empty((len(part), digits + 1), dtype=np.uint8)
        text[:, :digits] = _HEX[nibbles]
        text[:, digits] = ord("\n")
        out.append(text.tobytes())
    return b"".join(out)


def parse_word(text: str) -> int:
    """One hexadecimal word as a simulator prints it; undefined bits (x/z) are an error."""
    try:
        return int(text, 16)
    except ValueError:
        raise ValueError(f"output word {text!r} has undefined (x/z) bits") from None


def unpack(words: list[int], per_word: int, enc: Encoding) -> np.ndarray:
    """Words -> the flat sequence of decoded element values."""
    mask = (1 << enc.bits) - 1
    if per_word * enc.bits <= 63:
        w = np.asarray(words, dtype=np.int64)
        u = (w[:, None] >> (np.arange(per_word, dtype=np.int64) * enc.bits)) & mask
    else:
        u = np.asarray([(w >> (k * enc.bits)) & mask for w in words for k in range(per_word)], dtype=np.int64)
    return enc.decode(u.reshape(-1))
