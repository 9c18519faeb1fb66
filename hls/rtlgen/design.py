"""The description of a generated design (``design.json`` beside ``qnn_top.v``).

Everything a simulator or a synthesis run needs to know without the IR: the top's stream formats,
frame lengths, the source files, the folding and the ideal cycles per inference of every matrix layer.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hls.rtlgen.encoding import Encoding
from qnn.errors import QnnError
from qnn.util.atomic import atomic_write_text


@dataclass
class Design:
    rtl_dir: str
    top: str  # module name
    sources: list[str]  # file names in rtl_dir, dependencies first
    in_elems: int  # elements per input word
    in_enc: dict
    in_len: int  # input elements per inference
    out_elems: int
    out_enc: dict
    out_len: int  # output elements per inference
    folding: dict
    layers: list[dict]  # per matrix layer: name, kind, n_in, n_out, vectors, pe, simd, macs, cycles
    stages: list[dict] = field(default_factory=list)  # every core instance: name, module, params
    graph_summary: str = ""
    weight_load_words: int = 0  # 16-bit words the top's weight-load port takes after reset (SPRAM weights; 0: none)

    @property
    def ideal_cycles(self) -> int:
        """ceil(MACs / (PE*SIMD)) of the slowest matrix layer: the steady-state cycles per inference."""
        return max((ly["cycles"] for ly in self.layers), default=0)

    @property
    def bottleneck(self) -> str:
        return max(self.layers, key=lambda ly: ly["cycles"])["name"] if self.layers else ""

    @property
    def in_encoding(self) -> Encoding:
        return Encoding.from_dict(self.in_enc)

    @property
    def out_encoding(self) -> Encoding:
        return Encoding.from_dict(self.out_enc)

    def source_paths(self) -> list[Path]:
        return [Path(self.rtl_dir) / s for s in self.sources]

    @property
    def in_width(self) -> int:
        return self.in_elems * self.in_enc["bits"]

    @property
    def out_width(self) -> int:
        return self.out_elems * self.out_enc["bits"]

    def save(self) -> Path:
        p = Path(self.rtl_dir) / "design.json"
        d = asdict(self)
        d["ideal_cycles"] = self.ideal_cycles
        d["bottleneck"] = self.bottleneck
        d["rtl_dir"] = "."  # relative: the folder can move
        atomic_write_text(p, json.dumps(d, indent=2))
        return p


def load_design(rtl_dir: str | Path) -> Design:
    rtl_dir = Path(rtl_dir)
    p = rtl_dir / "design.json"
    if not p.is_file():
        raise QnnError(f"{rtl_dir} holds no generated design (design.json): run `qnn rtl RUN` first")
    d = json.loads(p.read_text())
    d.pop("ideal_cycles", None)
    d.pop("bottleneck", None)
    d["rtl_dir"] = str(rtl_dir.resolve())
    return Design(**d)
