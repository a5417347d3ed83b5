"""Random networks and spike trains for the differential tests and benchmarks.

Everything is drawn from a ``numpy.random.Generator``, so a seed reproduces a workload.
"""

import numpy as np

from spikecore.golden import GoldenCore

__all__ = ["random_golden", "random_spike_train", "random_valid_config"]


def random_golden(cfg, rng, *, activity=0.3, learn=None):
    """A :class:`GoldenCore` with random weights, plasticity, biases and parameters chosen
    so that neurons spike now and then (threshold scaled to the expected input)."""
    g = GoldenCore(cfg)
    lo, hi = cfg.weight_min, cfg.weight_max
    # Mostly positive weights with some inhibition, and some at the extremes.
    w = rng.integers(lo // 2, hi + 1, size=g.weights.shape)
    extreme = rng.random(size=w.shape) < 0.05
    w[extreme] = rng.choice([lo, hi], size=int(extreme.sum()))
    g.weights[:] = w
    if cfg.stdp:
        g.plastic[:] = rng.random(cfg.n_rows) < 0.7
        g.pre_trace[:] = rng.integers(0, cfg.trace_max + 1, size=cfg.n_rows)
        g.post_trace[:] = rng.integers(0, cfg.trace_max + 1, size=cfg.n_neurons)
    g.bias[:] = rng.integers(-(hi // 4) - 1, hi // 4 + 1, size=cfg.n_neurons)
    g.v[:] = rng.integers(cfg.v_min // 4, cfg.v_max // 4 + 1, size=cfg.n_neurons)
    if cfg.cuba:
        g.i[:] = rng.integers(cfg.i_min // 4, cfg.i_max // 4 + 1, size=cfg.n_neurons)
    expected_input = max(1, int(activity * cfg.n_axons * hi / 2))
    g.params["threshold"] = int(min(cfg.v_max, max(1, expected_input * rng.uniform(0.3, 1.2))))
    g.params["reset_mode"] = int(rng.integers(0, 2))
    g.params["refractory"] = int(rng.integers(0, min(3, (1 << cfg.ref_bits) - 1) + 1))
    g.params["leak_shift"] = int(rng.integers(0, cfg.v_bits + 1))
    if cfg.cuba:
        g.params["syn_shift"] = int(rng.integers(0, cfg.i_bits + 1))
    if cfg.stdp:
        g.params["learn"] = int(rng.random() < 0.8) if learn is None else int(learn)
        g.params["trace_mode"] = int(rng.integers(0, 2))
        g.params["trace_inc"] = int(rng.integers(1, cfg.trace_max + 1))
        g.params["pre_trace_shift"] = int(rng.integers(0, cfg.trace_bits + 1))
        g.params["post_trace_shift"] = int(rng.integers(0, cfg.trace_bits + 1))
        for name in ("ltp_rate", "ltd_rate"):
            g.params[name] = int(rng.integers(0, 1 << cfg.rate_bits))
        for name in ("ltp_shift", "ltd_shift"):
            g.params[name] = int(rng.integers(0, cfg.dw_bits + 1))
        a, b = sorted(int(x) for x in rng.integers(lo, hi + 1, size=2))
        g.params["w_min"], g.params["w_max"] = a, b
    return g


def random_spike_train(cfg, rng, steps, *, activity=0.3, duplicates=0.1, bad=0.05):
    """``steps`` lists of AER input ids: each axon spikes with probability ``activity``;
    some events are repeated (merged by the core) and some name no axon (dropped)."""
    train = []
    id_limit = 1 << cfg.axon_id_bits
    for _ in range(steps):
        ids = list(np.flatnonzero(rng.random(cfg.n_axons) < activity))
        rng.shuffle(ids)
        extra = []
        for a in ids:
            if rng.random() < duplicates:
                extra.append(a)
        if cfg.n_axons < id_limit:
            extra += [int(x) for x in rng.integers(cfg.n_axons, id_limit,
                                                   size=rng.binomial(3, bad))]
        events = [int(x) for x in ids + extra]
        rng.shuffle(events)
        train.append(events)
    return train


def random_valid_config(rng, *, max_neurons=16, max_axons=16):
    """A random small but valid configuration (sizes, widths, lanes, modes)."""
    from spikecore.config import CoreConfig
    n_neurons = int(rng.integers(1, max_neurons + 1))
    lanes = int(rng.choice([d for d in range(1, n_neurons + 1) if n_neurons % d == 0]))
    v_bits = int(rng.integers(6, 17))
    i_bits = int(rng.choice([0, int(rng.integers(6, 17))]))
    trace_bits = int(rng.integers(3, 9))
    rate_bits = int(rng.integers(1, 4))
    stdp = bool(rng.integers(0, 2))
    return CoreConfig(
        n_axons=int(rng.integers(1, max_axons + 1)), n_neurons=n_neurons,
        recurrent=bool(rng.integers(0, 2)), lanes=lanes,
        weight_bits=int(rng.integers(3, 9)), v_bits=v_bits, i_bits=i_bits,
        ref_bits=int(rng.integers(1, 4)), trace_bits=trace_bits, rate_bits=rate_bits,
        timestep_bits=int(rng.integers(4, 17)), stdp=stdp, learn=stdp,
        threshold=int(rng.integers(1, (1 << (v_bits - 1)))),
        ltp_shift=int(rng.integers(0, trace_bits + rate_bits + 1)),
        ltd_shift=int(rng.integers(0, trace_bits + rate_bits + 1)),
        trace_inc=int(rng.integers(1, 1 << trace_bits)),
        leak_shift=int(rng.integers(0, v_bits + 1)),
        syn_shift=int(rng.integers(0, i_bits + 1)) if i_bits else 2,
    )
