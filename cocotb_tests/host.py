"""The testbench around one core, and the host's operations on it.

:class:`Bench` joins the pieces: the cycle loop (:mod:`.clocking`), the stream drivers
(:mod:`.streams`), the monitors (:mod:`.monitors`), the scoreboard (:mod:`.scoreboard`) and
the memory peek (:mod:`.peek`). Its coroutines are the host protocol of
:class:`spikecore.sim.amaranth_host.SimHost` (``command``, ``write``, ``read``, ``spikes``,
``start``, ``sync``, ``load``, ``peek_state``), plus :meth:`Bench.run_step`, which runs one
timestep on the RTL and checks it against the golden model.
"""

from collections import deque

import numpy as np
from cocotb.triggers import Event

from spikecore.golden.cycles import START_LATENCY
from spikecore.regmap import COUNTERS, Opcode, Status, StatusBit, build_regmap
from .clocking import Clocked
from .monitors import AerOutMonitor, BusyMonitor
from .payloads import codecs
from .peek import StatePeek
from .scoreboard import Scoreboard, StepPrediction
from .streams import StreamSink, StreamSource

__all__ = ["Bench", "Command"]

#: Cycles without any handshake, while the host waits for one, before the test gives up.
WATCHDOG_CYCLES = 50_000


class Command:
    """One command and, once it came, its response.

    Attributes
    ----------
    op, addr, data : int
    accepted : int or None
        Cycle of the command's handshake.
    status : Status or None
    rdata : int or None
        The response's data word.
    answered : int or None
        Cycle of the response's handshake.
    """

    def __init__(self, op, addr, data):
        self.op, self.addr, self.data = int(op), addr, data
        self.accepted = self.status = self.rdata = self.answered = None
        self._event = None

    def name(self):
        known = {op.value for op in Opcode}
        return Opcode(self.op).name if self.op in known else f"opcode {self.op}"

    def _answer(self, cycle, status, data):
        self.answered, self.status, self.rdata = cycle, Status(status), data
        if self._event is not None:
            self._event.set()

    async def response(self):
        """Wait for the response; return ``(status, data, accept_cycle)``."""
        if self.answered is None:
            if self._event is None:
                self._event = Event()
            await self._event.wait()
        return self.status, self.rdata, self.accepted


class Bench:
    """A core under test, driven and checked every cycle.

    Parameters
    ----------
    dut : cocotb handle of the ``spikecore`` top module
    ctx : RunContext
    timed : bool
        Check exact cycles (see :class:`Scoreboard`); ``False`` when ``out_ready`` stalls.
    out_ready, rsp_ready : callable or None
        Ready policies of the ``aer_out`` and ``rsp`` sinks (``None``: always ready).
    cmd_gap, aer_gap : callable or None
        Idle-cycle policies of the ``cmd`` and ``aer_in`` sources.
    """

    def __init__(self, dut, ctx, *, timed=True, out_ready=None, rsp_ready=None, cmd_gap=None,
                 aer_gap=None):
        self.dut, self.ctx, self.cfg = dut, ctx, ctx.cfg
        self.regmap = build_regmap(self.cfg)
        self.codec = codecs(self.cfg)
        self.clock = clock = Clocked(dut)
        self.scoreboard = sb = Scoreboard(ctx, timed=timed)
        self.cmd = clock.add(StreamSource(dut.cmd__valid, dut.cmd__ready, dut.cmd__payload,
                                          gap=cmd_gap))
        self.aer_in = clock.add(StreamSource(dut.aer_in__valid, dut.aer_in__ready,
                                             dut.aer_in__payload, gap=aer_gap))
        self.rsp = clock.add(StreamSink("rsp", dut.rsp__valid, dut.rsp__ready,
                                        dut.rsp__payload, ready_policy=rsp_ready,
                                        on_violation=self._violation))
        self.aer_out = clock.add(StreamSink("aer_out", dut.aer_out__valid, dut.aer_out__ready,
                                            dut.aer_out__payload, ready_policy=out_ready,
                                            on_violation=self._violation))
        self.out = AerOutMonitor(self.aer_out, self.codec["aer_out"], sb)
        self.busy = clock.add(BusyMonitor(dut.busy, sb))
        clock.add(self)                 # the watchdog, last
        self.rsp.listeners.append(self._on_response)
        self._awaiting = deque()        # accepted commands, oldest first
        self._progress = 0              # last cycle with a handshake
        self.measured = {"cycles": 0, "step_cycles": 0}     # cycle counters, from busy
        self.stretched = 0              # steps that stalls made longer than the model
        self.peek = StatePeek(dut, self.cfg)

    # -- plumbing --------------------------------------------------------------------------
    def _violation(self, cycle, field, expected, actual, what):
        self.scoreboard.fail(cycle, field, expected, actual, f"stream rule broken: {what}")

    def _on_response(self, cycle, word):
        self._progress = cycle
        fields = self.codec["rsp"].unpack(word)
        if not self._awaiting:
            self.scoreboard.fail(cycle, "rsp", "no response", fields,
                                 "a response without a command")
        self._awaiting.popleft()._answer(cycle, fields["status"], fields["data"])

    def sample(self, cycle):
        """Watchdog: the host waits for a handshake that does not come."""
        if not self.cmd.idle or not self.aer_in.idle or self._awaiting:
            if cycle - self._progress > WATCHDOG_CYCLES:
                self.scoreboard.fail(cycle, "handshakes", f"progress within "
                                     f"{WATCHDOG_CYCLES} cycles",
                                     f"none since cycle {self._progress}",
                                     "the core stopped answering")
        else:
            self._progress = cycle

    async def reset(self, golden):
        """Start the clock, reset the core, enable the checks, and bring the core to the
        state of ``golden``: CLEAR, then :meth:`load`, then a comparison of every memory.

        ``rst`` resets registers but not memories (block RAM); the core clears its dynamic
        state by itself after a reset (see docs/semantics.md). Several cocotb tests share
        one simulation, so each also starts with an explicit CLEAR and a load that
        overwrites every host-visible element.
        """
        for port in (self.dut.cmd__valid, self.dut.aer_in__valid):
            port.value = 0
        self.clock.start()
        await self.clock.reset_done()
        self.rsp.enabled = self.aer_out.enabled = self.scoreboard.enabled = True
        self._progress = self.clock.cycle
        await self.command(Opcode.CLEAR)
        writes = await self.load(golden)
        self.scoreboard.check_state(self.clock.cycle, self.peek_state(), golden.state())
        return writes

    async def restart(self, golden):
        """Bring a running core to the state of ``golden`` again (next scenario in the same
        simulation): CLEAR, load, and the timestep, counters and status of ``golden``."""
        await self.command(Opcode.CLEAR)
        writes = await self.load(golden)
        await self.write("timestep", None, golden.timestep)
        for name, value in golden.counters.items():
            await self.write(name, None, value)
        await self.write("status", None, (1 << len(StatusBit)) - 1)
        self.measured.update(cycles=golden.counters["cycles"],
                             step_cycles=golden.counters["step_cycles"])
        self.scoreboard.check_state(self.clock.cycle, self.peek_state(), golden.state())
        return writes

    # -- host protocol ---------------------------------------------------------------------
    def submit(self, op, addr=0, data=0, *, on_accept=None):
        """Queue a command without waiting; returns its :class:`Command`."""
        command = Command(op, addr, data & 0xFFFF_FFFF)
        word = self.codec["cmd"].pack(op=int(op), addr=addr, data=command.data)

        def accepted(transfer):
            self._progress = transfer.accepted
            command.accepted = transfer.accepted
            self._awaiting.append(command)
            if on_accept is not None:
                on_accept(command)
        self.cmd.send(word, accepted)
        return command

    async def command(self, op, addr=0, data=0, *, check=True):
        """Send one command; return ``(status, data, accept_cycle)``."""
        command = self.submit(op, addr, data)
        status, value, accepted = await command.response()
        if check:
            self.expect_ok(command)
        return status, value, accepted

    def expect_ok(self, command):
        if command.status != Status.OK:
            self.scoreboard.fail(command.answered, f"rsp.status of {command.name()} "
                                 f"@ {command.addr:#x}", "OK", command.status.name,
                                 "a command was refused")

    async def write(self, name, index, value):
        await self.command(Opcode.WRITE, self.regmap.address(name, index),
                           self.regmap.encode_value(name, value))

    async def read(self, name, index=None):
        _, data, _ = await self.command(Opcode.READ, self.regmap.address(name, index))
        return self.regmap.decode_value(name, data)

    async def spikes(self, axons):
        """Push AER input events (any ids, duplicates and bad ones included)."""
        last = None
        for axon in axons:
            last = self.aer_in.send(int(axon), self._note_progress)
        if last is not None:
            await last.wait()

    def _note_progress(self, transfer):
        self._progress = transfer.accepted

    async def start(self, on_accept=None):
        """Send START; return the engine's cycle 0."""
        command = self.submit(Opcode.START, on_accept=on_accept)
        await command.response()
        self.expect_ok(command)
        return command.accepted + START_LATENCY

    async def sync(self):
        """Wait until the core is idle; return the status register."""
        _, status, _ = await self.command(Opcode.SYNC)
        return status

    async def load(self, golden):
        """Write every parameter and memory element of ``golden`` through WRITE commands,
        queued back to back; every response must be OK."""
        regmap = self.regmap
        commands = [self.submit(Opcode.WRITE, regmap.address(name),
                                regmap.encode_value(name, value))
                    for name, value in golden.params.items()]
        for name, array in golden.state().items():
            for index in np.ndindex(array.shape):
                index = tuple(int(i) for i in index) if array.ndim > 1 else int(index[0])
                commands.append(self.submit(Opcode.WRITE, regmap.address(name, index),
                                            regmap.encode_value(name, int(array[index]))))
        await commands[-1].response()
        for command in commands:
            self.expect_ok(command)
        return len(commands)

    def peek_state(self):
        """Every memory element, read from the simulator directly (no cycles)."""
        return self.peek.read()

    # -- one checked timestep --------------------------------------------------------------
    async def run_step(self, golden, axons, index, *, spoil=None):
        """Run one timestep on the RTL and on ``golden``, and check everything.

        The scoreboard checks every cycle of the step (events and ``busy``); afterwards the
        START and SYNC responses, the ``step_cycles`` counter and every state memory are
        compared with the golden model. ``spoil(step)``, if given, may alter the prediction
        before it is used (fault injection). Returns the :class:`StepPrediction`.
        """
        sb = self.scoreboard
        await self.spikes(axons)
        number = golden.timestep
        neurons = tuple(int(n) for n in golden.step(axons))
        step = StepPrediction(index=index, timestep=number, neurons=neurons,
                              timing=golden.last_timing, state=golden.state(),
                              inputs=list(axons))
        if spoil is not None:
            spoil(step)
        start = self.submit(Opcode.START, on_accept=lambda cmd: sb.begin(cmd.accepted, step))
        sync = self.submit(Opcode.SYNC)
        await start.response()
        self.expect_ok(start)
        sb.check_value(start.answered, "rsp.data of START", number, start.rdata,
                       "START answers the number of the timestep it started", step)
        await sync.response()
        self.expect_ok(sync)
        sb.close(sync.answered)
        sb.check_value(sync.answered, "rsp.data of SYNC (status)", golden.status, sync.rdata,
                       "status register after the step", step)
        await self._check_step_length(step)
        sb.check_state(self.clock.cycle, self.peek_state(), step.state, step)
        sb.check_value(self.clock.cycle, "acc memory (words)", [0] * self.cfg.groups,
                       self.peek.acc_words(), "accumulators not zeroed after the step", step)
        return step

    async def _check_step_length(self, step):
        """``busy`` rose in engine cycle 1 and the ``step_cycles`` counter equals how long it
        stayed high: the cycle model's length (timed), at least that with stalls."""
        sb, timing = self.scoreboard, step.timing
        run = self.busy.run_after(step.cycle0 - 1)
        if run is None or run[0] != step.cycle0 + 1:
            sb.fail(self.clock.cycle, "busy", f"rising in cycle {step.cycle0 + 1}",
                    f"busy high in cycles {run}", "busy did not rise in engine cycle 1", step)
        length = run[1] - run[0] + 1
        if length < timing.cycles:
            sb.fail(run[1], "busy", f"high for >= {timing.cycles} cycles",
                    f"high for {length}", "the step ended early", step)
        self.stretched += length > timing.cycles
        self.measured["cycles"] = (self.measured["cycles"] + length) & 0xFFFF_FFFF
        self.measured["step_cycles"] = length
        sb.check_value(self.clock.cycle, "step_cycles counter",
                       timing.cycles if sb.timed else length, await self.read("step_cycles"),
                       "busy cycles of the step", step)

    async def check_registers(self, golden, step=None):
        """Every counter, the timestep and the status register, read with READ commands.

        Untimed (stalling output sink), the cycle counters are compared with the lengths
        ``busy`` showed, which the stalls stretch beyond the cycle model's.
        """
        sb = self.scoreboard
        for name in (*COUNTERS, "timestep", "status"):
            value = await self.read(name)
            expected = golden.read(name)
            if not sb.timed and name in self.measured:
                expected = self.measured[name]
            sb.check_value(self.clock.cycle, f"register {name}", expected, value,
                           f"register {name} differs from the golden model", step)
