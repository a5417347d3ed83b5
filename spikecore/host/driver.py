"""``Core``: drive a spikecore over a link (a board's serial port, or a simulation of it).

Example
-------
::

    from spikecore import load_config
    from spikecore.host import Core, SerialTransport

    cfg = load_config("icebreaker")
    core = Core(SerialTransport("/dev/ttyUSB1", baudrate=1_000_000), cfg)
    core.write("weight", (3, 17), 90)            # axon 3 -> neuron 17
    raster = core.run([[3], [], [3, 4]])         # three timesteps; bool (3, n_neurons)
"""

import time

import numpy as np

from spikecore.regmap import COUNTERS, Opcode, Status, build_regmap, param_reset_values
from .protocol import Event, HostProtocol, LinkStatus, Response

__all__ = ["Core", "CoreError", "LinkError"]

#: Fields of a configuration fixed when the hardware is generated (the rest are parameter
#: registers the host may write).
HARDWARE_FIELDS = ("n_axons", "n_neurons", "recurrent", "lanes", "weight_bits", "v_bits",
                   "i_bits", "ref_bits", "trace_bits", "rate_bits", "timestep_bits", "stdp",
                   "weight_ram")


class CoreError(RuntimeError):
    """The core answered a command with an error status."""

    def __init__(self, status, what):
        super().__init__(f"{what}: the core answered {Status(status).name}")
        self.status = Status(status)


class LinkError(TimeoutError):
    """The link went quiet: no answer within the timeout."""


class Core:
    """A spikecore seen from the host.

    Parameters
    ----------
    transport
        An object with ``write(data: bytes)`` and ``read(timeout: float) -> bytes`` (it may
        return fewer bytes than are coming, or none).
    cfg : CoreConfig
        The configuration the core was built from.
    timeout : float
        Seconds to wait for an answer before raising :exc:`LinkError`.
    window : int
        Commands sent ahead of their answers by :meth:`write_many`; the board's receive FIFO
        holds them while the core works.

    Attributes
    ----------
    events : list of Event
        Output events received and not yet claimed by :meth:`step`.
    """

    def __init__(self, transport, cfg, *, timeout=5.0, window=4):
        self.transport = transport
        self.cfg = cfg
        self.regmap = build_regmap(cfg)
        self.protocol = HostProtocol(cfg)
        self.timeout = timeout
        self.window = window
        self.events = []
        self._responses = []
        self._link = []

    # -- link --------------------------------------------------------------------------------
    def _pump(self, until):
        """Read from the link until ``until()`` holds; raise LinkError on timeout."""
        deadline = time.monotonic() + self.timeout
        while not until():
            if time.monotonic() > deadline:
                raise LinkError(f"no answer from the core within {self.timeout} s")
            data = self.transport.read(self.timeout)
            for message in self.protocol.receive(data):
                if isinstance(message, Response):
                    self._responses.append(message)
                elif isinstance(message, Event):
                    self.events.append(message)
                elif isinstance(message, LinkStatus):
                    self._link.append(message)

    def _answer(self, what):
        self._pump(lambda: self._responses)
        response = self._responses.pop(0)
        if response.status != Status.OK:
            raise CoreError(response.status, what)
        return response.data

    def command(self, op, addr=0, data=0):
        """Send one command and return its answer's data (or raise :exc:`CoreError`)."""
        self.transport.write(self.protocol.command(op, addr, data))
        name = Opcode(op).name if op in set(Opcode) else f"opcode {op}"
        return self._answer(f"{name} @ {addr:#x}")

    # -- registers and memories --------------------------------------------------------------
    def write(self, name, index, value):
        self.command(Opcode.WRITE, self.regmap.address(name, index),
                     self.regmap.encode_value(name, value))

    def read(self, name, index=None):
        data = self.command(Opcode.READ, self.regmap.address(name, index))
        return self.regmap.decode_value(name, data)

    def write_many(self, items):
        """Write ``(name, index, value)`` items, ``window`` commands ahead of the answers."""
        pending = []
        for name, index, value in items:
            frame = self.protocol.command(Opcode.WRITE, self.regmap.address(name, index),
                                          self.regmap.encode_value(name, value))
            self.transport.write(frame)
            pending.append(f"WRITE {name}[{index}]")
            if len(pending) >= self.window:
                self._answer(pending.pop(0))
        while pending:
            self._answer(pending.pop(0))

    def load(self, golden):
        """Write the parameters and every memory element of a GoldenCore (or anything with
        ``params`` and ``state()`` in its form)."""
        items = [(name, None, value) for name, value in golden.params.items()]
        for name, array in golden.state().items():
            for index in np.ndindex(array.shape):
                key = index[0] if len(index) == 1 else tuple(int(i) for i in index)
                items.append((name, int(key) if len(index) == 1 else key, int(array[index])))
        self.write_many(items)

    def apply_config(self, cfg):
        """Write the parameter values of ``cfg`` (its thresholds, shifts, learning rates...)
        into the core's registers. ``cfg`` must describe the same hardware (geometry and
        widths); only its parameter values may differ."""
        hardware = {f: getattr(cfg, f) for f in HARDWARE_FIELDS}
        built = {f: getattr(self.cfg, f) for f in HARDWARE_FIELDS}
        if hardware != built:
            differing = ", ".join(f"{f}={hardware[f]!r} (core: {built[f]!r})"
                                  for f in HARDWARE_FIELDS if hardware[f] != built[f])
            raise ValueError(f"configuration describes other hardware than the core's: "
                             f"{differing}")
        self.write_many((name, None, value) for name, value in param_reset_values(cfg).items())

    def state(self):
        """Every memory element (weights, membranes, currents, traces...), read back:
        ``{name: int64 array}`` in the form of ``GoldenCore.state()``."""
        out = {}
        for entry in self.regmap:
            if entry.kind != "mem":
                continue
            if entry.index == "synapse":
                array = np.zeros((self.cfg.n_rows, self.cfg.n_neurons), dtype=np.int64)
            else:
                array = np.zeros(entry.count, dtype=np.int64)
            for index in np.ndindex(array.shape):
                key = int(index[0]) if len(index) == 1 else tuple(int(i) for i in index)
                array[index] = self.read(entry.name, key)
            out[entry.name] = array
        return out

    def counters(self):
        return {name: self.read(name) for name in COUNTERS}

    def link_status(self):
        """The bridge's ``(received, dropped)`` frame counters."""
        self.transport.write(self.protocol.link_query())
        self._pump(lambda: self._link)
        return self._link.pop(0)

    # -- timesteps ---------------------------------------------------------------------------
    def spikes(self, axons):
        """Send AER input events (axon ids) for the next timestep."""
        self.transport.write(b"".join(self.protocol.spike(int(a)) for a in axons))

    def step(self, axons=()):
        """Run one timestep with ``axons`` as input; returns the neurons that spiked."""
        self.spikes(axons)
        number = self.command(Opcode.START)
        self.command(Opcode.SYNC)
        fired = [e.neuron for e in self.events if e.timestep == number]
        self.events = [e for e in self.events if e.timestep != number]
        return fired

    def run(self, spike_train):
        """One timestep per entry of ``spike_train`` (id lists, or a bool raster); returns a
        bool raster of shape ``(timesteps, n_neurons)``."""
        steps = list(spike_train)
        raster = np.zeros((len(steps), self.cfg.n_neurons), dtype=bool)
        for t, axons in enumerate(steps):
            if isinstance(axons, np.ndarray) and axons.dtype == bool:
                axons = np.flatnonzero(axons)
            raster[t, self.step(axons)] = True
        return raster

    def clear(self):
        self.command(Opcode.CLEAR)
