"""Stream payloads as integers: the packed structs of the generated Verilog ports.

Field offsets and widths come from the core's own layouts (:mod:`spikecore.hdl.layouts`);
Amaranth packs the first field of a ``StructLayout`` into the least significant bits.
"""

from spikecore.hdl.layouts import (aer_in_shape, aer_out_layout, command_layout,
                                   response_layout)

__all__ = ["StructCodec", "codecs"]


class StructCodec:
    """Pack and unpack one struct layout; every field is read back unsigned.

    Parameters
    ----------
    layout : amaranth.lib.data.StructLayout
    """

    def __init__(self, layout):
        self.fields = [(name, f.offset, f.width) for name, f in layout]
        self.width = layout.size

    def pack(self, **values):
        word = 0
        for name, offset, width in self.fields:
            value = int(values.get(name, 0))
            if not 0 <= value < 1 << width:
                raise ValueError(f"field {name} must be in [0, {(1 << width) - 1}], "
                                 f"not {value!r}")
            word |= value << offset
        return word

    def unpack(self, word):
        return {name: (word >> offset) & ((1 << width) - 1)
                for name, offset, width in self.fields}


def codecs(cfg):
    """``{"cmd", "rsp", "aer_out": StructCodec, "aer_in_bits": int}`` of ``cfg``'s core."""
    return {"cmd": StructCodec(command_layout(cfg)), "rsp": StructCodec(response_layout(cfg)),
            "aer_out": StructCodec(aer_out_layout(cfg)),
            "aer_in_bits": aer_in_shape(cfg).width}
