"""Model specification: everything needed to rebuild a model from its checkpoint."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from qnn.errors import QnnError

FLOAT = 32

# name -> (arch, hidden, channels); shapes as FINN's BNN-PYNQ TFC/SFC/LFC
PRESETS: dict[str, tuple[str, tuple[int, ...], tuple[int, ...]]] = {
    "tfc": ("mlp", (64, 64, 64), ()),
    "sfc": ("mlp", (256, 256, 256), ()),
    "lfc": ("mlp", (1024, 1024, 1024), ()),
    "mlp": ("mlp", (64, 64), ()),
    "cnn": ("cnn", (128,), (16, 32)),
    "kws-mlp": ("mlp", (256, 256, 256), ()),
    "kws-cnn": ("cnn", (64,), (16, 32)),
    "kws-dscnn": ("dscnn", (), (64, 64, 64, 64, 64)),  # MLPerf Tiny DS-CNN: conv + 4 depthwise-separable blocks
    "logreg": ("mlp", (), ()),  # one linear layer: softmax regression (cross-entropy on its logits)
    "perceptron": ("mlp", (), ()),  # one linear layer with a sign output, trained with a hinge loss
}
PRESET_OUTPUT = {"perceptron": "sign"}  # the others output their last layer's logits ("linear")
OUTPUTS = ("linear", "sign")


@dataclass(frozen=True)
class ModelSpec:
    arch: str = "mlp"
    hidden: tuple[int, ...] = (64, 64, 64)
    channels: tuple[int, ...] = ()
    weight_bits: int = 4
    act_bits: int = 4
    input_bits: int = 8
    batchnorm: bool = True
    dropout: float = 0.0
    in_shape: tuple[int, ...] = (1, 28, 28)  # C, H, W
    num_classes: int = 10
    preset: str = "tfc"
    activation: str = "relu"  # hidden-layer activation (qnn.models.activations.ACTIVATIONS)
    output: str = "linear"  # linear: logits; sign: bipolar +-1 outputs (perceptron)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_bits(self.weight_bits, "weight", allow_float=True)
        check_bits(self.act_bits, "activation", allow_float=True)
        check_bits(self.input_bits, "input", allow_float=False)
        if (self.weight_bits == FLOAT) != (self.act_bits == FLOAT):
            raise QnnError("float baseline: give both --weight-bits 32 and --act-bits 32 (or both 1..8)")
        if self.arch not in ("mlp", "cnn", "dscnn"):
            raise QnnError(f"unknown architecture {self.arch!r}; use mlp, cnn or dscnn")
        from qnn.models.activations import ACTIVATIONS

        if self.activation not in ACTIVATIONS:
            raise QnnError(f"unknown activation {self.activation!r}; choose one of: {', '.join(ACTIVATIONS)}")
        if self.output not in OUTPUTS:
            raise QnnError(f"unknown output {self.output!r}; use linear or sign")
        if self.output == "sign" and self.arch != "mlp":
            raise QnnError("a sign output (perceptron) is only available on an MLP")
        if any(h < 1 for h in self.hidden) or any(c < 1 for c in self.channels):
            raise QnnError("layer sizes must be positive integers")

    @property
    def is_float(self) -> bool:
        return self.weight_bits == FLOAT

    @property
    def in_features(self) -> int:
        n = 1
        for d in self.in_shape:
            n *= d
        return n

    @property
    def tag(self) -> str:
        act = "" if self.activation == "relu" else f"-{self.activation}"
        return (f"{self.preset}{act}-float" if self.is_float
                else f"{self.preset}{act}-w{self.weight_bits}a{self.act_bits}")

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("hidden", "channels", "in_shape"):
            d[k] = list(d[k])
        return d

    @staticmethod
    def from_dict(d: dict) -> ModelSpec:
        d = dict(d)
        for k in ("hidden", "channels", "in_shape"):
            d[k] = tuple(d[k])
        return ModelSpec(**d)

    def with_(self, **kw) -> ModelSpec:
        return replace(self, **kw)


def check_bits(bits: int, what: str, allow_float: bool) -> None:
    if 1 <= bits <= 8 or (allow_float and bits == FLOAT):
        return
    extra = " or 32 for a float baseline" if allow_float else ""
    raise QnnError(f"{what} bit width {bits} is out of range: use 1..8{extra}")


def spec_from_preset(name: str, *, in_shape, num_classes, hidden=None, channels=None, **kw) -> ModelSpec:
    if name not in PRESETS:
        raise QnnError(f"unknown model {name!r}; choose one of: {', '.join(PRESETS)}")
    arch, h, c = PRESETS[name]
    kw.setdefault("output", PRESET_OUTPUT.get(name, "linear"))
    return ModelSpec(arch=arch, hidden=tuple(hidden) if hidden else h, channels=tuple(channels) if channels else c,
                     in_shape=tuple(in_shape), num_classes=num_classes, preset=name, **kw)
