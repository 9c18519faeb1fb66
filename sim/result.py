"""``SimResult``: what one RTL simulation of a network against the golden model found and measured."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sim.compare import describe_mismatch


@dataclass
class SimResult:
    simulator: str
    vectors: int
    exact: int
    mismatched: int
    mismatches: list[dict]
    throughput_vectors: int
    throughput_exact: int
    latency_cycles: int
    cycles_per_inference: float | None
    ideal_cycles: int
    bottleneck: str
    build_s: float
    sim_s: float  # wall time of all simulation passes (exactness + back to back)
    vectors_per_s: float  # exactness pass: vectors / its wall time
    sim_cycles: int
    gap: float
    backpressure: float
    waves: str | None = None
    folding: dict = field(default_factory=dict)
    engine: str = "harness"  # harness (testbench inside the simulator) or cocotb (per-cycle Python)
    exact_s: float = 0.0  # wall time of the exactness pass
    exact_cpu_s: float = 0.0  # CPU time of the simulator in the exactness pass (independent of machine load)
    cycles_per_s: float = 0.0  # exactness pass: simulated cycles / its wall time
    build_cached: bool = False
    probe: dict | None = None  # the first layer that differs (layer probe), when one was run
    layers: list[dict] = field(default_factory=list)  # per-tap comparison rows of the probe run
    jobs: int = 1  # simulator processes run in parallel in the exactness pass
    shards: list[dict] = field(default_factory=list)  # per process: vectors lo..hi, cycles, wall/CPU s, cycles/s

    @property
    def ok(self) -> bool:
        return self.mismatched == 0 and self.throughput_exact == self.throughput_vectors and not self._layer_bad

    @property
    def _layer_bad(self) -> bool:
        return any(r.get("first") is not None for r in self.layers)

    @property
    def efficiency(self) -> float | None:
        """ideal / measured cycles per inference (1.0 = the slowest layer's MAC array always busy)."""
        return self.ideal_cycles / self.cycles_per_inference if self.cycles_per_inference else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(ok=self.ok, efficiency=self.efficiency)
        return d

    def first_mismatch(self) -> str | None:
        """The first differing vector and output, and the first differing layer when the probe ran."""
        from sim.probe import describe_layer

        parts = []
        if self.mismatches:
            parts.append(describe_mismatch(self.mismatches[0]))
        if self.probe:
            parts.append("layer probe: " + describe_layer(self.probe))
        return "; ".join(parts) or None
