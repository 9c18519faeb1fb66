"""What one ``qnn flow`` run is asked to do: a frozen dataclass with Enums, checked up front.

The config is stored in ``RUN/flow.json`` beside the per-step records; each step reads only the fields it
needs (``STEP_FIELDS``), so changing, say, the simulator re-runs ``sim`` but not the training.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum, StrEnum

from hls.hls4ml.options import IOType
from qnn.errors import QnnError


class Step(StrEnum):
    """The flow's steps in execution order (FINN's build_dataflow_steps, one named function each)."""

    train = "train"
    export = "export"
    golden = "golden"
    hls = "hls"
    rtl = "rtl"
    sim = "sim"
    synth = "synth"
    board = "board"  # optional: only with --board (bitstream + the simulated board, qnn.board)
    report = "report"


STEP_ORDER: tuple[Step, ...] = tuple(Step)
HARDWARE_STEPS = (Step.hls, Step.rtl, Step.sim, Step.synth)


class DatasetName(StrEnum):
    mnist = "mnist"
    kws = "kws"


class Simulator(StrEnum):
    verilator = "verilator"
    icarus = "icarus"


class SynthTarget(StrEnum):
    ice40 = "ice40"
    ecp5 = "ecp5"
    xilinx = "xilinx"


HlsIO = IOType  # the hls4ml options' own enum


@dataclass(frozen=True)
class FlowConfig:
    # data and model
    dataset: DatasetName = DatasetName.mnist
    data_dir: str | None = None  # None: $QNN_DATA, else the embedded data
    data_options: dict = field(default_factory=dict)
    model: str = "tfc"
    weight_bits: int = 2
    act_bits: int = 2
    input_bits: int = 8
    hidden: tuple[int, ...] | None = None
    channels: tuple[int, ...] | None = None
    # training
    epochs: int = 5
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0
    limit_train: int | None = None
    threads: int = 0  # torch threads, 0 = torch's default
    float_baseline: bool = False
    # export: golden == Brevitas on this many test vectors, else the IR is not kept and the flow stops
    check_vectors: int = 512
    # golden evaluation
    eval_limit: int | None = None
    plots: bool = True
    # hls4ml
    hls_io_type: HlsIO = HlsIO.io_parallel
    hls_reuse: int = 1
    hls_vectors: int = 200
    # RTL, simulation, synthesis
    folding: dict | None = None
    target_cycles: int | None = None
    simulator: Simulator = Simulator.verilator
    sim_vectors: int = 50
    sim_throughput_vectors: int = 8
    synth_target: SynthTarget = SynthTarget.ice40
    synth_device: str | None = None
    pnr: bool = True
    netlist_vectors: int = 100  # through the synthesized netlist against golden (0: skip)
    synth_timeout: int = 3600  # seconds per Yosys / nextpnr call (a limit, not an input: not fingerprinted)
    board: str | None = None  # icebreaker | ulx3s-25f | ...: the board step runs only when set
    board_freq: float | None = None
    # which steps
    skip: frozenset[Step] = frozenset()

    def __post_init__(self) -> None:
        for name, enum in (("dataset", DatasetName), ("simulator", Simulator), ("synth_target", SynthTarget),
                           ("hls_io_type", HlsIO)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                raise QnnError(f"unknown {name.replace('_', ' ')} {value!r}: choose one of "
                               f"{', '.join(e.value for e in enum)}") from None
        try:
            object.__setattr__(self, "skip", frozenset(Step(s) for s in self.skip))
        except ValueError as e:
            raise QnnError(f"cannot skip {e.args[0].split()[0]}: the steps are {', '.join(s.value for s in Step)}") from None
        for name in ("hidden", "channels"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, tuple(int(x) for x in v))
        for name in ("epochs", "batch_size", "check_vectors", "hls_reuse", "hls_vectors", "sim_vectors",
                     "sim_throughput_vectors", "synth_timeout"):
            if getattr(self, name) < 1:
                raise QnnError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.netlist_vectors < 0:
            raise QnnError(f"--netlist-vectors must be 0 (skip) or more, got {self.netlist_vectors}")
        for name in ("limit_train", "eval_limit", "target_cycles"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise QnnError(f"--{name.replace('_', '-')} must be at least 1, got {v}")

    @property
    def is_float(self) -> bool:
        """A float model (32 bits) trains and evaluates but has no integer IR and no hardware."""
        return self.weight_bits == 32

    def steps(self) -> list[Step]:
        """The steps to run, in order (a float model is trained and evaluated: it has no IR, no hardware)."""
        out = [s for s in STEP_ORDER if s not in self.skip and (s != Step.board or self.board)]
        if self.is_float:
            out = [s for s in out if s in (Step.train, Step.golden, Step.report)]
        return out

    def with_(self, **changes) -> FlowConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, Enum):
                d[k] = v.value
            elif isinstance(v, (frozenset, set)):
                d[k] = sorted(s.value for s in v)
            elif isinstance(v, tuple):
                d[k] = list(v)
        return d

    @staticmethod
    def from_dict(d: dict) -> FlowConfig:
        known = {f.name for f in fields(FlowConfig)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise QnnError(f"unknown flow settings {unknown}")
        return FlowConfig(**d)

    def slice(self, names: tuple[str, ...]) -> dict:
        d = self.to_dict()
        return {n: d[n] for n in names}


# The config fields each step depends on (besides its input artifacts): the step's fingerprint hashes these.
STEP_FIELDS: dict[Step, tuple[str, ...]] = {
    Step.train: ("dataset", "data_dir", "data_options", "model", "weight_bits", "act_bits", "input_bits", "hidden",
                 "channels", "epochs", "batch_size", "lr", "seed", "limit_train", "float_baseline"),
    Step.export: ("check_vectors", "data_dir"),
    Step.golden: ("eval_limit", "plots", "data_dir"),
    Step.hls: ("hls_io_type", "hls_reuse", "hls_vectors", "data_dir"),
    Step.rtl: ("folding", "target_cycles"),
    Step.sim: ("simulator", "sim_vectors", "sim_throughput_vectors", "data_dir"),
    Step.synth: ("synth_target", "synth_device", "pnr", "netlist_vectors", "data_dir"),
    Step.board: ("board", "board_freq", "target_cycles", "sim_vectors", "data_dir"),
    Step.report: (),
}
