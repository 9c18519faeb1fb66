"""Folding: how many output channels (PE) and inputs (SIMD) each matrix-vector unit computes per cycle.

A layer with N_OUT x N_IN weights applied to V vectors per inference needs V * (N_OUT/PE) * (N_IN/SIMD)
cycles.  The pipeline's cycles per inference are those of its slowest layer, so given a target every
layer gets the cheapest (PE, SIMD) -- the fewest multipliers, then the fewest PEs -- that meets it.
PE must divide N_OUT; SIMD must divide N_IN (the input channels for a convolution, since a window
word holds the channels of one pixel).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from qnn.errors import QnnError


@dataclass(frozen=True)
class Fold:
    pe: int
    simd: int


Folding = dict[str, Fold]


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def layer_cycles(layer, fold: Fold) -> int:
    if hasattr(layer, "cycles"):  # a layer whose pace is not its MAC array's (depthwise: the window unit's)
        return layer.cycles(fold)
    return layer.vectors * (layer.n_out // fold.pe) * (layer.n_in // fold.simd)


def check_fold(layer, fold: Fold) -> None:
    if fold.pe < 1 or layer.n_out % fold.pe:
        raise QnnError(f"layer {layer.name}: PE={fold.pe} must divide its {layer.n_out} output channels "
                       f"(choose one of {divisors(layer.n_out)})")
    if fold.simd < 1 or layer.simd_limit % fold.simd:
        raise QnnError(f"layer {layer.name}: SIMD={fold.simd} must divide {layer.simd_limit} "
                       f"(choose one of {divisors(layer.simd_limit)})")


def fold_for_target(layer, target: int) -> Fold:
    """The cheapest fold meeting ``target`` cycles, or the fastest one if none does."""
    best = None
    for pe in divisors(layer.n_out):
        for simd in divisors(layer.simd_limit):
            f = Fold(pe, simd)
            if layer_cycles(layer, f) <= target:
                key = (pe * simd, pe)
                if best is None or key < best[0]:
                    best = (key, f)
    if best is None:
        return Fold(layer.n_out, layer.simd_limit)
    return best[1]


def default_target(mvus) -> int:
    """Without a target: the slowest layer gets 64 multipliers."""
    return max(1, math.ceil(max(m.macs for m in mvus) / 64))


def choose_folding(mvus, target_cycles: int | None = None, given: Folding | None = None) -> Folding:
    """Folding for every matrix layer: ``given`` entries as they are, the rest chosen for the target."""
    given = dict(given or {})
    names = {m.name for m in mvus}
    unknown = sorted(set(given) - names)
    if unknown:
        raise QnnError(f"folding names unknown layers {unknown}; the matrix layers are {sorted(names)}")
    if target_cycles is not None and target_cycles < 1:
        raise QnnError("--target-cycles must be a positive number of cycles")
    target = target_cycles if target_cycles is not None else default_target(mvus)
    out: Folding = {}
    for m in mvus:
        f = given.get(m.name) or fold_for_target(m, target)
        check_fold(m, f)
        out[m.name] = f
    return out


def parse_folding(text: str | None) -> Folding:
    """``{"layer": {"pe": 4, "simd": 8}, ...}`` as a JSON string or the path of a JSON file."""
    if not text:
        return {}
    p = Path(text)
    try:
        raw = json.loads(p.read_text()) if p.is_file() else json.loads(text)
    except json.JSONDecodeError as e:
        raise QnnError(f"--folding is neither a JSON file nor valid JSON ({e.msg}); "
                       'give e.g. \'{"dense0": {"pe": 4, "simd": 16}}\'') from None
    if not isinstance(raw, dict):
        raise QnnError("--folding must map layer names to {\"pe\": P, \"simd\": S}")
    out = {}
    for name, v in raw.items():
        try:
            out[name] = Fold(int(v["pe"]), int(v["simd"]))
        except (TypeError, KeyError, ValueError):
            raise QnnError(f"--folding entry {name!r} must be {{\"pe\": P, \"simd\": S}}") from None
    return out


def folding_to_dict(f: Folding) -> dict:
    return {k: {"pe": v.pe, "simd": v.simd} for k, v in f.items()}
