"""cocotb test for any single core: drive the model's input words with random gaps, apply random output
backpressure, compare every output word with the model's (sim/cores.py), then drain: no word may follow.

A core with several streams (the residual fork ``qnn_dup`` and join ``qnn_add``) has ``in_words`` and
``out_words`` as dicts keyed by port prefix (``a`` for ``a_valid/a_ready/a_data``); each input then gets its own
random gaps and each output its own backpressure (``sim.stream.run_ports``), and a stall (no progress within the
cycle limit: a deadlock) is reported in the result as ``stalled`` instead of ending the test without one; the
result also keeps the cycle of every transfer per port (``in_cycles``, ``out_cycles``) for latency and skew."""
import cocotb

from sim.stream import run_ports, run_streams, start, start_ports
from sim.tools import tb_config, tb_write_result


@cocotb.test()
async def core_matches_model(dut):
    cfg = tb_config()
    if isinstance(cfg["in_words"], dict):
        await _ports_match_model(dut, cfg)
        return
    expected = cfg["out_words"]
    await start(dut)
    log = await run_streams(dut, cfg["in_words"], len(expected), gap=cfg["gap"], backpressure=cfg["backpressure"],
                            seed=cfg["seed"], drain=cfg.get("drain", 64))
    got = log.out_words
    first = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), None)
    result = {"ok": first is None and len(got) == len(expected) and not log.extra_words, "words": len(expected),
              "extra_words": [hex(w) for w in log.extra_words], "cycles": log.cycles,
              "mismatch": None if first is None else {"word": first, "got": hex(got[first]), "expected": hex(expected[first])}}
    tb_write_result(cfg, result)
    assert first is None, f"output word {first}: got {got[first]:#x}, expected {expected[first]:#x}"
    assert not log.extra_words, f"{len(log.extra_words)} output words after the expected {len(expected)}"


async def _ports_match_model(dut, cfg: dict) -> None:
    ins, expected = cfg["in_words"], cfg["out_words"]
    await start_ports(dut, ins, expected)
    result = {"ok": False, "words": {p: len(w) for p, w in expected.items()}, "mismatch": None, "extra_words": [],
              "stalled": None, "cycles": None, "in_cycles": None, "out_cycles": None}
    try:
        log = await run_ports(dut, ins, {p: len(w) for p, w in expected.items()}, gap=cfg["gap"],
                              backpressure=cfg["backpressure"], seed=cfg["seed"], drain=cfg.get("drain", 64),
                              max_cycles=cfg.get("max_cycles"))
    except TimeoutError as e:
        result["stalled"] = str(e)
        tb_write_result(cfg, result)
        raise
    for p, exp in expected.items():
        got = log.out_words[p]
        first = next((i for i, (g, e) in enumerate(zip(got, exp)) if g != e), None)
        if first is not None and result["mismatch"] is None:
            result["mismatch"] = {"port": p, "word": first, "got": hex(got[first]), "expected": hex(exp[first])}
        result["extra_words"] += [f"{p}:{w:#x}" for w in log.extra_words[p]]
    result.update(ok=result["mismatch"] is None and not result["extra_words"], cycles=log.cycles,
                  in_cycles=log.in_cycles, out_cycles=log.out_cycles)
    tb_write_result(cfg, result)
    assert result["mismatch"] is None, f"output word mismatch: {result['mismatch']}"
    assert not result["extra_words"], f"output words after the expected ones: {result['extra_words']}"
