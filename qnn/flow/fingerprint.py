"""Input fingerprints: a step is redone only when what it reads has changed.

A step's fingerprint hashes the config fields it depends on and the *content* of the artifacts it reads
(``checkpoint.pt`` for the export, ``ir/`` for hls/rtl, ``rtl/`` for sim/synth ...). The record kept in
``RUN/flow.json`` says which fingerprint each finished step was computed from; a different one means stale.

``.npz`` archives are hashed by their arrays, not their bytes: NumPy stamps the zip entries with the time of
writing, so two saves of the same graph differ byte for byte.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


def _hash_file(h, path: Path) -> None:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            for key in sorted(z.files):
                a = z[key]
                h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
                h.update(np.ascontiguousarray(a).tobytes())
        return
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)


def hash_path(path: str | Path) -> str:
    """sha256 of a file, or of every file under a folder (relative names + contents; hidden entries and
    simulator build trees and ``__pycache__`` left out); "missing" when the path does not exist."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_file():
        _hash_file(h, path)
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            if not p.is_file() or any(part.startswith((".", "build_")) or part == "__pycache__" for part in rel.parts):
                continue
            h.update(str(rel).encode() + b"\0")
            _hash_file(h, p)
    else:
        return "missing"
    return h.hexdigest()


def fingerprint(config: dict, inputs: dict[str, str | Path]) -> str:
    """One hash over a step's config slice and the content of its input artifacts."""
    doc = {"config": config, "inputs": {k: hash_path(v) for k, v in sorted(inputs.items())}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]
