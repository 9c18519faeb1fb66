"""``simulate``: the generated network in RTL simulation, compared with the golden model on every vector.

The default engine is the harness (``hls/rtl/qnn_harness.v``): the testbench lives inside the simulator, which
streams the vectors from memory with random input gaps and output backpressure and writes every output word
to a file, so Verilator runs at millions of cycles per second.  Passes:

1. exactness: every vector, gaps and backpressure on, drained and checked for extra words; each output
   compared with ``golden.run_integer``.  The vectors run as contiguous shards (``sim.harness.shards``): ``jobs``
   simulator processes in parallel, none longer than ``CHUNK_VECTORS``; their outputs merged in order;
2. back to back: the first ``throughput_vectors`` again with no gaps: latency (first input word accepted ->
   last output word of vector 0) and steady-state cycles per inference (second half of the frames) against
   the ideal ceil(MACs / (PE*SIMD)) of the slowest layer;
3. layer probe, on a mismatch or with ``trace``: the exactness pass again up to the first differing vector
   with the taps inside ``qnn_top`` recording that frame (``sim.probe``): the message names the first layer
   that differs, the vector, the pixel/channel and both values.

A design that stalls (cycle limit) or emits words beyond the expected ones raises ``CheckFailed``.
``engine="cocotb"`` (or ``waves``) runs the per-cycle cocotb testbench instead (``sim.network_cocotb``).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from hls.rtlgen.design import Design, load_design
from qnn.errors import CheckFailed, QnnError
from qnn.golden.execute import run_integer
from qnn.ir.graph import IntGraph
from sim.compare import compare_outputs
from sim.harness.build import build
from sim.harness.run import Pass, run_pass
from sim.harness.shards import Shard, plan, resolve_jobs, run_shards, shard_of, shard_rows
from sim.harness.vectors import hex_lines, unpack
from sim.probe import compare_taps, first_layer, taps
from sim.result import SimResult

CHUNK_VECTORS = 10_000  # vectors per exactness pass (the harness memory holds one chunk)
ENGINES = ("harness", "cocotb")


def _limits(design: Design, wpv: int, n: int) -> tuple[int, int]:
    """(cycle limit for a pass of n vectors, drain cycles after the last expected word)."""
    per_vec = max(design.ideal_cycles, wpv) * 4 + 2000
    return per_vec * (n + 2) * 3, 2 * per_vec


def simulate(rtl_dir: str | Path, graph: IntGraph, q: np.ndarray, *, simulator: str = "verilator",
             work_dir: str | Path, waves: bool = False, gap: float = 0.2, backpressure: float = 0.3,
             throughput_vectors: int = 16, seed: int = 0, engine: str = "harness", trace: bool = False,
             trace_vectors: int = 4, build_dir: str | Path | None = None, progress=None, jobs: int = 1,
             netlist=None) -> SimResult:
    """Simulate ``q`` (integer inputs, [N, ...]) through the design in ``rtl_dir``; compare with golden.

    ``build_dir``: cache of simulator builds (default ``<rtl_dir>/../sim/build``); ``progress(done, total)``
    is called as vectors complete in the exactness pass; ``jobs``: parallel simulator processes for the
    exactness pass (contiguous shards of the vectors, ``sim.harness.shards``; 0 = one per CPU core);
    ``netlist`` (``sim.netlist.Netlist``): simulate the synthesized netlist instead of the RTL (no layer probe)."""
    if engine not in ENGINES:
        raise QnnError(f"unknown simulation engine {engine!r}: choose {' or '.join(ENGINES)}")
    if engine == "cocotb" or waves:
        if load_design(rtl_dir).weight_load_words:
            raise QnnError("this design keeps weights in SPRAM, loaded after reset, which only the harness engine "
                           "does: use --engine harness (and no --waves)")
        from sim.network_cocotb import simulate_cocotb

        return simulate_cocotb(rtl_dir, graph, q, simulator=simulator, work_dir=work_dir, waves=waves, gap=gap,
                               backpressure=backpressure, throughput_vectors=throughput_vectors, seed=seed)
    design = load_design(rtl_dir)
    q = np.asarray(q, dtype=np.int64)
    n = len(q)
    if n < 1:
        raise QnnError("no test vectors to simulate")
    flat = q.reshape(n, -1)
    if flat.shape[1] != design.in_len:
        raise QnnError(f"input vectors have {flat.shape[1]} elements, the design takes {design.in_len}")
    expected = np.asarray(run_integer(graph, q)).reshape(n, -1)
    if expected.shape[1] != design.out_len:
        raise QnnError(f"the golden model gives {expected.shape[1]} outputs, the design {design.out_len}: "
                       "regenerate the RTL (`qnn rtl RUN`)")
    wpv, wpo = design.in_len // design.in_elems, design.out_len // design.out_elems
    m = max(1, min(throughput_vectors, n))
    jobs = resolve_jobs(jobs)
    shards = plan(n, jobs, CHUNK_VECTORS)
    # Verilator's vector memory is always CHUNK_VECTORS deep (one build for every run); Icarus builds in a second
    chunk = CHUNK_VECTORS if simulator == "verilator" else max(len(s) for s in shards)
    cache = Path(build_dir) if build_dir else Path(design.rtl_dir).parent / "sim" / "build"
    b = build(design, simulator, cache, depth=max(chunk, m, trace_vectors if trace else 0) * wpv, netlist=netlist)
    work = Path(work_dir) / f"harness_{simulator}"

    def vectors_hex(lo: int, hi: int) -> bytes:
        return hex_lines(flat[lo:hi], design.in_elems, design.in_encoding)

    def one_pass(lo: int, hi: int, *, gap_: float, bp_: float, seed_: int, probe_first: int = 0,
                 probe_count: int = 0, report=None, folder: Path = work) -> Pass:
        limit, drain = _limits(design, wpv, hi - lo)
        p = run_pass(b, folder, vectors_hex(lo, hi), words=(hi - lo) * wpv, out_words=(hi - lo) * wpo, gap=gap_,
                     backpressure=bp_, seed=seed_, max_cycles=limit, drain=drain, probe_first=probe_first,
                     probe_count=probe_count, progress=report)
        _check_protocol(p, simulator, lo, hi, wpo)
        return p

    # 1. exactness: the shards in parallel (each its own process and folder), merged in order
    def shard_pass(s: Shard, report) -> Pass:
        rep = (lambda k: report(k // wpo)) if report else None
        return one_pass(s.lo, s.hi, gap_=gap, bp_=backpressure, seed_=seed + s.index, report=rep,
                        folder=work / f"shard{s.index}" if len(shards) > 1 else work)

    passes, exact_s = run_shards(shards, jobs, shard_pass, (lambda k: progress(k, n)) if progress else None)
    words = [w for p in passes for w in p.words]
    cycles1 = sum(p.cycles for p in passes)
    exact_cpu = sum(p.cpu_s for p in passes)
    got = unpack(words, design.out_elems, design.out_encoding).reshape(n, -1)
    c1 = compare_outputs(got, expected)
    # 2. back to back
    p2 = one_pass(0, m, gap_=0.0, bp_=0.0, seed_=seed)
    got2 = unpack(p2.words, design.out_elems, design.out_encoding).reshape(m, -1)
    c2 = compare_outputs(got2, expected[:m])
    done = [p2.cycles_of_words[(k + 1) * wpo - 1] for k in range(m)]
    half = m // 2
    steady = (done[-1] - done[half]) / (m - 1 - half) if m - 1 - half > 0 else None
    overall = (done[-1] - done[0]) / (m - 1) if m > 1 else None
    sim_s = exact_s + p2.wall_s
    res = SimResult(
        simulator=simulator, vectors=n, exact=c1["exact"], mismatched=c1["mismatched"], mismatches=c1["mismatches"],
        throughput_vectors=m, throughput_exact=c2["exact"], latency_cycles=int(done[0] - p2.first_in),
        cycles_per_inference=steady or overall, ideal_cycles=design.ideal_cycles, bottleneck=design.bottleneck,
        build_s=b.build_s, sim_s=round(sim_s, 3), vectors_per_s=n / exact_s if exact_s else 0.0,
        sim_cycles=int(cycles1 + p2.cycles), gap=gap, backpressure=backpressure, folding=design.folding,
        engine="harness", exact_s=round(exact_s, 3), exact_cpu_s=round(exact_cpu, 3), cycles_per_s=cycles1 / exact_s if exact_s else 0.0,
        build_cached=b.cached, jobs=min(jobs, len(shards)), shards=shard_rows(shards, passes))
    # 3. layer probe
    if taps(design) and (res.mismatches or trace) and netlist is None:
        if res.mismatches:  # replay the chunk of the first differing vector up to it, recording its frame
            v = res.mismatches[0]["vector"]
            sh = shard_of(shards, v)
            lo, first, count, seed_ = sh.lo, v - sh.lo, 1, seed + sh.index
        else:
            lo, first, count, seed_ = 0, 0, min(trace_vectors, n), seed
        pp = one_pass(lo, lo + first + count, gap_=gap, bp_=backpressure, seed_=seed_, probe_first=first,
                      probe_count=count)
        res.layers = compare_taps(design, graph, q[lo + first:lo + first + count], lo + first, pp.probes)
        res.probe = first_layer(res.layers)
    shutil.rmtree(work, ignore_errors=True)  # vectors and output files (kept only when a pass raised)
    return res


def _check_protocol(p: Pass, simulator: str, lo: int, hi: int, wpo: int) -> None:
    what = f"RTL simulation ({simulator}, vectors {lo}..{hi - 1})"
    if p.status == "timeout":
        raise CheckFailed(f"{what} stalled: no result after {p.cycles} cycles, {p.sent} input words accepted, "
                          f"{p.received} of {(hi - lo) * wpo} output words received")
    if p.status == "extra" or p.received > (hi - lo) * wpo:
        raise CheckFailed(f"{what}: the design emitted {p.received} output words, {(hi - lo) * wpo} expected "
                          "(extra words after the last vector)")
