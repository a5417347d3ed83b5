"""Board tops: the linked core with a PLL, the UART pins and status LEDs.

The same top serves every supported board; what differs (the PLL primitive, the LEDs) is
chosen from the platform's family and resources.
"""

from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import ResetSynchronizer

from .linked import LinkedCore
from .pll import ecp5_pll, ice40_pll

__all__ = ["BoardTop"]


def _pulse_stretcher(m, trigger, cycles, name):
    """A signal high for ``cycles`` cycles after each ``trigger``: visible on an LED."""
    count = Signal(range(cycles + 1), name=f"{name}_count")
    out = Signal(name=name)
    with m.If(trigger):
        m.d.sync += count.eq(cycles)
    with m.Elif(count != 0):
        m.d.sync += count.eq(count - 1)
    m.d.comb += out.eq(count != 0)
    return out


class BoardTop(Elaboratable):
    """The core on a board.

    Parameters
    ----------
    cfg : CoreConfig
    spec : BoardSpec
        The board (family, target clock, baud rate).

    LEDs (as many as the board has): heartbeat (about 1 Hz: the clock runs), activity (an AER
    event in the last 50 ms), busy (a timestep runs), error (a sticky error bit is set). On
    the iCEBreaker's two LEDs: green is heartbeat or activity, red is error.
    """

    def __init__(self, cfg, spec):
        self.cfg = cfg
        self.spec = spec
        self.divisor = max(4, round(spec.freq / spec.baud))
        self.linked = LinkedCore(cfg, uart_divisor=self.divisor)

    def _clock(self, m, platform):
        """The ``sync`` domain at the target frequency, from the board oscillator."""
        port = platform.request(platform.default_clk, dir="-")
        f_in = platform.default_clk_frequency
        f_req = self.spec.freq
        m.domains.sync = ClockDomain("sync")
        clk = Signal(name="core_clk")
        lock = Signal(name="pll_lock")
        if self.spec.family == "ice40" and abs(f_in - f_req) >= 1:
            # The iCE40 PLL takes the oscillator straight from its pad (on the UP5K the
            # clock pin is the PLL's input pad; a global buffer in between cannot be placed).
            pll = ice40_pll(f_in, f_req)
            m.submodules.pll = Instance(
                "SB_PLL40_PAD",
                p_FEEDBACK_PATH="SIMPLE", p_DIVR=pll.divr, p_DIVF=pll.divf, p_DIVQ=pll.divq,
                p_FILTER_RANGE=pll.filter_range,
                i_PACKAGEPIN=port.io, i_RESETB=1, i_BYPASS=0,
                o_PLLOUTGLOBAL=clk, o_LOCK=lock)
            f_req = pll.f_out
            m.d.comb += ClockSignal("sync").eq(clk)
            m.submodules.reset_sync = ResetSynchronizer(~lock, domain="sync")
            platform.add_clock_constraint(clk, f_req)
            self.clock_hz = f_req
            return
        m.submodules.clk_buffer = buffer = io.Buffer("i", port)
        if abs(f_in - f_req) < 1:
            m.d.comb += [clk.eq(buffer.i), lock.eq(1)]
        else:
            pll = ecp5_pll(f_in, f_req)
            m.submodules.pll = Instance(
                "EHXPLLL",
                a_FREQUENCY_PIN_CLKI=f"{f_in / 1e6:g}", a_FREQUENCY_PIN_CLKOP=f"{pll.f_out / 1e6:g}",
                a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
                a_MFG_GMCREF_SEL="2",
                p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
                p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
                p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
                p_CLKI_DIV=pll.clki_div, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=pll.clkop_div,
                p_CLKOP_CPHASE=pll.clkop_cphase, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
                p_CLKFB_DIV=pll.clkfb_div,
                i_CLKI=buffer.i, i_CLKFB=clk, i_RST=0, i_STDBY=0, i_PHASESEL0=0,
                i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1, i_PLLWAKESYNC=0,
                i_ENCLKOP=0, o_CLKOP=clk, o_LOCK=lock)
            f_req = pll.f_out
        m.d.comb += ClockSignal("sync").eq(clk)
        m.submodules.reset_sync = ResetSynchronizer(~lock, domain="sync")
        platform.add_clock_constraint(clk, f_req)
        self.clock_hz = f_req

    def elaborate(self, platform):
        m = Module()
        self._clock(m, platform)
        m.submodules.linked = linked = self.linked

        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [linked.rx.eq(rx.i), tx.o.eq(linked.tx)]

        heartbeat = Signal()
        beat = Signal(range(int(self.clock_hz // 2) + 1))
        m.d.sync += beat.eq(beat + 1)
        with m.If(beat == int(self.clock_hz // 2)):
            m.d.sync += [beat.eq(0), heartbeat.eq(~heartbeat)]
        activity = _pulse_stretcher(m, linked.activity, int(self.clock_hz // 20), "activity")

        leds = []
        for number in range(8):
            try:
                leds.append(platform.request("led", number, dir="-"))
            except Exception:          # the board has fewer LEDs
                break
        if len(leds) >= 4:
            shown = [heartbeat, activity, linked.busy, linked.error]
        else:
            shown = [linked.error, heartbeat ^ activity][:len(leds)]
        for number, (led, value) in enumerate(zip(leds, shown)):
            m.submodules[f"led{number}"] = buffer = io.Buffer("o", led)
            m.d.comb += buffer.o.eq(value)
        return m
