"""One cocotb loop that drives a valid/ready input stream and drains a valid/ready output stream.

Per cycle, at the falling edge it decides the input (valid with probability 1-gap while words remain)
and the output ready (probability 1-backpressure), then reads the settled handshake in ReadOnly to
record which transfers the next rising edge makes.  A single coroutine is much faster than separate
driver/monitor coroutines, which matters for long network runs.  Every transfer is stamped with its
cycle number so that latency and throughput come out of the same log.  After the expected words it keeps
reading for ``drain`` cycles with ready high: a correct design stays silent, and any word it still sends is
kept in ``extra_words`` for the testbench to fail on.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


@dataclass
class StreamLog:
    out_words: list[int] = field(default_factory=list)
    in_cycles: list[int] = field(default_factory=list)
    out_cycles: list[int] = field(default_factory=list)
    extra_words: list[int] = field(default_factory=list)  # sent after the expected count (a bug)
    cycles: int = 0


async def start(dut, reset_cycles: int = 4) -> None:
    """Start the clock and hold reset for a few cycles."""
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.out_ready.value = 0
    for _ in range(reset_cycles):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def run_streams(dut, in_words: list[int], n_out: int, *, gap: float = 0.0, backpressure: float = 0.0,
                      seed: int = 0, max_cycles: int | None = None, cycle0: int = 0, drain: int = 0) -> StreamLog:
    """Send ``in_words``, collect ``n_out`` output words (raise if ``max_cycles`` pass first), then ``drain``
    cycles with ready high that must bring no further word (``log.extra_words``)."""
    rng = random.Random(seed)
    log = StreamLog()
    limit = max_cycles if max_cycles is not None else 1000 + 200 * (len(in_words) + n_out)
    i, cycle = 0, cycle0
    n_in = len(in_words)
    while len(log.out_words) < n_out or i < n_in:
        await FallingEdge(dut.clk)
        cycle += 1
        v = i < n_in and (gap <= 0.0 or rng.random() >= gap)
        dut.in_valid.value = 1 if v else 0
        if v:
            dut.in_data.value = in_words[i]
        r = backpressure <= 0.0 or rng.random() >= backpressure
        dut.out_ready.value = 1 if r else 0
        await ReadOnly()
        if v and dut.in_ready.value == 1:
            log.in_cycles.append(cycle)
            i += 1
        if r and dut.out_valid.value == 1:
            log.out_words.append(dut.out_data.value.to_unsigned())
            log.out_cycles.append(cycle)
        if cycle - cycle0 > limit:
            raise TimeoutError(f"stream stalled: {i}/{n_in} input words sent, {len(log.out_words)}/{n_out} "
                               f"output words received after {cycle - cycle0} cycles")
    for _ in range(drain):
        await FallingEdge(dut.clk)
        cycle += 1
        dut.in_valid.value = 0
        dut.out_ready.value = 1
        await ReadOnly()
        if dut.out_valid.value == 1:
            log.extra_words.append(dut.out_data.value.to_unsigned())
    await FallingEdge(dut.clk)
    dut.in_valid.value = 0
    dut.out_ready.value = 0
    log.cycles = cycle + 1
    return log
