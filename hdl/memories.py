"""The memories of a core and their ports, all shaped by the configuration.

Every state of the core lives in an :class:`amaranth.lib.memory.Memory` (block RAM on an
FPGA); each has one synchronous read port and one write port, shared in time by the phases of
a timestep and by host access (see docs/architecture.md).
"""

from amaranth.hdl import Mux, Signal, signed, unsigned
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory

from .layouts import acc_shape, lanes_of, spike_entry_layout, spike_rest_layout, state_shapes

__all__ = ["CoreMemories", "memory_targets", "memory_names"]


def memory_targets(cfg):
    """Names of the host-addressable memories, in the order of their target index."""
    names = ["weight", *state_shapes(cfg)]
    if cfg.stdp:
        names += ["pre_trace", "plastic"]
    return names


def memory_names(cfg):
    """Names of every memory of a core, as :meth:`CoreMemories.memories` orders them."""
    return ["weight", "acc", *state_shapes(cfg), *(["pre_trace", "plastic"] if cfg.stdp
                                                   else []), "spiked", "spikes", "spike_rest"]


class _Port:
    """Plain signals standing for a memory port (``addr``, ``data``, ``en``)."""

    def __init__(self, **signals):
        for name, signal in signals.items():
            setattr(self, name, signal)


class WeightPorts:
    """The synapse memory's read and write side, as the phases see them.

    With ``weight_ram = "dual"`` they are the memory's own read and write ports (the write
    port has one enable per lane). With ``"single"`` the two share one address, the read is
    disabled while writing, and a write stores a whole word (``en`` is a single bit): the
    shape of a single-port RAM such as the iCE40UP5K's SPRAM. The engine's schedule never
    reads and writes in the same cycle in that mode.
    """

    def __init__(self, cfg, memory):
        self.single = cfg.weight_ram == "single"
        self._memory = memory
        self._rd = memory.read_port()
        self._wr = memory.write_port() if self.single else memory.write_port(granularity=1)
        addr = self._rd.addr.shape()
        self.rd = _Port(addr=Signal(addr, name="weight_rd_addr"), data=self._rd.data)
        self.wr = _Port(addr=Signal(addr, name="weight_wr_addr"),
                        data=Signal.like(self._wr.data, name="weight_wr_data"),
                        en=Signal(cfg.lanes, name="weight_wr_en"))

    def connect(self, m):
        rd, wr = self._rd, self._wr
        if not self.single:
            m.d.comb += [rd.addr.eq(self.rd.addr), wr.addr.eq(self.wr.addr),
                         wr.data.eq(self.wr.data), wr.en.eq(self.wr.en)]
            return
        writing = self.wr.en.any()
        address = Signal.like(self.rd.addr, name="weight_addr")
        m.d.comb += [address.eq(Mux(writing, self.wr.addr, self.rd.addr)),
                     rd.addr.eq(address), wr.addr.eq(address), rd.en.eq(~writing),
                     wr.data.eq(self.wr.data), wr.en.eq(writing)]


class CoreMemories:
    """The memories of one core.

    Attributes
    ----------
    weight : Memory
        ``n_rows * groups`` words of ``lanes`` signed weights; row ``r`` is words
        ``r * groups .. r * groups + groups - 1``, so a row streams out ``lanes`` weights a cycle.
    acc : Memory
        ``groups`` words of ``lanes`` synaptic accumulators (zero between timesteps).
    neuron : dict of Memory
        Per-neuron state, one memory per field (``v``, ``i``, ``ref``, ``bias``,
        ``post_trace``), ``groups`` words of ``lanes`` elements each.
    pre_trace, plastic : Memory
        Per-row learning state (present with STDP).
    spiked : Memory
        One bit per row: the row spikes this step (duplicate AER events are merged on it;
        the learning pass reads and clears it).
    spikes : Memory
        The spike list: one entry (group, lane mask) per neuron group that spiked.
    queue : SyncFIFOBuffered
        Rows to stream this step: distinct AER axons and recurrent spikes of the last step.
    rd, wr : dict
        The read and write port of each memory, by name.
    """

    def __init__(self, cfg):
        G = cfg.groups
        # Every state memory goes to block RAM, even a small one: as flip-flops a memory
        # costs its bits in FFs and a multiplexer per read port in LUTs.
        block = {"ram_style": "block"}
        # A single-port synapse RAM is meant for large single-port memories (the iCE40's
        # SPRAM: Yosys's "huge" RAM style).
        self.weight = Memory(shape=lanes_of(signed(cfg.weight_bits), cfg),
                             depth=cfg.n_rows * G, init=[],
                             attrs={"ram_style": "huge"} if cfg.weight_ram == "single"
                             else block)
        self.acc = Memory(shape=lanes_of(acc_shape(cfg), cfg), depth=G, init=[], attrs=block)
        self.neuron = {}
        for name, shape in state_shapes(cfg).items():
            init = [[cfg.bias] * cfg.lanes] * G if name == "bias" and cfg.bias else []
            self.neuron[name] = Memory(shape=lanes_of(shape, cfg), depth=G, init=init,
                                       attrs=block)
        self.spiked = Memory(shape=unsigned(1), depth=cfg.n_rows, init=[], attrs=block)
        self.spikes = Memory(shape=spike_entry_layout(cfg), depth=G, init=[], attrs=block)
        self.spike_rest = Memory(shape=spike_rest_layout(cfg), depth=G, init=[], attrs=block)
        row_bits = max(1, (cfg.n_rows - 1).bit_length())
        self.queue = SyncFIFOBuffered(width=row_bits, depth=cfg.n_rows)
        self.rows = {}
        if cfg.stdp:
            self.rows["pre_trace"] = Memory(shape=unsigned(cfg.trace_bits), depth=cfg.n_rows,
                                            init=[], attrs=block)
            self.rows["plastic"] = Memory(shape=unsigned(1), depth=cfg.n_rows,
                                          init=[int(cfg.plastic)] * cfg.n_rows, attrs=block)

        self.rd, self.wr = {}, {}
        for name, mem in self.neuron.items():
            self.wr[name] = mem.write_port(granularity=1)
            self.rd[name] = mem.read_port()
        # The phases drive the weight memory through plain signals (WeightPorts): with a
        # single-port RAM they become one address, as the iCE40's SPRAM needs.
        self.weight_ports = WeightPorts(cfg, self.weight)
        self.rd["weight"], self.wr["weight"] = self.weight_ports.rd, self.weight_ports.wr
        self.wr["acc"] = self.acc.write_port()
        # Transparent: a row may read the accumulator word written in the same cycle.
        self.rd["acc"] = self.acc.read_port(transparent_for=[self.wr["acc"]])
        for name, mem in {"spiked": self.spiked, **self.rows}.items():
            self.wr[name] = mem.write_port()
            self.rd[name] = mem.read_port()
        self.wr["spikes"] = self.spikes.write_port()
        # Two readers of the spike list run side by side: learning and the output serializer.
        self.rd["spikes_learn"] = self.spikes.read_port()
        self.rd["spikes_out"] = self.spikes.read_port()
        self.wr["spike_rest"] = self.spike_rest.write_port()
        self.rd["spike_rest_out"] = self.spike_rest.read_port()

    def memories(self):
        """``{name: Memory}`` of every memory (the queue's storage excluded)."""
        return {"weight": self.weight, "acc": self.acc, **self.neuron, **self.rows,
                "spiked": self.spiked, "spikes": self.spikes, "spike_rest": self.spike_rest}

    def add_to(self, m):
        self.weight_ports.connect(m)
        # Each memory is named `<name>_mem` in the netlist (see MEMORY_NAMES in generate.py).
        for name, mem in self.memories().items():
            m.submodules[f"{name}_mem"] = mem
        m.submodules.queue = self.queue
