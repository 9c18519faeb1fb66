"""The type of the graph input: what values the hardware receives, and the IR ``Quantize`` that produces them.

Three sources, in this order:

1. a FINN ``finn_datatype`` quantization annotation on the graph input (``BIPOLAR``, ``BINARY``, ``TERNARY``,
   ``UINTn``, ``INTn``, ``FIXED<W,I>``), as FINN's notebooks set it: the values fed are of that type;
2. ``--input-type T`` in hls4ml's syntax for a float input: ``fixed<W,I>`` (signed W-bit integers times
   2^-(W-I)), ``ufixed<W,I>``, ``int<W>``, ``uint<W>`` (``ap_`` prefixes accepted);
3. otherwise hls4ml's default input precision ``fixed<16,6>``, with a notice.

A model that quantizes its own input (a ``Quant`` before its first layer) needs none of these. Otherwise the IR gets
a ``Quantize`` just before the first integer layer (after any host-side constant preprocessing Add/Div/Mul/Sub),
whose grid is derived by running every value of the input type through that preprocessing.

Rounding: the IR ``Quantize`` rounds to nearest, ties to even, and saturates (as QONNX ``Quant`` with
``rounding_mode=ROUND``); it runs on the host, so the hardware only sees integers and hls4ml's AP_TRN/AP_WRAP
conversion never applies. Values already on the grid are unchanged by any rounding mode: ``round_to_grid`` rounds
inputs that way before they are given to qonnx's execution, which then agrees exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qnn.errors import QnnError, UnsupportedOp
from qnn.ir import nodes as N
from qnn.ir.qonnx.load import display_name
from qnn.qtype import QType

DEFAULT_SPEC = "fixed<16,6>"
MAX_BITS = 24  # every value of the type is then exact in float32
ENUMERATE_MAX = 1 << 16  # values run through host-side preprocessing to find its grid
_HLS = re.compile(r"^(?:ap_)?(u?fixed|u?int)<\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?((?:,\s*\w+\s*)*)>$")
_HLS_MODES = {"AP_RND_CONV", "RND_CONV", "AP_SAT", "SAT"}  # what the IR does; anything else would differ


@dataclass(frozen=True)
class InputType:
    """Values ``k * scale`` for every integer ``k`` of ``qtype`` (``scale`` a power of two)."""

    qtype: QType
    scale: float
    spec: str
    source: str  # "annotation" | "option" | "default"

    def values(self) -> np.ndarray:
        """Every value of the type, float32 (exact: at most 24 bits)."""
        return (np.arange(self.qtype.min, self.qtype.max + 1, 2 if self.qtype.bipolar else 1)
                * self.scale).astype(np.float32)

    def to_meta(self) -> dict:
        return {"spec": self.spec, "source": self.source, "bits": self.qtype.bits, "signed": self.qtype.signed,
                "narrow": self.qtype.narrow, "bipolar": self.qtype.bipolar, "scale": float(self.scale)}

    @staticmethod
    def from_meta(d: dict) -> InputType:
        return InputType(QType(d["bits"], d["signed"], d.get("narrow", False), d.get("bipolar", False)),
                         d["scale"], d["spec"], d["source"])


def _checked(qtype: QType, scale: float, spec: str, source: str) -> InputType:
    if not 1 <= qtype.bits <= MAX_BITS:
        raise QnnError(f"input type {spec}: {qtype.bits} bits is outside 1..{MAX_BITS} (wider inputs are not exact "
                       "in float32)")
    return InputType(qtype, float(scale), spec, source)


def parse_input_type(text: str, source: str = "option") -> InputType:
    """hls4ml precision syntax -> InputType: ``fixed<16,6>``, ``ufixed<8,0>``, ``int<8>``, ``uint<8>``."""
    m = _HLS.match(text.strip().replace(" ", ""))
    if not m:
        raise QnnError(f"input type {text!r} is not in hls4ml's syntax: use fixed<W,I>, ufixed<W,I>, int<W> or "
                       "uint<W>, e.g. fixed<16,6>")
    kind, w, i, modes = m.group(1), int(m.group(2)), m.group(3), [x for x in m.group(4).split(",") if x]
    bad = [x for x in modes if x.upper() not in _HLS_MODES]
    if bad:
        raise QnnError(f"input type {text!r}: mode {bad[0]} is not supported; inputs are rounded to nearest (ties to "
                       "even) and saturated on the host: leave the modes out")
    if kind.endswith("fixed") and i is None:
        raise QnnError(f"input type {text!r}: give the integer bits, e.g. {kind}<{w},{max(w // 2, 1)}>")
    if kind.endswith("int") and i is not None:
        raise QnnError(f"input type {text!r}: int<W> takes one width; use fixed<W,I> for fractional bits")
    signed = not kind.startswith("u")
    if signed and w < 2:
        raise QnnError(f"input type {text!r}: a signed type needs at least 2 bits")
    scale = 2.0 ** (int(i) - w) if i is not None else 1.0
    return _checked(QType(w, signed), scale, text.strip(), source)


def finn_input_type(name: str) -> InputType | None:
    """A FINN/qonnx DataType name -> InputType; None for float types (FLOAT32, FLOAT16)."""
    n = name.strip().upper()
    if n in ("FLOAT32", "FLOAT16", "BFLOAT16"):
        return None
    if n == "BIPOLAR":
        return InputType(QType.bipolar_type(), 1.0, n, "annotation")
    if n == "BINARY":
        return InputType(QType(1, False), 1.0, n, "annotation")
    if n == "TERNARY":
        return InputType(QType(2, True, narrow=True), 1.0, n, "annotation")
    if m := re.fullmatch(r"(U?INT)(\d+)", n):
        return _checked(QType(int(m.group(2)), m.group(1) == "INT"), 1.0, n, "annotation")
    if m := re.fullmatch(r"FIXED<(\d+),(-?\d+)>", n.replace(" ", "")):
        w, i = int(m.group(1)), int(m.group(2))
        return _checked(QType(w, True), 2.0 ** (i - w), n, "annotation")
    raise QnnError(f"input annotation finn_datatype={name} is not supported (BIPOLAR, BINARY, TERNARY, UINTn, INTn, "
                   "FIXED<W,I>, FLOAT32)")


def annotated_type(graph, tensor: str) -> InputType | None:
    """The ``finn_datatype`` quantization annotation of ``tensor``, if any (and not a float type)."""
    for qa in graph.quantization_annotation:
        if qa.tensor_name == tensor:
            for kv in qa.quant_parameter_tensor_names:
                if kv.key == "finn_datatype":
                    try:
                        return finn_input_type(kv.value)
                    except QnnError as e:
                        raise QnnError(f"model input {tensor}: {e}") from None
    return None


def choose_input_type(graph, tensor: str, option: str | None) -> InputType:
    """Annotation, else ``option``, else the default; an option that contradicts an annotation is refused."""
    ann = annotated_type(graph, tensor)
    if ann is not None and option is not None:
        raise QnnError(f"the model input {tensor} is annotated finn_datatype={ann.spec}; --input-type {option} would "
                       "contradict it: leave --input-type out")
    if ann is not None:
        return ann
    if option is not None:
        return parse_input_type(option)
    return parse_input_type(DEFAULT_SPEC, source="default")


def _front_chunks(t: InputType, front: list, channels: int, budget: int = 1 << 22):
    """Every value of ``t`` through the host-side nodes ``front`` (float32, as the golden model computes them), in
    chunks of channels of at most ``budget`` values; one channel when every constant is a scalar."""
    consts = [np.asarray(getattr(n, f)) for n in front for f in ("mul", "add") if hasattr(n, f)]
    channels = channels if any(c.size > 1 for c in consts) else 1
    vals = t.values()
    step = max(1, budget // len(vals))
    for c0 in range(0, channels, step):
        c1 = min(channels, c0 + step)
        v = np.broadcast_to(vals[:, None], (len(vals), c1 - c0)).astype(np.float32)
        for n in front:
            if isinstance(n, N.Affine):
                mul, add = (np.broadcast_to(np.asarray(x, np.float32).reshape(-1), (channels,))[c0:c1]
                            for x in (n.mul, n.add))
                v = v * mul + add
            elif isinstance(n, N.Relu):
                v = np.maximum(v, np.float32(0))
            else:
                raise UnsupportedOp(f"node {n.name} ({n.kind}) cannot run on the host before the input quantizer; "
                                    f"put a Quant node after {n.name}")
        yield v


def _on_grid(v: np.ndarray, s: float, exact: bool) -> bool:
    k = v / np.float32(s)
    ok = np.all(k == np.round(k)) if exact else np.all(np.abs(k - np.round(k)) < 1e-3)
    return bool(ok and np.abs(k).max(initial=0) < 2**24)


def _pow2_exponent(v: np.ndarray) -> int | None:
    """The largest e such that every value is an integer multiple of 2^e (None if there is none)."""
    return next((e for e in range(24, -60, -1) if _on_grid(v, 2.0**e, exact=True)), None)


def _derived_grid(t: InputType, front: list, channels: int, hint: float):
    """(scale, lo, hi) of the integer grid of every preprocessed value, "bipolar", or None. A power-of-two scale
    when one makes every value an integer (exact), else ``hint / 2^j`` within float32 rounding."""
    chunks = lambda: _front_chunks(t, front, channels)  # noqa: E731 - regenerated per pass, never all in memory
    bipolar, exps, lo, hi = True, [], np.inf, -np.inf
    for v in chunks():
        bipolar &= set(np.unique(v).tolist()) <= {-1.0, 1.0}
        exps.append(_pow2_exponent(v))
        lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    if bipolar:
        return "bipolar"
    s = 2.0 ** min(exps) if None not in exps else None
    for j in range(4 if s is None else 0):
        cand = float(np.float32(hint / 2**j))
        if cand > 0 and all(_on_grid(v, cand, exact=False) for v in chunks()):
            s = cand
            break
    if s is None or max(abs(lo), abs(hi)) / s >= 2**24:
        return None
    return s, int(np.round(lo / np.float32(s))), int(np.round(hi / np.float32(s)))


def input_quantizer(t: InputType, front: list, channels: int, node) -> N.Quantize:
    """The IR ``Quantize`` that turns the (preprocessed) input into integers, placed before ``node``."""
    if not front:
        return N.Quantize("input_quant", scale=np.float32(t.scale), zero_point=np.float32(0), quant_type=t.qtype)
    where = f"node {display_name(node)} ({node.op_type})"
    if len(t.values()) > ENUMERATE_MAX:
        raise UnsupportedOp(f"{where}: preprocessing in front of a {t.spec} input cannot be checked exactly; use a "
                            f"type of at most 16 bits (--input-type) or put a Quant node before {display_name(node)}")
    hint = t.scale
    for n in front:
        if isinstance(n, N.Affine) and np.asarray(n.mul).size == 1:
            hint = float(np.float32(hint) * np.float32(n.mul))
    grid = _derived_grid(t, front, channels, abs(hint))
    if grid == "bipolar":  # e.g. FINN's 2x - 1 on a BINARY input
        return N.Quantize("input_quant", scale=np.float32(1), zero_point=np.float32(0), quant_type=QType.bipolar_type())
    if grid is None:
        raise UnsupportedOp(f"{where}: the preprocessing in front of it ({', '.join(n.name for n in front)}) does not "
                            f"map the {t.spec} input onto one integer grid; put a Quant node before "
                            f"{display_name(node)}")
    s, lo, hi = grid
    return N.Quantize("input_quant", scale=np.float32(s), zero_point=np.float32(0), quant_type=QType.for_range(lo, hi))


def round_to_grid(meta: dict, x: np.ndarray) -> np.ndarray:
    """Inputs rounded to the grid of the graph's input type (``meta["input_type"]``): nearest, ties to even,
    saturated; unchanged when the model quantizes its input itself."""
    d = meta.get("input_type")
    if not d:
        return np.asarray(x, dtype=np.float32)
    t = InputType.from_meta(d)
    x = np.asarray(x, dtype=np.float32)
    if t.qtype.bipolar:
        return np.where(x >= 0, np.float32(1), np.float32(-1))
    k = np.clip(np.round(x / np.float32(t.scale)), t.qtype.min, t.qtype.max)
    return (k * np.float32(t.scale)).astype(np.float32)


def random_inputs(meta: dict, shape, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random inputs of ``shape`` (without batch): values of the input type when it has one, else [0, 1)."""
    rng = np.random.default_rng(seed)
    d = meta.get("input_type")
    if not d:
        return rng.random((n, *shape), dtype=np.float32)
    vals = InputType.from_meta(d).values()
    return rng.choice(vals, size=(n, *shape)).astype(np.float32)
