"""Fast tier, block by block: the combinational lane logic against the golden model.

Each block is simulated with Amaranth's simulator and fed random inputs that include the
extremes of every range, so saturation at both bounds is exercised; the expected values come
from the golden model's functions of the same names.
"""

import numpy as np
import pytest
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.sim import Simulator

from spikecore.config import CoreConfig
from spikecore.golden import fixedpoint
from spikecore.golden.neuron import neuron_update
from spikecore.hdl import arith
from spikecore.hdl.neuron import NeuronPipeline
from spikecore.hdl.stdp import WeightUpdate
from spikecore.regmap import param_fields, param_reset_values


def simulate(dut, body, *, clocked=False):
    sim = Simulator(dut)
    if clocked:
        sim.add_clock(1e-8)

    async def testbench(ctx):
        await body(ctx)
    sim.add_testbench(testbench)
    sim.run()


def extremes(rng, lo, hi, n):
    """``n`` values in [lo, hi]: the bounds, their neighbours, zero and random ones."""
    special = [v for v in (lo, lo + 1, -1, 0, 1, hi - 1, hi) if lo <= v <= hi]
    return np.concatenate([special, rng.integers(lo, hi + 1, size=max(0, n - len(special)))])


@pytest.mark.parametrize("width, is_signed", [(5, True), (6, False), (4, True)])
def test_decay_exhaustive(width, is_signed):
    """hdl.arith.decay equals golden decay for every value and every shift (off included)."""
    shape = signed(width) if is_signed else unsigned(width)
    x = Signal(shape)
    shift = Signal(range(width + 3))
    y = Signal(shape)
    m = Module()
    m.d.comb += y.eq(arith.decay(x, shift, width))
    lo = -(1 << (width - 1)) if is_signed else 0
    hi = (1 << (width - 1)) - 1 if is_signed else (1 << width) - 1

    async def body(ctx):
        for s in range(width + 3):
            for value in range(lo, hi + 1):
                ctx.set(x, value)
                ctx.set(shift, s)
                expected = int(fixedpoint.decay(value, s, width))
                assert ctx.get(y) == expected, f"decay({value}, {s}, {width})"
    simulate(m, body)


@pytest.mark.parametrize("seed", [1, 2], indirect=True)
def test_trace_update(seed):
    """hdl.arith.trace_update equals the golden rule in both modes, saturation included."""
    rng = np.random.default_rng(seed)
    bits = 6
    trace, spiked, inc, nearest = (Signal(bits), Signal(), Signal(bits), Signal())
    shift = Signal(range(bits + 2))
    out = Signal(bits)
    m = Module()
    # The hardware's trace update: decay, then (on a spike) the bump.
    decayed = arith.decay(trace, shift, bits)
    bumped = arith.trace_bump(decayed, inc=inc, nearest=nearest, bits=bits)
    m.d.comb += out.eq(Mux(spiked, bumped, decayed))

    async def body(ctx):
        for x in extremes(rng, 0, 63, 200):
            s, k, mode, fire = (int(rng.integers(0, bits + 2)), int(rng.integers(1, 64)),
                                int(rng.integers(0, 2)), int(rng.integers(0, 2)))
            for sig, value in ((trace, int(x)), (spiked, fire), (inc, k), (nearest, mode),
                               (shift, s)):
                ctx.set(sig, value)
            expected = int(fixedpoint.trace_update(
                int(x), bool(fire), shift=s, inc=k, bits=bits,
                mode=("all_to_all", "nearest")[mode]))
            assert ctx.get(out) == expected, (int(x), fire, s, k, mode)
    simulate(m, body)


def random_params(rng, cfg):
    """Random values for every parameter register, off-codes and extremes included."""
    params = param_reset_values(cfg)
    for name, (width, is_signed, _) in param_fields(cfg).items():
        lo = -(1 << (width - 1)) if is_signed else 0
        hi = (1 << (width - 1)) - 1 if is_signed else (1 << width) - 1
        params[name] = int(rng.integers(lo, hi + 1))
    # (w_min > w_max included: the clamp's order is specified for it too.)
    return params


def neuron_cases():
    return [
        CoreConfig(n_axons=4, n_neurons=4, lanes=4, v_bits=8, i_bits=6, ref_bits=2,
                   threshold=20, trace_bits=4, rate_bits=2, ltp_shift=2, ltd_shift=2,
                   trace_inc=5, pre_trace_shift=2, post_trace_shift=2),
        CoreConfig(n_axons=30, n_neurons=6, lanes=3, recurrent=True, v_bits=10,
                   threshold=100),
        CoreConfig(n_axons=4, n_neurons=2, lanes=2, stdp=False, learn=False, v_bits=6,
                   threshold=5, weight_bits=4),
    ]


@pytest.mark.parametrize("cfg", neuron_cases(), ids=["cuba", "recurrent", "nostdp"])
@pytest.mark.parametrize("seed", [3], indirect=True)
def test_neuron_update(cfg, seed):
    """NeuronPipeline (one group of lanes) equals golden neuron_update, state by state; the
    result leaves LATENCY cycles after the inputs, with its group index."""
    rng = np.random.default_rng(seed)
    dut = NeuronPipeline(cfg)
    fields = [name for name in ("v", "i", "ref", "bias", "post_trace")
              if hasattr(dut.state, name)]
    ranges = {"v": (cfg.v_min, cfg.v_max), "bias": (cfg.v_min, cfg.v_max),
              "i": (cfg.i_min, cfg.i_max), "ref": (0, (1 << cfg.ref_bits) - 1),
              "post_trace": (0, cfg.trace_max)}
    acc_lo, acc_hi = -(1 << (cfg.acc_bits - 1)), (1 << (cfg.acc_bits - 1)) - 1

    async def body(ctx):
        for trial in range(150):
            params = random_params(rng, cfg)
            # Bias the refractory counter toward 0 so that most lanes integrate.
            # Each element: random in its range, or one of its bounds or zero.
            state = {name: np.array([int(rng.integers(lo, hi + 1)) if rng.random() < 0.5
                                     else int(rng.choice([lo, hi, 0]))
                                     for _ in range(cfg.lanes)], dtype=np.int64)
                     for name, (lo, hi) in ((n, ranges[n]) for n in fields)}
            if rng.random() < 0.7:
                state["ref"][:] = 0
            acc = np.array([int(rng.choice([acc_lo, acc_hi, 0])) if rng.random() < 0.3
                            else int(rng.integers(acc_lo, acc_hi + 1))
                            for _ in range(cfg.lanes)], dtype=np.int64)
            learn = bool(rng.integers(0, 2)) and cfg.stdp
            for name, value in params.items():
                ctx.set(getattr(dut.params, name), value)
            ctx.set(dut.learn, learn)
            for lane in range(cfg.lanes):
                ctx.set(dut.acc[lane], int(acc[lane]))
                for name in fields:
                    ctx.set(getattr(dut.state, name)[lane], int(state[name][lane]))
            group = trial % cfg.groups
            ctx.set(dut.group, group)
            ctx.set(dut.valid, 1)
            await ctx.tick()
            ctx.set(dut.valid, 0)
            for _ in range(NeuronPipeline.LATENCY - 1):
                assert not ctx.get(dut.out_valid)
                await ctx.tick()
            assert ctx.get(dut.out_valid) and ctx.get(dut.out_group) == group
            expected, spikes = neuron_update(cfg, params, state, acc, learn=learn)
            got_spikes = ctx.get(dut.spike)
            for lane in range(cfg.lanes):
                where = f"trial {trial} lane {lane} params {params} state " \
                        f"{ {n: int(state[n][lane]) for n in fields} } acc {int(acc[lane])}"
                assert (got_spikes >> lane) & 1 == int(spikes[lane]), where
                for name in fields:
                    if name == "bias":
                        continue            # a timestep never changes the bias
                    got = ctx.get(getattr(dut.next, name)[lane])
                    assert got == int(expected[name][lane]), f"{name}: {where}"
            await ctx.tick()
    simulate(dut, body, clocked=True)


@pytest.mark.parametrize("depress", [True, False], ids=["depress", "potentiate"])
@pytest.mark.parametrize("seed", [4], indirect=True)
def test_weight_update(depress, seed):
    """WeightUpdate equals clamp(w -/+ (trace*rate >> shift), w_min, w_max), per lane."""
    rng = np.random.default_rng(seed)
    cfg = CoreConfig(n_axons=2, n_neurons=4, lanes=4, weight_bits=6, trace_bits=5,
                     rate_bits=3)
    dut = WeightUpdate(cfg, depress=depress)
    m = Module()
    m.submodules.dut = dut

    async def body(ctx):
        for _ in range(200):
            w = extremes(rng, cfg.weight_min, cfg.weight_max, 7)[rng.permutation(7)[:4]]
            # lo > hi too: the clamp tests lo first (docs/semantics.md), like golden
            lo, hi = (int(v) for v in rng.integers(cfg.weight_min, cfg.weight_max + 1,
                                                   size=2))
            ctx.set(dut.params.w_min, lo)
            ctx.set(dut.params.w_max, hi)
            x, r, s = (int(rng.integers(0, 32)), int(rng.integers(0, 8)),
                       int(rng.integers(0, cfg.dw_bits + 2)))
            step = (x * r) >> s             # the engine's product and shift stages
            for lane in range(4):
                ctx.set(dut.w[lane], int(w[lane]))
                if depress:
                    ctx.set(dut.dw[lane], step)
            if not depress:
                ctx.set(dut.dw, step)
            expected = fixedpoint.weight_update(w, -step if depress else step, lo, hi)
            for lane in range(4):
                assert ctx.get(dut.next[lane]) == int(expected[lane]), (w, step, lo, hi)
    simulate(m, body)


def test_saturate_and_clamp():
    """saturate() clamps to a shape's range, signed and unsigned, at both bounds."""
    x = Signal(signed(10))
    s4, u3 = Signal(signed(4)), Signal(unsigned(3))
    m = Module()
    m.d.comb += [s4.eq(arith.saturate(x, signed(4))), u3.eq(arith.saturate(x, unsigned(3)))]

    async def body(ctx):
        for value in range(-512, 512):
            ctx.set(x, value)
            assert ctx.get(s4) == int(fixedpoint.saturate(value, 4))
            assert ctx.get(u3) == min(max(value, 0), 7)
    simulate(m, body)
