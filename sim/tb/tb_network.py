"""cocotb test for the whole network (qnn_top).

Phase 1 (exactness): every test vector, random input gaps and random output backpressure.
Phase 2 (throughput): the first vectors again, back to back with no gaps and no backpressure; cycles
per inference are measured in steady state (the second half of the frames) and latency on the first
frame (empty pipeline: first input word accepted -> last output word).  After each phase the output is
drained with ready high: any word beyond the expected count is returned in ``extra_words``.  The raw output
words of both phases are returned; ``sim.network_cocotb`` decodes and compares them.
"""
import cocotb

from sim.stream import run_streams, start
from sim.tools import tb_config, tb_write_result


@cocotb.test()
async def network_matches_golden(dut):
    cfg = tb_config()
    vectors = cfg["vectors"]  # list of per-vector word lists
    wpo = cfg["out_words_per_vector"]
    await start(dut)
    words = [w for v in vectors for w in v]
    log1 = await run_streams(dut, words, wpo * len(vectors), gap=cfg["gap"], backpressure=cfg["backpressure"],
                             seed=cfg["seed"], max_cycles=cfg["max_cycles"], drain=cfg.get("drain", 1000))
    m = cfg["throughput_vectors"]
    words2 = [w for v in vectors[:m] for w in v]
    log2 = await run_streams(dut, words2, wpo * m, max_cycles=cfg["max_cycles"], cycle0=log1.cycles,
                             drain=cfg.get("drain", 1000))
    done = [log2.out_cycles[(k + 1) * wpo - 1] for k in range(m)]
    half = m // 2
    steady = (done[-1] - done[half]) / (m - 1 - half) if m - 1 - half > 0 else None
    overall = (done[-1] - done[0]) / (m - 1) if m > 1 else None
    tb_write_result(cfg, {
        "words_phase1": log1.out_words, "words_phase2": log2.out_words,
        "cycles_phase1": log1.cycles, "cycles_phase2": log2.cycles - log1.cycles,
        "latency_cycles": done[0] - log2.in_cycles[0],
        "cycles_per_inference": steady, "cycles_per_inference_all": overall,
        "frame_done_cycles": [d - log1.cycles for d in done],
        "extra_words": log1.extra_words + log2.extra_words,
    })
