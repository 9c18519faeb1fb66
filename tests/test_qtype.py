import numpy as np
import pytest

from qnn.qtype import QType


@pytest.mark.parametrize("bits", [1, 2, 4, 8, 19])
def test_unsigned_and_signed_ranges(bits):
    u = QType(bits, False)
    assert (u.min, u.max, u.levels) == (0, 2**bits - 1, 2**bits)
    if bits > 1:
        s = QType(bits, True)
        assert (s.min, s.max) == (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        assert QType(bits, True, narrow=True).min == -(2 ** (bits - 1)) + 1


def test_bipolar():
    b = QType.bipolar_type()
    assert (b.min, b.max, b.levels) == (-1, 1, 2)
    assert list(b.from_level(np.array([0, 1]))) == [-1, 1]
    assert list(b.encode(np.array([-1, 1]))) == [0, 1]
    assert list(b.decode(np.array([0, 1]))) == [-1, 1]
    with pytest.raises(ValueError):
        QType(1, True)


@pytest.mark.parametrize("lo,hi,name", [(0, 255, "UINT8"), (-128, 127, "INT8"), (-129, 5, "INT9"), (0, 1, "UINT1"),
                                        (-1, 0, "INT2"), (-3, 100, "INT8")])
def test_for_range_is_narrowest(lo, hi, name):
    t = QType.for_range(lo, hi)
    assert t.name == name
    assert t.min <= lo and hi <= t.max


@pytest.mark.parametrize("t", [QType(5, True), QType(3, False), QType(4, True, True), QType.bipolar_type()])
def test_encode_decode_roundtrip_and_parse(t):
    vals = np.arange(t.min, t.max + 1) if not t.bipolar else np.array([-1, 1])
    assert np.array_equal(t.decode(t.encode(vals)), vals)
    assert QType.parse(t.name) == t
