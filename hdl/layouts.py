"""Data layouts of the core, all derived from :class:`~spikecore.config.CoreConfig`.

No width is written here: each comes from the configuration or the register map.
"""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from spikecore.regmap import DATA_BITS, Status, build_regmap, param_fields

__all__ = ["param_layout", "lanes_of", "state_shapes", "neuron_state_layout", "acc_shape",
           "command_layout", "response_layout", "aer_in_shape", "aer_out_layout",
           "spike_entry_layout", "spike_rest_layout"]


def param_layout(cfg):
    """One field per runtime parameter register."""
    return data.StructLayout({
        name: signed(width) if is_signed else unsigned(width)
        for name, (width, is_signed, _) in param_fields(cfg).items()})


def lanes_of(shape, cfg):
    """``shape`` repeated once per lane: one memory word of a lane-banked state."""
    return data.ArrayLayout(shape, cfg.lanes)


def state_shapes(cfg):
    """Shape of one element of each per-neuron state memory present in ``cfg``."""
    shapes = {"v": signed(cfg.v_bits)}
    if cfg.cuba:
        shapes["i"] = signed(cfg.i_bits)
    shapes["ref"] = unsigned(cfg.ref_bits)
    shapes["bias"] = signed(cfg.v_bits)
    if cfg.stdp:
        shapes["post_trace"] = unsigned(cfg.trace_bits)
    return shapes


def neuron_state_layout(cfg, *, dynamic=False):
    """The state of one neuron group: each field, once per lane. ``dynamic`` leaves out the
    bias, which a timestep never changes."""
    return data.StructLayout({name: lanes_of(shape, cfg)
                              for name, shape in state_shapes(cfg).items()
                              if not (dynamic and name == "bias")})


def acc_shape(cfg):
    """The synaptic accumulator of one neuron (exact, see ``CoreConfig.acc_bits``)."""
    return signed(cfg.acc_bits)


def command_layout(cfg):
    return data.StructLayout({
        "op": unsigned(3),
        "addr": unsigned(build_regmap(cfg).cmd_addr_bits),
        "data": unsigned(DATA_BITS),
    })


def response_layout(cfg):
    return data.StructLayout({
        "status": Status,
        "data": unsigned(DATA_BITS),
    })


def aer_in_shape(cfg):
    """An axon id, one bit wider than needed so out-of-range ids can be expressed."""
    return unsigned(cfg.axon_id_bits)


def aer_out_layout(cfg):
    return data.StructLayout({
        "neuron": unsigned(cfg.neuron_id_bits),
        "timestep": unsigned(cfg.timestep_bits),
    })


def spike_entry_layout(cfg):
    """One entry of the spike list: a neuron group that spiked and its lane mask."""
    return data.StructLayout({
        "group": unsigned(max(1, (cfg.groups - 1).bit_length())),
        "mask": unsigned(cfg.lanes),
    })


def spike_rest_layout(cfg):
    """Beside each spike-list entry, for the output serializer only: the mask less its
    lowest lane and whether that is empty, worked out when the entry is written so that the
    serializer loads them from the RAM straight into registers."""
    return data.StructLayout({"rest": unsigned(cfg.lanes), "single": unsigned(1)})

