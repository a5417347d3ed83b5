"""Transports for :class:`~spikecore.host.driver.Core`: bytes to and from a core.

:class:`SerialTransport` is a board's serial port (pyserial). :class:`SimTransport` is an
in-process simulation (Amaranth's simulator) of the same hardware the board carries: the
core behind its link bridge, with or without the UART, so the host driver's whole path,
bytes included, runs in tests without a board.
"""

from collections import deque

__all__ = ["SerialTransport", "SimTransport"]


class SerialTransport:
    """A serial port.

    Parameters
    ----------
    port : str
        e.g. ``/dev/ttyUSB1`` (the iCEBreaker's second FTDI interface is its UART).
    baudrate : int
        The board top's baud rate (``spikecore build`` prints it).
    """

    def __init__(self, port, *, baudrate=1_000_000):
        try:
            import serial
        except ImportError:
            raise RuntimeError("SerialTransport needs pyserial: pip install pyserial") from None
        self._port = serial.Serial(port, baudrate=baudrate, timeout=0.05)
        self._port.reset_input_buffer()

    def write(self, data):
        self._port.write(data)

    def read(self, timeout):
        return self._port.read(max(1, self._port.in_waiting))

    def close(self):
        self._port.close()


class SimTransport:
    """A simulated board: :class:`~spikecore.boards.linked.LinkedCore` in Amaranth's
    simulator, advanced whenever the host reads.

    Parameters
    ----------
    cfg : CoreConfig
    uart_divisor : int or None
        ``None`` feeds the bridge's byte streams directly (fast); an integer simulates the
        UART pins too, with that many clock cycles per bit (every bit of every byte).
    cycles_per_read : int
        Clock cycles simulated by each :meth:`read`.

    Attributes
    ----------
    cycles : int
        Clock cycles simulated so far.
    """

    PERIOD = 1e-8

    def __init__(self, cfg, *, uart_divisor=None, cycles_per_read=2000):
        from amaranth.sim import Simulator
        from spikecore.boards.linked import LinkedCore
        self.top = LinkedCore(cfg, uart_divisor=uart_divisor)
        self._divisor = uart_divisor
        self._to_core = deque()
        self._from_core = bytearray()
        self._chunk = cycles_per_read
        self.cycles = 0
        self._sim = Simulator(self.top)
        self._sim.add_clock(self.PERIOD)
        pump = self._pump_bytes if uart_divisor is None else self._pump_pins
        self._sim.add_testbench(pump, background=True)

    def write(self, data):
        self._to_core.extend(bytes(data))

    def read(self, timeout):
        """Simulate until the core has sent something (checked every 32 cycles), or for at
        most ``cycles_per_read`` cycles; return what it sent."""
        end = self.cycles + self._chunk
        while self.cycles < end and not self._from_core:
            self.cycles = min(end, self.cycles + 32)
            self._sim.run_until(self.cycles * self.PERIOD)
        data, self._from_core = bytes(self._from_core), bytearray()
        return data

    async def _pump_bytes(self, ctx):
        rx, tx = self.top.rx_bytes, self.top.tx_bytes
        ctx.set(tx.ready, 1)
        while True:
            if self._to_core:
                ctx.set(rx.payload, self._to_core[0])
            ctx.set(rx.valid, bool(self._to_core))
            _, _, offered, took, sent, byte = await ctx.tick().sample(
                rx.valid, rx.ready, tx.valid, tx.payload)
            if offered and took:
                self._to_core.popleft()
            if sent:
                self._from_core.append(byte)

    async def _pump_pins(self, ctx):
        """Serialize host bytes onto ``rx`` and deserialize ``tx``, bit by bit (8N1)."""
        divisor = self._divisor
        sending = []                 # line levels still to drive, one per cycle
        receiving = None             # (cycles into the frame, bits) while a frame arrives
        ctx.set(self.top.rx, 1)
        while True:
            if not sending and self._to_core:
                byte = self._to_core.popleft()
                bits = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
                sending = [b for b in bits for _ in range(divisor)]
            ctx.set(self.top.rx, sending.pop(0) if sending else 1)
            _, _, line = await ctx.tick().sample(self.top.tx)
            if receiving is None:
                if not line:
                    receiving = (0, [])
            else:
                count, bits = receiving
                count += 1
                # Sample the middle of each data bit: start bit is cycles 0..divisor-1.
                if count % divisor == divisor // 2 and count > divisor:
                    bits.append(line)
                    if len(bits) == 9:               # eight data bits and the stop bit
                        if bits[8]:
                            self._from_core.append(sum(b << i for i, b in enumerate(bits[:8])))
                        receiving = None
                        continue
                receiving = (count, bits)
