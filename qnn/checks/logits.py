"""Checks that two executions of one model agree: a mismatch raises ``CheckFailed`` naming the first one.

The golden logits are compared with a reference (Brevitas' forward for models trained here, qonnx's execution
of the file for imported ones). Models trained here use power-of-two scales everywhere, so the comparison is
exact: max |diff| == 0 and identical argmax. An imported model whose float tail (``Dequant``/``Affine`` after
the integer body) holds values that are not powers of two is computed by the two executors in a different
order of float32 operations, so there the documented tolerance applies: identical argmax, and every logit
within float32 rounding (``FLOAT32_REL`` of the largest |logit|). Such a pass is reported as "within float32
rounding", with the max |diff|, not as exact.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import CheckFailed

FLOAT32_REL = 1e-5  # a few float32 ulps of the largest logit, after a handful of float32 tail operations


def compare_logits(golden: np.ndarray, reference: np.ndarray) -> dict:
    """Agreement figures: argmax identity (fraction and count) and max |logit difference|."""
    golden, reference = np.asarray(golden), np.asarray(reference)
    return {
        "argmax_equal": float((golden.argmax(1) == reference.argmax(1)).mean()) if len(golden) else 1.0,
        "argmax_mismatches": int((golden.argmax(1) != reference.argmax(1)).sum()),
        "max_abs_diff": float(np.abs(golden - reference).max()) if len(golden) else 0.0,
    }


def _pow2(v: np.ndarray) -> bool:
    v = np.abs(np.asarray(v, dtype=np.float64).ravel())
    v = v[v != 0]
    return bool(np.all(np.frexp(v)[0] == 0.5))


def tail_tolerance(graph) -> float:
    """0.0 (exact) when the float tail only multiplies by powers of two, else ``FLOAT32_REL``."""
    from qnn.ir import nodes as N

    for node in graph.tail:
        if isinstance(node, N.Dequant) and not _pow2(node.scale):
            return FLOAT32_REL
        if isinstance(node, N.Affine) and (not _pow2(node.mul) or np.any(np.asarray(node.add) != 0)):
            return FLOAT32_REL
    return 0.0


def check_logits(golden: np.ndarray, reference: np.ndarray, what: str, tolerance: float = 0.0,
                 where: str = "vectors") -> dict:
    """Compare golden logits with ``what``'s; return the figures (``ok``, ``exact``, ...) or raise CheckFailed.

    ``tolerance`` > 0 allows |diff| <= tolerance * max(1, max |reference|) when every argmax is identical."""
    golden = np.asarray(golden, dtype=np.float64).reshape(len(golden), -1)
    reference = np.asarray(reference, dtype=np.float64).reshape(len(reference), -1)
    if golden.shape != reference.shape:
        raise CheckFailed(f"golden gives logits of shape {list(golden.shape)}, {what} {list(reference.shape)}")
    res = compare_logits(golden, reference)
    n = len(golden)
    allowed = tolerance * max(1.0, float(np.abs(reference).max())) if (tolerance and n) else 0.0
    diff = np.abs(golden - reference)
    bad = diff > allowed
    if tolerance:
        bad |= (golden.argmax(1) != reference.argmax(1))[:, None] & (diff > 0)
    bad_vec = bad.any(axis=1)
    res.update(n=n, tolerance=tolerance, exact=res["max_abs_diff"] == 0.0, ok=not bad_vec.any(),
               mismatched_vectors=int(bad_vec.sum()))
    res["agreement"] = ("exact" if res["exact"] else
                        f"within float32 rounding (max |diff| {res['max_abs_diff']:.3g}, identical argmax)" if res["ok"]
                        else f"DIFFERENT on {res['mismatched_vectors']} of {n} vectors")
    if res["ok"]:
        return res
    v = int(np.flatnonzero(bad_vec)[0])
    o = int(np.argmax(np.where(bad[v], diff[v], -1.0)))
    res["first_mismatch"] = {"vector": v, "output": o, "golden": float(golden[v, o]), "reference": float(reference[v, o])}
    raise CheckFailed(
        f"golden vs {what} differ on {res['mismatched_vectors']} of {n} {where}: first vector {v}, output {o}: "
        f"golden {golden[v, o]:.9g}, {what} {reference[v, o]:.9g} (argmax equal {res['argmax_equal']:.2%}, "
        f"max |diff| {res['max_abs_diff']:.3g})", res)


def rtl_mismatch(res, what: str | None = None) -> str:
    """One line for an RTL simulation (``sim``'s ``SimResult``) that is not bit-exact: counts, then the first
    differing vector and output (and layer, when the probe ran).  ``what``: the simulated thing (default: RTL)."""
    parts = []
    if res.mismatched:
        parts.append(f"on {res.mismatched} of {res.vectors} vectors")
    if res.throughput_exact != res.throughput_vectors:
        parts.append(f"back to back on {res.throughput_vectors - res.throughput_exact} of {res.throughput_vectors} "
                     "vectors")
    first = res.first_mismatch()
    return (f"{what or f'RTL simulation ({res.simulator})'} differs from the golden model "
            f"{'; '.join(parts) or 'in a layer'}"
            + (f": {first}" if first else ""))
