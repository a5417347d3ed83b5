"""Read the core's state memories directly (no simulated cycles), shaped like
:meth:`GoldenCore.state`.

The generated ``.vlt`` makes each memory public under its netlist name, the escaped Verilog
identifier ``\\engine.<name>_mem``. A word holds ``lanes`` elements, lane 0 in the least
significant bits, each element two's complement of its width; weights are word
``row * groups + group``, per-neuron fields word ``group``, per-row fields word ``row``.
Element widths and signedness come from the register map.
"""

import numpy as np

from spikecore.regmap import build_regmap
from .streams import int_reader

__all__ = ["StatePeek"]


class StatePeek:
    """Snapshots of every host-addressable memory of a core.

    Parameters
    ----------
    dut : cocotb handle of the ``spikecore`` top module
    cfg : CoreConfig
    """

    def __init__(self, dut, cfg):
        self.cfg = cfg
        self._mems = {}
        for entry in build_regmap(cfg):
            if entry.kind != "mem":
                continue
            handle = dut[f"\\engine.{entry.name}_mem "]
            depth = cfg.n_rows * cfg.groups if entry.name == "weight" else (
                cfg.groups if entry.index == "neuron" else cfg.n_rows)
            if len(handle) != depth:
                raise ValueError(f"memory {entry.name} has {len(handle)} words, the "
                                 f"configuration says {depth}")
            readers = [int_reader(handle[w]) for w in range(depth)]
            lanes = 1 if entry.index == "row" else cfg.lanes
            self._mems[entry.name] = (readers, lanes, entry.width, entry.signed)
        # The accumulators are internal; the neuron pass zeroes them (docs/architecture.md).
        acc = dut["\\engine.acc_mem "]
        self._acc = [int_reader(acc[g]) for g in range(cfg.groups)]

    def acc_words(self):
        """The raw words of the accumulator memory (all zero between timesteps)."""
        return [read() for read in self._acc]

    def words(self, name):
        """The raw words of memory ``name``."""
        return [read() for read in self._mems[name][0]]

    def read(self):
        """``{name: int64 array}`` of every memory, as ``GoldenCore.state()`` shapes it."""
        cfg = self.cfg
        out = {}
        for name, (readers, lanes, width, signed) in self._mems.items():
            words = [read() for read in readers]
            mask = (1 << width) - 1
            values = np.array([(word >> (lane * width)) & mask for word in words
                               for lane in range(lanes)], dtype=np.int64)
            if signed:
                values = np.where(values >> (width - 1) != 0, values - (1 << width), values)
            if name == "weight":
                values = values.reshape(cfg.n_rows, cfg.n_neurons)
            out[name] = values
        return out
