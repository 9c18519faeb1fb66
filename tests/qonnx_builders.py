"""Hand-built QONNX graphs (onnx.helper) for the import tests: one small model per pattern found in the wild."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX_DOMAIN = "qonnx.custom_op.general"


class GraphBuilder:
    def __init__(self, in_shape, seed: int = 0) -> None:
        self.in_shape = list(in_shape)
        self.nodes, self.inits = [], []
        self.n = 0
        self.rng = np.random.default_rng(seed)

    def _name(self, p: str) -> str:
        self.n += 1
        return f"{p}{self.n}"

    def const(self, value) -> str:
        name = self._name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], domain: str = "", name: str | None = None, **attrs) -> str:
        out = self._name("t")
        self.nodes.append(helper.make_node(op, inputs, [out], name=name or self._name(op), domain=domain, **attrs))
        return out

    def quant(self, x: str, scale, zp=0.0, bits=8, signed=1, narrow=0, rounding="ROUND") -> str:
        return self.node("Quant", [x, self.const(scale), self.const(zp), self.const(bits)], QONNX_DOMAIN,
                         signed=signed, narrow=narrow, rounding_mode=rounding)

    def bipolar(self, x: str, scale=1.0) -> str:
        return self.node("BipolarQuant", [x, self.const(scale)], QONNX_DOMAIN)

    def weight(self, shape, scale, bits=4, per_channel_axis=None, bipolar=False) -> str:
        w = self.rng.normal(0, 0.5, size=shape).astype(np.float32)
        if bipolar:
            return self.bipolar(self.const(w), scale)
        if per_channel_axis is not None:
            s = np.asarray(scale, dtype=np.float32).reshape([-1 if i == per_channel_axis else 1 for i in range(len(shape))])
        else:
            s = scale
        return self.quant(self.const(w), s, 0.0, bits, signed=1, narrow=1)

    def bn(self, x: str, c: int) -> str:
        r = self.rng
        return self.node("BatchNormalization", [x, self.const(r.uniform(0.5, 2, c)), self.const(r.normal(0, 0.5, c)),
                                                self.const(r.normal(0, 1, c)), self.const(r.uniform(0.5, 3, c))],
                         epsilon=1e-5)

    def int_const(self, value) -> str:
        """An int64 initializer (shapes, axes, indices)."""
        name = self._name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.int64), name))
        return name

    def build(self, out: str, out_shape, path, opset: int = 13, legacy_domain: str | None = None,
              inits_as_inputs: bool = False, annotation: str | None = None) -> str:
        """Write the model. ``legacy_domain``: custom ops in that domain with no opset import for it (as the old
        Brevitas/FINN exporters wrote them); ``inits_as_inputs``: every initializer also listed as a graph input
        (ONNX IR < 4 style); ``annotation``: a ``finn_datatype`` quantization annotation on the input."""
        inputs = [helper.make_tensor_value_info("inp", TensorProto.FLOAT, self.in_shape)]
        if inits_as_inputs:
            inputs += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in self.inits]
        g = helper.make_graph(self.nodes, "g", inputs,
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))], self.inits)
        if annotation is not None:
            qa = onnx.TensorAnnotation(tensor_name="inp")
            qa.quant_parameter_tensor_names.append(onnx.StringStringEntryProto(key="finn_datatype", value=annotation))
            g.quantization_annotation.append(qa)
        opsets = [helper.make_opsetid("", opset)]
        if legacy_domain is not None:
            for n in g.node:
                if n.domain == QONNX_DOMAIN:
                    n.domain = legacy_domain
        else:
            opsets.append(helper.make_opsetid(QONNX_DOMAIN, 1))
        m = helper.make_model(g, opset_imports=opsets)
        m.ir_version = 3 if inits_as_inputs else 8
        onnx.save(m, str(path))
        return str(path)


def mlp_bipolar(path):
    """FINN TFC_1W1A-like: 2x-1 preprocessing, bipolar input/weights/activations, BN after MatMul, no bias,
    TensorNorm-style scalar affine output."""
    b = GraphBuilder([1, 64])
    x = b.node("Sub", [b.node("Mul", ["inp", b.const(2.0)]), b.const(1.0)])
    x = b.bipolar(x)
    for n_in, n_out in ((64, 32), (32, 16)):
        x = b.bipolar(b.bn(b.node("MatMul", [x, b.weight((n_in, n_out), 1.0, bipolar=True)]), n_out))
    y = b.node("MatMul", [x, b.weight((16, 10), 1.0, bipolar=True)])
    y = b.node("Add", [b.node("Mul", [b.node("Div", [b.node("Sub", [y, b.const(0.3)]), b.const(1.7)]), b.const(0.9)]),
                       b.const(0.1)])
    return b.build(y, [1, 10], path)


def mlp_nonpow2_zeropoint(path):
    """Asymmetric uint8 input with a zero point, non-power-of-two per-channel weight scales, float bias via Add,
    per-channel Mul/Div chains, ReLU + uint4 quantizer with a zero point, final Softmax."""
    b = GraphBuilder([1, 20])
    x = b.quant("inp", 0.0123, zp=37.0, bits=8, signed=0)
    w = b.weight((20, 24), b.rng.uniform(0.01, 0.1, 24), bits=6, per_channel_axis=1)
    h = b.node("Add", [b.node("MatMul", [x, w]), b.const(b.rng.normal(0, 0.3, 24))])
    h = b.node("Div", [b.node("Mul", [h, b.const(b.rng.uniform(0.5, 1.5, 24))]), b.const(1.3)])
    h = b.quant(b.node("Relu", [h]), 0.077, zp=3.0, bits=4, signed=0)
    w2 = b.weight((24, 10), 0.0371, bits=3)
    y = b.node("Softmax", [b.node("Add", [b.node("MatMul", [h, w2]), b.const(b.rng.normal(0, 0.1, 10))])], axis=-1)
    return b.build(y, [1, 10], path)


def cnn_nchw(path):
    """NCHW conv net: Conv (no bias) -> BN -> ReLU -> MaxPool -> Quant, Conv with stride 2 and bias, Flatten
    through Reshape, Gemm with quantized bias, per-channel weight scales."""
    b = GraphBuilder([1, 2, 10, 10])
    x = b.quant("inp", 1 / 64, bits=7, signed=0)
    c1 = b.node("Conv", [x, b.weight((6, 2, 3, 3), b.rng.uniform(0.02, 0.2, 6), bits=4, per_channel_axis=0)],
                kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = b.node("MaxPool", [b.node("Relu", [b.bn(c1, 6)])], kernel_shape=[2, 2], strides=[2, 2])
    h = b.quant(h, 0.25, bits=3, signed=0)
    c2 = b.node("Conv", [h, b.weight((8, 6, 3, 3), 0.0625, bits=5), b.const(b.rng.normal(0, 0.5, 8))],
                kernel_shape=[3, 3], strides=[2, 2])
    h = b.quant(b.node("Relu", [c2]), 0.5, bits=4, signed=0)  # [1, 8, 2, 2]
    h = b.node("Reshape", [h, b.const(np.array([1, -1]))])
    b.inits[-1] = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), b.inits[-1].name)
    y = b.node("Gemm", [h, b.weight((10, 32), 0.05, bits=4), b.quant(b.const(b.rng.normal(0, 1, 10)), 0.05 * 0.5,
                                                                     bits=16, signed=1)], transB=1)
    return b.build(y, [1, 10], path)


def qkeras_style(path):
    """What qonnx makes of a QKeras model: NHWC input transposed to NCHW, Quant on weights and biases (quantized_bits),
    quantized_relu as Relu + Quant, transposed back to NHWC before Flatten, Dense as MatMul + Add, Softmax."""
    b = GraphBuilder([1, 8, 8, 1])
    x = b.quant("inp", 2.0**-7, bits=8, signed=1)
    x = b.node("Transpose", [x], perm=[0, 3, 1, 2])
    c = b.node("Conv", [x, b.weight((4, 1, 3, 3), 0.125, bits=4), b.quant(b.const(b.rng.normal(0, 0.3, 4)), 0.125, bits=4)],
               kernel_shape=[3, 3])
    h = b.quant(b.node("Relu", [c]), 0.25, bits=4, signed=0)  # [1, 4, 6, 6]
    h = b.node("Transpose", [h], perm=[0, 2, 3, 1])
    h = b.node("Flatten", [h], axis=1)
    d = b.node("Add", [b.node("MatMul", [h, b.weight((144, 10), 0.0625, bits=4)]),
                       b.quant(b.const(b.rng.normal(0, 0.5, 10)), 0.0625, bits=6)])
    y = b.node("Softmax", [d], axis=-1)
    return b.build(y, [1, 10], path)


BUILDERS = {"mlp_bipolar": mlp_bipolar, "mlp_nonpow2_zeropoint": mlp_nonpow2_zeropoint, "cnn_nchw": cnn_nchw,
            "qkeras_style": qkeras_style}
