"""``simulate_cocotb``: the network through the per-cycle cocotb drivers (``sim/tb/tb_network.py``).

The fast default is ``sim.network.simulate`` (the testbench inside the simulator); this path remains for
wave dumps through cocotb's runner and as a second, independent testbench.

The test vectors are the integers ``golden.quantize_input`` makes; the expected outputs are
``golden.run_integer`` (the last layer's accumulators).  Every output of every vector is compared, with
random input gaps and output backpressure, then a back-to-back run measures latency and steady-state
cycles per inference against the ideal ceil(MACs / (PE*SIMD)) of the slowest layer.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from hls.rtlgen.design import Design, load_design
from hls.rtlgen.encoding import pack_words, unpack_words
from qnn.errors import QnnError
from qnn.golden.execute import run_integer
from qnn.ir.graph import IntGraph
from sim.compare import compare_outputs
from sim.result import SimResult
from sim.tools import build_and_test


def vectors_for(design: Design, q: np.ndarray) -> list[list[int]]:
    """Quantized inputs [N, ...] (channels-last) -> the top's input words, per vector."""
    flat = np.asarray(q).reshape(len(q), -1)
    if flat.shape[1] != design.in_len:
        raise QnnError(f"input vectors have {flat.shape[1]} elements, the design takes {design.in_len}")
    return [pack_words(v, design.in_elems, design.in_encoding) for v in flat]


def simulate_cocotb(rtl_dir: str | Path, graph: IntGraph, q: np.ndarray, *, simulator: str = "verilator",
             work_dir: str | Path, waves: bool = False, gap: float = 0.2, backpressure: float = 0.3,
             throughput_vectors: int = 16, seed: int = 0) -> SimResult:
    """Simulate ``q`` (integer inputs, [N, ...]) through the design in ``rtl_dir``; compare with golden."""
    design = load_design(rtl_dir)
    q = np.asarray(q, dtype=np.int64)
    n = len(q)
    if n < 1:
        raise QnnError("no test vectors to simulate")
    expected = np.asarray(run_integer(graph, q)).reshape(n, -1)
    if expected.shape[1] != design.out_len:
        raise QnnError(f"the golden model gives {expected.shape[1]} outputs, the design {design.out_len}: "
                       "regenerate the RTL (`qnn rtl RUN`)")
    wpo = design.out_len // design.out_elems
    m = max(1, min(throughput_vectors, n))
    words = vectors_for(design, q)
    per_vec = max(design.ideal_cycles, len(words[0])) * 4 + 2000
    cfg = {"vectors": words, "out_words_per_vector": wpo, "gap": gap, "backpressure": backpressure, "seed": seed,
           "throughput_vectors": m, "max_cycles": per_vec * (n + 2) * 3}
    work_dir = Path(work_dir)
    r = build_and_test(simulator=simulator, sources=design.source_paths(), toplevel=design.top,
                       parameters={"MEM_DIR": str(Path(design.rtl_dir).resolve()) + "/"},
                       test_module="sim.tb.tb_network", build_dir=work_dir / f"build_{simulator}", config=cfg,
                       waves=waves)
    if r.get("extra_words"):
        from qnn.errors import CheckFailed

        raise CheckFailed(f"RTL simulation ({simulator}) sent {len(r['extra_words'])} output words beyond the "
                          f"{wpo} x {n} expected (drained with ready high after the last vector)")
    enc = design.out_encoding
    got1 = unpack_words(r["words_phase1"], design.out_elems, enc).reshape(n, -1)
    got2 = unpack_words(r["words_phase2"], design.out_elems, enc).reshape(m, -1)
    c1 = compare_outputs(got1, expected)
    c2 = compare_outputs(got2, expected[:m])
    wave_path = None
    if waves:
        bd = work_dir / f"build_{simulator}"
        for cand in (bd / "dump.vcd", bd / f"{design.top}.fst", bd / "dump.fst"):
            if cand.is_file():
                wave_path = work_dir / f"waves_{simulator}{cand.suffix}"
                shutil.copyfile(cand, wave_path)
                break
    sim_s = r["test_s"]
    return SimResult(
        simulator=simulator, vectors=n, exact=c1["exact"], mismatched=c1["mismatched"], mismatches=c1["mismatches"],
        throughput_vectors=m, throughput_exact=c2["exact"], latency_cycles=int(r["latency_cycles"]),
        cycles_per_inference=r["cycles_per_inference"] or r["cycles_per_inference_all"],
        ideal_cycles=design.ideal_cycles, bottleneck=design.bottleneck, build_s=r["build_s"], sim_s=sim_s,
        vectors_per_s=(n + m) / sim_s if sim_s else 0.0, sim_cycles=int(r["cycles_phase1"] + r["cycles_phase2"]),
        gap=gap, backpressure=backpressure, waves=str(wave_path) if wave_path else None, folding=design.folding,
        engine="cocotb", exact_s=sim_s, cycles_per_s=(r["cycles_phase1"] + r["cycles_phase2"]) / sim_s if sim_s else 0.0)
