"""Bugs the property suite found, as the shrunk examples Hypothesis gave (plus the neighbours that matter), kept as
explicit tests so they stay fixed whatever the generator draws."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from checks import Net, all_fast
from netgen import Conv, NetConfig

REGRESSIONS = {
    # --input-bits 1: Brevitas exported the 1-bit unsigned input quantizer as a BipolarQuant (sign of x: +1 on all
    # of [0, 1]), so golden disagreed with Brevitas' {0, 1/2} (tfc w1a1 in1: 10 % vs 49.5 %). Now sign(2x - 1).
    "input1_mlp": NetConfig(in_shape=(1, 1, 1), hidden=(1,), classes=2, input_bits=1, weight_bits=1, act_bits=1,
                            batchnorm=False, bias=False),
    "input1_mlp_w2a2_bn": NetConfig(in_shape=(1, 3, 3), hidden=(6,), input_bits=1, weight_bits=2, act_bits=2),
    "input1_cnn_padded": NetConfig(in_shape=(1, 5, 5), convs=(Conv(3, 3, 1, 1, (2, 2)),), input_bits=1,
                                   weight_bits=2, act_bits=2, trained=True, seed=3),
    # a max-pool before a BatchNorm with a negative gamma cannot be streamlined (max does not commute with a
    # decreasing map): it was refused as "node Conv_0_deq (Dequant) is still float"; now the message says why
    "pool_before_negative_bn": NetConfig(in_shape=(2, 6, 6), convs=(Conv(3, 3, 1, 1, (2, 2), "before_bn"),),
                                         hidden=(5,), input_bits=2, weight_bits=2, act_bits=2),
}


@pytest.mark.parametrize("name", REGRESSIONS)
def test_regression(name):
    with tempfile.TemporaryDirectory(prefix="qnn-prop-") as d:
        net = Net(REGRESSIONS[name], Path(d))
        all_fast(net, Path(d))
        if name == "pool_before_negative_bn":
            assert net.refusal is not None and "MaxPool_0" in net.refusal
