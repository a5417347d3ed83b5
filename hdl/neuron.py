"""The LIF update of one neuron group (``lanes`` neurons), steps 3 to 6 of docs/semantics.md,
as a three-stage pipeline (one adder deep per stage, for the clock rate)."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .arith import decay, saturate, trace_bump
from .faults import check_faults
from .layouts import acc_shape, lanes_of, neuron_state_layout, param_layout

__all__ = ["NeuronPipeline"]


class NeuronPipeline(wiring.Component):
    """Pipelined LIF update of ``cfg.lanes`` neurons; one group enters per cycle.

    The inputs are registered by the caller (they come straight from block RAM registers).
    Stages: (1) decay membrane, current and trace; (2) current plus input, membrane plus
    bias, trace bump; (3) membrane plus drive, saturated, held if refractory. The outputs
    (threshold, reset, refractory, trace choice) are combinational from stage 3,
    :attr:`LATENCY` cycles after the inputs.

    Parameters
    ----------
    cfg : CoreConfig
    faults : collection of str
        Known bugs to inject (tests only).

    Members
    -------
    valid, group : In
        A group enters (its index travels along).
    acc : In(lanes x signed(acc_bits))
    state : In(struct of lanes x field)
        ``v``, ``i``, ``ref``, ``bias``, ``post_trace`` read from memory.
    params : In(param_layout(cfg))
        Stable while groups are in flight.
    learn : In(1)
    out_valid, out_group : Out
    next : Out(struct of lanes x field)
        The state to write back (``bias`` is not: it never changes).
    spike : Out(lanes)
    """

    #: Cycles from a group's inputs to its outputs.
    LATENCY = 3

    def __init__(self, cfg, *, faults=()):
        self._cfg = cfg
        self._faults = check_faults(faults)
        state = neuron_state_layout(cfg)
        group = max(1, (cfg.groups - 1).bit_length())
        super().__init__({
            "valid": In(1),
            "group": In(group),
            "acc": In(lanes_of(acc_shape(cfg), cfg)),
            "state": In(state),
            "params": In(param_layout(cfg)),
            "learn": In(1),
            "out_valid": Out(1),
            "out_group": Out(group),
            "next": Out(neuron_state_layout(cfg, dynamic=True)),
            "spike": Out(cfg.lanes),
        })

    def elaborate(self, platform):
        cfg, p = self._cfg, self.params
        m = Module()
        group_bits = len(self.group)

        def stage(name, fields):
            return Signal(data.StructLayout({"valid": 1, "group": group_bits, **{
                f: lanes_of(shape, cfg) for f, shape in fields.items()}}), name=name)

        v_shape = self.state.v[0].shape()
        fields = {name: getattr(self.state, name)[0].shape()
                  for name in ("v", "i", "ref", "bias", "post_trace")
                  if hasattr(self.state, name)}
        acc = acc_shape(cfg)

        # Each stage register holds what the later stages read, nothing more (an unused
        # register bit would be left dangling in the netlist).
        ref, tr = fields["ref"], fields.get("post_trace")
        learning = {"post_trace": tr} if cfg.stdp else {}


        # Stage 1: the decays.
        leak_shift = p.leak_shift
        if "leak_off_by_one" in self._faults:
            leak_shift = p.leak_shift + 1               # injected bug (tests only)
        s2 = stage("neu_s2", {"acc": acc, "v": v_shape, "ref": ref, "bias": v_shape,
                              **learning, "v_dec": v_shape,
                              **({"i_dec": fields["i"]} if cfg.cuba else {}),
                              **({"tr_dec": tr} if cfg.stdp else {})})
        state = self.state
        m.d.sync += [s2.valid.eq(self.valid), s2.group.eq(self.group), s2.acc.eq(self.acc)]
        for name in ("v", "ref", "bias", *learning):
            m.d.sync += getattr(s2, name).eq(getattr(state, name))
        for lane in range(cfg.lanes):
            m.d.sync += s2.v_dec[lane].eq(decay(state.v[lane], leak_shift, cfg.v_bits))
            if cfg.cuba:
                m.d.sync += s2.i_dec[lane].eq(decay(state.i[lane], p.syn_shift, cfg.i_bits))
            if cfg.stdp:
                m.d.sync += s2.tr_dec[lane].eq(
                    decay(state.post_trace[lane], p.post_trace_shift, cfg.trace_bits))

        # Stage 2: current plus input (saturated), membrane plus bias, the trace's bump.
        s3 = stage("neu_s3", {"v": v_shape, "ref": ref, **learning,
                              "v_part": signed(cfg.v_bits + 1),
                              **({"i": fields["i"]} if cfg.cuba else {"drive": acc}),
                              **({"tr_dec": tr, "tr_bump": tr} if cfg.stdp else {})})
        m.d.sync += [s3.valid.eq(s2.valid), s3.group.eq(s2.group)]
        for name in ("v", "ref", *learning):
            m.d.sync += getattr(s3, name).eq(getattr(s2, name))
        for lane in range(cfg.lanes):
            m.d.sync += s3.v_part[lane].eq(s2.v_dec[lane] + s2.bias[lane])
            if cfg.cuba:
                # Step 3: the current decays, then takes this step's input; saturating.
                m.d.sync += s3.i[lane].eq(saturate(s2.i_dec[lane] + s2.acc[lane],
                                                   fields["i"]))
            else:
                m.d.sync += s3.drive[lane].eq(s2.acc[lane])
            if cfg.stdp:
                bumped = trace_bump(s2.tr_dec[lane], inc=p.trace_inc, nearest=p.trace_mode,
                                    bits=cfg.trace_bits)
                m.d.sync += [s3.tr_dec[lane].eq(s2.tr_dec[lane]),
                             s3.tr_bump[lane].eq(bumped)]

        # Stage 3: the membrane takes the drive, saturated once; held while refractory.
        s4 = stage("neu_s4", {"ref": ref, **learning, "v_new": v_shape,
                              "integrating": unsigned(1),
                              **({"i": fields["i"]} if cfg.cuba else {}),
                              **({"tr_dec": tr, "tr_bump": tr} if cfg.stdp else {})})
        m.d.sync += [s4.valid.eq(s3.valid), s4.group.eq(s3.group)]
        for name in ("ref", *learning, *(("i",) if cfg.cuba else ()),
                     *(("tr_dec", "tr_bump") if cfg.stdp else ())):
            m.d.sync += getattr(s4, name).eq(getattr(s3, name))
        for lane in range(cfg.lanes):
            drive = s3.i[lane] if cfg.cuba else s3.drive[lane]
            v_sum = s3.v_part[lane] + drive
            if "lost_saturation" in self._faults:
                v_int = v_sum                           # injected bug: wraps on assignment
            else:
                v_int = saturate(v_sum, v_shape)
            integrating = s3.ref[lane] == 0
            m.d.sync += [s4.integrating[lane].eq(integrating),
                         s4.v_new[lane].eq(Mux(integrating, v_int, s3.v[lane]))]

        # Outputs: threshold, reset, refractory, the post-trace (step 6, while learning).
        spikes = []
        nxt = self.next
        for lane in range(cfg.lanes):
            v_new = s4.v_new[lane]
            spike = Signal(name=f"spike{lane}")
            m.d.comb += spike.eq(s4.integrating[lane] & (v_new >= p.threshold))
            m.d.comb += [
                nxt.v[lane].eq(Mux(spike, Mux(p.reset_mode, v_new - p.threshold, 0), v_new)),
                nxt.ref[lane].eq(Mux(spike, p.refractory,
                                     Mux(s4.integrating[lane], 0, s4.ref[lane] - 1))),
            ]
            if cfg.cuba:
                m.d.comb += nxt.i[lane].eq(s4.i[lane])
            if cfg.stdp:
                m.d.comb += nxt.post_trace[lane].eq(Mux(
                    self.learn, Mux(spike, s4.tr_bump[lane], s4.tr_dec[lane]),
                    s4.post_trace[lane]))
            spikes.append(spike)
        m.d.comb += [self.spike.eq(Cat(*spikes)), self.out_valid.eq(s4.valid),
                     self.out_group.eq(s4.group)]
        return m
