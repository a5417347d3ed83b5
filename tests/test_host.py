"""The host driver and the link: protocol, bridge and UART, end to end in simulation.

The simulated transport runs the same hardware a board carries (core, link bridge, and with
a divisor the UART pins), so these tests cover the whole path, bytes included.
"""

import copy

import numpy as np
import pytest

from spikecore.config import load_config
from spikecore.host import Core, CoreError, SimTransport
from spikecore.host.protocol import (END, ESC, FrameDecoder, FrameType, HostProtocol,
                                     encode_frame, crc8)
from spikecore.regmap import Opcode, Status
from spikecore.sim.workloads import random_golden, random_spike_train

TINY = load_config("tiny")


# -- protocol, in software -------------------------------------------------------------------
def test_frames_round_trip_with_escapes():
    """Every byte value survives stuffing, including END and ESC in the body and the CRC."""
    decoder = FrameDecoder(max_length=300)
    payload = bytes(range(256))
    assert decoder.feed(encode_frame(payload)) == [payload]
    stuffed = encode_frame(bytes([END, ESC, 1]))
    assert stuffed.count(END) == 1 and stuffed[-1] == END     # only the terminator
    assert decoder.dropped == 0


def test_decoder_drops_and_resynchronises():
    """Garbage, a bad CRC, a bad escape and a truncated frame are each dropped and counted;
    the frame after each is read normally."""
    good = encode_frame(b"\x81\x00\x05\x00\x00\x00")
    bad_crc = bytearray(good)
    bad_crc[1] ^= 0x40
    cases = [b"\x17\x22\x99" + bytes([END]),          # line noise, then END
             bytes(bad_crc),                           # a flipped bit
             bytes([0x81, ESC, 0x42, END]),            # ESC followed by neither code
             good[:3] + bytes([END])]                  # truncated, then END
    decoder = FrameDecoder()
    for number, junk in enumerate(cases, 1):
        assert decoder.feed(junk + good) == [good[:-2]]
        assert decoder.dropped == number


def test_host_protocol_rejects_unknown_and_short_frames():
    protocol = HostProtocol(TINY)
    data = encode_frame(bytes([0x99, 1, 2])) + encode_frame(bytes([FrameType.RSP, 0]))
    assert protocol.receive(data) == [] and protocol.dropped == 2


def test_host_protocol_field_range_wrong():
    protocol = HostProtocol(TINY)
    with pytest.raises(ValueError, match=r"^axon must fit 1 bytes, not 300$"):
        protocol.spike(300)


# -- through the simulated hardware ----------------------------------------------------------
def test_driver_runs_a_network_bit_exact():
    """Load a random network over the link, run a spike train, read state back: identical
    to the golden model (outputs of every step, weights and membranes afterwards)."""
    rng = np.random.default_rng(12)
    golden = random_golden(TINY, rng, activity=0.6, learn=1)
    train = random_spike_train(TINY, rng, 8, activity=0.6)
    core = Core(SimTransport(TINY), TINY, timeout=60)
    core.load(golden)
    expected = copy.deepcopy(golden)
    raster = core.run(train)
    for t, axons in enumerate(train):
        assert list(np.flatnonzero(raster[t])) == list(expected.step(axons)), f"step {t}"
    for (row, neuron) in [(0, 0), (3, 7), (20, 15), (31, 2)]:
        assert core.read("weight", (row, neuron)) == expected.weights[row, neuron]
    assert [core.read("v", n) for n in range(TINY.n_neurons)] == list(expected.v)
    assert core.counters() == expected.counters
    status = core.link_status()
    assert status.dropped == 0 and status.received > 0
    assert core.protocol.dropped == 0


def test_errors_reach_the_host():
    core = Core(SimTransport(TINY), TINY, timeout=60)
    with pytest.raises(CoreError, match=r"BAD_OPCODE") as error:
        core.command(6, 0)
    assert error.value.status == Status.BAD_OPCODE
    with pytest.raises(CoreError, match=r"BAD_ADDR"):
        core.command(Opcode.WRITE, core.regmap["id"].base, 1)
    # An address with bits above the map whose low bits name a register: the byte-wide
    # field carries the high bits to the core, which refuses it (no aliasing).
    alias = (1 << core.regmap.addr_bits) | core.regmap["threshold"].base
    assert alias < 1 << (8 * core.protocol.framing.addr)
    with pytest.raises(CoreError, match=r"BAD_ADDR"):
        core.command(Opcode.READ, alias)
    assert core.read("cmd_errors") == 3


def test_link_recovers_from_damaged_frames():
    """Damaged frames sent to the board are dropped and counted by the bridge, change
    nothing, and the next frame works."""
    transport = SimTransport(TINY)
    core = Core(transport, TINY, timeout=60)
    core.write("threshold", None, 123)
    good = core.protocol.command(Opcode.WRITE, core.regmap.address("threshold"), 77)
    damaged = bytearray(good)
    damaged[3] ^= 0x01                                   # the CRC no longer matches
    transport.write(bytes(damaged))
    transport.write(b"\x01\x02" + bytes([END]))          # a truncated frame
    transport.write(encode_frame(bytes([FrameType.CMD, 0, 0])))   # right CRC, wrong length
    assert core.read("threshold") == 123                 # nothing was written
    status = core.link_status()
    assert status.dropped == 3
    core.write("threshold", None, 77)
    assert core.read("threshold") == 77


def test_bad_axon_ids_over_the_link():
    """An axon id too wide for the core's port becomes an id that names no axon: dropped
    and counted by the core, never aliased onto a real axon."""
    cfg = load_config("tiny")
    core = Core(SimTransport(cfg), cfg, timeout=60)
    frame = encode_frame(bytes([FrameType.SPIKE, 0x21]))   # 33: fits the byte, not 5 bits
    core.transport.write(frame)
    core.spikes([3, 16])                                  # 16 = n_axons: out of range
    assert core.read("bad_axons") == 2
    assert core.read("in_spikes") == 1


def test_uart_pins_end_to_end():
    """The same driver through the UART receiver and transmitter, bit by bit (divisor 4)."""
    cfg = load_config("tiny")
    core = Core(SimTransport(cfg, uart_divisor=4), cfg, timeout=120)
    core.write("learn", None, 0)
    core.write("threshold", None, 50)
    core.write("weight", (2, 9), 90)                     # axon 2 alone fires neuron 9
    assert core.step([2]) == [9]
    assert core.read("weight", (2, 9)) == 90
    assert core.link_status().dropped == 0


def test_crc_is_smbus():
    """CRC-8/SMBUS check value (the standard '123456789' test vector is 0xF4)."""
    assert crc8(b"123456789") == 0xF4


def test_apply_config_and_read_state():
    """A configuration's parameters go into the registers; state() reads every memory back
    as GoldenCore.state() holds it; other hardware is refused, naming the difference."""
    cfg = load_config("tiny")
    core = Core(SimTransport(cfg), cfg, timeout=60)
    changed = cfg.replace(threshold=77, reset="zero", leak_shift=5, ltp_rate=2)
    core.apply_config(changed)
    assert core.read("threshold") == 77 and core.read("leak_shift") == 5
    assert core.read("reset_mode") == 0 and core.read("ltp_rate") == 2
    rng = np.random.default_rng(4)
    golden = random_golden(cfg, rng)
    core.load(golden)
    state = core.state()
    for name, array in golden.state().items():
        assert np.array_equal(state[name], array), name
    with pytest.raises(ValueError, match=r"^configuration describes other hardware than the "
                                         r"core's: lanes=4 \(core: 2\)$"):
        core.apply_config(cfg.replace(lanes=4))
