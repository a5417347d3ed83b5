"""Directed scenarios: one small network and spike train per semantic case.

Each scenario builds a :class:`GoldenCore` and a spike train meant to exercise one case of
docs/semantics.md (a saturation bound, a reset mode, refractory, a trace mode, a weight
clamp, fixed rows, recurrence...), and names a *witness*: a predicate on the golden run that
proves the case really happened. A test runs the scenario on the hardware against the golden
model and also asserts the witness, so a scenario that stops exercising its case fails
instead of passing quietly. The values are chosen by hand for the ``tiny`` configuration
(12-bit membrane and current, 8-bit weights, 6-bit traces, recurrent, CUBA) and for
``plain`` (no CUBA, no recurrence).
"""

from dataclasses import dataclass, field

import numpy as np

from spikecore.config import CoreConfig, load_config
from spikecore.golden import GoldenCore
from spikecore.golden.fixedpoint import decay

__all__ = ["Scenario", "SCENARIOS", "scenario_configs", "run_golden"]


def scenario_configs():
    """The configurations the scenarios are written for."""
    return {
        "tiny": load_config("tiny"),
        "plain": CoreConfig(n_axons=8, n_neurons=8, lanes=2, v_bits=10, weight_bits=7,
                            threshold=300, trace_bits=5, rate_bits=2, ltp_shift=1,
                            ltd_shift=1, trace_inc=12, pre_trace_shift=2,
                            post_trace_shift=2),
    }


@dataclass
class Run:
    """What the golden model did in a scenario, step by step (for the witnesses)."""
    spikes: list = field(default_factory=list)       # neuron ids per step
    states: list = field(default_factory=list)       # state after each step
    raw_v: list = field(default_factory=list)        # membrane sums before saturation


@dataclass(frozen=True)
class Scenario:
    name: str
    config: str
    build: object       # cfg -> (GoldenCore, train)
    witness: object     # (cfg, Run) -> bool
    what: str


def _raw_membrane(g, rows):
    """The membrane sum of step 4 before its saturation (integrating neurons only)."""
    cfg, p = g.cfg, g.params
    acc = g.weights[np.flatnonzero(rows)].sum(axis=0)
    if cfg.cuba:
        i = np.clip(decay(g.i, p["syn_shift"], cfg.i_bits) + acc, cfg.i_min, cfg.i_max)
        drive = i
    else:
        drive = acc
    raw = decay(g.v, p["leak_shift"], cfg.v_bits) + drive + g.bias
    return np.where(g.ref == 0, raw, g.v)


def run_golden(cfg, scenario):
    """Run ``scenario`` on the golden model; returns ``(initial GoldenCore copy, train,
    Run)`` where the copy is the network to load into the hardware."""
    golden, train = scenario.build(cfg)
    initial = GoldenCore(cfg)
    for name, array in golden.state().items():
        initial._array(name)[...] = array
    initial.params = dict(golden.params)
    run = Run()
    for axons in train:
        rows = np.zeros(cfg.n_rows, dtype=bool)
        rows[[a for a in axons if 0 <= a < cfg.n_axons]] = True
        if cfg.recurrent:
            rows[cfg.n_axons:] = golden.last_spikes
        run.raw_v.append(_raw_membrane(golden, rows))
        run.spikes.append([int(n) for n in golden.step(axons)])
        run.states.append(golden.state())
    return initial, train, run


def _base(cfg, **params):
    g = GoldenCore(cfg)
    g.params.update(params)
    return g


# -- neuron scenarios --------------------------------------------------------------------------
def _v_max(cfg):
    # Every axon drives neuron 0 with weight 100 (or the largest): 16 x 100 per step on tiny,
    # soon past v_max; threshold = v_max so that the saturated value spikes exactly.
    g = _base(cfg, threshold=cfg.v_max, reset_mode=1, leak_shift=cfg.v_bits, refractory=0)
    g.weights[:cfg.n_axons, 0] = min(100, cfg.weight_max)
    g.v[0] = cfg.v_max - 50
    return g, [list(range(cfg.n_axons))] * 4


def _v_min(cfg):
    # Strong inhibition: the most negative weight on every axon drives v to v_min and holds
    # it there (the leak cannot climb back against the input).
    g = _base(cfg, leak_shift=2)
    g.weights[:cfg.n_axons, :] = cfg.weight_min
    g.v[:] = cfg.v_min + 10
    return g, [list(range(cfg.n_axons))] * 4


def _current_bounds(cfg):
    # CUBA: the current saturates at both bounds (excitatory rows on neuron 1, inhibitory
    # on neuron 2); the membrane follows the saturated current.
    g = _base(cfg, syn_shift=cfg.i_bits, threshold=cfg.v_max)
    g.weights[:cfg.n_axons, 1] = cfg.weight_max
    g.weights[:cfg.n_axons, 2] = cfg.weight_min
    g.i[1], g.i[2] = cfg.i_max - 100, cfg.i_min + 100
    return g, [list(range(cfg.n_axons))] * 3


def _resets(cfg, mode):
    # One axon, weight 60, threshold 100: v = 60, 120 -> spike; zero: 0, subtract: 20.
    g = _base(cfg, threshold=100, reset_mode=mode, leak_shift=cfg.v_bits, refractory=0)
    g.weights[0, 3] = 60
    return g, [[0]] * 6


def _refractory(cfg):
    # Bias 80 over threshold 100 spikes every second step without refractory; with
    # refractory 2 the neuron is held (v unchanged) for two steps after each spike.
    g = _base(cfg, threshold=100, refractory=min(2, (1 << cfg.ref_bits) - 1), reset_mode=0,
              leak_shift=cfg.v_bits)
    g.bias[4] = 80
    return g, [[]] * 9


# -- learning scenarios ------------------------------------------------------------------------
def _stdp(cfg, mode, bound):
    # Neuron 5 is driven over threshold by axon 0 every step; axons 1..3 spike too. Plastic
    # rows potentiate toward w_max (bound "max") or, with depression only, fall to w_min.
    top = cfg.trace_max
    if bound == "max":
        g = _base(cfg, learn=1, trace_mode=mode, trace_inc=top, ltp_rate=(1 << cfg.rate_bits) - 1,
                  ltp_shift=0, ltd_rate=0, w_min=-20, w_max=40, threshold=50,
                  leak_shift=cfg.v_bits, refractory=0)
    else:
        g = _base(cfg, learn=1, trace_mode=mode, trace_inc=top, ltd_rate=(1 << cfg.rate_bits) - 1,
                  ltd_shift=0, ltp_rate=0, w_min=-20, w_max=40, threshold=50,
                  leak_shift=cfg.v_bits, refractory=0)
        g.post_trace[:] = top              # depression needs post-traces
    g.weights[0, 5] = 60
    g.weights[1:4, 5] = 5
    g.plastic[:] = 1
    g.plastic[2] = 0                       # a fixed row beside plastic ones
    return g, [[0, 1, 2, 3]] * 6


def _traces_saturate(cfg):
    # all_to_all with the largest increment and no decay: traces stick at trace_max.
    g = _base(cfg, learn=1, trace_mode=0, trace_inc=cfg.trace_max, pre_trace_shift=cfg.trace_bits,
              post_trace_shift=cfg.trace_bits, threshold=30, leak_shift=cfg.v_bits,
              ltp_rate=0, ltd_rate=0)
    g.weights[0, :] = 40
    return g, [[0]] * 3


def _learn_off(cfg):
    # learn = 0: nothing learns, traces frozen, although spikes happen.
    g = _base(cfg, learn=0, threshold=30, leak_shift=cfg.v_bits)
    g.weights[0, :] = 40
    g.pre_trace[:] = 7
    g.post_trace[:] = 9
    return g, [[0]] * 3


def _recurrent(cfg):
    # Neuron 0 fires from axon 0; its recurrent row drives neuron 1 over threshold one step
    # later (row n_axons + 0 -> neuron 1).
    g = _base(cfg, threshold=50, leak_shift=cfg.v_bits, refractory=0, learn=0)
    g.weights[0, 0] = 60
    g.weights[cfg.n_axons + 0, 1] = 60
    return g, [[0], [], [], [0]]


def _w(run, cfg, row, col):
    return [int(s["weight"][row, col]) for s in run.states]


SCENARIOS = [
    Scenario("v_max", "tiny", _v_max,
             lambda cfg, r: any(raw[0] > cfg.v_max for raw in r.raw_v) and any(r.spikes),
             "membrane sum above v_max saturates, then spikes"),
    Scenario("v_max_plain", "plain", _v_max,
             lambda cfg, r: any(raw[0] > cfg.v_max for raw in r.raw_v),
             "membrane saturation at v_max without CUBA"),
    Scenario("v_min", "tiny", _v_min,
             lambda cfg, r: any((s["v"] == cfg.v_min).any() for s in r.states),
             "membrane saturates at v_min"),
    Scenario("v_min_plain", "plain", _v_min,
             lambda cfg, r: any((s["v"] == cfg.v_min).any() for s in r.states),
             "membrane saturation at v_min without CUBA"),
    Scenario("current_bounds", "tiny", _current_bounds,
             lambda cfg, r: any(s["i"][1] == cfg.i_max for s in r.states) and
             any(s["i"][2] == cfg.i_min for s in r.states),
             "CUBA current saturates at both bounds"),
    Scenario("reset_zero", "tiny", lambda cfg: _resets(cfg, 0),
             lambda cfg, r: any(3 in s for s in r.spikes), "reset to zero"),
    Scenario("reset_subtract", "plain", lambda cfg: _resets(cfg, 1),
             lambda cfg, r: any(3 in s for s in r.spikes) and
             any(s["v"][3] == 20 for s in r.states), "reset by subtraction"),
    Scenario("refractory", "tiny", _refractory,
             lambda cfg, r: sum(4 in s for s in r.spikes) >= 2, "refractory hold"),
    Scenario("stdp_w_max_all_to_all", "tiny", lambda cfg: _stdp(cfg, 0, "max"),
             lambda cfg, r: _w(r, cfg, 1, 5)[-1] == 40 and _w(r, cfg, 2, 5)[-1] == 5,
             "potentiation clamps at w_max; the fixed row stays"),
    Scenario("stdp_w_max_nearest", "plain", lambda cfg: _stdp(cfg, 1, "max"),
             lambda cfg, r: _w(r, cfg, 1, 5)[-1] == 40, "nearest traces, clamp at w_max"),
    Scenario("stdp_w_min", "tiny", lambda cfg: _stdp(cfg, 0, "min"),
             lambda cfg, r: _w(r, cfg, 1, 5)[-1] == -20 and _w(r, cfg, 2, 5)[-1] == 5,
             "depression clamps at w_min; the fixed row stays"),
    Scenario("traces_saturate", "plain", _traces_saturate,
             lambda cfg, r: r.states[-1]["pre_trace"][0] == cfg.trace_max and
             (r.states[-1]["post_trace"] == cfg.trace_max).any(),
             "all_to_all traces saturate at trace_max"),
    Scenario("learn_off", "tiny", _learn_off,
             lambda cfg, r: any(r.spikes) and (r.states[-1]["pre_trace"] == 7).all(),
             "learning off freezes weights and traces"),
    Scenario("recurrent", "tiny", _recurrent,
             lambda cfg, r: 0 in r.spikes[0] and 1 in r.spikes[1],
             "a recurrent row delivers one step later"),
]
