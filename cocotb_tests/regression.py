"""cocotb: the random regression, every cycle of every timestep against the golden model.

A random network (:func:`~spikecore.sim.workloads.random_golden`) is loaded through WRITE
commands, then a random spike train (with duplicate and out-of-range AER ids) runs one
timestep after the other; :meth:`Bench.run_step` checks each one cycle by cycle. At the end
every counter, the timestep and the status register are read back.

Environment (see :mod:`.context`): ``SPIKECORE_SEED``, ``SPIKECORE_STEPS`` (default 100),
``SPIKECORE_LEARN`` (``0``/``1``; default: drawn by the workload), ``SPIKECORE_ACTIVITY``
(AER input probability per axon and step, default 0.3), ``SPIKECORE_INJECT`` (a fault to
inject into the *prediction* of the first step with output events, to show that the checks
bite: ``event_cycle``, ``busy``, ``neuron`` or ``state``; see ``tests/test_rtl.py``).
"""

import dataclasses
import time

import cocotb
import numpy as np

from spikecore.sim.workloads import random_golden, random_spike_train
from .context import RunContext
from .host import Bench

DEFAULT_STEPS = 100


def inject(step, kind, cfg):
    """Spoil the golden prediction of ``step`` (a deliberate fault: the run must fail)."""
    timing = step.timing
    if kind == "event_cycle":
        step.timing = dataclasses.replace(timing, events=tuple(e + 1 for e in timing.events))
    elif kind == "busy":
        step.timing = dataclasses.replace(timing, cycles=timing.cycles + 1)
    elif kind == "neuron":
        step.neurons = ((step.neurons[0] + 1) % cfg.n_neurons,) + step.neurons[1:]
    elif kind == "state":
        step.state["v"][0] += 1
    else:
        raise ValueError(f"SPIKECORE_INJECT must be event_cycle, busy, neuron or state, "
                         f"not {kind!r}")


@cocotb.test()
async def random_regression(dut):
    """Random network and spike train: state, outputs, cycles and counters all exact."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    steps = ctx.steps or DEFAULT_STEPS
    activity = float(ctx.extra.get("activity", 0.3))
    learn = ctx.extra.get("learn")
    rng = np.random.default_rng(ctx.seed)
    golden = random_golden(cfg, rng, activity=activity,
                           learn=None if learn is None else int(learn))
    train = random_spike_train(cfg, rng, steps, activity=activity)

    bench = Bench(dut, ctx)
    began = time.perf_counter()
    writes = await bench.reset(golden)
    loaded, first = time.perf_counter(), bench.clock.cycle

    fault = ctx.extra.get("inject")      # spoils the first step with output events

    def spoil(step):
        nonlocal fault
        if fault and step.neurons:
            inject(step, fault, cfg)
            fault = None

    for index, axons in enumerate(train):
        await bench.run_step(golden, axons, index, spoil=spoil)
    await bench.check_registers(golden)

    wall = time.perf_counter() - loaded
    cycles = bench.clock.cycle - first
    sb = bench.scoreboard
    # The scoreboard really compared every step, cycle and event.
    assert sb.steps_begun == steps and sb.cycles_checked >= cycles
    assert sb.events_checked == golden.counters["out_spikes"]
    ctx.report("random_regression", steps=steps, cycles=cycles, seconds=round(wall, 3),
               cycles_per_second=round(cycles / wall), events=sb.events_checked,
               load_writes=writes, setup_cycles=first,
               load_seconds=round(loaded - began, 3),
               learn=golden.params.get("learn", 0))
    dut._log.info("%d steps, %d cycles in %.2f s (%.0f cycles/s), %d events; reset and "
                  "load: %d writes, %d cycles, %.2f s", steps, cycles, wall, cycles / wall,
                  sb.events_checked, writes, first, loaded - began)
