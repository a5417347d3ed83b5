"""The one configuration object of a spiking core.

:class:`CoreConfig` is the single source of truth for geometry, every bit width and the
power-on value of every runtime parameter. The golden model, the hardware, the register map
and the documentation all derive from it; no width is written anywhere else.
"""

from dataclasses import dataclass, field, fields, replace
import tomllib
from pathlib import Path

import tomli_w

__all__ = ["CoreConfig", "load_config", "shipped_configs", "config_reference", "RESET_MODES",
           "TRACE_MODES"]

RESET_MODES = ("zero", "subtract")
WEIGHT_RAMS = ("dual", "single")
TRACE_MODES = ("all_to_all", "nearest")

# TOML sections, in the order they are written.
SECTIONS = ("core", "neuron", "stdp")


def _field(default, section, doc):
    return field(default=default, metadata={"section": section, "doc": doc})


def _signed_range(bits):
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


@dataclass(frozen=True, kw_only=True)
class CoreConfig:
    """Configuration of one spiking core.

    Every field is validated on construction; a bad value raises :exc:`TypeError` (wrong type)
    or :exc:`ValueError` (bad value or combination) naming the field, the value and what is
    allowed. Shift fields accept an integer or ``"off"``; ``"off"`` is stored as the width of
    the state it decays (a shift by the full width is the "no decay" code, see
    ``docs/semantics.md``).

    Parameters
    ----------
    n_axons : int
        External inputs (presynaptic rows fed by the AER input stream).
    n_neurons : int
        LIF neurons (postsynaptic columns).
    recurrent : bool
        If true, the spikes of every neuron at step t-1 are ``n_neurons`` extra presynaptic
        rows at step t (rows ``n_axons .. n_axons + n_neurons - 1``).
    lanes : int
        Neurons processed in parallel; must divide ``n_neurons``.
    weight_bits, v_bits, i_bits, ref_bits, trace_bits, rate_bits, timestep_bits : int
        Widths. ``i_bits == 0`` means current-based synapses (CUBA) are off.
    threshold, reset, refractory, bias, leak_shift, syn_shift : int or str
        Power-on values of the neuron parameters.
    stdp : bool
        Whether the learning unit (traces and weight updates) is generated at all.
    learn, plastic, trace_mode, trace_inc, pre_trace_shift, post_trace_shift,
    ltp_rate, ltp_shift, ltd_rate, ltd_shift, w_min, w_max : bool, int or str
        Power-on values of the learning parameters.
    """

    # -- geometry and widths (fixed when the hardware is generated) --------------------------
    n_axons: int = _field(256, "core", "external inputs (presynaptic rows fed by AER)")
    n_neurons: int = _field(256, "core", "LIF neurons (postsynaptic columns)")
    recurrent: bool = _field(False, "core",
                             "neuron spikes of step t-1 are extra presynaptic rows at step t")
    lanes: int = _field(8, "core", "neurons processed in parallel; divides n_neurons")
    weight_bits: int = _field(8, "core", "signed synaptic weight width")
    v_bits: int = _field(16, "core", "signed membrane potential width")
    i_bits: int = _field(0, "core", "signed synaptic current width; 0 = CUBA off")
    ref_bits: int = _field(4, "core", "refractory counter width")
    trace_bits: int = _field(8, "core", "unsigned STDP trace width")
    rate_bits: int = _field(4, "core", "unsigned STDP learning-rate multiplier width")
    timestep_bits: int = _field(16, "core", "timestep counter width (carried by output events)")
    stdp: bool = _field(True, "core", "generate the on-chip STDP learning unit")
    weight_ram: str = _field("dual", "core",
                             "synapse memory ports: 'dual' (one read and one write port) or "
                             "'single' (one port, as the iCE40UP5K's SPRAM: a read-modify-"
                             "write takes two cycles)")

    # -- neuron parameters (runtime registers; these are their power-on values) ---------------
    threshold: int = _field(64, "neuron", "spike when v >= threshold; 1 .. 2**(v_bits-1)-1")
    reset: str = _field("zero", "neuron", "reset after a spike: 'zero' or 'subtract'")
    refractory: int = _field(0, "neuron", "timesteps a neuron is held after a spike")
    bias: int = _field(0, "neuron", "constant input added every step (per neuron at runtime)")
    leak_shift: int = _field(4, "neuron", "membrane keeps v*(1-2**-s) per step; 'off' = no leak")
    syn_shift: int = _field(2, "neuron", "CUBA current keeps i*(1-2**-s) per step; 'off'")

    # -- learning parameters (runtime registers; power-on values) -----------------------------
    learn: bool = _field(True, "stdp", "learning enabled at power-on")
    plastic: bool = _field(True, "stdp", "every synapse row plastic at power-on")
    trace_mode: str = _field("all_to_all", "stdp",
                             "on a spike a trace is incremented ('all_to_all') or set ('nearest')")
    trace_inc: int = _field(None, "stdp", "trace increment (or set value) on a spike; "
                            "default: 2**(trace_bits-2)")
    pre_trace_shift: int = _field(3, "stdp", "presynaptic trace decay shift; 'off'")
    post_trace_shift: int = _field(3, "stdp", "postsynaptic trace decay shift; 'off'")
    ltp_rate: int = _field(1, "stdp", "potentiation multiplier")
    ltp_shift: int = _field(4, "stdp", "potentiation dw = (pre_trace * ltp_rate) >> ltp_shift")
    ltd_rate: int = _field(1, "stdp", "depression multiplier")
    ltd_shift: int = _field(4, "stdp", "depression dw = (post_trace * ltd_rate) >> ltd_shift")
    w_min: int = _field(None, "stdp", "lower clamp of plastic weights; default: weight range")
    w_max: int = _field(None, "stdp", "upper clamp of plastic weights; default: weight range")

    def __post_init__(self):
        for name in ("leak_shift", "syn_shift", "pre_trace_shift", "post_trace_shift"):
            if getattr(self, name) == "off":
                object.__setattr__(self, name, self._shift_width(name))
        if isinstance(self.weight_bits, int) and not isinstance(self.weight_bits, bool):
            w_lo, w_hi = _signed_range(self.weight_bits)
            if self.w_min is None:
                object.__setattr__(self, "w_min", w_lo)
            if self.w_max is None:
                object.__setattr__(self, "w_max", w_hi)
        if self.trace_inc is None and isinstance(self.trace_bits, int):
            object.__setattr__(self, "trace_inc", 1 << max(0, self.trace_bits - 2))
        self._check_types()
        self._check_values()

    # -- validation --------------------------------------------------------------------------
    def _check_types(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type is bool or f.type == "bool":
                if not isinstance(value, bool):
                    raise TypeError(f"CoreConfig.{f.name} must be a bool, not {value!r}")
            elif f.type is int or f.type == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    allowed = " or 'off'" if f.name.endswith("_shift") and f.name in (
                        "leak_shift", "syn_shift", "pre_trace_shift", "post_trace_shift") else ""
                    raise TypeError(f"CoreConfig.{f.name} must be an integer{allowed}, "
                                    f"not {value!r}")
            elif f.type is str or f.type == "str":
                if not isinstance(value, str):
                    raise TypeError(f"CoreConfig.{f.name} must be a string, not {value!r}")

    def _range(self, name, lo, hi, why=""):
        value = getattr(self, name)
        if not lo <= value <= hi:
            why = f" ({why})" if why else ""
            raise ValueError(f"CoreConfig.{name} must be in [{lo}, {hi}]{why}, not {value!r}")

    def _check_values(self):
        self._range("n_axons", 1, 1 << 16)
        self._range("n_neurons", 1, 1 << 16)
        self._range("lanes", 1, 64)
        if self.n_neurons % self.lanes:
            divisors = [d for d in range(1, min(self.n_neurons, 64) + 1)
                        if self.n_neurons % d == 0]
            raise ValueError(f"CoreConfig.lanes must divide n_neurons={self.n_neurons}, "
                             f"not {self.lanes!r}; allowed: {', '.join(map(str, divisors))}")
        self._range("weight_bits", 2, 16)
        self._range("v_bits", 4, 32)
        if self.i_bits != 0:
            self._range("i_bits", 4, 32, "or 0 for CUBA off")
        self._range("ref_bits", 1, 16)
        self._range("trace_bits", 2, 16)
        self._range("rate_bits", 1, 8)
        self._range("timestep_bits", 1, 32)

        self._range("threshold", 1, self.v_max, f"a positive value that v_bits={self.v_bits} "
                    "can hold")
        if self.reset not in RESET_MODES:
            raise ValueError(f"CoreConfig.reset must be one of {', '.join(map(repr, RESET_MODES))}"
                             f", not {self.reset!r}")
        self._range("refractory", 0, (1 << self.ref_bits) - 1, f"fits ref_bits={self.ref_bits}")
        self._range("bias", self.v_min, self.v_max, f"fits v_bits={self.v_bits}")
        self._range("leak_shift", 0, self.v_bits, f"{self.v_bits} or 'off' = no leak")
        if self.cuba:
            self._range("syn_shift", 0, self.i_bits, f"{self.i_bits} or 'off' = no decay")

        if self.trace_mode not in TRACE_MODES:
            raise ValueError(f"CoreConfig.trace_mode must be one of "
                             f"{', '.join(map(repr, TRACE_MODES))}, not {self.trace_mode!r}")
        self._range("trace_inc", 1, self.trace_max, f"fits trace_bits={self.trace_bits}")
        for name in ("pre_trace_shift", "post_trace_shift"):
            self._range(name, 0, self.trace_bits, f"{self.trace_bits} or 'off' = no decay")
        for name in ("ltp_rate", "ltd_rate"):
            self._range(name, 0, (1 << self.rate_bits) - 1, f"fits rate_bits={self.rate_bits}")
        for name in ("ltp_shift", "ltd_shift"):
            self._range(name, 0, self.dw_bits, f"a shift of the {self.dw_bits}-bit trace*rate "
                        "product")
        w_lo, w_hi = _signed_range(self.weight_bits)
        self._range("w_min", w_lo, w_hi, f"fits weight_bits={self.weight_bits}")
        self._range("w_max", self.w_min, w_hi, f"at least w_min={self.w_min}, fits "
                    f"weight_bits={self.weight_bits}")
        if self.weight_ram not in WEIGHT_RAMS:
            raise ValueError(f"CoreConfig.weight_ram must be one of "
                             f"{', '.join(map(repr, WEIGHT_RAMS))}, not {self.weight_ram!r}")
        if not self.stdp and self.learn:
            raise ValueError("CoreConfig.learn must be False when stdp is False (there is no "
                             "learning unit to enable), not True")

    def _shift_width(self, name):
        return {"leak_shift": self.v_bits, "syn_shift": self.i_bits,
                "pre_trace_shift": self.trace_bits, "post_trace_shift": self.trace_bits}[name]

    # -- derived quantities ------------------------------------------------------------------
    @property
    def cuba(self):
        """Whether neurons carry a synaptic current state (``i_bits > 0``)."""
        return self.i_bits > 0

    @property
    def n_rows(self):
        """Presynaptic rows: the axons, then (if recurrent) one row per neuron."""
        return self.n_axons + (self.n_neurons if self.recurrent else 0)

    @property
    def groups(self):
        """Neuron groups: ``n_neurons // lanes``; one group is one memory word per lane."""
        return self.n_neurons // self.lanes

    @property
    def acc_bits(self):
        """Signed width of the synaptic accumulator: every row can add its most negative
        weight once without overflow, so accumulation is exact and order-independent."""
        return self.weight_bits + max(1, self.n_rows.bit_length())

    @property
    def dw_bits(self):
        """Width of a trace times a learning rate, before the learning shift."""
        return self.trace_bits + self.rate_bits

    @property
    def v_min(self):
        return _signed_range(self.v_bits)[0]

    @property
    def v_max(self):
        return _signed_range(self.v_bits)[1]

    @property
    def i_min(self):
        return _signed_range(self.i_bits)[0] if self.cuba else 0

    @property
    def i_max(self):
        return _signed_range(self.i_bits)[1] if self.cuba else 0

    @property
    def weight_min(self):
        """Most negative storable weight (not the STDP clamp, see ``w_min``)."""
        return _signed_range(self.weight_bits)[0]

    @property
    def weight_max(self):
        return _signed_range(self.weight_bits)[1]

    @property
    def trace_max(self):
        return (1 << self.trace_bits) - 1

    @property
    def axon_id_bits(self):
        """Width of an AER input event: wide enough to carry ``n_axons`` itself, so that an
        out-of-range id is representable (and is dropped and counted by the core)."""
        return self.n_axons.bit_length()

    @property
    def neuron_id_bits(self):
        return max(1, (self.n_neurons - 1).bit_length())

    @property
    def synapses(self):
        return self.n_rows * self.n_neurons

    # -- TOML --------------------------------------------------------------------------------
    def to_dict(self):
        """The configuration as ``{section: {field: value}}``, as written to TOML."""
        out = {s: {} for s in SECTIONS}
        for f in fields(self):
            out[f.metadata["section"]][f.name] = getattr(self, f.name)
        return out

    def to_toml(self):
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data, *, source="configuration"):
        """Build from ``{section: {field: value}}`` (sections optional). Unknown keys raise
        :exc:`ValueError` naming them."""
        if not isinstance(data, dict):
            raise TypeError(f"{source} must be a table, not {data!r}")
        known = {f.name: f.metadata["section"] for f in fields(cls)}
        flat = {}
        for key, value in data.items():
            if isinstance(value, dict):
                if key not in SECTIONS:
                    raise ValueError(f"{source}: unknown section [{key}]; allowed: "
                                     f"{', '.join(SECTIONS)}")
                for name, item in value.items():
                    if name not in known:
                        raise ValueError(f"{source}: unknown field {key}.{name}; allowed in "
                                         f"[{key}]: {', '.join(n for n, s in known.items() if s == key)}")
                    if known[name] != key:
                        raise ValueError(f"{source}: field {name} belongs in [{known[name]}], "
                                         f"not [{key}]")
                    flat[name] = item
            elif key in known:
                flat[key] = value
            else:
                raise ValueError(f"{source}: unknown field {key!r}; allowed: "
                                 f"{', '.join(known)}")
        return cls(**flat)

    @classmethod
    def from_toml(cls, text, *, source="configuration"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{source} is not valid TOML: {exc}") from None
        return cls.from_dict(data, source=source)

    @classmethod
    def load(cls, path):
        path = Path(path)
        return cls.from_toml(path.read_text(), source=str(path))

    def save(self, path):
        Path(path).write_text(self.to_toml())

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def summary(self):
        """A few human lines describing the core."""
        kind = "CUBA" if self.cuba else "current-free"
        return (f"{self.n_axons} axons{' + recurrent' if self.recurrent else ''} x "
                f"{self.n_neurons} LIF neurons ({kind}), {self.lanes} lanes, "
                f"{self.synapses} synapses of {self.weight_bits} bits, "
                f"STDP {'on' if self.stdp else 'off'}")


def config_reference():
    """``docs/config.md``: every field, its section, default and meaning (generated)."""
    default = CoreConfig()
    lines = ["# Configuration reference", "",
             "Generated from `spikecore/config.py` by `spikecore config doc`; do not edit.",
             "A configuration is a TOML file with the sections below (or the same keys at the "
             "top level). Shift fields accept `\"off\"`, stored as the width of their state.",
             ""]
    for section in SECTIONS:
        lines += [f"## [{section}]", "", "| field | default | meaning |", "|---|---|---|"]
        for f in fields(CoreConfig):
            if f.metadata["section"] == section:
                lines.append(f"| `{f.name}` | `{getattr(default, f.name)!r}` | "
                             f"{f.metadata['doc']} |")
        lines.append("")
    return "\n".join(lines)


def shipped_configs():
    """Names of the configurations shipped in ``configs/``."""
    from importlib import resources
    root = resources.files("spikecore.configs")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_config(name_or_path=None):
    """Load a shipped configuration by name (``"tiny"``) or a TOML file by path.

    ``None`` gives the ``default`` configuration.
    """
    from importlib import resources
    if name_or_path is None:
        name_or_path = "default"
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise ValueError(f"configuration file {str(path)!r} does not exist")
        return CoreConfig.load(path)
    names = shipped_configs()
    if str(name_or_path) not in names:
        raise ValueError(f"unknown configuration {str(name_or_path)!r}; shipped: "
                         f"{', '.join(names)}, or give a path to a .toml file")
    resource = resources.files("spikecore.configs") / f"{name_or_path}.toml"
    return CoreConfig.from_toml(resource.read_text(), source=f"configs/{name_or_path}.toml")
