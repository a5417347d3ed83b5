"""Drive a :class:`~spikecore.hdl.core.Core` in Amaranth's simulator like a host would.

The fast-tier tests use this: commands and AER events go in through the core's streams, and
output events are recorded with the cycle they were handed over, counted from a free-running
counter in the harness so that cycle numbers are exact and race-free.
"""

from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Module, ResetSignal, Signal
from amaranth.sim import Simulator

from spikecore.golden.cycles import START_LATENCY
from spikecore.hdl.core import Core
from spikecore.regmap import Opcode, Status, build_regmap

__all__ = ["Harness", "SimHost", "run_sim", "CommandError"]


class CommandError(RuntimeError):
    """A command was answered with an error status."""

    def __init__(self, status, what):
        super().__init__(f"{what} answered {Status(status).name}")
        self.status = Status(status)


class Harness(Elaboratable):
    """The core plus a free-running cycle counter; ``rst`` resets the core's domain."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.core = Core(cfg)
        self.cycle = Signal(64)
        self.rst = Signal()

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain()
        m.d.comb += ResetSignal().eq(self.rst)
        m.submodules.core = self.core
        m.domains.count = count = ClockDomain(reset_less=True)
        m.d.comb += count.clk.eq(ClockSignal())
        m.d.count += self.cycle.eq(self.cycle + 1)     # keeps counting through a reset
        return m


class SimHost:
    """Host-side operations on a simulated core, inside an async testbench.

    Attributes
    ----------
    events : list of (cycle, neuron, timestep)
        Output events in arrival order, with the cycle of their handover.
    """

    def __init__(self, ctx, harness):
        self.ctx = ctx
        self.h = harness
        self.core = harness.core
        self.cfg = harness.cfg
        self.regmap = build_regmap(self.cfg)
        self.events = []
        self.out_ready = True

    async def monitor(self, ctx):
        """Background (own ``ctx``): accept every output event, or stall while
        ``out_ready`` is false."""
        out = self.core.aer_out
        while True:
            ctx.set(out.ready, self.out_ready)
            _, _, cycle, valid, ready, payload = await ctx.tick().sample(
                self.h.cycle, out.valid, out.ready, out.payload)
            if valid and ready:
                self.events.append((cycle, payload.neuron, payload.timestep))

    async def command(self, op, addr=0, data=0, *, check=True):
        """Send one command; return ``(status, data, accept_cycle)``."""
        ctx, core = self.ctx, self.core
        ctx.set(core.cmd.payload, {"op": int(op), "addr": addr, "data": data & 0xFFFF_FFFF})
        ctx.set(core.cmd.valid, 1)
        await ctx.tick().until(core.cmd.ready)
        accepted = ctx.get(self.h.cycle) - 1
        ctx.set(core.cmd.valid, 0)
        ctx.set(core.rsp.ready, 1)
        (payload,) = await ctx.tick().sample(core.rsp.payload).until(core.rsp.valid)
        ctx.set(core.rsp.ready, 0)
        status, value = int(payload.status), payload.data
        if check and status != Status.OK:
            raise CommandError(status, f"{Opcode(op).name if op < 5 else op} @ {addr:#x}")
        return status, value, accepted

    async def write(self, name, index, value):
        addr = self.regmap.address(name, index)
        await self.command(Opcode.WRITE, addr, self.regmap.encode_value(name, value))

    async def read(self, name, index=None):
        _, data, _ = await self.command(Opcode.READ, self.regmap.address(name, index))
        return self.regmap.decode_value(name, data)

    async def spikes(self, axons):
        """Push AER input events (any ids, duplicates and bad ones included)."""
        ctx, port = self.ctx, self.core.aer_in
        for axon in axons:
            ctx.set(port.payload, int(axon))
            ctx.set(port.valid, 1)
            await ctx.tick().until(port.ready)
        ctx.set(port.valid, 0)

    async def start(self):
        """Start a timestep; return the engine's cycle 0 (see golden.cycles)."""
        _, _, accepted = await self.command(Opcode.START)
        return accepted + START_LATENCY

    async def sync(self):
        """Wait until the core is idle; return the status register."""
        _, status, _ = await self.command(Opcode.SYNC)
        return status

    async def step(self, axons=()):
        """Push the events, run one timestep, wait for it; return ``(cycle0, events)``."""
        await self.spikes(axons)
        first = len(self.events)
        cycle0 = await self.start()
        await self.sync()
        return cycle0, self.events[first:]

    async def load(self, golden):
        """Write every weight, per-row and per-neuron state and parameter of ``golden``."""
        for name, value in golden.params.items():
            await self.write(name, None, value)
        for name, array in golden.state().items():
            for index in _indices(array):
                await self.write(name, index, int(array[index]))

    def peek_state(self):
        """Every memory element, read from the simulator's memories directly (no cycles):
        ``{name: int64 array}`` shaped like :meth:`GoldenCore.state`."""
        import numpy as np
        cfg, mem = self.cfg, self.core.engine.mem
        G, lanes = cfg.groups, cfg.lanes
        out = {}
        for entry in self.regmap:
            if entry.kind != "mem":
                continue
            name = entry.name
            if name == "weight":
                words = [self.ctx.get(mem.weight.data[w]) for w in range(cfg.n_rows * G)]
                values = [[int(word[lane]) for lane in range(lanes)] for word in words]
                out[name] = np.array(values, dtype=np.int64).reshape(cfg.n_rows, cfg.n_neurons)
            elif entry.index == "neuron":
                words = [self.ctx.get(mem.neuron[name].data[g]) for g in range(G)]
                out[name] = np.array([int(word[lane]) for word in words
                                      for lane in range(lanes)], dtype=np.int64)
            else:
                out[name] = np.array([int(self.ctx.get(mem.rows[name].data[r]))
                                      for r in range(cfg.n_rows)], dtype=np.int64)
        return out

    async def state(self):
        """Read back every memory element through READ commands, as ``{name: array}``."""
        import numpy as np
        out = {}
        for entry in self.regmap:
            if entry.kind != "mem":
                continue
            if entry.index == "synapse":
                shape = (self.cfg.n_rows, self.cfg.n_neurons)
            else:
                shape = (entry.count,)
            array = np.zeros(shape, dtype=np.int64)
            for index in _indices(array):
                array[index] = await self.read(entry.name, index)
            out[entry.name] = array
        return out


def _indices(array):
    import numpy as np
    if array.ndim == 1:
        return [int(i) for i in range(array.shape[0])]
    return [tuple(int(x) for x in ix) for ix in np.ndindex(array.shape)]


def run_sim(cfg, body, *, vcd=None):
    """Simulate ``cfg``'s core; ``body(host)`` is an async function run as the testbench."""
    harness = Harness(cfg)
    sim = Simulator(harness)
    sim.add_clock(1e-8)
    host = SimHost(None, harness)
    result = {}

    async def testbench(ctx):
        host.ctx = ctx
        result["value"] = await body(host)

    async def monitor(ctx):
        await host.monitor(ctx)

    sim.add_testbench(testbench)
    sim.add_testbench(monitor, background=True)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run()
    else:
        sim.run()
    return result["value"]
