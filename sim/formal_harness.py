"""Formal harnesses: the blocks of the core wrapped with ``Assert``/``Assume``/``Cover``.

Each builder returns a :class:`Harness`: an elaboratable whose free inputs are its ports (the
solver chooses them every cycle) and whose properties carry their name as the message (the
runner renames each ``$check`` cell after it, so SymbiYosys reports properties by name).
Every harness is built from :data:`FORMAL_CONFIG`, a core small enough for fast proofs; the
widths all derive from it, as in the generated core. ``broken`` selects a deliberately wrong
variant (:data:`MUTANTS`) that the proofs must reject. docs/verification.md lists the
properties and what each assumes.
"""

from amaranth.hdl import (Assert, Assume, Const, Cover, Elaboratable, Module, Mux, ResetSignal,
                          Signal, Value)
from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from spikecore.config import CoreConfig
from spikecore.golden.cycles import step_timing
from spikecore.hdl.arith import clamp, decay, saturate, trace_bump
from spikecore.hdl.command import CommandUnit
from spikecore.hdl.engine import AccessOp, Engine
from spikecore.hdl.layouts import acc_shape, lanes_of, neuron_state_layout, param_layout
from spikecore.hdl.neuron import NeuronPipeline
from spikecore.hdl.stdp import WeightUpdate
from spikecore.regmap import Opcode, Status, build_regmap, param_reset_values

__all__ = ["FORMAL_CONFIG", "MUTANTS", "Harness", "check_mutant", "arith_harness",
           "command_harness", "engine_harness", "step_bounds"]

#: The core the proofs run on: every feature (CUBA, STDP) on, 2 axons x 2 neurons in one
#: group of 2 lanes, narrow widths. Bias equals threshold, so every neuron spikes in the
#: first timestep and learning has something to do.
FORMAL_CONFIG = CoreConfig(
    n_axons=2, n_neurons=2, recurrent=False, lanes=2,
    weight_bits=4, v_bits=6, i_bits=5, ref_bits=2, trace_bits=3, rate_bits=2, timestep_bits=3,
    threshold=8, reset="zero", refractory=1, bias=8, leak_shift=2, syn_shift=1,
    learn=True, plastic=True, trace_mode="all_to_all", trace_inc=2,
    pre_trace_shift=1, post_trace_shift=1, ltp_rate=1, ltp_shift=0, ltd_rate=1, ltd_shift=2,
    w_min=-6, w_max=6)

#: Deliberately broken variants, by name: a fault of the design (hdl/faults.py) or a wrong
#: harness, each the twin of one property group.
MUTANTS = {
    "lost_saturation": "design fault: the membrane sum wraps instead of saturating",
    "stdp_sign_flip": "design fault: potentiation subtracts its weight change",
    "rsp_payload_late": "the response payload reaches the port one cycle after valid",
    "opcode_alias": "the decoder ignores the opcode's top bit (5..7 alias to 1..3)",
    "short_bound": "the timestep is required to end one cycle before the cycle model says",
    "learning_off": "learning disabled: no weight can change",
}


def check_mutant(broken):
    """``broken`` if it is ``None`` or a key of :data:`MUTANTS`, else :exc:`ValueError`."""
    if broken is not None and broken not in MUTANTS:
        raise ValueError(f"unknown mutant {broken!r}; known: {', '.join(MUTANTS)}")
    return broken


class Harness(Elaboratable):
    """A module with properties, and the free inputs that become its ports.

    Parameters
    ----------
    module : Module
    inputs : list of Value
        Undriven signals the solver chooses each cycle.
    """

    def __init__(self, module, inputs):
        self.module = module
        self.inputs = list(inputs)

    def elaborate(self, platform):
        return self.module


class _Builder:
    """Collects free inputs and the registers that remember last cycle's values."""

    def __init__(self):
        self.m = Module()
        self.inputs = []
        # A free reset would restart the design at any cycle; the proofs run without one.
        self.m.d.comb += Assume(~ResetSignal("sync"))

    def free(self, shape, name):
        signal = Signal(shape, name=name)
        self.inputs.append(signal.as_value() if isinstance(signal, data.View) else signal)
        return signal

    def past(self, value, name, init=0):
        """``value`` one cycle ago (``init`` in the first cycle)."""
        value = value.as_value() if isinstance(value, data.View) else Value.cast(value)
        register = Signal(value.shape(), name=name, init=init)
        self.m.d.sync += register.eq(value)
        return register

    def constant(self, value, name):
        """Assume ``value`` never changes."""
        value = value.as_value() if isinstance(value, data.View) else value
        primed = self.past(Const(1), f"{name}_primed")
        self.m.d.comb += Assume(~primed | (value == self.past(value, f"{name}_past")))

    def stream_rule(self, stream, name, check):
        """While ``valid`` and not ``ready``, ``valid`` stays high and the payload stable;
        ``check`` is :class:`Assert` (an output) or :class:`Assume` (an input)."""
        payload = stream.payload
        payload = payload.as_value() if isinstance(payload, data.View) else payload
        waiting = self.past(stream.valid & ~stream.ready, f"{name}_waiting")
        held = self.past(payload, f"{name}_held")
        self.m.d.comb += check(~waiting | (stream.valid & (payload == held)), f"{name}_hold")

    def harness(self):
        return Harness(self.m, self.inputs)


# -- reference formulas (written independently of hdl/arith.py) ---------------------------
def _clamp_ref(x, lo, hi):
    return Mux(x > hi, hi, Mux(x < lo, lo, x))


def _decay_ref(x, shift, width):
    """``x`` minus ``ceil(|x| / 2**shift)`` toward zero; ``shift >= width`` keeps ``x``."""
    x = Value.cast(x)
    magnitude = Mux(x < 0, -x, x)
    step = (magnitude + (Const(1, 1) << shift) - 1) >> shift
    return Mux(shift >= width, x, Mux(x < 0, x + step, x - step))


# -- arith: the fixed-point functions, the neuron update, the weight update -------------
def arith_harness(cfg=FORMAL_CONFIG, *, broken=None):
    """Saturating arithmetic, :class:`NeuronPipeline` and :class:`WeightUpdate` against
    reference formulas, for any inputs (parameters constant, weights within the clamp)."""
    check_mutant(broken)
    faults = {broken} if broken in ("lost_saturation", "stdp_sign_flip") else set()
    b = _Builder()
    _functions(b, cfg)
    _neuron(b, cfg, faults)
    _weights(b, cfg, faults)
    return b.harness()


def _functions(b, cfg):
    m, v = b.m, signed(cfg.v_bits)
    wide = b.free(signed(cfg.v_bits + 3), "fn_wide")
    m.d.comb += Assert(saturate(wide, v) == _clamp_ref(wide, cfg.v_min, cfg.v_max),
                       "saturate_signed")
    m.d.comb += Assert(saturate(wide, unsigned(cfg.trace_bits)) ==
                       _clamp_ref(wide, 0, cfg.trace_max), "saturate_to_unsigned")
    uwide = b.free(unsigned(cfg.trace_bits + 2), "fn_uwide")
    m.d.comb += Assert(saturate(uwide, unsigned(cfg.trace_bits)) ==
                       Mux(uwide > cfg.trace_max, cfg.trace_max, uwide), "saturate_unsigned")
    value = b.free(signed(cfg.weight_bits + 1), "fn_value")
    lo, hi = b.free(signed(cfg.weight_bits), "fn_lo"), b.free(signed(cfg.weight_bits), "fn_hi")
    clamped = clamp(value, lo, hi)
    m.d.comb += Assert((lo > hi) | ((clamped >= lo) & (clamped <= hi)), "clamp_in_range")
    x = b.free(v, "fn_x")
    shift = b.free(unsigned(max(1, cfg.v_bits.bit_length())), "fn_shift")
    decayed = decay(x, shift, cfg.v_bits)
    m.d.comb += Assert(decayed == _decay_ref(x, shift, cfg.v_bits), "decay_ref")
    m.d.comb += Assert(Mux(x >= 0, (decayed >= 0) & (decayed <= x), (decayed <= 0) &
                           (decayed >= x)), "decay_toward_zero")
    trace = b.free(unsigned(cfg.trace_bits), "fn_trace")
    tshift = b.free(unsigned(max(1, cfg.trace_bits.bit_length())), "fn_tshift")
    m.d.comb += Assert(decay(trace, tshift, cfg.trace_bits) ==
                       _decay_ref(trace, tshift, cfg.trace_bits), "decay_trace_ref")
    inc, nearest = b.free(unsigned(cfg.trace_bits), "fn_inc"), b.free(1, "fn_nearest")
    bumped = trace_bump(trace, inc=inc, nearest=nearest, bits=cfg.trace_bits)
    m.d.comb += Assert(bumped == Mux(nearest, inc, Mux(trace + inc > cfg.trace_max,
                                                       cfg.trace_max, trace + inc)),
                       "trace_bump_ref")


def _neuron(b, cfg, faults):
    """Each group leaving the pipeline equals the reference LIF update of its inputs."""
    m = b.m
    m.submodules.neuron = dut = NeuronPipeline(cfg, faults=faults)
    inputs = data.StructLayout({"valid": 1, "acc": lanes_of(acc_shape(cfg), cfg),
                                "state": neuron_state_layout(cfg)})
    now = b.free(inputs, "neu_in")
    p = b.free(param_layout(cfg), "neu_params")
    learn = b.free(1, "neu_learn")
    b.constant(p, "neu_params")
    b.constant(learn, "neu_learn")
    # No assumption on the threshold: its register is unsigned, so `v - threshold` after a
    # spike cannot overflow. (It was signed once; the proof found the wrap.)
    m.d.comb += [dut.valid.eq(now.valid), dut.acc.eq(now.acc), dut.state.eq(now.state),
                 dut.params.eq(p), dut.learn.eq(learn)]
    then = now
    for k in range(NeuronPipeline.LATENCY):
        later = Signal(inputs, name=f"neu_in_d{k + 1}")
        m.d.sync += later.eq(then)
        then = later
    m.d.comb += Assert(dut.out_valid == then.valid, "neuron_valid")
    s = then.state
    for lane in range(cfg.lanes):
        i_dec = _decay_ref(s.i[lane], p.syn_shift, cfg.i_bits)
        i_new = _clamp_ref(i_dec + then.acc[lane], cfg.i_min, cfg.i_max)
        v_sum = _decay_ref(s.v[lane], p.leak_shift, cfg.v_bits) + s.bias[lane] + i_new
        integrating = s.ref[lane] == 0
        v_new = Mux(integrating, _clamp_ref(v_sum, cfg.v_min, cfg.v_max), s.v[lane])
        spike = integrating & (v_new >= p.threshold)
        v_next = Mux(spike, Mux(p.reset_mode, v_new - p.threshold, 0), v_new)
        ref_next = Mux(spike, p.refractory, Mux(integrating, 0, s.ref[lane] - 1))
        tr_dec = _decay_ref(s.post_trace[lane], p.post_trace_shift, cfg.trace_bits)
        bumped = Mux(p.trace_mode, p.trace_inc,
                     _clamp_ref(tr_dec + p.trace_inc, 0, cfg.trace_max))
        tr_next = Mux(learn, Mux(spike, bumped, tr_dec), s.post_trace[lane])
        out = dut.next
        for name, got, want in (("v", out.v[lane], v_next), ("i", out.i[lane], i_new),
                                ("ref", out.ref[lane], ref_next),
                                ("trace", out.post_trace[lane], tr_next),
                                ("spike", dut.spike[lane], spike)):
            m.d.comb += Assert(~then.valid | (got == want), f"neuron_{name}_lane{lane}")
        if lane == 0:
            live = then.valid & integrating
            m.d.comb += [
                Cover(live & (v_sum > cfg.v_max), "membrane_saturates_high"),
                Cover(live & (v_sum < cfg.v_min), "membrane_saturates_low"),
                Cover(then.valid & (i_dec + then.acc[lane] > cfg.i_max), "current_saturates"),
                Cover(then.valid & ~integrating, "refractory_hold"),
                Cover(then.valid & spike, "neuron_spikes"),
            ]


def _weights(b, cfg, faults):
    """A weight word within ``[w_min, w_max]`` stays there after any update: the inductive
    step of "weights stay in range after any sequence of learning updates"."""
    m = b.m
    p = b.free(param_layout(cfg), "w_params")
    m.d.comb += Assume(p.w_min <= p.w_max)
    for depress in (True, False):
        kind = "depress" if depress else "potentiate"
        dut = WeightUpdate(cfg, depress=depress, faults=faults)
        m.submodules[kind] = dut
        w = b.free(dut.w.shape(), f"{kind}_w")
        dw = b.free(dut.dw.shape(), f"{kind}_dw")
        m.d.comb += [dut.w.eq(w), dut.dw.eq(dw), dut.params.eq(p)]
        for lane in range(cfg.lanes):
            m.d.comb += Assume((w[lane] >= p.w_min) & (w[lane] <= p.w_max))
            got = dut.next[lane]
            change = dw[lane] if depress else dw
            target = w[lane] - change if depress else w[lane] + change
            m.d.comb += [
                Assert((got >= p.w_min) & (got <= p.w_max), f"weight_{kind}_range_lane{lane}"),
                Assert(got == _clamp_ref(target, p.w_min, p.w_max),
                       f"weight_{kind}_ref_lane{lane}"),
            ]


# -- the command unit: response/access streams, bad commands -----------------------------
def command_harness(cfg=FORMAL_CONFIG, *, broken=None):
    """:class:`CommandUnit` with a free engine side (any ``busy``, read data, events,
    ``access.ready``): its output streams follow valid/ready, and a command with a bad
    opcode or address is answered with an error at once and changes nothing."""
    check_mutant(broken)
    b = _Builder()
    m = b.m
    m.submodules.command = dut = CommandUnit(cfg)
    cmd_valid, cmd = b.free(1, "cmd_valid"), b.free(dut.cmd.payload.shape(), "cmd_payload")
    m.d.comb += [dut.cmd.valid.eq(cmd_valid), dut.cmd.payload.eq(cmd)]
    if broken == "opcode_alias":
        m.d.comb += dut.cmd.payload.op.eq(cmd.op[:2])     # the decoder loses the top bit
    for name in ("rsp", "access"):
        port = getattr(dut, name)
        m.d.comb += port.ready.eq(b.free(1, f"{name}_ready"))
    m.d.comb += [dut.rdata.eq(b.free(len(dut.rdata), "rdata")),
                 dut.busy.eq(b.free(1, "busy")),
                 dut.events.eq(b.free(len(dut.events.as_value()), "events"))]
    b.stream_rule(_Port(valid=cmd_valid, ready=dut.cmd.ready, payload=cmd), "cmd", Assume)
    rsp = dut.rsp
    if broken == "rsp_payload_late":
        rsp = _Port(valid=rsp.valid, ready=rsp.ready, payload=b.past(rsp.payload, "rsp_late"))
    b.stream_rule(rsp, "rsp", Assert)
    b.stream_rule(dut.access, "access", Assert)
    _bad_commands(b, cfg, dut, cmd_valid, cmd)
    return b.harness()


class _Port:
    def __init__(self, **signals):
        self.__dict__.update(signals)


def _bad_commands(b, cfg, dut, cmd_valid, cmd):
    m = b.m
    regmap = build_regmap(cfg)
    readable, writable = [], []
    for entry in regmap:
        if entry.index is None:
            addresses = [entry.base]
        elif entry.index == "synapse":
            addresses = [regmap.address(entry.name, (r, n)) for r in range(cfg.n_rows)
                         for n in range(cfg.n_neurons)]
        else:
            limit = cfg.n_neurons if entry.index == "neuron" else cfg.n_rows
            addresses = [regmap.address(entry.name, k) for k in range(limit)]
        readable += addresses
        if entry.writable:
            writable += addresses

    def one_of(addresses):
        return _any([cmd.addr == a for a in addresses])

    known_op = cmd.op <= max(Opcode)
    bad_addr = Mux(cmd.op == Opcode.READ, ~one_of(readable),
                   Mux(cmd.op == Opcode.WRITE, ~one_of(writable), 0))
    expected = Mux(~known_op, Status.BAD_OPCODE, Status.BAD_ADDR)
    accepted = cmd_valid & dut.cmd.ready
    done = dut.rsp.valid & dut.rsp.ready
    # The harness's view of the command in flight: is it bad, what must it be answered?
    bad = Signal(name="bad_in_flight")
    want = Signal(Status, name="bad_status")
    with m.If(accepted):
        m.d.sync += [bad.eq(~known_op | bad_addr), want.eq(expected)]
    with m.Elif(done):
        m.d.sync += bad.eq(0)
    just_accepted = b.past(accepted, "just_accepted")
    params = Signal.like(dut.params, name="params_at_accept")
    with m.If(accepted):
        m.d.sync += params.eq(dut.params)
    m.d.comb += [
        Assert(~bad | ~dut.access.valid, "bad_cmd_no_access"),
        Assert(~bad | (dut.params.as_value() == params.as_value()), "bad_cmd_params_kept"),
        Assert(~bad | just_accepted | dut.rsp.valid, "bad_cmd_answered_at_once"),
        Assert(~(bad & dut.rsp.valid) | (dut.rsp.payload.status == want), "bad_cmd_status"),
        Assert(~(bad & dut.rsp.valid) | dut.error, "bad_cmd_flagged"),
    ]


def _any(values):
    result = values[0]
    for value in values[1:]:
        result = result | value
    return result


# -- the engine: AER streams, the schedule, reachability ---------------------------------
def step_bounds(cfg=FORMAL_CONFIG):
    """Busy cycles of a first timestep by the number of rows active (all neurons spike,
    learning on, as in :data:`FORMAL_CONFIG`), and the longest step of any spike pattern."""
    first = [step_timing(cfg, n_rows_active=r, spikes=[True] * cfg.n_neurons,
                         learn=cfg.learn).cycles for r in range(cfg.n_axons + 1)]
    longest = max(step_timing(cfg, n_rows_active=r, learn=learn,
                              spikes=[bool(bits >> n & 1) for n in range(cfg.n_neurons)]).cycles
                  for r in range(cfg.n_rows + 1) for learn in (False, True)
                  for bits in range(1 << cfg.n_neurons))
    return first, longest


def engine_harness(cfg=FORMAL_CONFIG, *, parts=("streams", "liveness", "cover"), broken=None):
    """:class:`Engine` from reset with its power-on parameters, any AER input and START
    requests.

    ``parts`` selects the properties: ``"streams"``: the AER streams follow valid/ready and
    every accepted input event is accounted for once (any ``aer_out.ready``);
    ``"liveness"``: a first timestep lasts exactly the cycle model's count and no step stays
    busy longer than the longest one; ``"cover"``: a spike, a refractory neuron, a learned
    weight. The last two assume an output sink that is always ready, as the cycle model does.
    """
    check_mutant(broken)
    b = _Builder()
    m = b.m
    engine = Engine(cfg)
    # Elaborated here, so that the covers can see its memory ports.
    m.submodules.engine = engine.elaborate(None)
    engine._MustUse__silence = True
    values = param_reset_values(cfg)
    if broken == "learning_off":
        values["learn"] = 0
    m.d.comb += engine.params.eq(param_layout(cfg).const(values))
    timestep = Signal(cfg.timestep_bits)
    with m.If(engine.events.step_done):
        m.d.sync += timestep.eq(timestep + 1)
    m.d.comb += engine.timestep.eq(timestep)
    # Requests: START only (memory access is the command unit's business, proved there).
    access_valid = b.free(1, "access_valid")
    m.d.comb += [engine.access.valid.eq(access_valid),
                 engine.access.payload.op.eq(AccessOp.START)]
    b.stream_rule(_Port(valid=access_valid, ready=engine.access.ready,
                        payload=Const(AccessOp.START, 2)), "access", Assume)
    aer_valid, axon = b.free(1, "aer_in_valid"), b.free(engine.aer_in.payload.shape(), "aer_in")
    m.d.comb += [engine.aer_in.valid.eq(aer_valid), engine.aer_in.payload.eq(axon)]
    b.stream_rule(_Port(valid=aer_valid, ready=engine.aer_in.ready, payload=axon), "aer_in",
                  Assume)
    stalls = "streams" in parts
    m.d.comb += engine.aer_out.ready.eq(b.free(1, "aer_out_ready") if stalls else 1)
    if stalls:
        b.stream_rule(engine.aer_out, "aer_out", Assert)
        _aer_accounting(b, cfg, engine, aer_valid, axon)
    if "liveness" in parts:
        _schedule(b, cfg, engine, access_valid, broken)
    if "cover" in parts:
        _engine_covers(b, cfg, engine)
    return b.harness()


def _aer_accounting(b, cfg, engine, aer_valid, axon):
    """Each accepted event is dropped and counted at once (bad axon) or, later, counted once
    as new or merged; the engine is not ready for the next one before it has."""
    m, ev = b.m, engine.events
    taken = aer_valid & engine.aer_in.ready
    in_range = axon < cfg.n_axons
    # Events accepted and not yet accounted; wraps to 3 if one were accounted twice.
    outstanding = Signal(2, name="aer_outstanding")
    m.d.sync += outstanding.eq(outstanding + (taken & in_range) - (ev.in_spike | ev.dup_spike))
    m.d.comb += [
        Assert(ev.bad_axon == (taken & ~in_range), "aer_bad_axon_counted"),
        Assert(outstanding <= 1, "aer_event_not_duplicated"),
        Assert(~(engine.aer_in.ready | engine.access.ready) | (outstanding == 0),
               "aer_event_not_lost"),
        Assert(~(ev.in_spike & ev.dup_spike), "aer_event_once"),
        Assert(~engine.aer_in.ready | ~engine.busy, "aer_backpressure_while_busy"),
        Assert(~engine.aer_out.valid | (engine.aer_out.payload.neuron < cfg.n_neurons),
               "aer_out_neuron_in_range"),
    ]


def _schedule(b, cfg, engine, access_valid, broken):
    m = b.m
    first, longest = step_bounds(cfg)
    started = access_valid & engine.access.ready
    rows = Signal(range(cfg.n_axons + 1), name="rows_active")
    with m.If(engine.events.in_spike):
        m.d.sync += rows.eq(rows + 1)
    first_step = Signal(name="first_step")            # the first START was taken
    steps = Signal(range(2), name="steps_started")
    # The engine's cycle count of golden/cycles.py: 0 is the cycle that takes the START.
    t = Signal(range(max(first) + 3), name="step_cycle")
    expected = Signal.like(t, name="step_expected")
    with m.If(started & (steps == 0)):
        m.d.sync += [first_step.eq(1), steps.eq(1), t.eq(1),
                     expected.eq(Value.cast(_table(first, rows)) - (broken == "short_bound"))]
    with m.Elif(first_step & (t < max(first) + 2)):
        m.d.sync += t.eq(t + 1)
    with m.Elif(first_step):
        m.d.sync += first_step.eq(0)
    measuring = first_step & (t >= 1)
    m.d.comb += [
        Assert(~measuring | (t > expected) | engine.busy, "step_busy_until_bound"),
        Assert(~measuring | (engine.events.step_done == (t == expected)), "step_done_on_time"),
        Assert(~measuring | (t != expected + 1) | ~engine.busy, "step_idle_after_bound"),
    ]
    run = Signal(range(longest + 2), name="busy_run")
    with m.If(engine.busy):
        m.d.sync += run.eq(Mux(run == longest + 1, run, run + 1))
    with m.Else():
        m.d.sync += run.eq(0)
    m.d.comb += Assert(run <= longest, "never_stuck_busy")


def _table(values, index):
    result = Const(values[-1], range(max(values) + 1))
    for k in reversed(range(len(values) - 1)):
        result = Mux(index == k, values[k], result)
    return result


def _engine_covers(b, cfg, engine):
    m, wr = b.m, engine.mem.wr
    m.d.comb += [
        Cover(engine.aer_out.valid & engine.aer_out.ready, "spike_emitted"),
        Cover(engine.events.step_done, "step_completed"),
        Cover(wr["ref"].en.any() & (wr["ref"].data.as_value() != 0), "refractory_entered"),
        # Weights start at zero and the host cannot write while busy: a nonzero weight
        # written during a step is a learned one.
        Cover(engine.busy & wr["weight"].en.any() & (wr["weight"].data.as_value() != 0),
              "weight_learned"),
    ]
