"""cocotb test for any single core: drive the model's input words with random gaps, apply random output
backpressure, compare every output word with the model's (sim/cores.py), then drain: no word may follow."""
import cocotb

from sim.stream import run_streams, start
from sim.tools import tb_config, tb_write_result


@cocotb.test()
async def core_matches_model(dut):
    cfg = tb_config()
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
