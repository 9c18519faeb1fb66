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


@dataclass
class PortsLog:
    """``run_ports``' record, per port prefix (``a``, ``out0``, ...)."""
    out_words: dict[str, list[int]]
    in_cycles: dict[str, list[int]]
    out_cycles: dict[str, list[int]]
    extra_words: dict[str, list[int]]
    cycles: int = 0


def _unsigned(value) -> int:
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)  # a 1-bit port reads as Logic


def _port(dut, prefix: str):
    return getattr(dut, f"{prefix}_valid"), getattr(dut, f"{prefix}_ready"), getattr(dut, f"{prefix}_data")


async def start_ports(dut, ins, outs, reset_cycles: int = 4) -> None:
    """``start`` for a core with several streams: every input valid and output ready low through reset."""
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    for p in ins:
        _port(dut, p)[0].value = 0
    for p in outs:
        _port(dut, p)[1].value = 0
    for _ in range(reset_cycles):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def run_ports(dut, ins: dict[str, list[int]], outs: dict[str, int], *, gap: float = 0.0,
                    backpressure: float = 0.0, seed: int = 0, max_cycles: int | None = None, drain: int = 0) -> PortsLog:
    """``run_streams`` for a core with several streams (a fork, a join): each input port ``<p>_valid/_ready/_data``
    of ``ins`` sends its words with its own random gaps, each output port of ``outs`` (prefix -> words expected)
    gets its own random backpressure, so the streams move in different cycles; then ``drain`` cycles with every
    ready high and every input idle, in which any further word is an extra one."""
    rng = random.Random(seed)
    pin = {p: _port(dut, p) for p in ins}
    pout = {p: _port(dut, p) for p in outs}
    log = PortsLog({p: [] for p in outs}, {p: [] for p in ins}, {p: [] for p in outs}, {p: [] for p in outs})
    sent = dict.fromkeys(ins, 0)
    total = sum(map(len, ins.values())) + sum(outs.values())
    limit = max_cycles if max_cycles is not None else 1000 + 200 * total
    cycle = 0

    def busy() -> bool:
        return any(sent[p] < len(w) for p, w in ins.items()) or any(len(log.out_words[p]) < n for p, n in outs.items())

    while busy():
        await FallingEdge(dut.clk)
        cycle += 1
        drive = {}
        for p, (valid, _, data) in pin.items():
            v = sent[p] < len(ins[p]) and (gap <= 0.0 or rng.random() >= gap)
            valid.value = 1 if v else 0
            if v:
                data.value = ins[p][sent[p]]
            drive[p] = v
        take = {}
        for p, (_, ready, _) in pout.items():
            take[p] = backpressure <= 0.0 or rng.random() >= backpressure
            ready.value = 1 if take[p] else 0
        await ReadOnly()
        for p, (_, ready, _) in pin.items():
            if drive[p] and ready.value == 1:
                log.in_cycles[p].append(cycle)
                sent[p] += 1
        for p, (valid, _, data) in pout.items():
            if take[p] and valid.value == 1:
                (log.out_words if len(log.out_words[p]) < outs[p] else log.extra_words)[p].append(_unsigned(data.value))
                log.out_cycles[p].append(cycle)
        if cycle > limit:
            got = ", ".join(f"{p} {len(log.out_words[p])}/{n}" for p, n in outs.items())
            put = ", ".join(f"{p} {sent[p]}/{len(w)}" for p, w in ins.items())
            raise TimeoutError(f"streams stalled after {cycle} cycles: input words sent {put}; output words received {got}")
    for _ in range(drain):
        await FallingEdge(dut.clk)
        cycle += 1
        for valid, _, _ in pin.values():
            valid.value = 0
        for _, ready, _ in pout.values():
            ready.value = 1
        await ReadOnly()
        for p, (valid, _, data) in pout.items():
            if valid.value == 1:
                log.extra_words[p].append(_unsigned(data.value))
    await FallingEdge(dut.clk)
    for valid, _, _ in pin.values():
        valid.value = 0
    for _, ready, _ in pout.values():
        ready.value = 0
    log.cycles = cycle + 1
    return log
