"""The core behind its link: what a board top carries, minus pins and clocks.

:class:`LinkedCore` joins the core, the link bridge and, when a UART divisor is given, the
UART and a receive FIFO. The board tops (``boards/top.py``) wrap it with a PLL, pins and
LEDs; the host driver's simulated transport simulates it directly.
"""

from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out, connect, flipped

from spikecore.hdl.core import Core
from .bridge import LinkBridge
from .uart import UARTReceiver, UARTTransmitter

__all__ = ["LinkedCore", "RX_FIFO_DEPTH"]

#: Bytes the receive FIFO holds while the core is busy with a command (e.g. SYNC waiting
#: for a timestep). The host driver keeps fewer bytes than this in flight.
RX_FIFO_DEPTH = 64


class LinkedCore(wiring.Component):
    """The core and its link bridge; with ``uart_divisor``, serial pins instead of bytes.

    Parameters
    ----------
    cfg : CoreConfig
    uart_divisor : int or None
        Clock cycles per UART bit; ``None`` exposes the byte streams instead of pins.

    Members
    -------
    rx, tx : In(1), Out(1)
        UART pins (with ``uart_divisor``).
    rx_bytes, tx_bytes : In/Out(stream.Signature(8))
        Byte streams (without ``uart_divisor``).
    busy, error, activity : Out(1)
        For LEDs: a timestep runs; a sticky error is set; an AER event moved this cycle.
    """

    def __init__(self, cfg, *, uart_divisor=None):
        self.cfg = cfg
        self._divisor = uart_divisor
        members = {"busy": Out(1), "error": Out(1), "activity": Out(1)}
        if uart_divisor is None:
            members.update(rx_bytes=In(stream.Signature(8)), tx_bytes=Out(stream.Signature(8)))
        else:
            members.update(rx=In(1, init=1), tx=Out(1, init=1))
        self.core = Core(cfg)
        self.bridge = LinkBridge(cfg)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self.core
        m.submodules.bridge = bridge = self.bridge
        connect(m, bridge.cmd, core.cmd)
        connect(m, core.rsp, bridge.rsp)
        connect(m, bridge.aer_in, core.aer_in)
        connect(m, core.aer_out, bridge.aer_out)
        m.d.comb += [
            self.busy.eq(core.busy),
            self.error.eq(core.error),
            self.activity.eq((core.aer_in.valid & core.aer_in.ready) |
                             (core.aer_out.valid & core.aer_out.ready)),
        ]
        if self._divisor is None:
            connect(m, flipped(self.rx_bytes), bridge.rx)
            connect(m, bridge.tx, flipped(self.tx_bytes))
            return m
        m.submodules.uart_rx = uart_rx = UARTReceiver(divisor=self._divisor)
        m.submodules.uart_tx = uart_tx = UARTTransmitter(divisor=self._divisor)
        m.submodules.rx_fifo = fifo = SyncFIFOBuffered(width=8, depth=RX_FIFO_DEPTH)
        m.d.comb += [
            uart_rx.rx.eq(self.rx),
            self.tx.eq(uart_tx.tx),
            fifo.w_data.eq(uart_rx.bytes.payload),
            fifo.w_en.eq(uart_rx.bytes.valid),
            uart_rx.bytes.ready.eq(fifo.w_rdy),
            bridge.rx.payload.eq(fifo.r_data),
            bridge.rx.valid.eq(fifo.r_rdy),
            fifo.r_en.eq(bridge.rx.ready),
            bridge.rx_error.eq(uart_rx.overrun | uart_rx.framing),
        ]
        connect(m, bridge.tx, uart_tx.bytes)
        return m
