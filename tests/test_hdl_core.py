"""Fast tier, whole core: the Amaranth design against the golden model, in Amaranth's simulator.

Every check compares with :class:`GoldenCore` (state, outputs) and its cycle model (cycles),
or with values derived by hand in the test.
"""

import numpy as np
import pytest

from spikecore.config import CoreConfig, load_config
from spikecore.golden import GoldenCore
from spikecore.golden.cycles import step_timing
from spikecore.regmap import ID_MAGIC, Opcode, Status, StatusBit, build_regmap
from spikecore.sim.amaranth_host import run_sim
from spikecore.sim.workloads import random_golden, random_spike_train


def assert_state_equal(got, want, where):
    for name in want:
        if not np.array_equal(got[name], want[name]):
            diff = np.argwhere(np.asarray(got[name]) != np.asarray(want[name]))
            first = tuple(int(i) for i in diff[0])
            raise AssertionError(
                f"{where}: {name}{list(first)} is {got[name][first]}, golden says "
                f"{want[name][first]} ({len(diff)} elements differ)")


async def run_differential(host, golden, train):
    """Run ``train`` on both; compare outputs, event cycles, step cycles and state."""
    await host.load(golden)
    for t, axons in enumerate(train):
        cycle0, events = await host.step(axons)
        expected = golden.step(axons)
        timing = golden.last_timing
        where = f"timestep {t} (inputs {axons})"
        assert [n for _, n, _ in events] == list(expected), f"{where}: output spikes"
        assert all(ts == t % (1 << host.cfg.timestep_bits) for _, _, ts in events), where
        assert [c - cycle0 for c, _, _ in events] == list(timing.events), \
            f"{where}: output event cycles"
        assert await host.read("step_cycles") == timing.cycles, f"{where}: step cycles"
        assert_state_equal(host.peek_state(), golden.state(), where)
    for name, value in golden.counters.items():
        assert await host.read(name) == value, f"counter {name}"
    assert await host.read("timestep") == golden.timestep
    assert await host.read("status") == golden.status


DIFF_CONFIGS = {
    # every feature: recurrent, CUBA, STDP, subtract reset, refractory
    "tiny": load_config("tiny"),
    # one group (lanes == n_neurons): consecutive rows hit the same accumulator word
    "one_group": CoreConfig(n_axons=8, n_neurons=4, lanes=4, v_bits=10, threshold=60,
                            trace_bits=5, rate_bits=2, ltp_shift=2, ltd_shift=3,
                            recurrent=True),
    # lanes not a power of two, no STDP, no CUBA
    "three_lanes": CoreConfig(n_axons=7, n_neurons=9, lanes=3, v_bits=9, weight_bits=5,
                              threshold=40, stdp=False, learn=False, timestep_bits=3),
    # a single-port synapse RAM (SPRAM-like): read-modify-writes take two cycles
    "single_port": load_config("tiny").replace(weight_ram="single"),
    "single_port_one_group": CoreConfig(n_axons=8, n_neurons=4, lanes=4, v_bits=10,
                                        threshold=60, trace_bits=5, rate_bits=2, ltp_shift=2,
                                        ltd_shift=3, recurrent=True, weight_ram="single"),
    # a single lane, nearest-spike traces, narrow widths
    "one_lane": CoreConfig(n_axons=5, n_neurons=3, lanes=1, v_bits=7, weight_bits=4,
                           i_bits=6, threshold=20, trace_bits=3, rate_bits=1, ltp_shift=1,
                           ltd_shift=1, trace_mode="nearest", recurrent=True),
}


@pytest.mark.parametrize("name", list(DIFF_CONFIGS))
@pytest.mark.parametrize("seed", [11, 12], indirect=True)
def test_core_matches_golden(name, seed):
    """Random network, random spike trains (with duplicate and bad ids): bit-exact state,
    outputs and counters, and cycle-exact output events and step lengths."""
    cfg = DIFF_CONFIGS[name]
    rng = np.random.default_rng(seed)
    golden = random_golden(cfg, rng)
    train = random_spike_train(cfg, rng, 12)

    async def body(host):
        await run_differential(host, golden, train)
    run_sim(cfg, body)


@pytest.mark.parametrize("learn, weight_ram, cycles_per_word", [
    (0, "dual", 1), (1, "dual", 1), (0, "single", 1), (1, "single", 2)])
def test_rows_stream_without_bubbles(learn, weight_ram, cycles_per_word):
    """A row costs exactly `groups` cycles: lanes SOP per cycle, no bubble between rows, with
    or without depression on the way (a single-port RAM that learns: 2 cycles a word, one
    to read, one to write back). Derived: going from R to R+1 input rows adds exactly
    G * cycles_per_word cycles, and the SOP counter grows by n_neurons per row."""
    cfg = CoreConfig(n_axons=12, n_neurons=32, lanes=4, threshold=30000, v_bits=16,
                     weight_ram=weight_ram)
    G = cfg.groups * cycles_per_word
    lengths = {}

    async def body(host):
        await host.write("learn", None, learn)
        await host.write("plastic", 3, 1)
        for rows in range(0, cfg.n_axons + 1, 3):
            before = await host.read("sops")
            await host.step(list(range(rows)))
            lengths[rows] = await host.read("step_cycles")
            assert await host.read("sops") - before == rows * cfg.n_neurons
        # The cycle model agrees with the measured length of every step.
        for rows, cycles in lengths.items():
            model = step_timing(cfg, n_rows_active=rows, spikes=np.zeros(32, bool),
                                learn=bool(learn))
            assert cycles == model.cycles
            if rows:
                assert model.rows[0] == 1 and model.rows[1] - model.rows[0] + 1 in (
                    rows * G, rows * G - 1)     # the last word's write slot follows it
    run_sim(cfg, body)
    counts = sorted(lengths)
    for a, b in zip(counts[1:], counts[2:]):
        assert lengths[b] - lengths[a] == (b - a) * G, lengths


def test_registers_round_trip():
    """Every parameter and the timestep read back what was written (signed ones too);
    a write zeroes a counter whatever its data; `id` reads its constant."""
    cfg = load_config("tiny")
    regmap = build_regmap(cfg)
    rng = np.random.default_rng(5)
    written = {}

    async def body(host):
        assert await host.read("id") == ID_MAGIC
        for entry in regmap:
            if entry.kind != "reg" or entry.access != "rw":
                continue
            lo = -(1 << (entry.width - 1)) if entry.signed else 0
            hi = (1 << (entry.width - 1)) - 1 if entry.signed else (1 << entry.width) - 1
            for value in (lo, hi, int(rng.integers(lo, hi + 1))):
                await host.write(entry.name, None, value)
                written[entry.name] = value
                assert await host.read(entry.name) == value, entry.name
        for entry in regmap:
            if entry.access == "wc":
                await host.spikes([1])              # something to count: in_spikes
                await host.step([])                 # cycles, step_cycles, sops, ...
                assert (await host.read("cycles")) > 0
                await host.write(entry.name, None, 12345)
                assert await host.read(entry.name) == 0, entry.name
                written[entry.name] = 0
    run_sim(cfg, body)
    assert "threshold" in written and "w_min" in written and "cycles" in written


def error_cases(cfg):
    """(op, addr, expected status), each derived from the register map."""
    regmap = build_regmap(cfg)
    weight, v = regmap["weight"], regmap["v"]
    lanes_pad = 1 << regmap.lane_bits
    return [
        (5, 0, Status.BAD_OPCODE), (6, 0, Status.BAD_OPCODE), (7, 3, Status.BAD_OPCODE),
        # beyond the last window
        (Opcode.READ, (1 << regmap.addr_bits) - 1, Status.BAD_ADDR),
        # above the map, with low bits naming a register: refused, not aliased
        (Opcode.WRITE, (1 << regmap.addr_bits) | regmap["threshold"].base, Status.BAD_ADDR),
        # a write to the read-only id register
        (Opcode.WRITE, regmap["id"].base, Status.BAD_ADDR),
        # the gap between the registers and the first window
        (Opcode.WRITE, max(e.base for e in regmap if e.kind == "reg") + 1, Status.BAD_ADDR),
        # a lane that does not exist (lanes = 3 is padded to 4 in the address)
        (Opcode.WRITE, v.base + lanes_pad - 1, Status.BAD_ADDR),
        # a row that does not exist
        (Opcode.WRITE, weight.base + (cfg.n_rows << (regmap.group_bits + regmap.lane_bits)),
         Status.BAD_ADDR),
        # a group that does not exist (3 groups padded to 4)
        (Opcode.READ, v.base + (cfg.groups << regmap.lane_bits), Status.BAD_ADDR),
    ]


def test_bad_commands_change_nothing():
    """Bad opcodes and addresses are answered with an error, set their sticky status bit,
    count in cmd_errors, and leave every state and parameter untouched."""
    cfg = CoreConfig(n_axons=5, n_neurons=9, lanes=3, v_bits=10, threshold=50)
    rng = np.random.default_rng(6)
    golden = random_golden(cfg, rng)
    cases = error_cases(cfg)

    async def body(host):
        await host.load(golden)
        before = host.peek_state()
        params = {name: await host.read(name) for name in golden.params}
        for op, addr, status in cases:
            got, data, _ = await host.command(op, addr, 0x5A5A_5A5A, check=False)
            assert (Status(got), data) == (status, 0), (op, hex(addr))
        assert_state_equal(host.peek_state(), before, "after bad commands")
        assert {name: await host.read(name) for name in golden.params} == params
        status = await host.read("status")
        assert status == (1 << StatusBit.BAD_OPCODE) | (1 << StatusBit.BAD_ADDR)
        assert await host.read("cmd_errors") == len(cases)
        # Write 1 to clear one sticky bit; the other stays.
        await host.write("status", None, 1 << StatusBit.BAD_OPCODE)
        assert await host.read("status") == 1 << StatusBit.BAD_ADDR
    run_sim(cfg, body)


def test_busy_access_refused():
    """While a timestep runs: memory and parameter access and START are refused with BUSY
    (nothing changes); status, counters and timestep stay readable; AER input waits."""
    cfg = CoreConfig(n_axons=16, n_neurons=16, lanes=2, threshold=30000)
    regmap = build_regmap(cfg)

    async def body(host):
        await host.write("weight", (3, 5), 7)
        await host.spikes(range(16))        # 16 rows x 8 groups: a long step
        await host.command(Opcode.START)
        got = {}
        for what, op, addr in (
                ("weight read", Opcode.READ, regmap.address("weight", (3, 5))),
                ("weight write", Opcode.WRITE, regmap.address("weight", (3, 5))),
                ("param write", Opcode.WRITE, regmap.address("threshold")),
                ("start", Opcode.START, 0), ("clear", Opcode.CLEAR, 0)):
            status, _, _ = await host.command(op, addr, 1, check=False)
            got[what] = Status(status)
        status, value, _ = await host.command(Opcode.READ, regmap.address("status"))
        assert value & (1 << StatusBit.BUSY), "status readable and busy while running"
        sops, _, _ = await host.command(Opcode.READ, regmap.address("sops"))
        await host.sync()
        assert got == {k: Status.BUSY for k in got}
        assert await host.read("weight", (3, 5)) == 7
        assert await host.read("threshold") == 30000
        assert await host.read("timestep") == 1          # the refused START ran nothing
        assert await host.read("cmd_errors") == 5
        assert await host.read("status") == 1 << StatusBit.BUSY_ACCESS
    run_sim(cfg, body)


def test_aer_backpressure_and_bad_axons():
    """AER input is held off while busy and accepted after; bad ids are dropped, counted and
    flagged; duplicates merge. Derived by hand for this input."""
    cfg = CoreConfig(n_axons=6, n_neurons=4, lanes=2, v_bits=10, threshold=5)

    async def body(host):
        # axon 2 drives neuron 1 over threshold (weight 9 >= 5), nothing else is connected
        await host.write("weight", (2, 1), 9)
        await host.spikes([2, 7, 2, 6, 2])   # 7 and 6 name no axon (6 axons: ids 0..5)
        assert await host.read("in_spikes") == 1
        assert await host.read("dup_spikes") == 2
        assert await host.read("bad_axons") == 2
        assert await host.read("status") == 1 << StatusBit.BAD_AXON
        await host.command(Opcode.START)
        # The core is busy now: an AER event must wait until the step is over.
        ctx, port = host.ctx, host.core.aer_in
        ctx.set(port.payload, 3)
        ctx.set(port.valid, 1)
        waited = 0
        while True:
            _, _, ready, busy = await ctx.tick().sample(port.ready, host.core.busy)
            if ready:
                break
            waited += 1
        ctx.set(port.valid, 0)
        assert waited > 0
        assert [n for _, n, _ in host.events] == [1]
        assert await host.read("in_spikes") == 2
    run_sim(cfg, body)


@pytest.mark.parametrize("seed", [21], indirect=True)
def test_output_backpressure_loses_nothing(seed):
    """A stalling output sink delays events and the end of the step, but every event
    arrives, in order, and the state stays bit-exact."""
    cfg = load_config("tiny")
    rng = np.random.default_rng(seed)
    golden = random_golden(cfg, rng, activity=0.8)
    train = random_spike_train(cfg, rng, 6, activity=0.8)

    async def body(host):
        await host.load(golden)
        stalls = 0
        for axons in train:
            await host.spikes(axons)
            first = len(host.events)
            await host.command(Opcode.START)
            # Stall the sink on alternate stretches of cycles until the step ends.
            for k in range(400):
                host.out_ready = (k // 3) % 2 == 0
                await host.ctx.tick()
                stalls += not host.out_ready
            host.out_ready = True
            await host.sync()
            expected = golden.step(axons)
            assert [n for _, n, _ in host.events[first:]] == list(expected)
            assert_state_equal(host.peek_state(), golden.state(), "after stalls")
        assert stalls > 0
        assert await host.read("out_spikes") == golden.counters["out_spikes"]
    run_sim(cfg, body)


def test_clear():
    """CLEAR zeroes membranes, currents, refractory counters and traces, discards pending
    recurrent spikes, and keeps weights, biases and plasticity (as GoldenCore.clear)."""
    cfg = load_config("tiny")
    rng = np.random.default_rng(8)
    golden = random_golden(cfg, rng, activity=0.8)
    # Every neuron is driven over a threshold of 1 by its bias, so spikes are pending.
    golden.bias[:] = 50
    golden.params.update(threshold=1, refractory=0, leak_shift=cfg.v_bits)
    train = random_spike_train(cfg, rng, 4, activity=0.8)

    async def body(host):
        await host.load(golden)
        for axons in train:
            await host.step(axons)
            golden.step(axons)
        assert golden.last_spikes.any(), "the test needs pending recurrent spikes"
        await host.command(Opcode.CLEAR)
        golden.clear()
        assert_state_equal(host.peek_state(), golden.state(), "after CLEAR")
        _, events = await host.step([])
        assert [n for _, n, _ in events] == list(golden.step([]))
        assert_state_equal(host.peek_state(), golden.state(), "step after CLEAR")
    run_sim(cfg, body)


def test_reset_clears_pending_input():
    """`rst` returns registers to their power-on values and, as its first act, the engine
    clears the dynamic state: AER input accepted before the reset is gone (the same ids
    count as new afterwards, not as duplicates); weights survive (memories keep contents)."""
    cfg = CoreConfig(n_axons=6, n_neurons=4, lanes=2, v_bits=10, threshold=500)

    async def body(host):
        await host.write("weight", (2, 1), 9)
        await host.write("threshold", None, 77)
        await host.spikes([1, 2, 2, 5])
        assert (await host.read("in_spikes"), await host.read("dup_spikes")) == (3, 1)
        host.ctx.set(host.h.rst, 1)
        await host.ctx.tick("count").repeat(2)      # a domain that ignores the reset
        host.ctx.set(host.h.rst, 0)
        # Power-on register values: counters zero, the threshold back to the config's.
        assert await host.read("in_spikes") == 0
        assert await host.read("threshold") == cfg.threshold
        await host.spikes([1, 2, 5])
        # Derived: three distinct axons, none of them seen since the reset.
        assert (await host.read("in_spikes"), await host.read("dup_spikes")) == (3, 0)
        await host.step([])
        assert await host.read("sops") == 3 * cfg.n_neurons   # exactly the three rows
        assert await host.read("weight", (2, 1)) == 9
        assert host.peek_state()["v"][1] == 9                 # axon 2's weight, no leftovers
    run_sim(cfg, body)
