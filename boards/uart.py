"""An 8N1 UART: a receiver and a transmitter with byte streams.

There is no flow control on the boards' FTDI links, so the receiver cannot apply backpressure:
a byte that arrives while the previous one still waits is counted in ``overrun``; a missing
stop bit is counted in ``framing``. The link protocol (``spikecore.host.protocol``) detects
the damaged frame and resynchronises.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UARTReceiver", "UARTTransmitter"]


def _check_divisor(divisor):
    if not isinstance(divisor, int) or isinstance(divisor, bool):
        raise TypeError(f"UART divisor must be an integer, not {divisor!r}")
    if divisor < 4:
        raise ValueError(f"UART divisor must be at least 4 clock cycles per bit, not {divisor!r}")


class UARTReceiver(wiring.Component):
    """Receives 8N1 bytes on ``rx``.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (``clk_freq // baud``), at least 4.

    Members
    -------
    rx : In(1)
        The line (idle high); synchronised inside.
    bytes : Out(stream.Signature(8))
    overrun : Out(1)
        One-cycle strobe: a byte was lost because the previous one was not taken.
    framing : Out(1)
        One-cycle strobe: a byte had no stop bit and was dropped.
    """

    def __init__(self, *, divisor):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({
            "rx": In(1, init=1),
            "bytes": Out(stream.Signature(8)),
            "overrun": Out(1),
            "framing": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self._divisor * 3 // 2 + 1))
        bit = Signal(range(9))
        shift = Signal(8)

        with m.If(self.bytes.ready):
            m.d.sync += self.bytes.valid.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    # Wait to the middle of the first data bit: 1.5 bit times.
                    m.d.sync += [timer.eq(self._divisor * 3 // 2 - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [shift.eq(Cat(shift[1:], rx)),     # LSB first
                                 bit.eq(bit + 1), timer.eq(self._divisor - 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    with m.If(rx):
                        with m.If(self.bytes.valid & ~self.bytes.ready):
                            m.d.comb += self.overrun.eq(1)
                        with m.Else():
                            m.d.sync += [self.bytes.payload.eq(shift),
                                         self.bytes.valid.eq(1)]
                        m.next = "IDLE"
                    with m.Else():
                        m.d.comb += self.framing.eq(1)
                        m.next = "BREAK"
            with m.State("BREAK"):
                with m.If(rx):                  # wait for the line to return to idle
                    m.next = "IDLE"
        return m


class UARTTransmitter(wiring.Component):
    """Sends 8N1 bytes on ``tx``.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit, at least 4.

    Members
    -------
    bytes : In(stream.Signature(8))
    tx : Out(1)
    """

    def __init__(self, *, divisor):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({
            "bytes": In(stream.Signature(8)),
            "tx": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self._divisor))
        frame = Signal(10, init=0x3FF)      # stop, data, start: shifted out LSB first
        count = Signal(range(11))
        m.d.comb += self.tx.eq(frame[0])
        with m.If(count == 0):
            m.d.comb += self.bytes.ready.eq(1)
            with m.If(self.bytes.valid):
                m.d.sync += [frame.eq((1 << 9) | (self.bytes.payload << 1)),
                             count.eq(10), timer.eq(self._divisor - 1)]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [frame.eq((1 << 9) | (frame >> 1)), count.eq(count - 1),
                             timer.eq(self._divisor - 1)]
        return m
