"""One command from dataset to verified hardware: ``run_flow(run, FlowConfig(...))``.

Steps (``qnn.flow.steps``): train -> export -> golden -> hls -> rtl -> sim -> synth -> report, each a named
function ``step(run, cfg) -> result``, each skippable, and redone only when its inputs changed (fingerprints in
``RUN/flow.json``, see ``qnn.flow.runner``).
"""
from qnn.flow.config import DatasetName, FlowConfig, HlsIO, Simulator, Step, SynthTarget
from qnn.flow.runner import FlowSummary, StepOutcome, load_record, run_flow
from qnn.flow.steps import STEPS

__all__ = ["DatasetName", "FlowConfig", "FlowSummary", "HlsIO", "STEPS", "Simulator", "Step", "StepOutcome",
           "SynthTarget", "load_record", "run_flow"]
