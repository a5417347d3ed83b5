"""The register and memory map: one Python description of everything the host can address.

From :func:`build_regmap` come the hardware address decode (``hdl/command.py``), the host-side
encoders (:meth:`RegMap.write`, :meth:`RegMap.read`), ``regmap.json`` and ``docs/regmap.md``.
It imports no Amaranth and no numpy so that every side can use it; the opcode and status enums
are plain :class:`enum.IntEnum`, which Amaranth accepts as shapes.

Addressing
----------
Addresses are word addresses. Registers come first; each memory window starts at a multiple of
its (power-of-two) span so that the decode is a comparison of the upper address bits. Inside a
window, a neuron ``n`` sits at ``(n // lanes) << lane_bits | n % lanes`` and a synapse
``(row, n)`` at ``row << (group_bits + lane_bits) | neuron offset``, so the hardware splits an
address into memory word and lane by slicing bits, whatever ``lanes`` is. Offsets that name no
element (holes when ``lanes`` or the group count is not a power of two) are bad addresses.
"""

from dataclasses import dataclass, asdict
import enum
import json

from .config import RESET_MODES, TRACE_MODES

__all__ = ["Opcode", "Status", "StatusBit", "Entry", "RegMap", "build_regmap",
           "DATA_BITS", "param_fields", "COUNTERS"]

#: Width of the data word of every command and response.
DATA_BITS = 32


class Opcode(enum.IntEnum):
    """Command opcodes (3 bits). Values 5..7 are invalid and answered with ``BAD_OPCODE``."""
    READ = 0    #: read one register or memory element
    WRITE = 1   #: write one register or memory element
    START = 2   #: start one timestep (answered at once; data = the timestep started)
    SYNC = 3    #: answered when the core is idle (data = status register)
    CLEAR = 4   #: zero the dynamic state (membranes, currents, refractory, traces)


class Status(enum.IntEnum):
    """Response status codes (2 bits)."""
    OK = 0
    BAD_OPCODE = 1
    BAD_ADDR = 2    #: no such address, or a write to a read-only one
    BUSY = 3        #: a memory or parameter access (or START) while a timestep runs


class StatusBit(enum.IntEnum):
    """Bits of the ``status`` register. Error bits are sticky; write 1 to clear."""
    BUSY = 0
    BAD_AXON = 1        #: an AER input event named no axon; it was dropped
    BAD_OPCODE = 2
    BAD_ADDR = 3
    BUSY_ACCESS = 4


#: Event and performance counters (32 bits, wrap modulo 2**32; a write zeroes one, whatever
#: its data: a counter needs no preset, and a bare counter is a carry chain).
COUNTERS = {
    "cycles": "clock cycles spent running timesteps",
    "step_cycles": "clock cycles of the last timestep (start accepted .. idle)",
    "sops": "synaptic operations (one weight read and accumulated)",
    "in_spikes": "AER input events accepted (distinct axons per timestep)",
    "dup_spikes": "AER input events merged into an axon already spiking this timestep",
    "bad_axons": "AER input events dropped: axon id out of range",
    "out_spikes": "AER output events sent",
    "cmd_errors": "commands answered with an error status",
}


def _shift_bits(width):
    # wide enough for the "off" code, which is the width itself
    return max(1, width.bit_length())


def param_fields(cfg):
    """``{name: (width, signed, doc)}`` of each runtime parameter register ``cfg`` has.

    Registers of absent features (CUBA, STDP) are left out.
    """
    out = {
        # Non-negative by construction: with a negative threshold, the subtract reset
        # v - threshold would leave the membrane's range (the formal proofs found it).
        "threshold": (cfg.v_bits - 1, False, "spike when v >= threshold"),
        "reset_mode": (1, False, "0: reset to zero, 1: subtract threshold"),
        "refractory": (cfg.ref_bits, False, "timesteps held after a spike"),
        "leak_shift": (_shift_bits(cfg.v_bits), False,
                       f"membrane decay shift; >= {cfg.v_bits}: no leak"),
    }
    if cfg.cuba:
        out["syn_shift"] = (_shift_bits(cfg.i_bits), False,
                            f"current decay shift; >= {cfg.i_bits}: no decay")
    if cfg.stdp:
        tb = cfg.trace_bits
        out.update({
            "learn": (1, False, "1: traces and plastic weights update"),
            "trace_mode": (1, False, "0: all_to_all (add), 1: nearest (set)"),
            "trace_inc": (tb, False, "trace increment (or set value) on a spike"),
            "pre_trace_shift": (_shift_bits(tb), False, f"pre-trace decay; >= {tb}: none"),
            "post_trace_shift": (_shift_bits(tb), False, f"post-trace decay; >= {tb}: none"),
            "ltp_rate": (cfg.rate_bits, False, "potentiation multiplier"),
            "ltp_shift": (_shift_bits(cfg.dw_bits), False, "potentiation shift"),
            "ltd_rate": (cfg.rate_bits, False, "depression multiplier"),
            "ltd_shift": (_shift_bits(cfg.dw_bits), False, "depression shift"),
            "w_min": (cfg.weight_bits, True, "lower clamp of plastic weights"),
            "w_max": (cfg.weight_bits, True, "upper clamp of plastic weights"),
        })
    return out


def param_reset_values(cfg):
    """Power-on value of every parameter register, from the configuration."""
    values = {
        "threshold": cfg.threshold, "reset_mode": RESET_MODES.index(cfg.reset),
        "refractory": cfg.refractory, "leak_shift": cfg.leak_shift,
        "syn_shift": cfg.syn_shift, "learn": int(cfg.learn),
        "trace_mode": TRACE_MODES.index(cfg.trace_mode), "trace_inc": cfg.trace_inc,
        "pre_trace_shift": cfg.pre_trace_shift, "post_trace_shift": cfg.post_trace_shift,
        "ltp_rate": cfg.ltp_rate, "ltp_shift": cfg.ltp_shift, "ltd_rate": cfg.ltd_rate,
        "ltd_shift": cfg.ltd_shift, "w_min": cfg.w_min, "w_max": cfg.w_max,
    }
    return {name: values[name] for name in param_fields(cfg)}


@dataclass(frozen=True)
class Entry:
    """One register (``count == 1``, ``kind == "reg"``) or memory window (``kind == "mem"``).

    ``index`` says what an element is: ``None`` (a register), ``"neuron"``, ``"row"`` or
    ``"synapse"`` (a ``(row, neuron)`` pair).
    """
    name: str
    kind: str
    group: str
    base: int
    span: int
    width: int
    signed: bool
    access: str     # "rw", "ro", "w1c" (write 1 to clear bits) or "wc" (a write zeroes)
    index: str | None
    count: int
    reset: int | None
    doc: str

    @property
    def writable(self):
        return self.access != "ro"


class RegMap:
    """The address map of one configuration; see the module documentation."""

    def __init__(self, cfg, entries):
        self.cfg = cfg
        self.entries = tuple(entries)
        self._by_name = {e.name: e for e in self.entries}
        end = max(e.base + e.span for e in self.entries)
        self.addr_bits = max(1, (end - 1).bit_length())
        #: Width of a command's address field: whole bytes, as the link carries it. The core
        #: decodes every bit, so an address above the map is refused, never aliased.
        self.cmd_addr_bits = 8 * -(-self.addr_bits // 8)
        self.lane_bits = max(0, (cfg.lanes - 1).bit_length())
        self.group_bits = max(0, (cfg.groups - 1).bit_length())

    def __getitem__(self, name):
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no register or memory named {name!r}; known: "
                           f"{', '.join(self._by_name)}") from None

    def __contains__(self, name):
        return name in self._by_name

    def __iter__(self):
        return iter(self.entries)

    # -- element offsets -----------------------------------------------------------------
    def neuron_offset(self, n):
        lanes = self.cfg.lanes
        return ((n // lanes) << self.lane_bits) | (n % lanes)

    def offset(self, entry, index=None):
        """Offset of element ``index`` inside ``entry`` (``(row, neuron)`` for synapses)."""
        cfg = self.cfg
        if entry.index is None:
            if index not in (None, 0):
                raise ValueError(f"{entry.name} is a register and takes no index, "
                                 f"not {index!r}")
            return 0
        if entry.index == "synapse":
            try:
                row, n = index
            except (TypeError, ValueError):
                raise TypeError(f"{entry.name} index must be a (row, neuron) pair, "
                                f"not {index!r}") from None
            if not 0 <= row < cfg.n_rows:
                raise ValueError(f"{entry.name} row must be in [0, {cfg.n_rows - 1}], "
                                 f"not {row!r}")
            if not 0 <= n < cfg.n_neurons:
                raise ValueError(f"{entry.name} neuron must be in [0, {cfg.n_neurons - 1}], "
                                 f"not {n!r}")
            return (row << (self.group_bits + self.lane_bits)) | self.neuron_offset(n)
        limit = cfg.n_neurons if entry.index == "neuron" else cfg.n_rows
        if not isinstance(index, int) or not 0 <= index < limit:
            raise ValueError(f"{entry.name} index must be an integer in [0, {limit - 1}], "
                             f"not {index!r}")
        return self.neuron_offset(index) if entry.index == "neuron" else index

    def address(self, name, index=None):
        entry = self[name]
        return entry.base + self.offset(entry, index)

    # -- host-side encoding ----------------------------------------------------------------
    def encode_value(self, name, value):
        """The data word for writing ``value`` to ``name`` (range-checked, two's complement)."""
        entry = self[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value for {name} must be an integer, not {value!r}")
        if entry.signed:
            lo, hi = -(1 << (entry.width - 1)), (1 << (entry.width - 1)) - 1
        else:
            lo, hi = 0, (1 << entry.width) - 1
        if not lo <= value <= hi:
            raise ValueError(f"value for {name} must be in [{lo}, {hi}], not {value!r}")
        return value & ((1 << DATA_BITS) - 1)

    def decode_value(self, name, data):
        """The integer a read of ``name`` returned in data word ``data``."""
        entry = self[name]
        data &= (1 << entry.width) - 1
        if entry.signed and data >> (entry.width - 1):
            data -= 1 << entry.width
        return data

    # -- documents -------------------------------------------------------------------------
    def to_json(self):
        return json.dumps({
            "config": self.cfg.to_dict(),
            "addr_bits": self.addr_bits, "cmd_addr_bits": self.cmd_addr_bits,
            "data_bits": DATA_BITS,
            "lane_bits": self.lane_bits, "group_bits": self.group_bits,
            "opcodes": {op.name: op.value for op in Opcode},
            "status_codes": {s.name: s.value for s in Status},
            "status_bits": {b.name: b.value for b in StatusBit},
            "entries": [asdict(e) for e in self.entries],
        }, indent=2) + "\n"

    def to_markdown(self):
        cfg = self.cfg
        lines = [
            "# Register and memory map",
            "",
            f"Generated from the configuration: {cfg.summary()}.",
            "",
            f"Word addresses, {self.addr_bits} bits, in a {self.cmd_addr_bits}-bit command "
            "field (an address above the map is refused); "
            f"data words {DATA_BITS} bits. A read "
            "returns the element's raw bits, zero-extended (the host sign-extends signed "
            "ones, see `RegMap.decode_value`); a write takes the element's width of low bits "
            "(two's complement) and ignores the bits above: the core does not check a data "
            "word's range, the host encoder (`RegMap.encode_value`) refuses an out-of-range "
            "value before it is sent.",
            f"A neuron `n` sits at offset `(n // {cfg.lanes}) << {self.lane_bits} | "
            f"n % {cfg.lanes}`; a synapse `(row, n)` at "
            f"`row << {self.group_bits + self.lane_bits} | neuron offset`.",
            "",
            "| name | address | elements | width | signed | access | reset | description |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for e in self.entries:
            where = f"0x{e.base:0{(self.addr_bits + 3) // 4}x}"
            count = "1" if e.index is None else f"{e.count} ({e.index})"
            reset = "" if e.reset is None else str(e.reset)
            lines.append(f"| `{e.name}` | {where} | {count} | {e.width} | "
                         f"{'yes' if e.signed else 'no'} | {e.access} | {reset} | {e.doc} |")
        lines += ["", "## Commands", "",
                  "A command is `{op: 3 bits, addr, data: 32 bits}`; every command is answered by "
                  "exactly one response `{status: 2 bits, data: 32 bits}`, in order.", "",
                  "| opcode | value | meaning |", "|---|---|---|"]
        for op in Opcode:
            lines.append(f"| `{op.name}` | {op.value} | {(op.__doc__ or '').strip()} |")
        docs = {
            Opcode.READ: "read the element at `addr`; data = its value",
            Opcode.WRITE: "write `data` to the element at `addr`",
            Opcode.START: "start one timestep; answered at once, data = its timestep number",
            Opcode.SYNC: "answered once the core is idle; data = the status register",
            Opcode.CLEAR: "zero membranes, currents, refractory counters and traces",
        }
        lines[-len(Opcode):] = [f"| `{op.name}` | {op.value} | {docs[op]} |" for op in Opcode]
        lines += ["", "Opcodes 5..7 are answered with `BAD_OPCODE`.", "",
                  "| status | value | meaning |", "|---|---|---|",
                  "| `OK` | 0 | done |",
                  "| `BAD_OPCODE` | 1 | unknown opcode; nothing changed |",
                  "| `BAD_ADDR` | 2 | no element at `addr`, or a write to a read-only one; "
                  "nothing changed |",
                  "| `BUSY` | 3 | memory, parameter or START access while a timestep runs; "
                  "nothing changed (counters, status and timestep stay readable) |",
                  "", "Every error response sets its sticky bit in `status` and counts in "
                  "`cmd_errors`.", "",
                  "## Status bits", "", "| bit | name | meaning |", "|---|---|---|"]
        bit_docs = {
            StatusBit.BUSY: "a timestep is running (read-only)",
            StatusBit.BAD_AXON: "sticky: an AER input named no axon and was dropped",
            StatusBit.BAD_OPCODE: "sticky: a command had an unknown opcode",
            StatusBit.BAD_ADDR: "sticky: a command named no element or a read-only one",
            StatusBit.BUSY_ACCESS: "sticky: a command needed the idle core while busy",
        }
        for b in StatusBit:
            lines.append(f"| {b.value} | `{b.name}` | {bit_docs[b]} |")
        lines += ["", "## Streams", "",
                  f"- AER input: `{cfg.axon_id_bits}`-bit axon id; ids >= {cfg.n_axons} are "
                  "dropped, counted in `bad_axons` and flag `BAD_AXON`. Accepted only while "
                  "idle (backpressure while a timestep runs).",
                  f"- AER output: `{{neuron: {cfg.neuron_id_bits} bits, timestep: "
                  f"{cfg.timestep_bits} bits}}`, in ascending neuron order within a timestep.",
                  ""]
        return "\n".join(lines)


def build_regmap(cfg):
    """The :class:`RegMap` of configuration ``cfg``."""
    entries = []
    base = 0

    def reg(name, group, width, signed, access, reset, doc):
        nonlocal base
        entries.append(Entry(name, "reg", group, base, 1, width, signed, access, None, 1,
                             reset, doc))
        base += 1

    reg("id", "control", DATA_BITS, False, "ro", ID_MAGIC, "constant 0x5350_4b43 ('SPKC')")
    reg("status", "control", len(StatusBit), False, "w1c", 0,
        "busy and sticky error bits (write 1 to clear)")
    reg("timestep", "control", cfg.timestep_bits, False, "rw", 0,
        "number of the next timestep (carried by output events)")
    resets = param_reset_values(cfg)
    for name, (width, signed, doc) in param_fields(cfg).items():
        reg(name, "param", width, signed, "rw", resets[name], doc)
    for name, doc in COUNTERS.items():
        reg(name, "counter", DATA_BITS, False, "wc", 0, doc)

    lane_bits = max(0, (cfg.lanes - 1).bit_length())
    group_bits = max(0, (cfg.groups - 1).bit_length())
    neuron_span = 1 << (lane_bits + group_bits)
    windows = [("weight", "synapse", cfg.n_rows * cfg.n_neurons,
                cfg.n_rows << (lane_bits + group_bits), cfg.weight_bits, True, 0,
                "synaptic weight of (row, neuron)")]
    windows.append(("v", "neuron", cfg.n_neurons, neuron_span, cfg.v_bits, True, 0,
                    "membrane potential"))
    if cfg.cuba:
        windows.append(("i", "neuron", cfg.n_neurons, neuron_span, cfg.i_bits, True, 0,
                        "synaptic current"))
    windows.append(("ref", "neuron", cfg.n_neurons, neuron_span, cfg.ref_bits, False, 0,
                    "refractory counter"))
    windows.append(("bias", "neuron", cfg.n_neurons, neuron_span, cfg.v_bits, True, cfg.bias,
                    "bias added to the membrane every step"))
    if cfg.stdp:
        windows.append(("post_trace", "neuron", cfg.n_neurons, neuron_span, cfg.trace_bits,
                        False, 0, "postsynaptic trace"))
        windows.append(("pre_trace", "row", cfg.n_rows, cfg.n_rows, cfg.trace_bits, False, 0,
                        "presynaptic trace"))
        windows.append(("plastic", "row", cfg.n_rows, cfg.n_rows, 1, False, int(cfg.plastic),
                        "1: the row's weights learn"))
    # Largest windows first, each at a multiple of its power-of-two span.
    for name, index, count, span, width, signed, reset, doc in sorted(
            windows, key=lambda w: -w[3]):
        span = 1 << max(0, (span - 1).bit_length())
        base = -(-base // span) * span
        entries.append(Entry(name, "mem", "state" if name != "weight" else "synapse", base,
                             span, width, signed, "rw", index, count, reset, doc))
        base += span
    return RegMap(cfg, entries)


ID_MAGIC = 0x5350_4B43
