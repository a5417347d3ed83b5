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
    settling : In(1)
        The engine is merging an accepted AER event; commands wait for it.
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
            "settling": In(1),
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

        # Every counter, sticky bit and the response register has one assignment: what
        # changes it is gathered in comb strobes (a sync assignment per branch would give
        # each branch its own copy of a 32-bit multiplexer).
        ev = self.events
        steps = {name: Signal(range(cfg.lanes + 1), name=f"step_{name}") for name in COUNTERS}
        zero = {name: Signal(name=f"zero_{name}") for name in COUNTERS}
        starting = self.access.valid & self.access.ready & \
            (self.access.payload.op == AccessOp.START)
        error_now = Signal()
        m.d.comb += [
            steps["cycles"].eq(self.busy), steps["step_cycles"].eq(self.busy),
            steps["sops"].eq(Mux(ev.sop_word, cfg.lanes, 0)),
            steps["in_spikes"].eq(ev.in_spike), steps["dup_spikes"].eq(ev.dup_spike),
            steps["bad_axons"].eq(ev.bad_axon), steps["out_spikes"].eq(ev.out_spike),
            steps["cmd_errors"].eq(error_now),
        ]
        with m.If(starting):
            m.d.comb += zero["step_cycles"].eq(1)
        for name, counter in counters.items():
            with m.If(zero[name]):
                m.d.sync += counter.eq(0)
            with m.Else():
                m.d.sync += counter.eq(counter + steps[name])
        sticky_set = Signal(len(StatusBit))
        sticky_clear = Signal(len(StatusBit))
        m.d.comb += sticky_set[StatusBit.BAD_AXON].eq(ev.bad_axon)
        m.d.sync += sticky.eq((sticky & ~sticky_clear) | sticky_set)
        with m.If(ev.step_done):
            m.d.sync += timestep.eq(timestep + 1)

        # -- the command in flight -------------------------------------------------------------
        cmd = Signal(command_layout(cfg))
        rsp = Signal(response_layout(cfg))
        m.d.comb += self.rsp.payload.eq(rsp)
        access = Signal(access_layout(cfg))
        m.d.comb += self.access.payload.eq(access)
        rsp_load = Signal()
        rsp_next = Signal(response_layout(cfg))
        with m.If(rsp_load):
            m.d.sync += rsp.eq(rsp_next)

        def fail(code, bit):
            m.d.comb += [rsp_load.eq(1), rsp_next.status.eq(code), sticky_set[bit].eq(1),
                         error_now.eq(1)]
            m.next = "RESPOND"

        def reply(value):
            m.d.comb += [rsp_load.eq(1), rsp_next.status.eq(Status.OK), rsp_next.data.eq(value)]
            m.next = "RESPOND"

        targets = memory_targets(cfg)
        lane_bits, group_bits = regmap.lane_bits, regmap.group_bits
        addr = cmd.addr
        write = cmd.op == Opcode.WRITE

        # Registers sit in one aligned block at address 0: one parallel case on the low
        # address bits selects a register (no chain of comparisons).
        registers = [e for e in regmap if e.kind == "reg"]
        reg_bits = max(1, (len(registers) - 1).bit_length())
        in_regs = Signal()
        reg_known = Signal()
        reg_writable = Signal()
        reg_value = Signal(DATA_BITS)
        m.d.comb += in_regs.eq(addr[reg_bits:] == 0)
        values = {e.name: self._register_value(e, params, status, counters, timestep)
                  for e in registers}
        # The read value is an AND-OR of the selected register's raw bits, zero-extended (the
        # host sign-extends signed fields; its regmap knows their widths): no mux tree.
        selected, writable = [], []
        for entry in registers:
            hit = addr[:reg_bits] == entry.base
            value = values[entry.name].as_unsigned()
            selected.append(value & hit.replicate(len(value)))
            if entry.writable:
                writable.append(hit)
        m.d.comb += [reg_known.eq(addr[:reg_bits] < len(registers)),
                     reg_writable.eq(_or_all(writable)),
                     reg_value.eq(_or_all(selected))]
        reg_write = Signal()
        with m.Switch(addr[:reg_bits]):
            for entry in registers:
                if not entry.writable:
                    continue
                with m.Case(entry.base):
                    with m.If(reg_write):
                        if entry.name == "status":
                            m.d.comb += sticky_clear.eq(cmd.data)         # write 1 to clear
                        elif entry.access == "wc":
                            m.d.comb += zero[entry.name].eq(1)            # a write zeroes
                        else:
                            m.d.sync += values[entry.name].eq(cmd.data)

        windows = [e for e in regmap if e.kind == "mem"]
        shifts = {e.name: (e.span - 1).bit_length() for e in windows}
        with m.FSM(name="command"):
            with m.State("IDLE"):
                # Not while an AER event settles: a command after an accepted event then
                # sees it counted and queued, and a START finds the engine idle.
                m.d.comb += self.cmd.ready.eq(~self.settling)
                with m.If(self.cmd.valid & self.cmd.ready):
                    m.d.sync += cmd.eq(self.cmd.payload)
                    m.next = "DECODE"
            with m.State("DECODE"):
                with m.Switch(cmd.op):
                    with m.Case(Opcode.READ, Opcode.WRITE):
                        with m.If(in_regs & reg_known):
                            with m.If(~write):
                                reply(reg_value)
                            with m.Elif(~reg_writable):
                                fail(Status.BAD_ADDR, StatusBit.BAD_ADDR)
                            with m.Elif(self.busy):
                                fail(Status.BUSY, StatusBit.BUSY_ACCESS)
                            with m.Else():
                                m.d.comb += reg_write.eq(1)
                                reply(0)
                        for entry in windows:
                            shift = shifts[entry.name]
                            with m.Elif(addr[shift:] == entry.base >> shift):
                                self._memory(m, entry, targets.index(entry.name), cmd,
                                             shift, lane_bits, group_bits, access, fail)
                        with m.Else():
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

    @staticmethod
    def _register_value(entry, params, status, counters, timestep):
        """The signal (or constant) that register ``entry`` reads."""
        name = entry.name
        if name == "id":
            return Const(entry.reset, DATA_BITS)
        if name == "status":
            return status
        if name == "timestep":
            return timestep
        if name in counters:
            return counters[name]
        return params[name]

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


def _or_all(values):
    """The bitwise OR of ``values`` (zero-extended to the widest)."""
    result = values[0]
    for value in values[1:]:
        result = result | value
    return result
