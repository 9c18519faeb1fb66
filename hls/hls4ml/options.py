"""What the user chooses for the HLS project, checked up front with one-line errors."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from qnn.errors import QnnError


class IOType(StrEnum):
    io_parallel = "io_parallel"
    io_stream = "io_stream"


class Strategy(StrEnum):
    latency = "latency"
    resource = "resource"


BACKEND_NAMES = {"vitis": "Vitis", "vivado": "Vivado"}  # hls4ml's names
DEFAULT_PART = "xcvu13p-flga2577-2-e"  # hls4ml's default part


@dataclass(frozen=True)
class HlsOptions:
    backend: str = "vitis"
    io_type: str = "io_parallel"
    reuse: int = 1
    strategy: str = "latency"
    clock: float = 5.0  # ns
    part: str = DEFAULT_PART
    project: str = "myproject"

    @property
    def backend_name(self) -> str:
        return BACKEND_NAMES[self.backend]

    def check(self) -> HlsOptions:
        if self.backend not in BACKEND_NAMES:
            raise QnnError(f"unknown HLS backend {self.backend!r}: use vitis or vivado")
        if self.io_type not in (t.value for t in IOType):
            raise QnnError(f"unknown io type {self.io_type!r}: use io_parallel or io_stream")
        if self.strategy not in (s.value for s in Strategy):
            raise QnnError(f"unknown strategy {self.strategy!r}: use latency or resource")
        if int(self.reuse) != self.reuse or self.reuse < 1:
            raise QnnError(f"reuse factor must be a positive integer, got {self.reuse}")
        if not self.clock > 0:
            raise QnnError(f"clock period must be positive (ns), got {self.clock}")
        if not self.part or any(ch.isspace() for ch in self.part):
            raise QnnError(f"FPGA part {self.part!r} is not a part name (e.g. {DEFAULT_PART})")
        if not self.project.isidentifier():
            raise QnnError(f"project name {self.project!r} must be a C identifier")
        return self

    def check_reuse(self, layer: str, n_in: int, n_out: int) -> None:
        """The reuse factor must be one hls4ml accepts for this layer (it divides n_in * n_out and fits n_in).

        hls4ml itself would silently pick another value and print a warning; here it is an error, so that the
        project built is the one asked for."""
        from hls4ml.backends import get_backend

        valid = get_backend(self.backend_name).get_valid_reuse_factors(n_in, n_out)
        if self.reuse in valid:
            return
        near = sorted(valid, key=lambda v: (abs(v - self.reuse), v))[:4]
        raise QnnError(f"reuse factor {self.reuse} does not divide layer {layer} ({n_in}x{n_out} multiplications): "
                       f"valid values near it are {', '.join(map(str, sorted(near)))}")

    def to_dict(self) -> dict:
        return asdict(self)
