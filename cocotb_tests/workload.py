"""cocotb: run a given network and spike train on the RTL (``spikecore sim --backend rtl``).

The network (``SPIKECORE_NETWORK``, an ``.npz`` in the format of :mod:`spikecore.sim.spike_io`,
optional) is loaded through WRITE commands, the spike train (``SPIKECORE_INPUT``) runs one
timestep after the other, checked cycle by cycle against the golden model like the
regression, and the RTL's own outputs go to ``SPIKECORE_OUT``: ``spikes.csv`` (the events the
RTL sent), ``state.npz`` (its memories, peeked at the end) and ``rtl.json`` (its counters).

``SPIKECORE_CLEAR`` (optional) names a text file of step indices, one a line: before each of
these steps the core gets a CLEAR command (and the golden model a ``clear()``), so that many
independent segments (e.g. one image each) run in one simulation.
"""

import json
from pathlib import Path

import cocotb
import numpy as np

from spikecore.golden import GoldenCore
from spikecore.regmap import COUNTERS, Opcode
from spikecore.sim.spike_io import load_clear_steps, load_network, load_spike_train, \
    save_spikes
from .context import RunContext
from .host import Bench


@cocotb.test()
async def run_workload(dut):
    """The workload of ``spikecore sim``: outputs from the RTL, checked against golden."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    out = Path(ctx.extra["out"])
    golden = GoldenCore(cfg)
    if ctx.extra.get("network"):
        load_network(ctx.extra["network"], golden)
    train = load_spike_train(ctx.extra["input"], cfg, steps=ctx.steps)
    clear_at = load_clear_steps(ctx.extra["clear"]) if ctx.extra.get("clear") else set()

    bench = Bench(dut, ctx)
    await bench.reset(golden)
    events = bench.out.events               # (cycle, neuron, timestep) as the RTL sent them
    spikes = []
    for index, axons in enumerate(train):
        if index in clear_at:
            await bench.command(Opcode.CLEAR)
            golden.clear()
        before = len(events)
        await bench.run_step(golden, axons, index)
        # Rows of the raster by step index (the timestep field wraps at timestep_bits).
        spikes += [(index, int(neuron)) for _, neuron, _ in events[before:]]
    await bench.check_registers(golden)
    save_spikes(out / "spikes.csv", spikes)
    state = bench.peek_state()
    np.savez(out / "state.npz", **state,
             **{f"param.{name}": np.int64(await bench.read(name)) for name in golden.params})
    counters = {name: await bench.read(name) for name in COUNTERS}
    (out / "rtl.json").write_text(json.dumps({"counters": counters,
                                              "steps": len(train)}, indent=2) + "\n")
