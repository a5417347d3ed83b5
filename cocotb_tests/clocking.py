"""The one coroutine that owns time: it counts rising edges and runs every driver and monitor.

Each cycle has two phases, always in this order:

1. right after rising edge ``n`` (cycle ``n`` begins), every *driver* sets its inputs for the
   cycle (``drive(n)``);
2. once the signals have settled (``ReadOnly``), every *monitor* samples them
   (``sample(n)``). A handshake "happens in cycle ``n``" when valid and ready are both high
   here; the design acts on it at rising edge ``n + 1``.

Cycle numbers are therefore exact and race-free, and they match the convention of
:mod:`spikecore.sim.amaranth_host` and :mod:`spikecore.golden.cycles` (cycle 0 of a timestep
is the cycle of the START handshake plus ``START_LATENCY``). Host code never writes a
signal: it queues transfers on drivers and waits on events that monitors set.
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Event, ReadOnly, RisingEdge

__all__ = ["Clocked", "CLOCK_NS"]

#: Clock period of the testbench (any value works; the design is synchronous).
CLOCK_NS = 10


class Clocked:
    """Free-running cycle counter and per-cycle scheduler of drivers and monitors.

    Parameters
    ----------
    dut : cocotb handle of the ``spikecore`` top module
    reset_cycles : int
        Cycles ``rst`` is held high at the start.

    Attributes
    ----------
    cycle : int
        The current cycle (the number of rising edges seen, minus one).
    """

    def __init__(self, dut, *, reset_cycles=4):
        self.dut = dut
        self.cycle = -1
        self.reset_cycles = reset_cycles
        self._drivers = []
        self._monitors = []
        self._alarms = []           # (cycle, Event), woken at the end of that cycle
        self._task = None

    def add(self, part):
        """Register ``part``: its ``drive(cycle)`` and/or ``sample(cycle)`` run every cycle,
        in the order parts were added. Returns ``part``."""
        if hasattr(part, "drive"):
            self._drivers.append(part.drive)
        if hasattr(part, "sample"):
            self._monitors.append(part.sample)
        return part

    def start(self):
        """Start the clock and the cycle loop; ``rst`` is high for ``reset_cycles``."""
        self.dut.rst.value = 1
        Clock(self.dut.clk, CLOCK_NS, unit="ns").start(start_high=False)
        self._task = cocotb.start_soon(self._run())

    @property
    def in_reset(self):
        return self.cycle < self.reset_cycles

    async def _run(self):
        edge, settled = RisingEdge(self.dut.clk), ReadOnly()
        rst = self.dut.rst
        drivers, monitors, alarms = self._drivers, self._monitors, self._alarms
        while True:
            await edge
            self.cycle += 1
            cycle = self.cycle
            if cycle == self.reset_cycles:
                rst.value = 0
            for drive in drivers:
                drive(cycle)
            await settled
            for sample in monitors:
                sample(cycle)
            while alarms and alarms[0][0] <= cycle:
                alarms.pop(0)[1].set()

    async def until(self, cycle):
        """Wait until the end of ``cycle`` (after its monitors ran)."""
        if cycle <= self.cycle:
            return
        event = Event()
        self._alarms.append((cycle, event))
        self._alarms.sort(key=lambda alarm: alarm[0])
        await event.wait()

    async def cycles(self, n):
        """Wait ``n`` cycles."""
        await self.until(self.cycle + n)

    async def reset_done(self):
        """Wait until ``rst`` has been released and the core has run one idle cycle."""
        await self.until(self.reset_cycles)
