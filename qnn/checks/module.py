"""Golden model against the Brevitas module's own eval forward, under the contract of ``qnn.checks.levels``.

The module's enabled activation quantizers (Brevitas' ``ActQuantProxyFromInjector``: those of QuantIdentity,
QuantReLU, QuantHardTanh, ..., QuantEltwiseAdd's input and output quantizers, a layer's input/output quantizer) are
hooked; their outputs, in call order, are the file's activation quantizers in graph order (checked by count and
shape), turned into levels with the exported scales. PyTorch cannot be fed the golden levels half-way, so per
vector the first quantizer whose levels differ is judged:

- none differs: the logits must agree as in ``qnn.checks.logits`` (exact, or within float32 rounding of a
  non-power-of-two tail; tied maxima are no disagreement);
- the first that differs holds only neighbour levels whose exact value (the layer in float64 on the golden model's
  input, ``qnn.checks.reference``) lies within float32 error of the rounding boundary (the reference's own
  measured error at that element, at least ``MODULE_REL`` of the value: PyTorch's kernels sum in another order than
  onnxruntime's): a boundary case; the layers after it saw another input and are not compared for that vector;
- anything else fails, naming the quantizer, vector and channel.
"""
from __future__ import annotations

import numpy as np

from qnn.checks.levels import ULP_FLOOR, golden_levels, match_file_shape, quantizers
from qnn.checks.logits import check_logits
from qnn.checks.reference import Stepper
from qnn.errors import CheckFailed

MODULE_REL = 2.0**-16  # relative float32 error allowed for PyTorch's own accumulation order (256 float32 ulps)


def module_outputs(module, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """(outputs of the activation quantizers in call order, logits) of the module's eval forward on ``x``."""
    import torch
    from brevitas.proxy.runtime_quant import ActQuantProxyFromInjector

    seen: list[np.ndarray] = []

    def hook(_mod, _inp, out):
        seen.append(np.asarray(getattr(out, "value", out).detach().numpy(), np.float64))

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, ActQuantProxyFromInjector) and m.is_quant_enabled]
    try:
        module.eval()
        with torch.no_grad():
            y = module(torch.from_numpy(np.asarray(x, np.float32)))
    finally:
        for h in handles:
            h.remove()
    return seen, np.asarray(getattr(y, "value", y).detach().numpy(), np.float64).reshape(len(x), -1)


def compare_module(graph, model, module, x: np.ndarray, tolerance: float = 0.0) -> dict:
    """Golden vs the module on float inputs ``x`` (file layout); returns the figures or raises ``CheckFailed``."""
    quants = quantizers(model)
    outs, m_logits = module_outputs(module, x)
    golden, g_logits = golden_levels(graph, x)
    pairs = _pairs(quants, outs, golden, model, x)
    res = {"n": len(x), "quantizers_compared": len(pairs), "boundary_vectors": 0, "boundary_cases": 0,
           "examples": []}
    clean = np.ones(len(x), bool)
    s32 = s64 = None
    for v in range(len(x)):
        for q, m_out, g in pairs:
            m_lv = np.round(m_out[v : v + 1] / q.scale).astype(np.int64)
            idx = np.flatnonzero((m_lv != g[v : v + 1]).ravel())
            if not idx.size:
                continue
            s32, s64 = s32 or Stepper(model), s64 or Stepper(model, "float64")
            pre32, pre64 = (_pre(s, q, x[v : v + 1], {p.name: gg[v : v + 1] for p, _, gg in pairs}, quants)
                            for s in (s32, s64))
            _judge_first(res, q, v, idx, g[v : v + 1], m_lv, pre32, pre64)
            clean[v] = False
            break
    res["boundary_vectors"] = int((~clean).sum())
    try:
        agree = check_logits(g_logits[clean], m_logits[clean], "Brevitas", tolerance)
    except CheckFailed as e:
        raise CheckFailed(f"{e} (on the {int(clean.sum())} vectors with every quantizer level equal)",
                          res | e.result) from None
    b = res["boundary_cases"]
    res |= {k: agree[k] for k in ("exact", "max_abs_diff", "ties", "argmax_equal")}
    res["ok"] = True
    res["agreement"] = (f"{agree['agreement']} on {int(clean.sum())} vectors" +
                        (f"; {res['boundary_vectors']} vectors with {b} boundary case{'s' * (b != 1)} "
                         "(Brevitas' float32 rounding crossed a rounding boundary; the golden model holds the exact "
                         "value; later layers not compared there)" if b else ""))
    return res


def _pairs(quants, outs, golden, model, x, probe: int = 4) -> list:
    """(file quantizer, module output, golden levels) in the file's graph order. Call order is not graph order (a
    residual block's skip quantizer runs when the add does), so each module quantizer is paired with the file's of
    the same shape whose output in qonnx's plain execution is closest to its own on the first ``probe`` vectors."""
    if len(outs) != len(quants):
        raise CheckFailed(f"the module ran {len(outs)} activation quantizers, its export holds {len(quants)}: "
                          "cannot pair them (a quantizer outside brevitas' proxies?)", {})
    stepper = Stepper(model)
    runs = [stepper.run(x[v : v + 1]) for v in range(min(probe, len(x)))]
    free = list(quants)
    found = {}
    for out in outs:
        def distance(q, out=out):
            if runs[0][q.output].shape != (1, *out.shape[1:]):
                return np.inf
            return sum(np.count_nonzero(~np.isclose(r[q.output], out[v : v + 1], rtol=1e-5, atol=1e-7))
                       for v, r in enumerate(runs))
        best = min(free, key=distance)
        if not np.isfinite(distance(best)):
            raise CheckFailed(f"a module quantizer's output of shape {list(out.shape[1:])} has no counterpart in the "
                              "export", {})
        free.remove(best)
        found[best.name] = out
    pairs = []
    for q in quants:
        g = match_file_shape(golden.get(q.name, []), (1, *found[q.name].shape[1:]))
        if g is not None:
            pairs.append((q, found[q.name], g))
    return pairs


def _pre(stepper, q, x, levels: dict, quants) -> np.ndarray:
    """The quantizer's input in the reference (float32 or float64), every earlier quantizer fed golden levels."""
    scale = {p.name: p.scale for p in quants}
    ctx = stepper.run(x, lambda n, o: None if n not in levels else np.asarray(levels[n], np.float64) * scale[n])
    return np.asarray(ctx[q.input], np.float64)


def _judge_first(res: dict, q, v: int, idx, g, m_lv, pre32, pre64) -> None:
    shape = g.shape
    ok, gi, mi, _, v64 = q.judge(idx, g, m_lv, pre32, pre64, max(MODULE_REL, ULP_FLOOR))
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        where = np.unravel_index(int(idx[k]), shape)
        raise CheckFailed(
            f"golden vs Brevitas differ at quantizer {q.name} (vector {v}, channel {int(where[1])}, position "
            f"{[int(i) for i in where[1:]]}): golden level {int(gi[k])}, Brevitas {int(mi[k])} (exact pre-activation "
            f"{float(v64[k]):.9g} levels); not a rounding-boundary case", res)
    res["boundary_cases"] += int(idx.size)
    if len(res["examples"]) < 5:
        res["examples"].append({"quantizer": q.name, "vector": v, "golden": int(gi[0]), "brevitas": int(mi[0]),
                                "exact_value": float(v64[0])})
