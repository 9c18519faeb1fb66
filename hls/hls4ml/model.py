"""hls4ml ``ModelGraph`` from a conversion: the configuration hls4ml expects, and nothing left to its defaults.

Every variable gets its precision from ``convert`` (via the ``LayerName`` entries). The model-wide default is an
``ap_fixed`` type that no IR tensor uses, and ``check_types`` fails if any variable ended up with it, so a type
silently falling back to a default cannot go unnoticed.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from hls.hls4ml.convert import Conversion, convert
from hls.hls4ml.options import HlsOptions
from qnn.errors import QnnError
from qnn.ir.graph import IntGraph

SENTINEL_DEFAULT = "ap_fixed<3,1>"  # no integer tensor ever has this type


def hls_config(conv: Conversion, options: HlsOptions, out_dir: Path, trace: bool = False) -> dict:
    from hls4ml.backends import get_backend

    backend = get_backend(options.backend_name)
    cfg = backend.create_initial_config(part=options.part, clock_period=options.clock, io_type=options.io_type,
                                        write_weights_txt=True)
    # Weights as text files, read once by the C simulation (firmware/weights/*.txt; the headers still hold them
    # for synthesis). Compiled into the headers instead, every weight is an ap_int object built at start-up, and g++
    # needs minutes and gigabytes for a layer of 200k weights: the text files keep the C-sim compile short.
    cfg["WriterConfig"]["WriteWeightsTxt"] = True
    layer_cfg = {name: dict(entry) for name, entry in conv.layer_config.items()}
    if trace:
        for entry in layer_cfg.values():
            entry["Trace"] = True
    cfg.update({
        "Backend": options.backend_name,
        "ProjectName": options.project,
        "OutputDir": str(out_dir),
        "InputData": None,
        "OutputPredictions": None,
        "HLSConfig": {
            "Model": {"Precision": SENTINEL_DEFAULT, "ReuseFactor": options.reuse, "Strategy": options.strategy.capitalize(),
                      "BramFactor": 1_000_000_000},
            "LayerName": layer_cfg,
        },
    })
    return cfg


def build_model(graph: IntGraph, options: HlsOptions, out_dir: str | Path, trace: bool = False):
    """(hls4ml ModelGraph, Conversion) for the graph's integer body, writing into ``out_dir`` when written."""
    from hls4ml.model.graph import ModelGraph

    conv = convert(graph, options)
    cfg = hls_config(conv, options, Path(out_dir), trace)
    with quiet():
        model = ModelGraph.from_layer_list(cfg, conv.layers, [conv.layers[0]["name"]], [conv.layers[-1]["name"]])
    check_types(model)
    return model, conv


def check_types(model) -> None:
    """Fail if any variable of the built model kept the sentinel default precision."""
    for layer in model.get_layers():
        for t in layer.get_layer_precision().values():
            if _is_sentinel(t.precision):
                raise QnnError(f"internal: hls4ml layer {layer.name} has a type ({t.name}) not derived from the IR")


def _is_sentinel(p) -> bool:
    from hls4ml.model.types import FixedPrecisionType

    return isinstance(p, FixedPrecisionType) and (p.width, p.integer, p.signed) == (3, 1, True)


@contextlib.contextmanager
def quiet():
    """hls4ml prints progress on stdout and warns on every layer; keep the CLI's output readable."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
