"""Golden model against a float32 reference at every quantizer, as integer levels (the exactness contract).

The hardware computes the model's exact integer semantics: integer accumulators, then the float32 steps between an
accumulator and the next quantizer reproduced bit for bit by thresholds (``qnn.ir.passes.requant``). A float32
reference (qonnx's execution of the file) also computes the accumulations in float32, and so it rounds: a
pre-activation that is exactly 116.49999975 levels can come out as 116.50001 and round to the next level. The
comparison therefore works quantizer by quantizer:

1. The reference runs node by node (``qnn.checks.reference``) with the golden model's levels put in place of every
   activation quantizer's output it has computed, so each layer starts from the golden model's input and a
   difference stays in the layer where it arises.
2. At each quantizer the reference's levels are compared with the golden model's (channels-last moved to the file's
   layout). Equal levels everywhere, and logits equal to the reference's (``qnn.checks.logits``: exact, or within
   float32 rounding of a non-power-of-two tail; tied maxima are no disagreement), is "exact".
3. A level that differs is judged against the exact value of its pre-activation: the same layer executed in float64
   on the same input. It is a **boundary case** when the two levels are neighbours and the exact value lies within
   the reference's own float32 error (|float32 - float64|, plus a few float32 ulps for the golden model's float32
   steps after the accumulator) of the rounding boundary between them: reported (layer, vector, channel, both
   levels, the exact value), not a failure. Anything else fails, naming the first layer, vector and channel.

A reference quantizer whose output the IR does not hold under the same name and shape (a quantizer the reader
merged away) is not compared and is listed as such; the logits still are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnn.checks.logits import check_logits
from qnn.checks.reference import Stepper, activation_quantizers
from qnn.errors import CheckFailed
from qnn.golden.execute import apply_node, to_channels_last
from qnn.ir import nodes as N

ULP_FLOOR = 2.0**-20  # relative: a few float32 ulps, the golden model's own float32 steps after the accumulator
EXAMPLES = 5  # boundary cases kept per layer for the report


@dataclass
class Quantizer:
    """An activation quantizer of the file: how its input maps to levels."""

    name: str
    input: str
    output: str
    scale: np.ndarray
    zero_point: np.ndarray
    bipolar: bool
    rounding: str

    def levels(self, out: np.ndarray) -> np.ndarray:
        """The quantizer's float output -> its integer levels with the zero point removed (the IR's integers)."""
        return np.round(np.asarray(out, np.float64) / self.scale).astype(np.int64)

    def boundary(self, g: np.ndarray, r: np.ndarray, zp: np.ndarray) -> np.ndarray:
        """The pre-activation (level units, zero point ``zp`` per element) where the output steps between neighbour
        levels g and r (zero point removed)."""
        if self.bipolar:
            return np.zeros(np.shape(g))
        lo, hi = np.minimum(g, r) + zp, np.maximum(g, r) + zp
        mode = self.rounding.upper()
        if mode == "FLOOR":
            return hi
        if mode == "CEIL":
            return lo
        if mode in ("UP", "DOWN"):
            toward_zero = np.where(lo >= 0, lo, hi)
            return np.where(lo >= 0, hi, lo) if mode == "DOWN" else toward_zero
        return lo + 0.5

    def judge(self, idx, g, r, pre32, pre64, rel: float = ULP_FLOOR):
        """For the flat positions ``idx`` where golden levels ``g`` and reference levels ``r`` differ:
        (boundary case?, golden, reference, float32 pre-activation, exact one), the pre-activations in level units.
        A boundary case: neighbour levels whose exact value lies within the reference's own float32 error
        (|float32 - float64|, at least ``rel`` of the value) of the rounding boundary between them."""
        shape = np.shape(g)
        zp = np.broadcast_to(self.zero_point, shape).ravel()[idx]
        scale = np.broadcast_to(self.scale, shape).ravel()[idx]
        gi, ri = np.ravel(g)[idx], np.ravel(r)[idx]
        v32 = np.asarray(pre32, np.float64).ravel()[idx] / scale + zp
        v64 = np.asarray(pre64, np.float64).ravel()[idx] / scale + zp
        near = np.abs(v64 - self.boundary(gi, ri, zp)) <= np.abs(v32 - v64) + rel * np.maximum(1.0, np.abs(v64))
        return (np.abs(ri - gi) == (2 if self.bipolar else 1)) & near, gi, ri, v32, v64


@dataclass
class LayerLevels:
    name: str
    compared: int = 0  # elements compared, over all vectors
    boundary: int = 0
    failed: int = 0
    examples: list = field(default_factory=list)  # boundary cases
    first_failure: dict | None = None


@dataclass
class LevelReport:
    n: int
    layers: dict[str, LayerLevels]
    skipped: list[str]
    logits: dict

    @property
    def boundary_cases(self) -> int:
        return sum(v.boundary for v in self.layers.values())

    @property
    def ok(self) -> bool:
        return not any(v.failed for v in self.layers.values()) and self.logits.get("ok", False)

    def summary(self) -> dict:
        layers = {k: {"compared": v.compared, "boundary": v.boundary, "failed": v.failed, "examples": v.examples}
                  | ({"first_failure": v.first_failure} if v.first_failure else {}) for k, v in self.layers.items()}
        b = self.boundary_cases
        logit = self.logits.get("agreement", "")
        agreement = (f"{logit} at the logits; every quantizer level equal" if not b else
                     f"{logit} at the logits; every quantizer level equal but {b} boundary case{'s' * (b != 1)} "
                     "(the reference's float32 rounding crossed a rounding boundary; the golden model holds the "
                     "exact value)")
        return self.logits | {"agreement": agreement, "exact": bool(self.logits.get("exact")) and not b,
                              "boundary_cases": b, "layers": layers, "not_compared": self.skipped,
                              "quantizers_compared": len(self.layers), "ok": self.ok}


def quantizers(model) -> list[Quantizer]:
    out = []
    for node in activation_quantizers(model):
        init = lambda i: np.asarray(model.get_initializer(node.input[i]), np.float64)  # noqa: E731
        attrs = {a.name: a for a in node.attribute}
        rounding = attrs["rounding_mode"].s.decode() if "rounding_mode" in attrs else "ROUND"
        bipolar = node.op_type == "BipolarQuant"
        zp = np.zeros(1) if bipolar else init(2)
        if not bipolar and float(init(3)) == 1 and (attrs["signed"].i if "signed" in attrs else 1):
            bipolar = True  # qonnx executes a signed 1-bit Quant as a sign (its int_quant)
        out.append(Quantizer(node.name, node.input[0], node.output[0], init(1), zp, bipolar, rounding))
    return out


def golden_levels(graph, x: np.ndarray) -> tuple[dict[str, list[np.ndarray]], np.ndarray]:
    """Per IR node name, its output and those of the max-pools right after it (a pass moves pools behind the
    quantizer), each in channels-first / file column order where the layout moved; and the golden logits."""
    flat = _flat_trace(graph.nodes, to_channels_last(graph, x))
    nodes, outs = [n for n, _ in flat], [y for _, y in flat]
    nhwc_file = graph.input_layout == "NHWC"
    res: dict[str, list[np.ndarray]] = {}
    perm = None  # file column order of a flattened image, when the IR flattens channels-last
    for i, (node, y) in enumerate(zip(nodes, outs)):
        if isinstance(node, N.Flatten):
            before = outs[i - 1] if i else None
            if before is not None and before.ndim == 4 and not nhwc_file:
                h, w, c = before.shape[1:]
                perm = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).ravel()
        elif isinstance(node, (N.Dense, N.Conv2d, N.DepthwiseConv2d)):
            perm = None
        if isinstance(node, (N.Quantize, N.MultiThreshold, N.Shift)):
            ys = [y] + [outs[j] for j in range(i + 1, len(outs)) if isinstance(nodes[j], N.MaxPool)
                        and all(isinstance(nodes[k], N.MaxPool) for k in range(i + 1, j + 1))]
            res[node.name] = [_file_order(v, perm, nhwc_file) for v in ys]
    return res, outs[-1]


def _flat_trace(nodes, x) -> list:
    """(node, output) of every node, a residual block's sub-chains (branch, then skip) before the block itself."""
    out = []
    for n in nodes:
        if isinstance(n, N.Residual):
            out += _flat_trace(n.branch, x) + _flat_trace(n.skip, x)
        x = apply_node(n, x)
        out.append((n, x))
    return out


def _file_order(y: np.ndarray, perm, nhwc_file: bool) -> np.ndarray:
    if y.ndim == 4 and not nhwc_file:
        return y.transpose(0, 3, 1, 2)
    if y.ndim == 2 and perm is not None and y.shape[1] == perm.size:
        return y[:, perm]
    return y


def match_file_shape(candidates: list[np.ndarray], shape: tuple) -> np.ndarray | None:
    """The golden tensor (batch first) whose per-vector shape fits the file's tensor ``shape`` (batch 1)."""
    for c in candidates:
        if c.shape[1:] == tuple(shape[1:]):
            return c
        if c[:1].size == int(np.prod(shape)) and c.ndim == 4 and len(shape) == 3 and c.shape[2] == 1:
            return c.reshape(len(c), *shape[1:])  # a 1-D convolution held as an image of height 1
    return None


def compare_levels(graph, model, x: np.ndarray, tolerance: float = 0.0, what: str = "qonnx execution") -> LevelReport:
    """Golden vs the reference at every activation quantizer and at the logits, on float inputs ``x`` (already on
    the input type's grid); see the module docstring. Never raises: ``LevelReport.ok`` says."""
    quants = {q.name: q for q in quantizers(model)}
    golden, g_logits = golden_levels(graph, x)
    s32, s64 = Stepper(model), None
    layers = {name: LayerLevels(name) for name in quants if name in golden}
    skipped = [name for name in quants if name not in golden]
    ref_logits = []
    for v in range(len(x)):
        chosen: dict[str, np.ndarray] = {}  # golden levels put in the reference
        own: dict[str, np.ndarray] = {}  # the reference quantizers' own outputs

        def inject(name, out, v=v, chosen=chosen, own=own):
            g = match_file_shape(golden.get(name, []), out.shape)
            if g is None:
                if name in layers:
                    skipped.append(name)
                    del layers[name]
                return None
            q = quants[name]
            chosen[name] = g[v : v + 1]
            own[name] = np.array(out)
            return np.asarray(g[v : v + 1], np.float32) * np.asarray(q.scale, np.float32)

        ctx = s32.run(x[v : v + 1], inject)
        ref_logits.append(np.asarray(ctx[s32.output], np.float64).reshape(1, -1))
        ctx64 = None
        for name, g in chosen.items():
            q, lay = quants[name], layers.get(name)
            if lay is None:
                continue
            r = q.levels(own[name])
            lay.compared += g.size
            diff = np.flatnonzero((r != g).ravel())
            if not diff.size:
                continue
            if ctx64 is None:
                s64 = s64 or Stepper(model, "float64")
                ctx64 = s64.run(x[v : v + 1], lambda n, o, chosen=chosen: None if n not in chosen else
                                np.asarray(chosen[n], np.float64) * quants[n].scale)
            _judge(lay, q, v, diff, g, r, ctx[q.input], ctx64[q.input])
    logits = _logits(g_logits, np.concatenate(ref_logits) if ref_logits else np.zeros((0, 0)), tolerance, what)
    return LevelReport(len(x), layers, skipped, logits)


def _judge(lay: LayerLevels, q: Quantizer, v: int, idx: np.ndarray, g, r, pre32, pre64) -> None:
    shape = g.shape
    is_boundary, gi, ri, v32, v64 = q.judge(idx, g, r, pre32, pre64)
    for k in range(idx.size):
        where = np.unravel_index(int(idx[k]), shape)
        case = {"vector": v, "index": [int(i) for i in where[1:]],
                "channel": int(where[1]) if len(shape) > 1 else 0,
                "golden": int(gi[k]), "reference": int(ri[k]),
                "reference_value": float(v32[k]), "exact_value": float(v64[k])}
        if is_boundary[k]:
            lay.boundary += 1
            if len(lay.examples) < EXAMPLES:
                lay.examples.append(case)
        else:
            lay.failed += 1
            if lay.first_failure is None:
                lay.first_failure = case


def _logits(golden, reference, tolerance: float, what: str) -> dict:
    try:
        return check_logits(golden, reference, what, tolerance)
    except CheckFailed as e:
        return e.result | {"message": str(e)}


def raise_if_failed(report: LevelReport, what: str = "qonnx execution") -> dict:
    """The report's figures, or ``CheckFailed`` naming the first layer (in graph order) that differs."""
    res = report.summary()
    bad = next((lay for lay in report.layers.values() if lay.failed), None)
    if bad is not None:
        f = bad.first_failure
        raise CheckFailed(
            f"golden vs {what} differ at quantizer {bad.name} on {bad.failed} of {bad.compared} levels "
            f"(vector {f['vector']}, channel {f['channel']}, position {f['index']}): golden level {f['golden']}, "
            f"{what} {f['reference']} (pre-activation {f['reference_value']:.9g} levels, exact "
            f"{f['exact_value']:.9g}); not a rounding-boundary case", res)
    if not report.logits.get("ok", False):
        raise CheckFailed(report.logits.get("message", f"golden vs {what} differ at the logits"), res)
    return res


__all__ = ["LevelReport", "compare_levels", "golden_levels", "quantizers", "raise_if_failed"]
