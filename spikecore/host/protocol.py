"""The serial link protocol, sans I/O: bytes in, messages out, and back.

The board tops (``boards/bridge.py``) and the host driver share these definitions, so frame
types, field widths and escape codes exist once.

Framing
-------
A frame is ``payload + crc8(payload)``, byte-stuffed SLIP-style (``END`` and ``ESC`` in the
body become ``ESC ESC_END`` and ``ESC ESC_ESC``) and terminated by ``END``. The first payload
byte is the frame type; the fields that follow are little-endian, each as many bytes as its
width needs (see :class:`Framing`). A receiver resynchronises on every ``END``: a frame with a
bad CRC, a bad escape, an unknown type or the wrong length is dropped and counted, and the
next frame is read normally. The CRC is CRC-8/SMBUS (polynomial 0x07), from
``amaranth.lib.crc``.
"""

import enum
from dataclasses import dataclass

from amaranth.lib.crc.catalog import CRC8_SMBUS

from spikecore.regmap import DATA_BITS, build_regmap

__all__ = ["END", "ESC", "ESC_END", "ESC_ESC", "FrameType", "Framing", "FrameDecoder",
           "Response", "Event", "LinkStatus", "HostProtocol", "crc8", "encode_frame",
           "MAX_FRAME"]

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD

#: Longest payload (type byte included) any frame carries; longer ones are link errors.
MAX_FRAME = 16

_CRC = CRC8_SMBUS(data_width=8)


class FrameType(enum.IntEnum):
    """The first payload byte of a frame."""
    CMD = 0x01          #: host -> core: op, addr, data
    SPIKE = 0x02        #: host -> core: axon id
    LINK_QUERY = 0x03   #: host -> bridge: ask for the bridge's link counters
    RSP = 0x81          #: core -> host: status, data
    EVENT = 0x82        #: core -> host: neuron, timestep
    LINK_STATUS = 0x83  #: bridge -> host: frames received, frames dropped


def _nbytes(bits):
    return max(1, (bits + 7) // 8)


def crc8(data):
    return _CRC.compute(bytes(data))


@dataclass(frozen=True)
class Framing:
    """Byte widths of every field, derived from a configuration."""
    addr: int
    data: int
    axon: int
    neuron: int
    timestep: int
    counter: int = 4

    @classmethod
    def for_config(cls, cfg):
        return cls(addr=build_regmap(cfg).cmd_addr_bits // 8, data=_nbytes(DATA_BITS),
                   axon=_nbytes(cfg.axon_id_bits), neuron=_nbytes(cfg.neuron_id_bits),
                   timestep=_nbytes(cfg.timestep_bits))

    def payload_length(self, kind):
        """Payload bytes (type byte included) of a frame of type ``kind``."""
        return 1 + {
            FrameType.CMD: 1 + self.addr + self.data,
            FrameType.SPIKE: self.axon,
            FrameType.LINK_QUERY: 0,
            FrameType.RSP: 1 + self.data,
            FrameType.EVENT: self.neuron + self.timestep,
            FrameType.LINK_STATUS: 2 * self.counter,
        }[kind]


def encode_frame(payload):
    """``payload`` with its CRC, stuffed and terminated: the bytes on the wire."""
    out = bytearray()
    for byte in bytes(payload) + bytes([crc8(payload)]):
        if byte == END:
            out += bytes([ESC, ESC_END])
        elif byte == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(byte)
    out.append(END)
    return bytes(out)


@dataclass(frozen=True)
class Response:
    """A response to one command."""
    status: int
    data: int


@dataclass(frozen=True)
class Event:
    """An output spike."""
    neuron: int
    timestep: int


@dataclass(frozen=True)
class LinkStatus:
    """The bridge's link counters: frames it accepted and frames it dropped."""
    received: int
    dropped: int


class FrameDecoder:
    """Turns a byte stream into frame payloads; counts and drops bad frames.

    Attributes
    ----------
    dropped : int
        Frames dropped: bad CRC, bad escape, too long, too short.
    """

    def __init__(self, max_length=MAX_FRAME + 1):
        self._buffer = bytearray()
        self._escaped = False
        self._bad = False
        self._max = max_length
        self.dropped = 0

    def feed(self, data):
        """Consume ``data``; return the payloads (CRC removed) of the frames it completed."""
        frames = []
        for byte in bytes(data):
            if byte == END:
                body, bad = bytes(self._buffer), self._bad or self._escaped
                self._buffer.clear()
                self._escaped = self._bad = False
                if not body and not bad:
                    continue                    # an idle END: resynchronisation
                if bad or len(body) < 2 or crc8(body[:-1]) != body[-1]:
                    self.dropped += 1
                    continue
                frames.append(body[:-1])
            elif self._escaped:
                self._escaped = False
                if byte == ESC_END:
                    self._push(END)
                elif byte == ESC_ESC:
                    self._push(ESC)
                else:
                    self._bad = True
            elif byte == ESC:
                self._escaped = True
            else:
                self._push(byte)
        return frames

    def _push(self, byte):
        if len(self._buffer) >= self._max:
            self._bad = True
        else:
            self._buffer.append(byte)


def _field(value, nbytes, name):
    if not 0 <= value < (1 << (8 * nbytes)):
        raise ValueError(f"{name} must fit {nbytes} bytes, not {value!r}")
    return value.to_bytes(nbytes, "little")


class HostProtocol:
    """The host's side of the link for one configuration, without any I/O.

    ``command()`` and ``spike()`` return bytes to send; ``receive()`` takes bytes read from the
    link and returns the messages they completed. Frames that fail to decode, or decode to an
    unknown type or length, are dropped and counted in :attr:`dropped`.
    """

    def __init__(self, cfg):
        self.framing = Framing.for_config(cfg)
        self._decoder = FrameDecoder()
        self.bad_frames = 0

    @property
    def dropped(self):
        return self._decoder.dropped + self.bad_frames

    def command(self, op, addr, data=0):
        f = self.framing
        payload = bytes([FrameType.CMD, int(op)]) + _field(addr, f.addr, "addr") + \
            _field(data & ((1 << (8 * f.data)) - 1), f.data, "data")
        return encode_frame(payload)

    def spike(self, axon):
        return encode_frame(bytes([FrameType.SPIKE]) + _field(axon, self.framing.axon, "axon"))

    def link_query(self):
        return encode_frame(bytes([FrameType.LINK_QUERY]))

    def receive(self, data):
        messages = []
        f = self.framing
        for payload in self._decoder.feed(data):
            kind = payload[0]
            try:
                kind = FrameType(kind)
            except ValueError:
                self.bad_frames += 1
                continue
            if kind not in (FrameType.RSP, FrameType.EVENT, FrameType.LINK_STATUS) or \
                    len(payload) != f.payload_length(kind):
                self.bad_frames += 1
                continue
            body = payload[1:]
            if kind == FrameType.RSP:
                messages.append(Response(body[0], int.from_bytes(body[1:], "little")))
            elif kind == FrameType.EVENT:
                messages.append(Event(int.from_bytes(body[:f.neuron], "little"),
                                      int.from_bytes(body[f.neuron:], "little")))
            else:
                messages.append(LinkStatus(int.from_bytes(body[:f.counter], "little"),
                                           int.from_bytes(body[f.counter:], "little")))
        return messages
