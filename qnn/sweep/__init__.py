"""Design-space sweeps: bit widths x model presets, each point a full flow, one results table, Pareto plots.

``run_sweep(folder, SweepSpec(...), executor="local"|"serial"|"ray")``; see ``qnn.sweep.runner``.
"""
from qnn.sweep.bops import graph_bops
from qnn.sweep.grid import FLOAT, Point, SweepSpec, parse_bits
from qnn.sweep.pareto import pareto_front
from qnn.sweep.runner import SweepResult, load_spec, run_sweep
from qnn.sweep.table import ResultsTable

__all__ = ["FLOAT", "Point", "ResultsTable", "SweepResult", "SweepSpec", "graph_bops", "load_spec", "pareto_front",
           "parse_bits", "run_sweep"]
