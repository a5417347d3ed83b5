"""Boards: registry, PLL settings, UART, board tops, a real iCEBreaker build, programming."""

import os

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from spikecore.boards.build import BuildError, build_board
from spikecore.boards.pll import ecp5_pll, ice40_pll
from spikecore.boards.platforms import SUPPORTED, find_board
from spikecore.boards.program import ProgramError, program_board
from spikecore.boards.top import BoardTop
from spikecore.boards.uart import UARTReceiver, UARTTransmitter
from spikecore.config import load_config


# -- which boards ---------------------------------------------------------------------------
def test_supported_boards():
    assert set(SUPPORTED) == {"icebreaker", "ulx3s"}
    assert find_board("icebreaker").family == "ice40"
    ulx3s = find_board("ulx3s")
    assert ulx3s.family == "ecp5" and ulx3s.platform_class().device == "LFE5U-85F"


def test_same_family_board_by_class_name():
    """Another amaranth-boards platform of a supported family, named by its class."""
    spec = find_board("ULX3S_45F_Platform")
    assert spec.family == "ecp5" and spec.platform_class().device == "LFE5U-45F"


def test_unknown_board_wrong():
    with pytest.raises(ValueError, match=r"^unknown board 'arty'; supported: icebreaker, "
                                         r"ulx3s; other amaranth-boards platforms .*"
                                         r"ICEStickPlatform"):
        find_board("arty")


# -- PLLs -----------------------------------------------------------------------------------
def test_ice40_pll_24mhz():
    """12 MHz x (63 + 1) / (0 + 1) = 768 MHz VCO (in 533..1066), / 2**5 = 24 MHz exactly; the
    PFD is 12 MHz, in the first filter range (10..17 MHz)."""
    pll = ice40_pll(12e6, 24e6)
    assert (pll.divr, pll.divf, pll.divq, pll.filter_range) == (0, 63, 5, 1)
    assert pll.f_out == 24e6


def test_ecp5_pll_100mhz():
    """25 MHz x 4 / 1 = 100 MHz; CLKOP divides a 600 MHz VCO (the middle of 400..800) by 6."""
    pll = ecp5_pll(25e6, 100e6)
    assert (pll.clki_div, pll.clkfb_div, pll.clkop_div) == (1, 4, 6)
    assert pll.f_out == 100e6 and 400e6 <= pll.f_out * pll.clkop_div <= 800e6


def test_pll_range_wrong():
    with pytest.raises(ValueError, match=r"^iCE40 PLL output must be in \[16 MHz, 275 MHz\], "
                                         r"not 5 MHz$"):
        ice40_pll(12e6, 5e6)
    with pytest.raises(ValueError, match=r"^ECP5 PLL output must be in"):
        ecp5_pll(25e6, 500e6)


# -- UART -------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [5], indirect=True)
def test_uart_loopback(seed):
    """Bytes sent by the transmitter arrive at the receiver, in order, bit-exact."""
    rng = np.random.default_rng(seed)
    data = [int(b) for b in rng.integers(0, 256, size=24)] + [0x00, 0xFF, 0xC0]
    m = Module()
    m.submodules.tx = tx = UARTTransmitter(divisor=5)
    m.submodules.rx = rx = UARTReceiver(divisor=5)
    m.d.comb += rx.rx.eq(tx.tx)
    received = []
    sim = Simulator(m)
    sim.add_clock(1e-8)

    async def send(ctx):
        for byte in data:
            ctx.set(tx.bytes.payload, byte)
            ctx.set(tx.bytes.valid, 1)
            await ctx.tick().until(tx.bytes.ready)
        ctx.set(tx.bytes.valid, 0)
        await ctx.tick().repeat(200)

    async def receive(ctx):
        ctx.set(rx.bytes.ready, 1)
        while True:
            _, _, valid, byte, overrun, framing = await ctx.tick().sample(
                rx.bytes.valid, rx.bytes.payload, rx.overrun, rx.framing)
            assert not overrun and not framing
            if valid:
                received.append(byte)

    sim.add_testbench(send)
    sim.add_testbench(receive, background=True)
    sim.run()
    assert received == data


def test_uart_framing_error_counted():
    """A missing stop bit: the byte is dropped and the framing strobe fires once."""
    dut = UARTReceiver(divisor=4)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    seen = {"framing": 0, "bytes": 0}

    async def bench(ctx):
        ctx.set(dut.bytes.ready, 1)
        # start bit, eight zero bits, and a zero where the stop bit should be
        for level in [1] * 8 + [0] * 40 + [1] * 40:
            ctx.set(dut.rx, level)
            _, _, framing, valid = await ctx.tick().sample(dut.framing, dut.bytes.valid)
            seen["framing"] += framing
            seen["bytes"] += valid
    sim.add_testbench(bench)
    sim.run()
    assert seen == {"framing": 1, "bytes": 0}


# -- board tops and builds --------------------------------------------------------------------
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s"])
def test_board_tops_elaborate(board, tmp_path):
    """Each board top elaborates with its platform (pins, PLL, constraints); no tools run."""
    spec = find_board(board)
    platform = spec.platform_class()()
    top = BoardTop(load_config("tiny"), spec)
    plan = platform.prepare(top, name="spikecore")
    files = plan.files
    assert "spikecore.il" in files
    assert abs(top.clock_hz - spec.freq) < 1e3
    assert top.divisor == round(spec.freq / spec.baud)


def test_icebreaker_build(tmp_path):
    """A real iCEBreaker build of its own config through YoWASP (256 neurons, 64k synapses,
    STDP: the performance target's core): it fits the UP5K and meets the board's clock.
    (A row queue that lost its block RAM once grew this core to 165 % of the logic.)"""
    report = build_board(find_board("icebreaker"), load_config("icebreaker"), tmp_path,
                         progress=lambda line: None)
    assert report.timing_met and report.fmax_mhz >= report.target_mhz
    assert os.path.getsize(report.bitstream) > 100_000
    cells = report.resources["logic cells"]
    assert 0 < cells["used"] <= cells["available"] == 5280
    assert (tmp_path / "report.json").exists() and "Fmax" in (tmp_path / "report.txt").read_text()


@pytest.mark.slow
def test_build_timing_miss_says_by_how_much(tmp_path):
    """An unreachable clock is a non-zero failure that says by how much it was missed."""
    with pytest.raises(BuildError, match=r"timing missed: Fmax [0-9.]+ MHz is below the "
                                         r"[0-9.]+ MHz target by [0-9.]+ MHz"):
        build_board(find_board("icebreaker"), load_config("tiny"), tmp_path, freq=200e6,
                    progress=lambda line: None)


def test_fit_failure_says_by_how_much():
    """nextpnr's utilisation table turned into what is over and by how much."""
    from spikecore.boards.build import _fit_failure
    log = ("Info: Device utilisation:\nInfo: \t         ICESTORM_LC:    6038/   5280   114%\n"
           "Info: \t        ICESTORM_RAM:      18/     30    60%\nERROR: Failed to expand\n")
    assert _fit_failure(log) == ("the design does not fit the device: 6038 ICESTORM_LC for "
                                 "5280 (114 %, 758 too many)")


def test_program_without_a_board_fails_fast(tmp_path):
    """No board (and maybe no USB libraries): a clear failure, not a hang."""
    bitstream = tmp_path / "x.bin"
    bitstream.write_bytes(b"\0" * 16)
    with pytest.raises(ProgramError, match=r"(no icebreaker found: openFPGALoader looked for "
                                           r"its USB programmer|cannot start: a system "
                                           r"library is missing)"):
        program_board(find_board("icebreaker"), bitstream, timeout=60)


def test_program_missing_bitstream_wrong(tmp_path):
    with pytest.raises(ProgramError, match=r"no bitstream at .*nope\.bit: run `spikecore "
                                           r"build --board ulx3s` first"):
        program_board(find_board("ulx3s"), tmp_path / "nope.bit")
