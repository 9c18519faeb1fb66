"""The comparator: hardware outputs against the golden model, naming the first mismatch exactly."""
from __future__ import annotations

import numpy as np


def compare_outputs(got: np.ndarray, expected: np.ndarray, keep: int = 10) -> dict:
    """got/expected [N, L] integers -> counts and the first ``keep`` mismatches (vector, output, values)."""
    got = np.asarray(got, dtype=np.int64)
    expected = np.asarray(expected, dtype=np.int64)
    if got.shape != expected.shape:
        raise ValueError(f"shape {got.shape} != expected {expected.shape}")
    bad = got != expected
    bad_vec = bad.any(axis=1)
    mism = []
    for v in np.flatnonzero(bad_vec)[:keep]:
        o = int(np.flatnonzero(bad[v])[0])
        mism.append({"vector": int(v), "output": o, "got": int(got[v, o]), "expected": int(expected[v, o]),
                     "outputs_wrong": int(bad[v].sum())})
    return {"vectors": int(len(got)), "exact": int((~bad_vec).sum()), "mismatched": int(bad_vec.sum()),
            "mismatches": mism}


def describe_mismatch(m: dict) -> str:
    return (f"vector {m['vector']}, output {m['output']}: got {m['got']}, expected {m['expected']} "
            f"({m['outputs_wrong']} outputs of this vector differ)")
