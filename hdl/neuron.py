"""The LIF update of one neuron group (``lanes`` neurons), steps 3 to 6 of docs/semantics.md."""

from amaranth.hdl import Module, Mux, Signal, Cat
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .arith import saturate, decay, trace_update
from .faults import check_faults
from .layouts import acc_shape, lanes_of, neuron_state_layout, param_layout

__all__ = ["NeuronUpdate"]


class NeuronUpdate(wiring.Component):
    """Combinational LIF update of ``cfg.lanes`` neurons.

    Parameters
    ----------
    cfg : CoreConfig

    Members
    -------
    acc : In(lanes x signed(acc_bits))
        The synaptic input accumulated this step.
    state : In(struct of lanes x field)
        The neuron state read from memory (``v``, ``i``, ``ref``, ``bias``, ``post_trace``).
    params : In(param_layout(cfg))
    learn : In(1)
        Whether traces update this step.
    next : Out(struct of lanes x field)
        The state to write back (``bias`` passes through).
    spike : Out(lanes)
        Which lanes spiked.
    """

    def __init__(self, cfg, *, faults=()):
        self._cfg = cfg
        self._faults = check_faults(faults)
        state = neuron_state_layout(cfg)
        super().__init__({
            "acc": In(lanes_of(acc_shape(cfg), cfg)),
            "state": In(state),
            "params": In(param_layout(cfg)),
            "learn": In(1),
            "next": Out(state),
            "spike": Out(cfg.lanes),
        })

    def elaborate(self, platform):
        cfg, p = self._cfg, self.params
        m = Module()
        spikes = []
        for lane in range(cfg.lanes):
            s, nxt = self.state, self.next
            acc = self.acc[lane]
            if cfg.cuba:
                # Step 3: the current decays, then takes this step's input; saturating.
                i_next = saturate(decay(s.i[lane], p.syn_shift, cfg.i_bits) + acc,
                                  s.i[lane].shape())
                m.d.comb += nxt.i[lane].eq(i_next)
                drive = i_next
            else:
                drive = acc
            # Step 4: leak + drive + bias in full width, then one saturation.
            integrating = s.ref[lane] == 0
            leak_shift = p.leak_shift
            if "leak_off_by_one" in self._faults:
                leak_shift = p.leak_shift + 1           # injected bug (tests only)
            v_sum = decay(s.v[lane], leak_shift, cfg.v_bits) + drive + s.bias[lane]
            if "lost_saturation" in self._faults:
                v_int = v_sum                           # injected bug: wraps on assignment
            else:
                v_int = saturate(v_sum, s.v[lane].shape())
            v_new = Signal(s.v[lane].shape(), name=f"v_new{lane}")
            m.d.comb += v_new.eq(Mux(integrating, v_int, s.v[lane]))
            # Step 5: threshold, reset, refractory.
            spike = Signal(name=f"spike{lane}")
            m.d.comb += spike.eq(integrating & (v_new >= p.threshold))
            m.d.comb += [
                nxt.v[lane].eq(Mux(spike, Mux(p.reset_mode, v_new - p.threshold, 0), v_new)),
                nxt.ref[lane].eq(Mux(spike, p.refractory,
                                     Mux(integrating, 0, s.ref[lane] - 1))),
                nxt.bias[lane].eq(s.bias[lane]),
            ]
            if cfg.stdp:
                # Step 6: the postsynaptic trace (only while learning).
                m.d.comb += nxt.post_trace[lane].eq(Mux(
                    self.learn,
                    trace_update(s.post_trace[lane], spike, shift=p.post_trace_shift,
                                 inc=p.trace_inc, nearest=p.trace_mode, bits=cfg.trace_bits),
                    s.post_trace[lane]))
            spikes.append(spike)
        m.d.comb += self.spike.eq(Cat(*spikes))
        return m

