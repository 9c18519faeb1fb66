"""hls4ml HLS projects from the integer IR, C-simulated bit-exact against the golden model.

The hls4ml model is built directly from the streamlined IR, one hls4ml layer per integer node, every type read
off the IR; not through hls4ml's QONNX frontend, which recomputes BatchNorm and scales in inferred fixed point
and does not promise exactness (the reasoning is in ``convert``). What hls4ml lacks, per-channel thresholds and
round-half-even shifts, is added through its extension API (``layers`` + ``cpp/nnet_qnn_requant.h``).

Modules, in the order the flow uses them:

- ``options``   what the user chooses (backend, io type, reuse factor, strategy, clock, part), checked early;
- ``precision`` QType -> ap_int / ap_fixed types, the Shift's AP_RND_CONV / AP_SAT cast types;
- ``layers``    the QnnMultiThreshold / QnnShift extension layers and their C++ templates;
- ``residual``  a Residual block's two paths and its sum (hls4ml's Add, or the QnnAdd extension layer);
- ``convert``   IR body -> hls4ml layer list + per-layer precisions (+ the layer map used by the trace);
- ``model``     hls4ml ModelGraph from that, with a sentinel default type that must never be used;
- ``csim``      g++ compile, C simulation, integer comparison, layer-by-layer trace;
- ``project``   the project's own testbench, test vectors and g++-only build script;
- ``synth``     vendor C synthesis when vitis_hls / vivado_hls is installed;
- ``flow``      all of it on a graph (``build_project``) or on a run (``hls_step``, the ``qnn hls`` command).
"""
from hls.hls4ml.flow import HlsResult, build_project, hls_step, random_vectors
from hls.hls4ml.options import HlsOptions

__all__ = ["HlsOptions", "HlsResult", "build_project", "hls_step", "random_vectors"]
