"""Golden logits against a float reference's: exact, within the float tail's rounding, and ties.

The golden logits are compared with a reference (Brevitas' forward for models trained here, qonnx's execution
of the file for imported ones). Models trained here use power-of-two scales everywhere, so the comparison is
exact: max |diff| == 0. An imported model whose float tail (``Dequant``/``Affine`` after the integer body) holds
values that are not powers of two is computed by the two executors in a different order of float32 operations, so
there the documented tolerance applies: every logit within float32 rounding (``FLOAT32_REL`` of the largest
|logit|). Such a pass is reported as "within float32 rounding", with the max |diff|, not as exact.

Ties: when the golden logits of a vector hold several exactly equal maxima, the reference breaks the tie by its own
float32 rounding; its argmax is then any one of them, and that is no disagreement. A vector's argmax agrees when
the golden maximum's set and the reference's (its maxima within the allowed tolerance) share an index; the figures
count such vectors as ``ties``.
"""
from __future__ import annotations

import numpy as np

from qnn.errors import CheckFailed

FLOAT32_REL = 1e-5  # a few float32 ulps of the largest logit, after a handful of float32 tail operations


def argmax_agrees(golden: np.ndarray, reference: np.ndarray, allowed: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(agree, tied) per vector: the golden maxima and the reference's maxima (within ``allowed`` of its largest)
    share an index; ``tied``: the golden logits hold several exactly equal maxima."""
    golden, reference = np.asarray(golden, np.float64), np.asarray(reference, np.float64)
    if not len(golden):
        return np.zeros(0, bool), np.zeros(0, bool)
    g_max = golden == golden.max(1, keepdims=True)
    r_max = reference >= reference.max(1, keepdims=True) - allowed
    return (g_max & r_max).any(1), g_max.sum(1) > 1


def compare_logits(golden: np.ndarray, reference: np.ndarray) -> dict:
    """Agreement figures: argmax identity (fraction and count, tied golden maxima counted as agreeing when the
    reference picks one of them), vectors with tied maxima, and max |logit difference|."""
    golden, reference = np.asarray(golden), np.asarray(reference)
    agree, tied = argmax_agrees(golden, reference)
    return {
        "argmax_equal": float(agree.mean()) if len(golden) else 1.0,
        "argmax_mismatches": int((~agree).sum()),
        "ties": int(tied.sum()),
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
        agree, _ = argmax_agrees(golden, reference, allowed)
        bad |= (~agree)[:, None] & (diff > 0)
    bad_vec = bad.any(axis=1)
    res.update(n=n, tolerance=tolerance, exact=res["max_abs_diff"] == 0.0, ok=not bad_vec.any(),
               mismatched_vectors=int(bad_vec.sum()))
    ties = f", {res['ties']} with tied maxima" if res["ties"] else ""
    res["agreement"] = ("exact" + ties if res["exact"] else
                        f"within float32 rounding (max |diff| {res['max_abs_diff']:.3g}, identical argmax{ties})"
                        if res["ok"] else f"DIFFERENT on {res['mismatched_vectors']} of {n} vectors")
    if res["ok"]:
        return res
    v = int(np.flatnonzero(bad_vec)[0])
    o = int(np.argmax(np.where(bad[v], diff[v], -1.0)))
    res["first_mismatch"] = {"vector": v, "output": o, "golden": float(golden[v, o]), "reference": float(reference[v, o])}
    raise CheckFailed(
        f"golden vs {what} differ on {res['mismatched_vectors']} of {n} {where}: first vector {v}, output {o}: "
        f"golden {golden[v, o]:.9g}, {what} {reference[v, o]:.9g} (argmax equal {res['argmax_equal']:.2%}, "
        f"max |diff| {res['max_abs_diff']:.3g})", res)
