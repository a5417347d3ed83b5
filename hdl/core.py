"""The spiking core: command unit and timestep engine behind four streams."""

from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out, connect, flipped

from spikecore.config import CoreConfig
from .command import CommandUnit
from .engine import Engine
from .faults import check_faults
from .layouts import aer_in_shape, aer_out_layout, command_layout, response_layout

__all__ = ["Core"]


class Core(wiring.Component):
    """One spiking core, generated from a :class:`~spikecore.config.CoreConfig`.

    Parameters
    ----------
    cfg : CoreConfig
    faults : collection of str
        Known bugs to inject (:data:`spikecore.hdl.faults.FAULTS`); for tests only.

    Members
    -------
    cmd : In(stream.Signature(command_layout(cfg)))
        Host commands (see ``docs/regmap.md``).
    rsp : Out(stream.Signature(response_layout(cfg)))
        One response per command, in order.
    aer_in : In(stream.Signature(aer_in_shape(cfg)))
        Input spikes as axon ids; backpressured while a timestep runs.
    aer_out : Out(stream.Signature(aer_out_layout(cfg)))
        Output spikes as ``(neuron, timestep)``.
    busy : Out(1)
        A timestep is running.
    error : Out(1)
        A sticky error bit is set in ``status``.
    """

    def __init__(self, cfg, *, faults=()):
        if not isinstance(cfg, CoreConfig):
            raise TypeError(f"Core configuration must be a CoreConfig, not {cfg!r}")
        self.cfg = cfg
        self.faults = check_faults(faults)
        self.command = CommandUnit(cfg)
        self.engine = Engine(cfg, faults=self.faults)
        super().__init__({
            "cmd": In(stream.Signature(command_layout(cfg))),
            "rsp": Out(stream.Signature(response_layout(cfg))),
            "aer_in": In(stream.Signature(aer_in_shape(cfg))),
            "aer_out": Out(stream.Signature(aer_out_layout(cfg))),
            "busy": Out(1),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.command = command = self.command
        m.submodules.engine = engine = self.engine
        connect(m, flipped(self.cmd), command.cmd)
        connect(m, command.rsp, flipped(self.rsp))
        connect(m, flipped(self.aer_in), engine.aer_in)
        connect(m, engine.aer_out, flipped(self.aer_out))
        connect(m, command.access, engine.access)
        m.d.comb += [
            command.rdata.eq(engine.rdata),
            command.busy.eq(engine.busy),
            command.settling.eq(engine.settling),
            command.events.eq(engine.events),
            engine.params.eq(command.params),
            engine.timestep.eq(command.timestep),
            self.busy.eq(engine.busy),
            self.error.eq(command.error),
        ]
        return m
