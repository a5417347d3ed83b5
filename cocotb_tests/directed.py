"""cocotb: directed tests of the generated core, mirroring ``tests/test_hdl_core.py``.

Error paths (bad opcode, bad address, out-of-range AER ids, access while a timestep runs),
backpressure on every stream, CLEAR and register round trips. The golden model runs beside
the RTL wherever it has something to say, so the scoreboard keeps checking every cycle of
every timestep; the values the golden model does not cover (error statuses, ``cmd_errors``)
are derived from the register map in the test.
"""

import random

import cocotb
import numpy as np

from spikecore.golden import GoldenCore
from spikecore.regmap import ID_MAGIC, Opcode, Status, StatusBit
from spikecore.sim.workloads import random_golden, random_spike_train
from .context import RunContext
from .host import Bench
from .scoreboard import StepPrediction


async def started(dut, golden=None, **options):
    """A reset :class:`Bench` holding the state of ``golden`` (default: a power-on
    :class:`GoldenCore`), for the configuration of this run."""
    ctx = RunContext.from_env()
    bench = Bench(dut, ctx, **options)
    await bench.reset(GoldenCore(ctx.cfg) if golden is None else golden)
    return bench


def error_cases(regmap):
    """``(op, addr, expected status, what)`` of commands that must be refused, each derived
    from the register map; address holes only where the configuration has them."""
    cfg = regmap.cfg
    weight, v = regmap["weight"], regmap["v"]
    cases = [(5, 0, Status.BAD_OPCODE, "opcode 5"), (6, 0, Status.BAD_OPCODE, "opcode 6"),
             (7, 3, Status.BAD_OPCODE, "opcode 7"),
             (Opcode.READ, (1 << regmap.addr_bits) - 1, Status.BAD_ADDR, "last address"),
             (Opcode.WRITE, regmap["id"].base, Status.BAD_ADDR, "write to read-only id")]
    if regmap.cmd_addr_bits > regmap.addr_bits:
        cases.append((Opcode.WRITE, (1 << regmap.addr_bits) | regmap["threshold"].base,
                      Status.BAD_ADDR, "address above the map aliasing a register"))
    last_reg = max(e.base for e in regmap if e.kind == "reg")
    first_mem = min(e.base for e in regmap if e.kind == "mem")
    if last_reg + 1 < first_mem:
        cases.append((Opcode.WRITE, last_reg + 1, Status.BAD_ADDR, "gap after registers"))
    if cfg.lanes < 1 << regmap.lane_bits:
        cases.append((Opcode.WRITE, v.base + (1 << regmap.lane_bits) - 1, Status.BAD_ADDR,
                      "lane that does not exist"))
    if cfg.groups < 1 << regmap.group_bits:
        cases.append((Opcode.READ, v.base + (cfg.groups << regmap.lane_bits),
                      Status.BAD_ADDR, "neuron group that does not exist"))
    row_span = 1 << (regmap.group_bits + regmap.lane_bits)
    if weight.base + cfg.n_rows * row_span < weight.base + weight.span:
        cases.append((Opcode.WRITE, weight.base + cfg.n_rows * row_span, Status.BAD_ADDR,
                      "synapse row that does not exist"))
    return cases


@cocotb.test()
async def bad_commands_change_nothing(dut):
    """Bad opcodes and addresses: answered with an error and data 0, sticky status bit,
    counted in cmd_errors; every state and parameter untouched; status clears by W1C."""
    ctx = RunContext.from_env()
    golden = random_golden(ctx.cfg, np.random.default_rng(ctx.seed))
    bench = await started(dut, golden)
    sb = bench.scoreboard
    cases = error_cases(bench.regmap)
    for op, addr, status, what in cases:
        got, data, _ = await bench.command(op, addr, 0x5A5A_5A5A, check=False)
        sb.check_value(bench.clock.cycle, f"rsp of {what} (op {int(op)}, addr {addr:#x})",
                       (status.name, 0), (Status(got).name, data), "error response")
    sb.check_state(bench.clock.cycle, bench.peek_state(), golden.state())
    for name, value in golden.params.items():
        sb.check_value(bench.clock.cycle, f"register {name}", value, await bench.read(name),
                       "a refused command changed a parameter")
    sticky = {s for _, _, s, _ in cases}
    bits = {Status.BAD_OPCODE: StatusBit.BAD_OPCODE, Status.BAD_ADDR: StatusBit.BAD_ADDR}
    expected = sum(1 << bits[s] for s in sticky)
    sb.check_value(bench.clock.cycle, "register status", expected, await bench.read("status"),
                   "sticky error bits")
    sb.check_value(bench.clock.cycle, "error port", 1, int(dut.error.value),
                   "error output with sticky bits set")
    sb.check_value(bench.clock.cycle, "register cmd_errors", len(cases),
                   await bench.read("cmd_errors"), "errors counted")
    await bench.write("status", None, 1 << StatusBit.BAD_OPCODE)
    sb.check_value(bench.clock.cycle, "register status", 1 << StatusBit.BAD_ADDR,
                   await bench.read("status"), "write 1 clears only that bit")
    sb.check_value(bench.clock.cycle, "register id", ID_MAGIC, await bench.read("id"), "id")


@cocotb.test()
async def busy_access_refused(dut):
    """While a timestep runs: memory and parameter access, START and CLEAR are refused with
    BUSY (nothing changes, the step keeps its exact schedule); status, counters and the
    timestep stay readable."""
    cfg = RunContext.from_env().cfg
    golden = GoldenCore(cfg)
    golden.write("weight", (3, 5), 7)
    golden.set_param("threshold", cfg.v_max)            # no spikes: a long, quiet step
    bench = await started(dut, golden)
    sb, regmap = bench.scoreboard, bench.regmap
    axons = list(range(cfg.n_axons))
    await bench.spikes(axons)
    number = golden.timestep
    golden.step(axons)
    step = StepPrediction(index=0, timestep=number, neurons=(), timing=golden.last_timing,
                          state=golden.state(), inputs=axons)
    bench.submit(Opcode.START, on_accept=lambda cmd: sb.begin(cmd.accepted, step))
    refused = {
        "weight read": bench.submit(Opcode.READ, regmap.address("weight", (3, 5))),
        "weight write": bench.submit(Opcode.WRITE, regmap.address("weight", (3, 5)), 1),
        "param write": bench.submit(Opcode.WRITE, regmap.address("threshold"), 1),
        "start": bench.submit(Opcode.START),
        "clear": bench.submit(Opcode.CLEAR),
    }
    status = bench.submit(Opcode.READ, regmap.address("status"))
    sops = bench.submit(Opcode.READ, regmap.address("sops"))
    sync = bench.submit(Opcode.SYNC)
    await sync.response()
    sb.close(sync.answered)
    end = step.cycle0 + step.timing.cycles
    for what, command in refused.items():
        sb.check_value(command.answered, f"rsp.status of {what}", "BUSY", command.status.name,
                       f"{what} accepted in cycle {command.accepted} (step busy until {end})",
                       step)
    sb.check_value(status.answered, "status.BUSY read while running", 1,
                   (status.rdata >> StatusBit.BUSY) & 1, "status readable while busy", step)
    sb.check_value(sops.answered, "sops read while running", Status.OK.name, sops.status.name,
                   "counters readable while busy", step)
    sb.check_state(bench.clock.cycle, bench.peek_state(), step.state, step)
    sb.check_value(bench.clock.cycle, "register timestep", golden.timestep,
                   await bench.read("timestep"), "the refused START ran nothing", step)
    sb.check_value(bench.clock.cycle, "register cmd_errors", len(refused),
                   await bench.read("cmd_errors"), "refused commands counted", step)
    sb.check_value(bench.clock.cycle, "register status", 1 << StatusBit.BUSY_ACCESS,
                   await bench.read("status"), "sticky BUSY_ACCESS", step)


@cocotb.test()
async def aer_backpressure_and_bad_axons(dut):
    """AER input is held off while a timestep runs and accepted after; ids >= n_axons are
    dropped, counted and flagged; duplicates merge."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    golden = random_golden(cfg, np.random.default_rng(ctx.seed), activity=0.8)
    bench = await started(dut, golden)
    sb = bench.scoreboard
    limit = 1 << bench.codec["aer_in_bits"]
    assert cfg.n_axons + 2 <= limit, "the test needs two ids that name no axon"
    bad = [cfg.n_axons, limit - 1]
    axons = [2, bad[0], 2, bad[1], 2]
    await bench.spikes(axons)
    for name, value in (("in_spikes", 1), ("dup_spikes", 2), ("bad_axons", 2),
                        ("status", 1 << StatusBit.BAD_AXON)):
        sb.check_value(bench.clock.cycle, f"register {name}", value, await bench.read(name),
                       "AER bookkeeping before the step")
    number = golden.timestep
    neurons = tuple(int(n) for n in golden.step(axons))
    step = StepPrediction(index=0, timestep=number, neurons=neurons,
                          timing=golden.last_timing, state=golden.state(), inputs=axons)
    start = bench.submit(Opcode.START, on_accept=lambda cmd: sb.begin(cmd.accepted, step))
    await start.response()
    late = bench.aer_in.send(3)                     # offered while the step runs
    sync = bench.submit(Opcode.SYNC)
    await late.wait()
    end = step.cycle0 + step.timing.cycles
    if late.accepted <= end:
        sb.fail(late.accepted, "aer_in handshake cycle", f"after cycle {end} (end of step)",
                late.accepted, "an AER event was accepted while the step ran", step)
    await sync.response()
    sb.close(sync.answered)
    sb.check_state(bench.clock.cycle, bench.peek_state(), step.state, step)
    sb.check_value(bench.clock.cycle, "register in_spikes", 2, await bench.read("in_spikes"),
                   "the held-off event counts once the core is idle", step)


@cocotb.test()
async def output_backpressure_loses_nothing(dut):
    """Random backpressure on every stream (aer_out and rsp ready low, idle cycles on cmd
    and aer_in): every output event arrives, in order, never before its predicted cycle;
    state and counters stay exact; a step stretched by stalls is counted as it ran."""
    ctx = RunContext.from_env()
    rnd = random.Random(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    golden = random_golden(ctx.cfg, rng, activity=0.8)
    train = random_spike_train(ctx.cfg, rng, ctx.steps or 20, activity=0.8)
    bench = await started(dut, golden, timed=False, out_ready=lambda c: rnd.random() < 0.4,
                          rsp_ready=lambda c: rnd.random() < 0.6,
                          cmd_gap=lambda c: rnd.random() < 0.3,
                          aer_gap=lambda c: rnd.random() < 0.3)
    for index, axons in enumerate(train):
        if index == len(train) // 2 and "learn" in golden.params:
            # Without learning the output phase closes the step, so stalls stretch it.
            golden.set_param("learn", 0)
            await bench.write("learn", None, 0)
        await bench.run_step(golden, axons, index)
    await bench.check_registers(golden)
    sb = bench.scoreboard
    assert sb.events_checked == golden.counters["out_spikes"] > 0, "the test needs events"
    assert bench.aer_out.stalls > 0 and bench.rsp.stalls > 0, "the sinks never stalled"
    ctx.report("output_backpressure_loses_nothing", events=sb.events_checked,
               aer_out_stalls=bench.aer_out.stalls, rsp_stalls=bench.rsp.stalls,
               steps_stretched=bench.stretched)


@cocotb.test()
async def clear(dut):
    """CLEAR zeroes membranes, currents, refractory counters and traces, drops pending
    recurrent spikes, keeps weights, biases and plasticity (as ``GoldenCore.clear``)."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    rng = np.random.default_rng(ctx.seed)
    golden = random_golden(cfg, rng, activity=0.8)
    golden.bias[:] = min(50, cfg.v_max)     # every neuron driven over threshold by its bias
    golden.params.update(threshold=1, refractory=0, leak_shift=cfg.v_bits)
    train = random_spike_train(cfg, rng, 4, activity=0.8)
    bench = await started(dut, golden)
    sb = bench.scoreboard
    for index, axons in enumerate(train):
        await bench.run_step(golden, axons, index)
    assert golden.last_spikes.any(), "the test needs pending recurrent spikes"
    await bench.command(Opcode.CLEAR)
    golden.clear()
    sb.check_state(bench.clock.cycle, bench.peek_state(), golden.state())
    await bench.run_step(golden, [], len(train))
    await bench.check_registers(golden)


@cocotb.test()
async def registers_round_trip(dut):
    """Every read-write register reads back its lowest, highest and a random value; a
    write zeroes a counter."""
    bench = await started(dut)
    rnd = random.Random(bench.ctx.seed)
    sb = bench.scoreboard
    for entry in bench.regmap:
        if entry.kind != "reg" or entry.access != "rw":
            continue
        lo = -(1 << (entry.width - 1)) if entry.signed else 0
        hi = (1 << (entry.width - 1)) - 1 if entry.signed else (1 << entry.width) - 1
        for value in (lo, hi, rnd.randint(lo, hi)):
            await bench.write(entry.name, None, value)
            sb.check_value(bench.clock.cycle, f"register {entry.name}", value,
                           await bench.read(entry.name), "read after write")
    # A write zeroes a counter, whatever its data (the reads above made cycles count).
    for entry in bench.regmap:
        if entry.access == "wc":
            await bench.write(entry.name, None, 0x5A5A)
            sb.check_value(bench.clock.cycle, f"register {entry.name}", 0,
                           await bench.read(entry.name), "a write zeroes a counter")
