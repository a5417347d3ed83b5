"""cocotb: measurements for ``spikecore bench`` (the RTL, checked against the golden model
as in the regression, so a measured cycle is also a verified one).

Environment (see :mod:`.context`): ``SPIKECORE_ACTIVITY`` (comma-separated input
probabilities per axon and step), ``SPIKECORE_STEPS`` (steps per activity),
``SPIKECORE_LEARN`` (0/1), ``SPIKECORE_LOAD`` (``full``: random weights loaded through
commands; ``bias``: only parameters and biases, for cores too large to load quickly).
"""

import time

import cocotb
import numpy as np

from spikecore.golden import GoldenCore
from spikecore.sim.workloads import random_golden, random_spike_train
from .context import RunContext
from .host import Bench


def _workload(cfg, rng, load, learn, activity):
    """A core to measure: random weights (``full``), or biases only (``bias``: some
    neurons driven over threshold by their bias, so that there are spikes to learn from)."""
    if load == "full":
        golden = random_golden(cfg, rng, activity=activity, learn=learn)
        golden.params["refractory"] = 0
        return golden
    golden = GoldenCore(cfg)
    golden.params.update(threshold=max(1, cfg.v_max // 4), refractory=0)
    if cfg.stdp:
        golden.params["learn"] = int(learn)
    golden.bias[:] = np.where(rng.random(cfg.n_neurons) < 0.2, cfg.v_max // 4, 0)
    return golden


@cocotb.test()
async def timestep_throughput(dut):
    """Cycles per timestep against the lower bound (SOPs / lanes + one neuron pass), at each
    input activity; simulated cycles per second."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    steps = ctx.steps or 10
    activities = [float(a) for a in ctx.extra.get("activity", "0.01,0.1,0.5").split(",")]
    learn = int(ctx.extra.get("learn", 0))
    load = ctx.extra.get("load", "full")
    rng = np.random.default_rng(ctx.seed)
    golden = _workload(cfg, rng, load, learn, max(activities))
    bench = Bench(dut, ctx)
    await bench.reset(golden)
    results = []
    began, first = time.perf_counter(), bench.clock.cycle
    index = 0
    for activity in activities:
        rows = cycles = bound = sops = 0
        for axons in random_spike_train(cfg, rng, steps, activity=activity, duplicates=0,
                                        bad=0):
            step = await bench.run_step(golden, axons, index)
            index += 1
            cycles += bench.measured["step_cycles"]
            bound += step.timing.bound
            sops += step.timing.sops
            rows += step.timing.sops // cfg.n_neurons
        results.append({"activity": activity, "steps": steps, "learn": learn,
                        "cycles_per_step": cycles / steps, "bound_per_step": bound / steps,
                        "ratio": cycles / bound, "rows_per_step": rows / steps,
                        "sops_per_step": sops / steps})
    wall = time.perf_counter() - began
    ctx.report("timestep_throughput", results=results,
               cycles_per_second=round((bench.clock.cycle - first) / wall))


@cocotb.test()
async def row_streaming(dut):
    """Synaptic operations per cycle while rows stream, measured: a step with R more input
    rows lasts (R * groups) cycles longer exactly when every cycle delivers ``lanes`` SOPs."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    learn = int(ctx.extra.get("learn", 0))
    golden = GoldenCore(cfg)
    golden.params.update(threshold=cfg.v_max, refractory=0)
    if cfg.stdp:
        golden.params["learn"] = learn
    bench = Bench(dut, ctx)
    await bench.reset(golden)
    # Two steps with different numbers of rows: their difference is pure streaming (the
    # fixed costs, such as draining the pipeline, cancel).
    few, many = max(1, min(cfg.n_axons, 32) // 2), min(cfg.n_axons, 32)
    lengths = {}
    for index, rows in enumerate((few, many)):
        await bench.run_step(golden, list(range(rows)), index)
        lengths[rows] = bench.measured["step_cycles"]
    streamed = lengths[many] - lengths[few]
    sop_per_cycle = (many - few) * cfg.n_neurons / streamed
    ctx.report("row_streaming", learn=learn, extra_rows=many - few, extra_cycles=streamed,
               sop_per_cycle=sop_per_cycle, lanes=cfg.lanes,
               efficiency=sop_per_cycle / cfg.lanes)
