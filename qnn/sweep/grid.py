"""The design-space grid: model presets x weight bits x activation bits (1..8, plus the float reference).

Each grid point is one ``qnn flow`` run in ``SWEEP/points/<id>/``; ``SweepSpec.flow_config(point)`` is the
whole recipe for it, and its hash (``point_key``) says whether a stored result still matches the spec.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

from qnn.errors import QnnError
from qnn.flow.config import FlowConfig, Step
from qnn.models.spec import PRESETS

FLOAT = "float"
DEFAULT_STEPS = (Step.train, Step.export, Step.golden, Step.rtl, Step.sim, Step.synth)


@dataclass(frozen=True)
class Point:
    preset: str
    weight_bits: int | str  # 1..8 or "float"
    act_bits: int | str

    @property
    def is_float(self) -> bool:
        return self.weight_bits == FLOAT

    @property
    def id(self) -> str:
        return f"{self.preset}-float" if self.is_float else f"{self.preset}-w{self.weight_bits}a{self.act_bits}"

    def to_dict(self) -> dict:
        return asdict(self)


def parse_bits(text: str, what: str) -> tuple[tuple[int, ...], bool]:
    """"1,2,4,8,float" -> ((1, 2, 4, 8), True)."""
    bits, has_float = [], False
    for tok in (t.strip().lower() for t in str(text).split(",") if t.strip()):
        if tok in (FLOAT, "32"):
            has_float = True
            continue
        try:
            b = int(tok)
        except ValueError:
            raise QnnError(f"--{what} must list bit widths 1..8 or 'float', got {tok!r}") from None
        if not 1 <= b <= 8:
            raise QnnError(f"--{what}: bit width {b} is out of range 1..8 (use 'float' for the float reference)")
        bits.append(b)
    return tuple(dict.fromkeys(bits)), has_float


@dataclass(frozen=True)
class SweepSpec:
    dataset: str = "mnist"
    presets: tuple[str, ...] = ("tfc",)
    weight_bits: tuple[int, ...] = (1, 2, 4, 8)
    act_bits: tuple[int, ...] = (1, 2, 4, 8)
    include_float: bool = True
    hidden: tuple[int, ...] | None = None  # overrides the presets' layer widths
    data_dir: str | None = None
    epochs: int = 1
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0
    limit_train: int | None = None
    eval_limit: int | None = None
    steps: tuple[Step, ...] = DEFAULT_STEPS
    simulator: str = "verilator"
    sim_vectors: int = 8
    target_cycles: int | None = None
    synth_target: str = "ice40"
    synth_device: str | None = None
    pnr: bool = False
    synth_timeout: int = 3600  # seconds per Yosys call: a point whose synthesis takes longer gets no LUT figures
    confusion: bool = False  # confusion-matrix PNG per point

    def __post_init__(self) -> None:
        unknown = [p for p in self.presets if p not in PRESETS]
        if unknown:
            raise QnnError(f"unknown model preset(s) {unknown}: choose from {', '.join(PRESETS)}")
        if not self.presets:
            raise QnnError("give at least one model preset (--models)")
        if not (self.weight_bits and self.act_bits) and not self.include_float:
            raise QnnError("the grid is empty: give --weight-bits and --act-bits, or include float")
        object.__setattr__(self, "steps", tuple(Step(s) for s in self.steps))
        for name in ("presets", "weight_bits", "act_bits"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.hidden is not None:
            object.__setattr__(self, "hidden", tuple(self.hidden))
        FlowConfig(**self._flow_kwargs(Point(self.presets[0], 2, 2)))  # validates the rest up front

    def points(self) -> list[Point]:
        out = []
        for p in self.presets:
            out += [Point(p, w, a) for w in self.weight_bits for a in self.act_bits]
            if self.include_float:
                out.append(Point(p, FLOAT, FLOAT))
        return out

    def _flow_kwargs(self, point: Point) -> dict:
        bits = (32, 32) if point.is_float else (point.weight_bits, point.act_bits)
        return dict(dataset=self.dataset, data_dir=self.data_dir, model=point.preset, weight_bits=bits[0],
                    act_bits=bits[1], hidden=self.hidden, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                    seed=self.seed, limit_train=self.limit_train, threads=1, eval_limit=self.eval_limit,
                    plots=self.confusion, simulator=self.simulator, sim_vectors=self.sim_vectors,
                    sim_throughput_vectors=min(4, self.sim_vectors), target_cycles=self.target_cycles,
                    synth_target=self.synth_target, synth_device=self.synth_device, pnr=self.pnr,
                    synth_timeout=self.synth_timeout,
                    skip=frozenset(s for s in Step if s not in self.steps))

    def flow_config(self, point: Point) -> FlowConfig:
        return FlowConfig(**self._flow_kwargs(point))

    def point_key(self, point: Point) -> str:
        """Hash of the point's whole recipe: a stored row with another key is stale."""
        cfg = self.flow_config(point)
        d = {**cfg.to_dict(), "planned": [s.value for s in cfg.steps()]}
        d.pop("synth_timeout")  # a limit, not a recipe: changing it keeps finished points
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["steps"] = [s.value for s in self.steps]
        for k in ("presets", "weight_bits", "act_bits", "hidden"):
            d[k] = list(d[k]) if d[k] is not None else None
        return d

    @staticmethod
    def from_dict(d: dict) -> SweepSpec:
        known = {f.name for f in fields(SweepSpec)}
        return SweepSpec(**{k: v for k, v in d.items() if k in known})
