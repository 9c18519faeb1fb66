"""One line for an RTL simulation that is not bit-exact."""
from __future__ import annotations


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
