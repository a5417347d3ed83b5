"""The link bridge: the core's four streams over one byte stream in each direction.

Framing, frame types and field widths are those of :mod:`spikecore.host.protocol`; the host
driver uses the same definitions. Received frames are checked (CRC, escapes, type, length);
a bad frame is dropped and counted, and the decoder resynchronises on the next ``END``.
"""

from amaranth.hdl import Cat, Const, Module, Signal, Value
from amaranth.lib import stream, wiring
from amaranth.lib.crc.catalog import CRC8_SMBUS
from amaranth.lib.wiring import In, Out

from spikecore.host.protocol import END, ESC, ESC_END, ESC_ESC, FrameType, Framing
from spikecore.hdl.layouts import aer_in_shape, aer_out_layout, command_layout, \
    response_layout

__all__ = ["LinkBridge"]


def _bytes(value, n):
    """The ``n`` little-endian bytes of ``value`` (zero-extended)."""
    value = Value.cast(value).as_unsigned()
    value = Cat(value, Const(0, 8 * n - len(value))) if len(value) < 8 * n else value
    return [value[8 * i:8 * i + 8] for i in range(n)]


class LinkBridge(wiring.Component):
    """Frames to and from the core's streams.

    Parameters
    ----------
    cfg : CoreConfig

    Members
    -------
    rx : In(stream.Signature(8))
        Bytes from the host.
    tx : Out(stream.Signature(8))
        Bytes to the host.
    cmd, aer_in : Out(stream.Signature(...))
        To the core.
    rsp, aer_out : In(stream.Signature(...))
        From the core.
    rx_error : In(1)
        Strobe from the UART: a byte was lost (overrun or framing); the frame it belonged to
        fails its CRC and is counted there as well.
    received, dropped : Out(32)
        Frames accepted and frames dropped (also reported by a LINK_STATUS frame).
    """

    def __init__(self, cfg):
        self._cfg = cfg
        self._framing = Framing.for_config(cfg)
        super().__init__({
            "rx": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "cmd": Out(stream.Signature(command_layout(cfg))),
            "rsp": In(stream.Signature(response_layout(cfg))),
            "aer_in": Out(stream.Signature(aer_in_shape(cfg))),
            "aer_out": In(stream.Signature(aer_out_layout(cfg))),
            "rx_error": In(1),
            "received": Out(32),
            "dropped": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        self._receiver(m)
        self._transmitter(m)
        return m

    # -- host -> core ------------------------------------------------------------------------
    def _receiver(self, m):
        f = self._framing
        lengths = {kind_: f.payload_length(kind_) + 1 for kind_ in      # with the CRC byte
                   (FrameType.CMD, FrameType.SPIKE, FrameType.LINK_QUERY)}
        size = max(lengths.values())             # a longer frame is a bad one
        # A shift register: each byte enters at the top, so a frame of known length sits at
        # fixed positions (no indexed writes, no read multiplexers).
        buf = Signal(8 * size)
        first = Signal(8)                        # the frame's first byte: its type
        length = Signal(range(size + 2))
        escaped = Signal()
        bad = Signal()
        m.submodules.rx_crc = crc = CRC8_SMBUS(data_width=8).create()
        query = Signal()                         # a LINK_QUERY waits for the transmitter
        self._query = query

        byte = self.rx.payload
        push = Signal()
        pushed = Signal(8)
        frame_end = Signal()

        def field(kind_, offset, nbytes):
            start = 8 * (size - lengths[kind_] + offset)
            return buf[start:start + 8 * nbytes]

        kind = first
        cmd_op = field(FrameType.CMD, 1, 1)
        cmd_addr = field(FrameType.CMD, 2, f.addr)
        cmd_data = field(FrameType.CMD, 2 + f.addr, f.data)
        axon = field(FrameType.SPIKE, 1, f.axon)
        axon_bits = len(self.aer_in.payload)

        with m.FSM(name="rx"):
            with m.State("RECEIVE"):
                m.d.comb += self.rx.ready.eq(1)
                with m.If(self.rx.valid):
                    with m.If(byte == END):
                        m.d.sync += [length.eq(0), escaped.eq(0), bad.eq(0)]
                        with m.If((length != 0) | bad | escaped):
                            m.d.comb += frame_end.eq(1)
                    with m.Elif(escaped):
                        m.d.sync += escaped.eq(0)
                        with m.If(byte == ESC_END):
                            m.d.comb += [push.eq(1), pushed.eq(END)]
                        with m.Elif(byte == ESC_ESC):
                            m.d.comb += [push.eq(1), pushed.eq(ESC)]
                        with m.Else():
                            m.d.sync += bad.eq(1)
                    with m.Elif(byte == ESC):
                        m.d.sync += escaped.eq(1)
                    with m.Else():
                        m.d.comb += [push.eq(1), pushed.eq(byte)]
                with m.If(frame_end):
                    good = ~bad & ~escaped & crc.match_detected
                    with m.If(good & (kind == FrameType.CMD) &
                              (length == lengths[FrameType.CMD])):
                        m.next = "CMD"
                    with m.Elif(good & (kind == FrameType.SPIKE) &
                                (length == lengths[FrameType.SPIKE])):
                        m.next = "SPIKE"
                    with m.Elif(good & (kind == FrameType.LINK_QUERY) &
                                (length == lengths[FrameType.LINK_QUERY])):
                        m.d.sync += query.eq(1)
                        m.d.sync += self.received.eq(self.received + 1)
                    with m.Else():
                        m.d.sync += self.dropped.eq(self.dropped + 1)
            with m.State("CMD"):
                m.d.comb += [
                    self.cmd.valid.eq(1),
                    self.cmd.payload.op.eq(cmd_op),
                    self.cmd.payload.addr.eq(cmd_addr),
                    self.cmd.payload.data.eq(cmd_data),
                ]
                with m.If(self.cmd.ready):
                    m.d.sync += self.received.eq(self.received + 1)
                    m.next = "RECEIVE"
            with m.State("SPIKE"):
                m.d.comb += self.aer_in.valid.eq(1)
                # An id too wide for the core becomes all ones, which names no axon (the
                # width holds n_axons itself), so the core drops and counts it.
                if 8 * f.axon > axon_bits:
                    with m.If(axon[axon_bits:].any()):
                        m.d.comb += self.aer_in.payload.eq(-1)
                    with m.Else():
                        m.d.comb += self.aer_in.payload.eq(axon)
                else:
                    m.d.comb += self.aer_in.payload.eq(axon)
                with m.If(self.aer_in.ready):
                    m.d.sync += self.received.eq(self.received + 1)
                    m.next = "RECEIVE"

        with m.If(push):
            with m.If(length == size):
                m.d.sync += bad.eq(1)            # too long
            with m.Else():
                m.d.sync += [buf.eq(Cat(buf[8:], pushed)), length.eq(length + 1)]
                with m.If(length == 0):
                    m.d.sync += first.eq(pushed)
                m.d.comb += [crc.valid.eq(1), crc.data.eq(pushed), crc.start.eq(length == 0)]
        with m.If(self.rx_error):
            m.d.sync += bad.eq(1)

    # -- core -> host ------------------------------------------------------------------------
    def _transmitter(self, m):
        f = self._framing
        size = max(f.payload_length(k) for k in (FrameType.RSP, FrameType.EVENT,
                                                 FrameType.LINK_STATUS))
        obuf = Signal(8 * size)                  # shifts out the bottom byte first
        olen = Signal(range(size + 1))
        index = Signal(range(size + 1))
        m.submodules.tx_crc = crc = CRC8_SMBUS(data_width=8).create()
        current = Signal(8)
        query = self._query

        def load(kind, *fields):
            out = [Const(int(kind), 8)]
            for value, nbytes in fields:
                out += _bytes(value, nbytes)
            return [obuf.eq(Cat(*out)), olen.eq(len(out)), index.eq(0)]

        escape = (current == END) | (current == ESC)
        m.d.comb += current.eq(obuf[:8])
        with m.If(index == olen):
            m.d.comb += current.eq(crc.crc)      # after the payload: its CRC
        sent = Signal()                          # the raw byte `current` went out

        def after_sent():
            # The raw byte `current` went out: feed the CRC, go to the next byte or END.
            with m.If(sent):
                m.d.comb += [crc.valid.eq(index != olen), crc.data.eq(current),
                             crc.start.eq(index == 0)]
                m.d.sync += [index.eq(index + 1), obuf.eq(obuf >> 8)]
                with m.If(index == olen):
                    m.next = "END"
                with m.Else():
                    m.next = "BYTE"

        with m.FSM(name="tx"):
            with m.State("IDLE"):
                with m.If(self.rsp.valid):
                    m.d.comb += self.rsp.ready.eq(1)
                    m.d.sync += load(FrameType.RSP, (self.rsp.payload.status, 1),
                                     (self.rsp.payload.data, f.data))
                    m.next = "BYTE"
                with m.Elif(query):
                    m.d.sync += [query.eq(0),
                                 *load(FrameType.LINK_STATUS, (self.received, f.counter),
                                       (self.dropped, f.counter))]
                    m.next = "BYTE"
                with m.Elif(self.aer_out.valid):
                    m.d.comb += self.aer_out.ready.eq(1)
                    m.d.sync += load(FrameType.EVENT, (self.aer_out.payload.neuron, f.neuron),
                                     (self.aer_out.payload.timestep, f.timestep))
                    m.next = "BYTE"
            with m.State("BYTE"):
                m.d.comb += self.tx.valid.eq(1)
                with m.If(escape):
                    m.d.comb += self.tx.payload.eq(ESC)
                    with m.If(self.tx.ready):
                        m.next = "ESCAPED"
                with m.Else():
                    m.d.comb += [self.tx.payload.eq(current), sent.eq(self.tx.ready)]
                    after_sent()
            with m.State("ESCAPED"):
                m.d.comb += [self.tx.valid.eq(1), sent.eq(self.tx.ready)]
                with m.If(current == END):
                    m.d.comb += self.tx.payload.eq(ESC_END)
                with m.Else():
                    m.d.comb += self.tx.payload.eq(ESC_ESC)
                after_sent()
            with m.State("END"):
                m.d.comb += [self.tx.valid.eq(1), self.tx.payload.eq(END)]
                with m.If(self.tx.ready):
                    m.next = "IDLE"
