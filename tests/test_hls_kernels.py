"""The requantization kernels of the hls4ml flow (hls/hls4ml/cpp/nnet_qnn_requant.h), exhaustively against golden.

One small C++ program runs ``qnn_shift`` and ``qnn_multithreshold`` over every input value of several types
(with hls4ml's own ap_types headers) and prints the outputs; they must equal ``qnn.golden.ops`` exactly. This is
where the AP_RND_CONV / AP_SAT reading of the Shift is checked: ties in both directions, negative inputs,
saturation at both ends, narrow signed outputs, shifts wider than the input and left shifts.
"""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hls.hls4ml import precision as P
from hls.hls4ml.layers import HEADER
from qnn.golden import ops
from qnn.qtype import QType

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

SHIFTS = [  # (in_type, shift, out_type)
    (QType(12, True), 4, QType(4, False)),
    (QType(10, True), 3, QType(4, True)),
    (QType(10, True), 3, QType(4, True, narrow=True)),
    (QType(8, False), 2, QType(3, False)),
    (QType(6, True), 9, QType(2, False)),
    (QType(6, True), 0, QType(4, False)),
    (QType(6, True), -2, QType(8, True)),
    (QType(5, True), 1, QType(1, False)),
    (QType(9, True), 1, QType(8, False)),
]

THRESHOLDS = [  # (in_type, out_type, channels): 3, 1, 7 and 255 thresholds per channel
    (QType(7, True), QType(2, False), 3),
    (QType(7, True), QType.bipolar_type(), 4),
    (QType(6, False), QType(3, True), 2),
    (QType(10, True), QType(8, False), 3),
]


def _hls4ml_include() -> list[str]:
    import hls4ml

    root = Path(hls4ml.__file__).parent / "templates" / "vivado"
    return [f"-I{root / 'ap_types'}", f"-I{root / 'nnet_utils'}", f"-I{HEADER.parent}"]


def _shift_case(i: int, in_t: QType, s: int, out_t: QType) -> tuple[str, str, np.ndarray]:
    types = P.shift_types(in_t, s, out_t)
    xs = np.arange(in_t.min, in_t.max + 1)
    cfg = (f"struct shift{i} : nnet::qnn_shift_config {{ static const unsigned n_in = {len(xs)}; "
           f"static const int shift = {s}; typedef {types['scaled']} scaled_t; typedef {types['bits']} bits_t; "
           f"typedef {types['round']} round_t; }};\n")
    body = (f"  {{ static {P.ap_int(in_t)} x[{len(xs)}]; static {P.ap_int(out_t)} y[{len(xs)}];\n"
            f"    for (int i = 0; i < {len(xs)}; i++) x[i] = {in_t.min} + i;\n"
            f"    nnet::qnn_shift<{P.ap_int(in_t)}, {P.ap_int(out_t)}, shift{i}>(x, y);\n"
            f"    for (int i = 0; i < {len(xs)}; i++) printf(\"%lld \", (long long)y[i].to_int64()); printf(\"\\n\"); }}\n")
    return cfg, body, ops.shift(xs, s, out_t)


def _threshold_case(i: int, in_t: QType, out_t: QType, n_chan: int, rng) -> tuple[str, str, np.ndarray]:
    k = out_t.levels - 1
    # ascending rows, some thresholds outside the input range (never / always reached)
    t = np.sort(rng.integers(in_t.min - 3, in_t.max + 4, size=(n_chan, k)), axis=1)
    t_type = P.holding(t, in_t)
    xs = np.arange(in_t.min, in_t.max + 1)
    data = np.repeat(xs, n_chan)  # element v*C + c holds xs[v] in channel c
    n = len(data)
    scale, bias = (2, -1) if out_t.bipolar else (1, out_t.min)
    cfg = (f"struct mt{i} : nnet::qnn_multithreshold_config {{ static const unsigned n_in = {n}; "
           f"static const unsigned n_chan = {n_chan}; static const unsigned n_thresh = {k}; "
           f"static const unsigned search_step = {1 << (k.bit_length() - 1)}; "
           f"static const int out_scale = {scale}; static const int out_bias = {bias}; "
           f"typedef {P.ap_int(t_type)} threshold_t; typedef ap_uint<{max(1, k.bit_length())}> count_t; }};\n"
           f"static const {P.ap_int(t_type)} thr{i}[{t.size}] = {{{', '.join(map(str, t.reshape(-1)))}}};\n")
    body = (f"  {{ static {P.ap_int(in_t)} x[{n}]; static {P.ap_int(out_t)} y[{n}];\n"
            f"    for (int i = 0; i < {n}; i++) x[i] = {in_t.min} + i / {n_chan};\n"
            f"    nnet::qnn_multithreshold<{P.ap_int(in_t)}, {P.ap_int(out_t)}, mt{i}>(x, y, thr{i});\n"
            f"    for (int i = 0; i < {n}; i++) printf(\"%lld \", (long long)y[i].to_int64()); printf(\"\\n\"); }}\n")
    want = ops.multithreshold(data.reshape(len(xs), n_chan), t, out_t).reshape(-1)
    return cfg, body, want


def test_requant_kernels_exhaustive(tmp_path):
    rng = np.random.default_rng(0)
    cases = [_shift_case(i, *c) for i, c in enumerate(SHIFTS)]
    cases += [_threshold_case(i, *c, rng) for i, c in enumerate(THRESHOLDS)]
    src = ['#include <cstdio>\n#include "nnet_qnn_requant.h"\n'] + [c[0] for c in cases]
    src += ["int main() {\n"] + [c[1] for c in cases] + ["  return 0;\n}\n"]
    (tmp_path / "t.cpp").write_text("".join(src))
    subprocess.run(["g++", "-O1", "-std=c++11", *_hls4ml_include(), "t.cpp", "-o", "t"], cwd=tmp_path, check=True)
    lines = subprocess.run(["./t"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(lines) == len(cases)
    names = [f"shift {a}>>{s}->{o}" for a, s, o in SHIFTS] + [f"thresholds {a}->{o} x{c}" for a, o, c in THRESHOLDS]
    for name, line, (_, _, want) in zip(names, lines, cases):
        got = np.array(line.split(), dtype=np.int64)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{name}: first difference at element {bad[0]}: got {got[bad[0]]}, golden {want[bad[0]]}"


def test_shift_types_cover_ties_and_saturation():
    """The golden semantics this kernel must meet, spelled out: ties to even, clip after rounding."""
    out = QType(4, False)
    x = np.array([-24, -8, 8, 24, 40, 239, 240, 256])  # /16: -1.5 -0.5 0.5 1.5 2.5 14.9 15 16
    assert ops.shift(x, 4, out).tolist() == [0, 0, 0, 2, 2, 15, 15, 15]
    assert P.shift_types(QType(12, True), 4, out) == {
        "scaled": "ap_fixed<12,8>", "bits": "ap_int<12>", "round": "ap_ufixed<4,4,AP_RND_CONV,AP_SAT>"}
    assert P.shift_types(QType(10, True), 3, QType(4, True, narrow=True))["round"].endswith("AP_SAT_SYM>")
    assert P.ap_int(QType.bipolar_type()) == "ap_int<2>" and P.ap_int(QType(1, False)) == "ap_uint<2>"
