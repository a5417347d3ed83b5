"""The command unit: decodes host commands against the register map and holds the registers.

Every command is answered by exactly one response, in order. The decode is generated from
:func:`spikecore.regmap.build_regmap`: registers (parameters, status, counters, timestep) live
here; memory elements are reached through the engine's ``access`` stream. A bad opcode, an
address that names nothing (or a read-only register, for a write), or an access that needs the
idle core while a timestep runs is answered with an error status, sets its sticky status bit,
counts in ``cmd_errors`` and changes nothing else.
"""

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from spikecore.regmap import COUNTERS, DATA_BITS, Opcode, Status, StatusBit, build_regmap
from .engine import AccessOp, EngineEvents, access_layout
from .layouts import command_layout, param_layout, response_layout
from .memories import memory_targets

__all__ = ["CommandUnit"]


class CommandUnit(wiring.Component):
    """Command decode and register file.

    Parameters
    ----------
    cfg : CoreConfig

    Members
    -------
    cmd : In(stream.Signature(command_layout(cfg)))
    rsp : Out(stream.Signature(response_layout(cfg)))
    access : Out(stream.Signature(access_layout(cfg)))
        Memory accesses, START and CLEAR, to the engine.
    rdata : In(DATA_BITS)
        The engine's read data, valid when ``access`` completes.
    busy : In(1)
        The engine runs a timestep.
    events : In(EngineEvents)
        Strobes counted by the counters.
    params : Out(param_layout(cfg))
    timestep : Out(timestep_bits)
    error : Out(1)
        Any sticky error bit is set.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        self._regmap = build_regmap(cfg)
        super().__init__({
            "cmd": In(stream.Signature(command_layout(cfg))),
            "rsp": Out(stream.Signature(response_layout(cfg))),
            "access": Out(stream.Signature(access_layout(cfg))),
            "rdata": In(DATA_BITS),
            "busy": In(1),
            "events": In(EngineEvents),
            "params": Out(param_layout(cfg)),
            "timestep": Out(cfg.timestep_bits),
            "error": Out(1),
        })

    def elaborate(self, platform):
        cfg, regmap = self._cfg, self._regmap
        m = Module()

        # -- registers ---------------------------------------------------------------------
        params = Signal(param_layout(cfg), init={
            e.name: e.reset for e in regmap if e.group == "param"})
        m.d.comb += self.params.eq(params)
        sticky = Signal(len(StatusBit))
        status = Signal(len(StatusBit))
        m.d.comb += [status.eq(sticky | self.busy), self.error.eq(sticky.any())]
        counters = {name: Signal(DATA_BITS, name=f"count_{name}") for name in COUNTERS}
        timestep = Signal(cfg.timestep_bits)
        m.d.comb += self.timestep.eq(timestep)

        ev = self.events
        starting = self.access.valid & self.access.ready & \
            (self.access.payload.op == AccessOp.START)
        with m.If(self.busy):
            m.d.sync += [counters["cycles"].eq(counters["cycles"] + 1),
                         counters["step_cycles"].eq(counters["step_cycles"] + 1)]
        with m.If(starting):
            m.d.sync += counters["step_cycles"].eq(0)
        # One adder with a variable operand (not a mux of two sums): the low bits of a
        # `+ lanes` never change, and a mux would leave them as dangling bits.
        m.d.sync += counters["sops"].eq(counters["sops"] + Mux(ev.sop_word, cfg.lanes, 0))
        for name, strobe in (("in_spikes", ev.in_spike), ("dup_spikes", ev.dup_spike),
                             ("bad_axons", ev.bad_axon), ("out_spikes", ev.out_spike)):
            with m.If(strobe):
                m.d.sync += counters[name].eq(counters[name] + 1)
        with m.If(ev.bad_axon):
            m.d.sync += sticky[StatusBit.BAD_AXON].eq(1)
        with m.If(ev.step_done):
            m.d.sync += timestep.eq(timestep + 1)

        # -- the command in flight -------------------------------------------------------------
        cmd = Signal(command_layout(cfg))
        rsp = Signal(response_layout(cfg))
        m.d.comb += self.rsp.payload.eq(rsp)
        access = Signal(access_layout(cfg))
        m.d.comb += self.access.payload.eq(access)

        def fail(code, bit):
            m.d.sync += [rsp.status.eq(code), rsp.data.eq(0),
                         sticky[bit].eq(1),
                         counters["cmd_errors"].eq(counters["cmd_errors"] + 1)]
            m.next = "RESPOND"

        def reply(value):
            m.d.sync += [rsp.status.eq(Status.OK), rsp.data.eq(value)]
            m.next = "RESPOND"

        targets = memory_targets(cfg)
        lane_bits, group_bits = regmap.lane_bits, regmap.group_bits
        addr = cmd.addr
        with m.FSM(name="command"):
            with m.State("IDLE"):
                m.d.comb += self.cmd.ready.eq(1)
                with m.If(self.cmd.valid):
                    m.d.sync += cmd.eq(self.cmd.payload)
                    m.next = "DECODE"
            with m.State("DECODE"):
                with m.Switch(cmd.op):
                    with m.Case(Opcode.READ, Opcode.WRITE):
                        write = cmd.op == Opcode.WRITE
                        matched = Signal()
                        for entry in regmap:
                            if entry.kind == "reg":
                                with m.If(addr == entry.base):
                                    m.d.comb += matched.eq(1)
                                    self._register(m, entry, write, params, status, sticky,
                                                   counters, timestep, cmd, fail, reply)
                            else:
                                shift = (entry.span - 1).bit_length()
                                with m.If(addr[shift:] == entry.base >> shift):
                                    m.d.comb += matched.eq(1)
                                    self._memory(m, entry, targets.index(entry.name), cmd,
                                                 shift, lane_bits, group_bits, access, fail)
                        with m.If(~matched):
                            fail(Status.BAD_ADDR, StatusBit.BAD_ADDR)
                    with m.Case(Opcode.START, Opcode.CLEAR):
                        with m.If(self.busy):
                            fail(Status.BUSY, StatusBit.BUSY_ACCESS)
                        with m.Else():
                            m.d.sync += access.op.eq(Mux(cmd.op == Opcode.START,
                                                         AccessOp.START, AccessOp.CLEAR))
                            m.next = "ACCESS"
                    with m.Case(Opcode.SYNC):
                        m.next = "SYNC"
                    with m.Default():
                        fail(Status.BAD_OPCODE, StatusBit.BAD_OPCODE)
            with m.State("ACCESS"):
                m.d.comb += self.access.valid.eq(1)
                with m.If(self.access.ready):
                    with m.Switch(access.op):
                        with m.Case(AccessOp.READ):
                            reply(self.rdata)
                        with m.Case(AccessOp.START):
                            reply(timestep)
                        with m.Default():
                            reply(0)
            with m.State("SYNC"):
                with m.If(~self.busy):
                    reply(status)
            with m.State("RESPOND"):
                m.d.comb += self.rsp.valid.eq(1)
                with m.If(self.rsp.ready):
                    m.next = "IDLE"
        return m

    def _register(self, m, entry, write, params, status, sticky, counters, timestep, cmd,
                  fail, reply):
        """Read or write one register (writes need the idle core)."""
        name = entry.name
        if name == "id":
            value = Const(entry.reset, DATA_BITS)
        elif name == "status":
            value = status
        elif name == "timestep":
            value = timestep
        elif name in counters:
            value = counters[name]
        else:
            value = params[name]
        with m.If(~write):
            # The raw bits, zero-extended: the host sign-extends signed fields (its regmap
            # knows their widths), and the hardware needs no sign-extension muxes.
            reply(value.as_unsigned())
        if not entry.writable:
            with m.Else():
                fail(Status.BAD_ADDR, StatusBit.BAD_ADDR)
            return
        with m.Elif(self.busy):
            fail(Status.BUSY, StatusBit.BUSY_ACCESS)
        with m.Else():
            if name == "status":
                m.d.sync += sticky.eq(sticky & ~cmd.data)     # write 1 to clear
            else:
                m.d.sync += value.eq(cmd.data)
            reply(0)

    def _memory(self, m, entry, target, cmd, shift, lane_bits, group_bits, access, fail):
        """Decode an element of a memory window into (target, word, lane) for the engine."""
        cfg = self._cfg
        offset = cmd.addr[:shift]
        lane = offset[:lane_bits] if lane_bits else Const(0, 1)
        if entry.index == "row":
            row, group, lane = offset, Const(0, 1), Const(0, 1)
            valid = row < cfg.n_rows
            word = row
        else:
            group = offset[lane_bits:lane_bits + group_bits] if group_bits else Const(0, 1)
            valid = (lane < cfg.lanes) & (group < cfg.groups)
            if entry.index == "synapse":
                row = offset[lane_bits + group_bits:]
                valid &= row < cfg.n_rows
                word = row * cfg.groups + group
            else:
                word = group
        with m.If(~valid):
            fail(Status.BAD_ADDR, StatusBit.BAD_ADDR)
        with m.Elif(self.busy):
            fail(Status.BUSY, StatusBit.BUSY_ACCESS)
        with m.Else():
            m.d.sync += [
                access.op.eq(Mux(cmd.op == Opcode.WRITE, AccessOp.WRITE, AccessOp.READ)),
                access.target.eq(target), access.word.eq(word), access.lane.eq(lane),
                access.data.eq(cmd.data),
            ]
            m.next = "ACCESS"
