"""Hand-derived timestep cases for the golden model (golden/model.py, golden/cycles.py).

Each expected value is derived by hand from docs/semantics.md in the comment next to it.
Configs are tiny and built by hand; weights, state and parameters are set directly.
"""

from fractions import Fraction

import numpy as np
import pytest

from spikecore.config import CoreConfig
from spikecore.golden import GoldenCore, StepTiming, step_timing
from spikecore.golden import cycles
from spikecore.regmap import StatusBit


def make(**kw):
    """A small core: 2 axons x 1 neuron, no leak, no learning unit, threshold 50."""
    fields = dict(n_axons=2, n_neurons=1, lanes=1, weight_bits=8, v_bits=12, threshold=50,
                  reset="zero", refractory=0, bias=0, leak_shift="off", stdp=False,
                  learn=False)
    fields.update(kw)
    return GoldenCore(CoreConfig(**fields))


def make_stdp(**kw):
    """A small learning core: trace_inc 16, trace shifts 1, ltp >> 1, ltd >> 2, rates 1."""
    fields = dict(stdp=True, learn=True, trace_bits=8, rate_bits=4, trace_mode="all_to_all",
                  trace_inc=16, pre_trace_shift=1, post_trace_shift=1, ltp_rate=1,
                  ltp_shift=1, ltd_rate=1, ltd_shift=2)
    fields.update(kw)
    return make(**fields)


# -- leak ------------------------------------------------------------------------------------

def test_leak_curve_positive():
    """One neuron charged to 100 leaks with shift 2: each step loses ceil(v / 4)."""
    g = make(leak_shift=2, threshold=2047)
    g.weights[0, 0] = 100
    g.step([0])                 # v = decay(0) + 100 = 100
    assert g.v[0] == 100
    # 100 -25-> 75 -19-> 56 -14-> 42 -11-> 31 -8-> 23 -6-> 17 -5-> 12 -3-> 9 -3-> 6 -2-> 4
    #   -1-> 3 -1-> 2 -1-> 1 -1-> 0, then 0 stays 0 (ceil(75/4) = 19, ceil(42/4) = 11, ...)
    expected = [75, 56, 42, 31, 23, 17, 12, 9, 6, 4, 3, 2, 1, 0, 0]
    got = []
    for _ in expected:
        g.step([])
        got.append(int(g.v[0]))
    assert got == expected


def test_leak_curve_negative():
    """A negative membrane leaks toward zero symmetrically: -100 -> -75 -> -56 -> -42 -> -31."""
    g = make(leak_shift=2, threshold=2047)
    g.weights[0, 0] = -100
    g.step([0])
    got = []
    for _ in range(4):
        g.step([])
        got.append(int(g.v[0]))
    assert got == [-75, -56, -42, -31]      # decrements 25, 19, 14, 11 as in the positive case


def test_leak_off_keeps_membrane():
    """leak_shift 'off' (stored as v_bits) keeps v; so does any register value >= v_bits."""
    g = make(leak_shift="off", threshold=2047)
    assert g.cfg.leak_shift == 12 and g.params["leak_shift"] == 12
    g.v[0] = 100
    for _ in range(5):
        g.step([])
    assert g.v[0] == 100
    g.set_param("leak_shift", 15)            # 4-bit register; 15 >= v_bits = 12: also off
    g.step([])
    assert g.v[0] == 100
    g.set_param("leak_shift", 0)             # shift 0 empties: ceil(100 / 1) = 100
    g.step([])
    assert g.v[0] == 0


def test_bias_added_every_step():
    """The per-neuron bias is added each step: no leak, bias 5 -> 5, 10, 15."""
    g = make(n_neurons=2, threshold=2047)
    g.bias[:] = [5, -7]
    for t in range(1, 4):
        g.step([])
        assert g.v.tolist() == [5 * t, -7 * t]


# -- threshold and reset ---------------------------------------------------------------------

def test_threshold_exact_spikes_and_one_below_does_not():
    """v == threshold spikes (>=); v == threshold - 1 does not and keeps its value."""
    g = make(n_neurons=2, threshold=50)
    g.weights[0] = [50, 49]
    out = g.step([0])
    assert out.tolist() == [0]              # neuron 0: 50 >= 50; neuron 1: 49 < 50
    assert g.v.tolist() == [0, 49]          # reset "zero" for neuron 0


def test_reset_zero():
    """reset 'zero': a spiking neuron's v becomes 0 whatever it overshot to."""
    g = make(threshold=50, reset="zero")
    g.weights[0, 0] = 70
    assert g.step([0]).tolist() == [0]
    assert g.v[0] == 0


def test_reset_subtract():
    """reset 'subtract': v becomes v - threshold (70 - 50 = 20; 50 - 50 = 0)."""
    g = make(n_neurons=2, threshold=50, reset="subtract")
    g.weights[0] = [70, 50]
    assert g.step([0]).tolist() == [0, 1]
    assert g.v.tolist() == [20, 0]
    # the runtime register switches the mode: reset_mode 0 is "zero"
    g.set_param("reset_mode", 0)
    g.v[:] = 0
    g.step([0])
    assert g.v.tolist() == [0, 0]


def test_threshold_register_is_unsigned():
    """The threshold register holds 0 .. 2^(v_bits-1)-1 (v_bits=12: 0 .. 2047), so the
    subtract reset v - threshold can never leave the membrane's range. A negative value is
    refused, naming the register; threshold 0 makes every integrating neuron spike (v >= 0)
    and the subtract reset leaves v as it was (v - 0)."""
    g = make(n_neurons=1, reset="subtract")
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 2047\], not -1"):
        g.set_param("threshold", -1)
    g.set_param("threshold", 0)
    g.weights[0, 0] = 5
    assert g.step([0]).tolist() == [0]
    assert g.v[0] == 5


# -- refractory ------------------------------------------------------------------------------

def test_refractory_holds_then_integrates():
    """refractory 2: spike at t, held at t+1 and t+2 (no leak, input, bias), integrates at t+3."""
    g = make(n_axons=1, threshold=50, reset="subtract", refractory=2, leak_shift=1, bias=3,
             ref_bits=2)
    g.weights[0, 0] = 70
    # t: v = decay(0) + 70 + 3 = 73 >= 50: spike; subtract -> 23; ref = 2
    assert g.step([0]).tolist() == [0]
    assert (g.v[0], g.ref[0]) == (23, 2)
    # t+1: held: v stays 23 (no leak to 11, no +70, no +3); ref 2 -> 1
    assert g.step([0]).tolist() == []
    assert (g.v[0], g.ref[0]) == (23, 1)
    # t+2: held again; ref 1 -> 0
    assert g.step([0]).tolist() == []
    assert (g.v[0], g.ref[0]) == (23, 0)
    # t+3: integrates: decay(23, 1) = 23 - ceil(23/2) = 23 - 12 = 11; + 0 input + 3 bias = 14
    assert g.step([]).tolist() == []
    assert (g.v[0], g.ref[0]) == (14, 0)


def test_refractory_neuron_never_spikes():
    """A neuron with ref > 0 does not spike even if v >= threshold; v and bias are held."""
    g = make(n_axons=1, threshold=50, leak_shift=1, bias=3)
    g.v[0], g.ref[0] = 100, 1
    assert g.step([]).tolist() == []        # ref 1: held at 100, ref -> 0
    assert (g.v[0], g.ref[0]) == (100, 0)
    # integrating: decay(100, 1) = 50, + 3 = 53 >= 50: spike, reset to 0; refractory 0
    assert g.step([]).tolist() == [0]
    assert (g.v[0], g.ref[0]) == (0, 0)


def test_refractory_cuba_current_still_evolves():
    """CUBA: during refractory the current decays and integrates input; v is held."""
    g = make(n_axons=1, threshold=50, reset="subtract", refractory=2, leak_shift=1,
             i_bits=12, syn_shift=1)
    g.weights[0, 0] = 70
    # t: i = decay(0) + 70 = 70; v = 0 + 70 = 70: spike -> 20, ref 2
    assert g.step([0]).tolist() == [0]
    assert (g.i[0], g.v[0], g.ref[0]) == (70, 20, 2)
    # t+1: i = decay(70, 1) + 70 = 35 + 70 = 105; v held at 20
    g.step([0])
    assert (g.i[0], g.v[0], g.ref[0]) == (105, 20, 1)
    # t+2: i = 105 - ceil(105/2) = 105 - 53 = 52; v held at 20
    g.step([])
    assert (g.i[0], g.v[0], g.ref[0]) == (52, 20, 0)
    # t+3: i = 52 - 26 = 26; v = decay(20, 1) + 26 = 10 + 26 = 36 < 50
    assert g.step([]).tolist() == []
    assert (g.i[0], g.v[0], g.ref[0]) == (26, 36, 0)


def test_cuba_membrane_takes_new_current():
    """CUBA: u = the new current (after decay and input), accumulated by the membrane."""
    g = make(n_axons=1, threshold=2047, i_bits=12, syn_shift=1)
    g.weights[0, 0] = 40
    g.step([0])             # i = 0 + 40 = 40; v = 0 + 40 = 40
    assert (g.i[0], g.v[0]) == (40, 40)
    g.step([])              # i = 40 - 20 = 20; v = 40 + 20 = 60 (no leak)
    assert (g.i[0], g.v[0]) == (20, 60)
    g.step([])              # i = 20 - 10 = 10; v = 60 + 10 = 70
    assert (g.i[0], g.v[0]) == (10, 70)


# -- saturation ------------------------------------------------------------------------------

def test_membrane_saturates_at_v_max():
    """v saturates at 2^(v_bits-1) - 1 before the threshold; subtract reset reveals the value."""
    g = make(v_bits=8, threshold=100, reset="subtract")
    g.weights[:, 0] = [127, 127]
    # exact sum 254 saturates to v_max = 127 >= 100: spike, 127 - 100 = 27 (not 254 - 100)
    assert g.step([0, 1]).tolist() == [0]
    assert g.v[0] == 27


def test_membrane_saturates_at_v_min():
    """v saturates at -2^(v_bits-1) and stays there under more negative input."""
    g = make(v_bits=8, leak_shift=1)
    g.weights[:, 0] = [-128, -128]
    g.step([0, 1])          # decay(0) - 256 = -256 -> v_min = -128
    assert g.v[0] == -128
    g.step([0, 1])          # decay(-128, 1) = -64; -64 - 256 = -320 -> -128
    assert g.v[0] == -128


def test_membrane_one_exact_sum_one_saturation():
    """decay(v) + u + bias is one exact sum: 100 + 127 - 120 = 107, not sat(227) - 120 = 7."""
    g = make(n_axons=1, v_bits=8, threshold=120, bias=-120)
    g.weights[0, 0] = 127
    g.v[0] = 100
    g.step([0])
    assert g.v[0] == 107


def test_current_saturates_both_bounds():
    """CUBA current saturates to i_bits (6 bits: [-32, 31]) and the membrane takes that value."""
    g = make(i_bits=6, syn_shift="off", threshold=2047)
    assert g.params["syn_shift"] == 6
    g.weights[:, 0] = [100, -100]
    g.step([0])             # i = sat6(0 + 100) = 31; v = 0 + 31 = 31
    assert (g.i[0], g.v[0]) == (31, 31)
    g.step([0])             # i = sat6(31 + 100) = 31; v = 31 + 31 = 62
    assert (g.i[0], g.v[0]) == (31, 62)
    g.step([1])             # i = sat6(31 - 100) = sat6(-69) = -32; v = 62 - 32 = 30
    assert (g.i[0], g.v[0]) == (-32, 30)
    g.step([1])             # i = sat6(-32 - 100) = -32; v = 30 - 32 = -2
    assert (g.i[0], g.v[0]) == (-32, -2)


def test_traces_saturate_all_to_all():
    """all_to_all traces saturate at 2^trace_bits - 1: 10, min(20, 15) = 15, 15."""
    g = make_stdp(n_axons=1, trace_bits=4, rate_bits=2, trace_inc=10, pre_trace_shift="off",
                  post_trace_shift="off", ltp_rate=0, ltd_rate=0, threshold=1)
    g.weights[0, 0] = 1
    for expected in (10, 15, 15):
        assert g.step([0]).tolist() == [0]  # the neuron spikes every step (v = 1 >= 1)
        assert (g.pre_trace[0], g.post_trace[0]) == (expected, expected)


def test_traces_nearest_set_not_added():
    """nearest traces are set to trace_inc on each spike: 10, 10, 10."""
    g = make_stdp(n_axons=1, trace_bits=4, rate_bits=2, trace_inc=10, pre_trace_shift="off",
                  post_trace_shift="off", ltp_rate=0, ltd_rate=0, threshold=1,
                  trace_mode="nearest")
    g.weights[0, 0] = 1
    for _ in range(3):
        g.step([0])
        assert (g.pre_trace[0], g.post_trace[0]) == (10, 10)


def test_traces_decay_without_spikes():
    """Traces decay with their own shifts: pre 16 >> 2 -> 12, post 16 >> 1 -> 8."""
    g = make_stdp(pre_trace_shift=2, post_trace_shift=1)
    g.pre_trace[:] = [16, 0]
    g.post_trace[:] = [16]
    g.step([])
    # pre: 16 - ceil(16/4) = 12; post: 16 - ceil(16/2) = 8
    assert g.pre_trace.tolist() == [12, 0] and g.post_trace.tolist() == [8]


# -- STDP ------------------------------------------------------------------------------------

def test_stdp_potentiation_depression_story():
    """Three steps: same-step pre+post potentiates; a later pre depresses; a later post
    potentiates with decayed pre-traces. Traces: inc 16, shifts 1; ltp: x >> 1; ltd: x >> 2."""
    g = make_stdp()
    g.weights[0, 0] = 50
    # t0: axon 0; acc = 50 >= 50: spike. Depression of row 0 with the old x_post = 0: dw = 0.
    #   traces: x_post = 0 + 16 = 16, x_pre = [16, 0] (step 6, before potentiation)
    #   potentiation of every plastic row: row 0 += (16 * 1) >> 1 = 8 -> 58; row 1 += 0 -> 0
    assert g.step([0]).tolist() == [0]
    assert g.post_trace.tolist() == [16] and g.pre_trace.tolist() == [16, 0]
    assert g.weights[:, 0].tolist() == [58, 0]
    # t1: axon 1; acc = 0, v = 0: no spike. Depression of row 1 with x_post from t0 = 16:
    #   dw = (16 * 1) >> 2 = 4 -> 0 - 4 = -4. Row 0 did not spike: untouched.
    #   traces: x_post = 16 - 8 = 8; x_pre = [16 - 8, 0 + 16] = [8, 16]
    assert g.step([1]).tolist() == []
    assert g.weights[:, 0].tolist() == [58, -4]
    assert g.post_trace.tolist() == [8] and g.pre_trace.tolist() == [8, 16]
    # t2: no input; the host sets v = 50, so the neuron spikes (no leak, no bias).
    #   traces: x_post = 8 - 4 + 16 = 20; x_pre = [8 - 4, 16 - 8] = [4, 8]
    #   potentiation: row 0 += 4 >> 1 = 2 -> 60; row 1 += 8 >> 1 = 4 -> -4 + 4 = 0
    g.v[0] = 50
    assert g.step([]).tolist() == [0]
    assert g.post_trace.tolist() == [20] and g.pre_trace.tolist() == [4, 8]
    assert g.weights[:, 0].tolist() == [60, 0]


def _same_step_pre_post(trace_mode):
    g = make_stdp(reset="subtract", trace_mode=trace_mode)
    g.weights[0, 0] = 50
    assert g.step([0]).tolist() == [0]      # t0 as in the story: W = 58, x_post = x_pre[0] = 16
    assert g.weights[0, 0] == 58
    assert g.step([0]).tolist() == [0]      # t1: pre and post again
    return g


def test_stdp_same_step_all_to_all():
    """Same-step pre+post: acc uses the start-of-step weight, depression the OLD x_post,
    potentiation the FRESH x_pre (all_to_all)."""
    g = _same_step_pre_post("all_to_all")
    # t1: acc = 58 (weight before any update of this step); v = 0 + 58 = 58: spike,
    #   subtract -> 58 - 50 = 8 (a depressed weight, 54, would give 4)
    # depression with x_post after t0 = 16: dw = 16 >> 2 = 4 -> 58 - 4 = 54
    #   (with the new x_post 24 it would be 6)
    # traces: x_post = 16 - 8 + 16 = 24; x_pre[0] = 16 - 8 + 16 = 24
    # potentiation with the fresh x_pre = 24: 24 >> 1 = 12 -> 54 + 12 = 66
    #   (with the old x_pre 16 it would be 54 + 8 = 62)
    assert g.v[0] == 8
    assert g.post_trace.tolist() == [24] and g.pre_trace.tolist() == [24, 0]
    assert g.weights[0, 0] == 66


def test_stdp_same_step_nearest():
    """The same pairing with nearest traces: traces are set to 16, not added."""
    g = _same_step_pre_post("nearest")
    # t1: depression uses the old x_post = 16: 58 - 4 = 54.
    # traces: set to trace_inc: x_post = 16, x_pre[0] = 16 (all_to_all gave 24)
    # potentiation: 16 >> 1 = 8 -> 54 + 8 = 62
    assert g.post_trace.tolist() == [16] and g.pre_trace.tolist() == [16, 0]
    assert g.weights[0, 0] == 62


def test_stdp_rate_and_floor():
    """dw = (trace * rate) >> shift floors: ltd 10*3 >> 2 = 7 (7.5), ltp 12*3 >> 3 = 4 (4.5)."""
    g = make_stdp(ltd_rate=3, ltd_shift=2, ltp_rate=3, ltp_shift=3, pre_trace_shift="off",
                  post_trace_shift="off", trace_inc=12)
    g.post_trace[:] = [10]
    g.step([1])                 # depression of row 1: 0 - ((10 * 3) >> 2) = 0 - 7 = -7
    assert g.weights[1, 0] == -7
    # x_pre[1] = 0 + 12 = 12 (no decay: shift off)
    g.v[0] = 50                 # post spike, no pre spike this step
    assert g.step([]).tolist() == [0]
    # potentiation: row 0 += (0 * 3) >> 3 = 0; row 1 += (12 * 3) >> 3 = 36 >> 3 = 4 -> -3
    assert g.weights[:, 0].tolist() == [0, -3]


def test_stdp_clamps_at_w_max_and_w_min():
    """Potentiation clamps at w_max, depression at w_min."""
    g = make_stdp()
    g.set_param("w_max", 60)
    g.set_param("w_min", -3)
    g.weights[0, 0] = 55
    # t0: spike (55 >= 50); potentiation 55 + (16 >> 1) = 63 -> clamped to w_max = 60
    assert g.step([0]).tolist() == [0]
    assert g.weights[0, 0] == 60
    # t1: axon 1 depressed by (16 >> 2) = 4: 0 - 4 = -4 -> clamped to w_min = -3
    g.step([1])
    assert g.weights[1, 0] == -3


def test_stdp_clamp_order_when_w_min_exceeds_w_max():
    """clamp(x, lo, hi) tests lo first (docs/semantics.md): with w_min = 10 > w_max = 5 a
    weight below 10 becomes 10, one above becomes 5. t0: axon 0 (weight 55) makes neuron 0
    spike; potentiation of row 0: 55 + 8 = 63 > w_min, > w_max -> 5. Row 1 never spiked:
    pre-trace 0, dw 0, weight 3 < w_min -> 10."""
    g = make_stdp()
    g.set_param("w_min", 10)
    g.set_param("w_max", 5)
    g.weights[:, 0] = [55, 3]
    assert g.step([0]).tolist() == [0]
    assert g.weights[:, 0].tolist() == [5, 10]


def test_stdp_visit_pulls_stored_weight_into_range():
    """A weight stored outside [w_min, w_max] is clamped by its first visit, even with dw = 0;
    an unvisited weight is left alone."""
    g = make_stdp(n_neurons=2, lanes=2)
    g.set_param("w_min", -10)
    g.set_param("w_max", 20)
    g.weights[1] = [-50, 100]
    # t0: axon 1 spikes (acc = [-50, 100]); x_post = 0 so dw = 0, but both synapses of row 1
    #   are visited: -50 -> -10, 100 -> 20. Neuron 1 spikes (100 >= 50): potentiation of
    #   column 1 in every plastic row with x_pre = [0, 16]: row 1 += 8 -> 20 + 8 -> 20.
    assert g.step([1]).tolist() == [1]
    assert g.weights[1].tolist() == [-10, 20]
    # row 0 was visited only in column 1 (potentiation with x_pre[0] = 0): stays 0
    g2 = make_stdp(n_neurons=2, lanes=2)
    g2.set_param("w_min", -10)
    g2.weights[0] = [-50, -50]
    g2.weights[1, 1] = 60
    # t0: axon 1; neuron 1 spikes (60). Row 0 is not presynaptic; potentiation visits
    #   column 1 of row 0 with x_pre[0] = 0: -50 -> -10. Column 0 of row 0 is not visited.
    assert g2.step([1]).tolist() == [1]
    assert g2.weights[0].tolist() == [-50, -10]


def test_stdp_non_plastic_row_never_changes():
    """A row with plastic = 0 is neither depressed nor potentiated (nor clamped); its
    pre-trace still follows its spikes."""
    g = make_stdp()
    g.plastic[1] = 0
    g.set_param("w_max", 20)
    g.weights[:, 0] = [50, 10]
    g.post_trace[:] = [16]
    # t0: rows 0 and 1; acc = 60: spike. Depression (old x_post 16, dw 4) on row 0 only:
    #   50 - 4 = 46 -> clamped to w_max = 20. traces: x_post = 8 + 16 = 24; x_pre = [16, 16].
    #   Potentiation of row 0: 20 + 8 = 28 -> 20. Row 1 (non-plastic): stays 10.
    assert g.step([0, 1]).tolist() == [0]
    assert g.weights[:, 0].tolist() == [20, 10]
    assert g.pre_trace.tolist() == [16, 16]
    # t1: row 1 alone; acc = 10, no spike; no depression of row 1; x_pre[1] = 8 + 16 = 24
    g.step([1])
    assert g.weights[1, 0] == 10
    assert g.pre_trace[1] == 24
    # a non-plastic weight outside [w_min, w_max] is not pulled in either
    g.weights[1, 0] = 100
    g.v[0] = 50
    g.step([1])             # pre on row 1 and (v = 50 + 100 >= 50) a post spike
    assert g.weights[1, 0] == 100


def test_learn_zero_freezes_weights_and_traces():
    """learn = 0: inference only; weights and both traces are frozen, neurons still run."""
    g = make_stdp()
    g.set_param("learn", 0)
    g.weights[:, 0] = [50, 7]
    g.pre_trace[:] = [16, 8]
    g.post_trace[:] = [16]
    assert g.step([0]).tolist() == [0]      # spikes as without learning (50 >= 50), v -> 0
    assert g.v[0] == 0
    g.step([1])                              # v = 7, no spike
    assert g.v[0] == 7
    assert g.weights[:, 0].tolist() == [50, 7]
    assert g.pre_trace.tolist() == [16, 8] and g.post_trace.tolist() == [16]


def test_no_stdp_unit_never_learns():
    """stdp = False: no learn register; weights never change."""
    g = make()
    assert "learn" not in g.params
    g.weights[:, 0] = [50, 7]
    g.step([0])
    g.step([0, 1])
    assert g.weights[:, 0].tolist() == [50, 7]


def test_recurrent_rows_and_their_plasticity():
    """Recurrent row n_axons + j spikes at t+1 if neuron j spiked at t, and learns like an
    axon row with a one-step delayed pre-trace."""
    g = make_stdp(n_axons=1, n_neurons=2, lanes=1, recurrent=True)
    assert g.cfg.n_rows == 3            # row 0: axon 0; row 1: neuron 0; row 2: neuron 1
    g.weights[0, 0] = 50                # axon 0 -> neuron 0
    g.weights[1, 1] = 50                # neuron 0 -> neuron 1
    # t0: row 0; acc = [50, 0]: neuron 0 spikes. x_post = [16, 0]; x_pre = [16, 0, 0].
    #   potentiation of column 0: row 0: 50 + 8 = 58; rows 1 and 2 += 0.
    assert g.step([0]).tolist() == [0]
    assert g.pre_trace.tolist() == [16, 0, 0]
    assert g.weights[:, 0].tolist() == [58, 0, 0]
    assert g.counters["sops"] == 2      # 1 row x 2 neurons
    # t1: no input; row 1 carries neuron 0's spike. acc = W[1] = [0, 50]: neuron 1 spikes.
    #   depression of row 1 with x_post after t0 = [16, 0]: [0 - 4, 50 - 0] = [-4, 50].
    #   x_post = [8, 16]; x_pre = [8, 16, 0] (the recurrent row's trace bumps one step late)
    #   potentiation of column 1: row 0: 0 + (8 >> 1) = 4; row 1: 50 + (16 >> 1) = 58;
    #   row 2: 0 + 0 = 0.
    assert g.step([]).tolist() == [1]
    assert g.pre_trace.tolist() == [8, 16, 0] and g.post_trace.tolist() == [8, 16]
    assert g.weights.tolist() == [[58, 4], [-4, 58], [0, 0]]
    assert g.counters["sops"] == 4
    # t2: row 2 carries neuron 1's spike; acc = W[2] = [0, 0]: no spike.
    #   depression of row 2 with x_post = [8, 16]: [0 - 2, 0 - 4] = [-2, -4]
    #   x_pre = [4, 8, 16]
    assert g.step([]).tolist() == []
    assert g.weights[2].tolist() == [-2, -4]
    assert g.pre_trace.tolist() == [4, 8, 16]
    # t3: nobody spiked at t2: no rows at all
    g.step([])
    assert g.counters["sops"] == 6 and g.last_timing.rows is None


# -- AER bookkeeping -------------------------------------------------------------------------

def test_aer_duplicates_merged_and_bad_axons_dropped():
    """Duplicate ids merge (dup_spikes), ids >= n_axons drop (bad_axons, sticky BAD_AXON)."""
    g = make(n_axons=4, n_neurons=2, lanes=2, threshold=2047)
    g.weights[:, 0] = [1, 2, 4, 8]
    bad = 1 << StatusBit.BAD_AXON
    # events 0, 0, 2, 4, 7: row set {0, 2}; one duplicate (the second 0); 4 and 7 >= 4: bad
    g.step([0, 0, 2, 4, 7])
    assert g.v.tolist() == [1 + 4, 0]      # row 0 counted once: 1 + 4 = 5
    assert g.counters["in_spikes"] == 2
    assert g.counters["dup_spikes"] == 1
    assert g.counters["bad_axons"] == 2
    assert g.counters["sops"] == 2 * 2      # 2 rows x 2 neurons
    assert g.status & bad and g.read("status") & bad
    g.step([1])                             # sticky: a clean step keeps the bit
    assert g.status & bad
    g.write("status", None, bad)            # write 1 to clear
    assert not g.status & bad


def test_aer_bool_vector_equals_id_list():
    """A bool spike vector is the same input as the list of its set indices."""
    a = make(n_axons=4, n_neurons=2, lanes=2, threshold=6)
    b = make(n_axons=4, n_neurons=2, lanes=2, threshold=6)
    for g in (a, b):
        g.weights[:, 0] = [1, 2, 4, 8]
        g.weights[:, 1] = [-1, 3, 5, 0]
    out_a = a.step(np.array([True, False, True, False]))
    out_b = b.step([2, 0])
    assert out_a.tolist() == out_b.tolist() == []      # 1 + 4 = 5 < 6 and -1 + 5 = 4 < 6
    assert a.v.tolist() == b.v.tolist() == [5, 4]
    assert a.counters == b.counters
    with pytest.raises(ValueError):
        a.step(np.zeros(3, dtype=bool))


def test_timestep_wraps():
    """The timestep number counts modulo 2^timestep_bits (2 bits: 0, 1, 2, 3, 0)."""
    g = make(timestep_bits=2)
    seen = []
    for _ in range(5):
        g.step([])
        seen.append(g.timestep)
    assert seen == [1, 2, 3, 0, 1]


def test_counters_wrap_modulo_2_32():
    """Counters wrap modulo 2^32: sops at 2^32 - 1, plus 1 row x 2 neurons = 1. (The model's
    counter is set directly: through the register a write zeroes it.)"""
    g = make(n_neurons=2, lanes=2)
    g.write("sops", None, 77)
    assert g.counters["sops"] == 0
    g.counters["sops"] = 2**32 - 1
    g.step([0])
    assert g.counters["sops"] == 1


# -- configuration: "off" shifts -------------------------------------------------------------

def test_config_off_shifts_are_widths():
    """'off' is stored as the width of the decayed state; beyond the width is rejected."""
    cfg = CoreConfig(n_axons=2, n_neurons=2, lanes=1, v_bits=12, i_bits=10, trace_bits=6,
                     trace_inc=16, leak_shift="off", syn_shift="off", pre_trace_shift="off",
                     post_trace_shift="off")
    assert (cfg.leak_shift, cfg.syn_shift) == (12, 10)
    assert (cfg.pre_trace_shift, cfg.post_trace_shift) == (6, 6)
    with pytest.raises(ValueError):
        CoreConfig(n_axons=2, n_neurons=2, lanes=1, v_bits=12, leak_shift=13)


def test_trace_shift_off_keeps_traces():
    """pre/post trace shift 'off': traces are kept between spikes."""
    g = make_stdp(pre_trace_shift="off", post_trace_shift="off")
    g.pre_trace[:] = [5, 9]
    g.post_trace[:] = [7]
    for _ in range(3):
        g.step([])
    assert g.pre_trace.tolist() == [5, 9] and g.post_trace.tolist() == [7]


# -- CLEAR -----------------------------------------------------------------------------------

def test_clear_zeroes_dynamic_state_only():
    """clear() zeroes v, i, ref, both traces (and the pending recurrent spikes); weights,
    bias, plastic flags, parameters, timestep and counters are kept."""
    g = make_stdp(n_axons=1, n_neurons=2, lanes=2, recurrent=True, i_bits=10)
    g.weights[0] = [60, 3]
    g.bias[:] = [1, 2]
    g.plastic[1] = 0
    g.set_param("threshold", 40)
    g.step([0])                                 # neuron 0 spikes; traces and counters move
    g.v[1], g.ref[1], g.i[1] = 9, 1, -4
    weights, counters = g.weights.copy(), dict(g.counters)
    g.clear()
    assert g.v.tolist() == [0, 0] and g.i.tolist() == [0, 0] and g.ref.tolist() == [0, 0]
    assert g.pre_trace.tolist() == [0, 0, 0] and g.post_trace.tolist() == [0, 0]
    assert (g.weights == weights).all()
    assert g.bias.tolist() == [1, 2] and g.plastic.tolist() == [1, 0, 1]
    assert g.params["threshold"] == 40 and g.timestep == 1 and g.counters == counters
    # neuron 0 spiked before the CLEAR; its recurrent row does not fire after it
    g.step([])
    assert g.counters["sops"] == counters["sops"]


# -- analytic LIF tracking -------------------------------------------------------------------

@pytest.mark.parametrize("shift", [3, 4, 5])
@pytest.mark.parametrize("sign", [1, -1])
def test_lif_tracks_exponential_decay(shift, sign):
    """Free decay tracks v0 * (1 - 2^-s)^k within 2^s.

    With a = 1 - 2^-s, one step is v' = a*v - e, where 0 <= e < 1 is the rounding toward
    zero (for v >= 0: v - ceil(v/2^s) = floor(a*v)). Unrolled, the exact value minus the
    model's is sum_m a^m e_(k-1-m), which lies in [0, sum_m a^m) and sum_m a^m < 1/(1-a) =
    2^s. So 0 <= |exact| - |v_k| < 2^s at every step (and the model is never further from 0).
    """
    v0 = sign * 10**6
    g = make(n_axons=1, v_bits=32, leak_shift=shift, threshold=2**31 - 1)
    g.v[:] = v0
    a = Fraction(2**shift - 1, 2**shift)
    exact = Fraction(abs(v0))
    for k in range(1, 301):
        g.step([])
        exact *= a                              # |v0| * a^k
        err = exact - abs(int(g.v[0]))
        assert np.sign(g.v[0]) in (0, sign)
        assert 0 <= err < 2**shift, (k, int(g.v[0]), float(exact))


@pytest.mark.parametrize("shift", [3, 4, 5])
@pytest.mark.parametrize("bias", [1000, -1000])
def test_lif_constant_input_fixed_point(shift, bias):
    """A constant bias b with leak s approaches the fixed point b * 2^s from 0.

    Real-valued: y' = a*y + b has the fixed point y* = b / (1 - a) = b * 2^s, and from y0 = 0
    y_k = b * 2^s * (1 - a^k). The model is v' = a*v + b - e with 0 <= e < 1 (magnitudes;
    rounding toward zero), so d' = a*d + e and 0 <= |y_k| - |v_k| < 2^s at every step (as in
    the free-decay test). No overshoot: |v| <= |b| 2^s implies |a v + b| <= |b| 2^s. The
    integer fixed point satisfies ceil(|v| / 2^s) = |b|, i.e. (|b| - 1) 2^s < |v| <= |b| 2^s.
    """
    g = make(n_axons=1, v_bits=32, leak_shift=shift, threshold=2**31 - 1, bias=bias)
    a = Fraction(2**shift - 1, 2**shift)
    target = abs(bias) * 2**shift
    prev, a_k = 0, Fraction(1)
    for k in range(1, 601):
        g.step([])
        v = int(g.v[0])
        a_k *= a                                                        # a^k
        assert abs(v) >= abs(prev) and np.sign(v) == np.sign(bias)     # monotone approach
        err = target * (1 - a_k) - abs(v)
        assert 0 <= err < 2**shift, (k, v)
        prev = v
    # 600 steps: a^600 * target < 2^-2 for every shift here, so v has reached its fixed point
    assert (abs(bias) - 1) * 2**shift < abs(v) <= target
    g.step([])
    assert g.v[0] == v


# -- cycle model -----------------------------------------------------------------------------

def test_cycle_constants_match_spec():
    """The latencies in golden/cycles.py are the numbers of the Schedule section."""
    # START two cycles after acceptance; neurons 3 after the last row; learn 6 after the
    # last neuron; event e at a + 2 + e; last learn write 7 after its last issue.
    assert cycles.START_LATENCY == 2
    assert cycles.ROW_LATENCY == 3
    assert cycles.NEURON_LATENCY == 6
    assert cycles.SERIAL_LATENCY == 2
    assert cycles.LEARN_LATENCY == 7


def _cfg8(**kw):
    """5 axons x 8 neurons, 2 lanes: G = 4 groups, n_rows = 5."""
    fields = dict(n_axons=5, n_neurons=8, lanes=2)
    fields.update(kw)
    return CoreConfig(**fields)


def test_cycles_idle_step():
    """No rows, no spikes, learn off: neurons (1, G), cycles = G + NEURON_LATENCY = 10."""
    t = step_timing(_cfg8(), n_rows_active=0, spikes=np.zeros(8, bool), learn=False)
    # rows do not run; neurons issue at 1..4; the closing phase's first cycle is 4 + 6 = 10
    assert t == StepTiming(cycles=10, rows=None, neurons=(1, 4), learn=None, output=None,
                           events=(), sops=0, lanes=2)


def test_cycles_rows_phase():
    """R = 3 rows: rows (1, R*G) = (1, 12); neurons from 12 + 3 = 15 to 18; cycles 24."""
    t = step_timing(_cfg8(), n_rows_active=3, spikes=np.zeros(8, bool), learn=False)
    assert t.rows == (1, 12) and t.neurons == (15, 18)
    assert t.cycles == 18 + 6 and t.learn is None and t.events == ()
    assert t.sops == 3 * 8 and t.sops_cycles == 12 and t.bound == 12 + 4


def test_cycles_learn_without_spikes():
    """learn on, no spike: n_rows * max(1, 0) = 5 issues from 24; cycles = 28 + 7 = 35."""
    t = step_timing(_cfg8(), n_rows_active=3, spikes=np.zeros(8, bool), learn=True)
    assert t.learn == (24, 28) and t.cycles == 35 and t.output is None


def test_cycles_learn_and_output_events():
    """Spikes at neurons 1, 2, 6 (groups 0, 1, 3: S = 3, E = 3) with learning.

    learn: 5 rows * 3 groups = 15 issues, (24, 38); last write 38 + 7 = 45.
    events: 24 + 2 + e = 26, 27, 28; output phase (24, 28). cycles = max(24, 45, 28) = 45.
    """
    spikes = np.zeros(8, bool)
    spikes[[1, 2, 6]] = True
    t = step_timing(_cfg8(), n_rows_active=3, spikes=spikes, learn=True)
    assert t.learn == (24, 38)
    assert t.events == (26, 27, 28) and t.output == (24, 28)
    assert t.cycles == 45


def test_cycles_output_without_learning_and_shared_group():
    """No rows, learn off, neurons 0 and 1 spike (one group, E = 2): events at 10 + 2 = 12, 13.

    The neurons phase is (1, 4); the closing phase starts at 4 + 6 = 10; the step ends with
    the last event, 13. A learning pass would take 5 * 1 = 5 issues (one spiking group).
    """
    spikes = np.zeros(8, bool)
    spikes[[0, 1]] = True
    t = step_timing(_cfg8(), n_rows_active=0, spikes=spikes, learn=False)
    assert t.events == (12, 13) and t.output == (10, 13) and t.cycles == 13
    t = step_timing(_cfg8(), n_rows_active=0, spikes=spikes, learn=True)
    assert t.learn == (10, 14) and t.cycles == 14 + 7


def test_golden_core_records_timing_and_cycle_counters():
    """GoldenCore.step stores the cycle model of each step and counts its cycles."""
    g = GoldenCore(_cfg8(threshold=50, leak_shift="off"))
    g.weights[0, [1, 2, 6]] = 50
    # step 1: rows {0, 1, 2}, neurons 1, 2, 6 spike, learn on (default): 45 cycles as above
    assert g.step([0, 1, 2]).tolist() == [1, 2, 6]
    assert g.last_timing.cycles == 45 and g.last_timing.events == (26, 27, 28)
    assert g.counters["step_cycles"] == 45 and g.counters["cycles"] == 45
    # step 2: nothing in, nothing out (reset to zero), learn on: neurons (1, 4), learn
    #   (10, 14), last write 21
    assert g.step([]).tolist() == []
    assert g.last_timing.learn == (10, 14) and g.last_timing.cycles == 21
    assert g.counters["step_cycles"] == 21 and g.counters["cycles"] == 45 + 21


def test_cycles_single_port_weight_ram():
    """A single-port synapse RAM: a learning step issues rows and potentiation words every
    other cycle, and the learning pipeline is one stage longer; without learning, rows
    stream at full rate.

    R = 3 rows, G = 4: rows issue at 1, 3, ..., 1 + 2 * 11 = 23; neurons 23 + 3 = 26 to 29;
    the closing phase starts at 29 + 6 = 35. Spikes in groups 0, 1, 3 (S = 3): 15 learn
    issues at 35, 37, ..., 35 + 2 * 14 = 63; last write 63 + 7 + 1 = 71.
    """
    cfg = _cfg8(weight_ram="single")
    spikes = np.zeros(8, bool)
    spikes[[1, 2, 6]] = True
    t = step_timing(cfg, n_rows_active=3, spikes=spikes, learn=True)
    assert t.rows == (1, 23) and t.neurons == (26, 29)
    assert t.learn == (35, 63) and t.cycles == 71
    assert t.events == (37, 38, 39)
    # learning off: full rate, as with a dual-port RAM
    t = step_timing(cfg, n_rows_active=3, spikes=spikes, learn=False)
    assert t.rows == (1, 12) and t.neurons == (15, 18)
    # no spike: the pre-trace pass touches no weight, full rate; one extra pipeline stage
    t = step_timing(cfg, n_rows_active=0, spikes=np.zeros(8, bool), learn=True)
    assert t.learn == (10, 14) and t.cycles == 14 + 7 + 1
