"""A disk cache for computed features: ``$QNN_CACHE`` (default ``~/.cache/qnn``)/``<kind>/<key>.npz``.

The key is the SHA-256 of everything the arrays depend on, given as a JSON-able dict (the input files with
their sizes and modification times, the generator and feature configurations, a format version), so a changed
input or option is a new key and never a stale hit. Entries are written atomically (temporary file, then
rename): concurrent builders at worst both compute, readers never see half a file. An unreadable entry is
rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qnn.util.atomic import atomic_path

FORMAT = 1


def cache_dir() -> Path:
    return Path(os.environ.get("QNN_CACHE") or Path.home() / ".cache" / "qnn")


def cache_key(parts: dict) -> str:
    blob = json.dumps({"format": FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def files_fingerprint(paths: list[Path]) -> str:
    """A digest of the files' paths, sizes and mtimes: cheap (one stat each), changes when any file does."""
    h = hashlib.sha256()
    for p in paths:
        st = p.stat()
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def cached(kind: str, parts: dict, build: Callable[[], dict[str, np.ndarray]]) -> tuple[dict[str, np.ndarray], bool]:
    """(arrays, hit): the arrays stored for ``parts``, or ``build()`` stored then returned."""
    path = cache_dir() / kind / f"{cache_key(parts)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}, True
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            pass  # damaged entry: rebuild it below
    arrays = build()
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        path.with_suffix(".json").write_text(json.dumps(parts, indent=1, sort_keys=True, default=str))
    except OSError:
        pass  # a read-only or full cache is not an error: the features were computed anyway
    return arrays, False
