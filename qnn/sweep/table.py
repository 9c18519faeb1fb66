"""The sweep's results table: ``results.json`` and ``results.csv``, rewritten atomically as each point finishes.

Only the coordinating process writes (executors hand rows back to it), and every write replaces the whole
file by rename, so a reader -- or a sweep killed at any moment -- sees the table as it was after some
number of finished points, never a torn line. A row is keyed by the point id and carries the hash of the
recipe that produced it (``key``), so a changed spec re-runs the point instead of trusting an old number.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from qnn.util.atomic import atomic_write_text

COLUMNS = ["id", "preset", "weight_bits", "act_bits", "status", "accuracy", "brevitas_accuracy", "golden_vs_brevitas",
           "macs", "bops", "lut", "ff", "bram", "dsp", "fits", "fmax_mhz", "ideal_cycles", "cycles_per_inference",
           "sim_exact", "bit_exact", "seconds", "message", "key", "run"]


class ResultsTable:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.json_path = self.folder / "results.json"
        self.csv_path = self.folder / "results.csv"
        self.rows: dict[str, dict] = {}
        if self.json_path.is_file():
            try:
                self.rows = {r["id"]: r for r in json.loads(self.json_path.read_text())}
            except (json.JSONDecodeError, KeyError, TypeError):
                self.rows = {}

    def is_complete(self, point_id: str, key: str) -> bool:
        r = self.rows.get(point_id)
        return bool(r) and r.get("key") == key and r.get("status") == "ok"

    def upsert(self, row: dict, order: list[str] | None = None) -> None:
        self.rows[row["id"]] = row
        self.save(order)

    def ordered(self, order: list[str] | None = None) -> list[dict]:
        if not order:
            return list(self.rows.values())
        rank = {pid: i for i, pid in enumerate(order)}
        return sorted(self.rows.values(), key=lambda r: (rank.get(r["id"], len(rank)), r["id"]))

    def save(self, order: list[str] | None = None) -> None:
        rows = self.ordered(order)
        atomic_write_text(self.json_path, json.dumps(rows, indent=2, default=str))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in COLUMNS})
        atomic_write_text(self.csv_path, buf.getvalue())
