"""Hypothesis properties of the golden model over random small configurations.

Configurations come from hypothesis (it prints the falsifying example on failure); the
weights, initial state and spike trains of an example come from a numpy generator seeded by a
hypothesis-drawn ``seed``, which every test prints (``seed=...``) so that a run can be redone.
"""

import numpy as np
from hypothesis import given, settings, strategies as st

from spikecore.config import CoreConfig, RESET_MODES, TRACE_MODES
from spikecore.golden import GoldenCore, decay, step_timing

SETTINGS = dict(max_examples=80, deadline=None)
SEEDS = st.integers(0, 2**32 - 1)


# -- strategies ------------------------------------------------------------------------------

@st.composite
def configs(draw):
    """A random valid CoreConfig: n_axons, n_neurons <= 16, every feature on or off."""
    n_neurons = draw(st.integers(1, 16))
    lanes = draw(st.sampled_from([d for d in range(1, n_neurons + 1) if n_neurons % d == 0]))
    weight_bits = draw(st.integers(2, 10))
    v_bits = draw(st.integers(4, 24))
    i_bits = draw(st.sampled_from([0, 0, 4, 6, 8, 12, 16, 24]))
    ref_bits = draw(st.integers(1, 4))
    trace_bits = draw(st.integers(2, 8))
    rate_bits = draw(st.integers(1, 4))
    v_max = (1 << (v_bits - 1)) - 1
    w_lo, w_hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    stdp = draw(st.booleans())
    dw_bits = trace_bits + rate_bits
    w_min = draw(st.integers(w_lo, w_hi))
    fields = dict(
        n_axons=draw(st.integers(1, 16)), n_neurons=n_neurons, lanes=lanes,
        recurrent=draw(st.booleans()), weight_bits=weight_bits, v_bits=v_bits,
        i_bits=i_bits, ref_bits=ref_bits, trace_bits=trace_bits, rate_bits=rate_bits,
        timestep_bits=draw(st.integers(1, 16)), stdp=stdp,
        # mostly thresholds that a few weights reach, sometimes the largest one
        threshold=draw(st.one_of(st.integers(1, min(v_max, 4 << weight_bits)),
                                 st.just(v_max))),
        reset=draw(st.sampled_from(RESET_MODES)),
        refractory=draw(st.integers(0, (1 << ref_bits) - 1)),
        bias=draw(st.one_of(st.just(0), st.integers(max(-8, -v_max - 1), min(8, v_max)),
                            st.integers(-v_max - 1, v_max))),
        leak_shift=draw(st.one_of(st.integers(0, v_bits), st.just("off"))),
        syn_shift=draw(st.integers(0, i_bits)) if i_bits else "off",
        learn=stdp and draw(st.booleans()),
        plastic=draw(st.booleans()),
        trace_mode=draw(st.sampled_from(TRACE_MODES)),
        trace_inc=draw(st.integers(1, (1 << trace_bits) - 1)),
        pre_trace_shift=draw(st.integers(0, trace_bits)),
        post_trace_shift=draw(st.integers(0, trace_bits)),
        ltp_rate=draw(st.integers(0, (1 << rate_bits) - 1)),
        ltd_rate=draw(st.integers(0, (1 << rate_bits) - 1)),
        ltp_shift=draw(st.integers(0, dw_bits)),
        ltd_shift=draw(st.integers(0, dw_bits)),
        w_min=w_min,
        w_max=draw(st.integers(w_min, w_hi)),
    )
    return CoreConfig(**fields)


def build(cfg, seed):
    """A core with random in-range weights, state and plastic flags, and a random spike train
    of <= 20 timesteps (id lists with duplicates and out-of-range ids, or bool vectors)."""
    rng = np.random.default_rng(seed)
    g = GoldenCore(cfg)
    g.weights[:] = rng.integers(cfg.weight_min, cfg.weight_max + 1, size=g.weights.shape)
    g.v[:] = rng.integers(cfg.v_min, cfg.v_max + 1, size=cfg.n_neurons)
    if cfg.cuba:
        g.i[:] = rng.integers(cfg.i_min, cfg.i_max + 1, size=cfg.n_neurons)
    g.ref[:] = rng.integers(0, 1 << cfg.ref_bits, size=cfg.n_neurons)
    g.post_trace[:] = rng.integers(0, cfg.trace_max + 1, size=cfg.n_neurons)
    g.pre_trace[:] = rng.integers(0, cfg.trace_max + 1, size=cfg.n_rows)
    g.plastic[:] = rng.integers(0, 2, size=cfg.n_rows)
    if rng.random() < 0.5:
        g.bias[:] = rng.integers(-16, 17, size=cfg.n_neurons).clip(cfg.v_min, cfg.v_max)
    train = []
    for _ in range(int(rng.integers(1, 21))):
        if rng.random() < 0.3:
            train.append(rng.random(cfg.n_axons) < rng.random())
        else:
            k = int(rng.integers(0, cfg.n_axons + 3))
            # ids up to what an axon_id_bits-wide event can carry: some are >= n_axons
            train.append(rng.integers(0, 1 << cfg.axon_id_bits, size=k).tolist())
    return g, train


def input_rows(cfg, axons, last_spikes):
    """The row set R_t of a timestep, worked out from the specification."""
    rows = np.zeros(cfg.n_rows, dtype=bool)
    ids = np.flatnonzero(axons) if isinstance(axons, np.ndarray) else axons
    for a in ids:
        if 0 <= a < cfg.n_axons:
            rows[a] = True
    if cfg.recurrent:
        rows[cfg.n_axons:] = last_spikes
    return rows


# -- ranges ----------------------------------------------------------------------------------

@settings(**SETTINGS)
@given(cfg=configs(), seed=SEEDS)
def test_state_stays_in_range(cfg, seed):
    """Every state stays in its range; visited plastic weights lie in [w_min, w_max];
    unvisited and non-plastic weights never change."""
    print(f"seed={seed}")
    g, train = build(cfg, seed)
    w0 = g.weights.copy()
    plastic = g.plastic == 1
    visited = np.zeros(g.weights.shape, dtype=bool)
    last = np.zeros(cfg.n_neurons, dtype=bool)
    learn = cfg.stdp and g.params["learn"] == 1
    for axons in train:
        rows = input_rows(cfg, axons, last)
        out = g.step(axons)
        spikes = np.zeros(cfg.n_neurons, dtype=bool)
        spikes[out] = True
        assert (np.diff(out) > 0).all()                      # ascending, distinct
        if learn:
            visited[rows & plastic, :] = True                # depression: pre-spike rows
            visited[np.ix_(plastic, spikes)] = True          # potentiation: post columns
        last = spikes
        assert ((cfg.v_min <= g.v) & (g.v <= cfg.v_max)).all()
        assert ((cfg.i_min <= g.i) & (g.i <= cfg.i_max)).all()     # zeros without CUBA
        assert ((0 <= g.ref) & (g.ref <= (1 << cfg.ref_bits) - 1)).all()
        for trace in (g.pre_trace, g.post_trace):
            assert ((0 <= trace) & (trace <= cfg.trace_max)).all()
        w = g.weights
        assert ((w[visited] >= cfg.w_min) & (w[visited] <= cfg.w_max)).all()
        assert (w[~visited] == w0[~visited]).all()
        assert (w[~plastic] == w0[~plastic]).all()
        assert ((cfg.weight_min <= w) & (w <= cfg.weight_max)).all()
    if not learn:
        assert (g.weights == w0).all()


# -- determinism -----------------------------------------------------------------------------

@settings(**SETTINGS)
@given(cfg=configs(), seed=SEEDS)
def test_determinism(cfg, seed):
    """Same configuration, state and inputs: identical outputs, state, counters, timing."""
    print(f"seed={seed}")
    a, train = build(cfg, seed)
    b, train_b = build(cfg, seed)
    for axons, axons_b in zip(train, train_b, strict=True):
        out_a, out_b = a.step(axons), b.step(axons_b)
        assert out_a.tolist() == out_b.tolist()
        assert a.last_timing == b.last_timing
        assert a.counters == b.counters and a.status == b.status
        assert a.timestep == b.timestep
        sa, sb = a.state(), b.state()
        assert sa.keys() == sb.keys()
        for name in sa:
            assert (sa[name] == sb[name]).all(), name


@settings(**SETTINGS)
@given(cfg=configs(), seed=SEEDS)
def test_timing_follows_the_step(cfg, seed):
    """last_timing is the cycle model of what the step did; cycles counters add it up."""
    print(f"seed={seed}")
    g, train = build(cfg, seed)
    last = np.zeros(cfg.n_neurons, dtype=bool)
    total = 0
    for axons in train:
        rows = input_rows(cfg, axons, last)
        out = g.step(axons)
        spikes = np.zeros(cfg.n_neurons, dtype=bool)
        spikes[out] = True
        learn = cfg.stdp and g.params["learn"] == 1
        t = g.last_timing
        assert t == step_timing(cfg, n_rows_active=int(rows.sum()), spikes=spikes, learn=learn)
        assert t.sops == rows.sum() * cfg.n_neurons
        assert len(t.events) == len(out)
        if len(out):
            # consecutive events from the first cycle of the closing phase (6 cycles after the
            # last neuron issue) + SERIAL_LATENCY (2)
            first = t.neurons[1] + 6 + 2
            assert t.events == tuple(range(first, first + len(out)))
        assert t.cycles >= t.bound
        total += t.cycles
        assert g.counters["step_cycles"] == t.cycles
        assert g.counters["cycles"] == total % 2**32
        last = spikes


# -- independent transcription of the specification ------------------------------------------

def spec_decay(x, s, n):
    """docs/semantics.md, 'The decay rule', in plain integers."""
    if s >= n:
        return x
    dec = -(-abs(x) // 2**s)                 # ceil(|x| / 2^s)
    return x - dec if x >= 0 else x + dec


def spec_sat(x, n):
    return min(max(x, -2**(n - 1)), 2**(n - 1) - 1)


class SpecCore:
    """A scalar, loop-by-loop transcription of 'One timestep, in order' (no numpy)."""

    def __init__(self, g):
        self.cfg = cfg = g.cfg
        self.p = dict(g.params)
        self.W = g.weights.tolist()
        self.v, self.i, self.ref = g.v.tolist(), g.i.tolist(), g.ref.tolist()
        self.bias, self.plastic = g.bias.tolist(), g.plastic.tolist()
        self.x_pre, self.x_post = g.pre_trace.tolist(), g.post_trace.tolist()
        self.prev = [False] * cfg.n_neurons
        self.counters = {"in_spikes": 0, "dup_spikes": 0, "bad_axons": 0, "sops": 0,
                         "out_spikes": 0}

    def step(self, axons):
        cfg, p, n = self.cfg, self.p, self.cfg.n_neurons
        if isinstance(axons, np.ndarray):
            axons = np.flatnonzero(axons).tolist()
        R = []
        for a in axons:
            if a >= cfg.n_axons:
                self.counters["bad_axons"] += 1
            elif a in R:
                self.counters["dup_spikes"] += 1
            else:
                R.append(a)
                self.counters["in_spikes"] += 1
        if cfg.recurrent:
            R += [cfg.n_axons + j for j in range(n) if self.prev[j]]
        self.counters["sops"] += len(R) * n
        learn = cfg.stdp and p["learn"] == 1
        w_min, w_max = (p["w_min"], p["w_max"]) if cfg.stdp else (0, 0)
        # 1. accumulation with the start-of-step weights
        acc = [sum(self.W[r][j] for r in R) for j in range(n)]
        # 2. depression with the start-of-step post-traces
        if learn:
            for r in R:
                if self.plastic[r]:
                    for j in range(n):
                        dw = (self.x_post[j] * p["ltd_rate"]) >> p["ltd_shift"]
                        self.W[r][j] = min(max(self.W[r][j] - dw, w_min), w_max)
        # 3. current
        if cfg.cuba:
            for j in range(n):
                self.i[j] = spec_sat(spec_decay(self.i[j], p["syn_shift"], cfg.i_bits) + acc[j],
                                     cfg.i_bits)
            u = list(self.i)
        else:
            u = acc
        # 4., 5. membrane, threshold, reset, refractory
        spike = [False] * n
        for j in range(n):
            if self.ref[j] == 0:
                self.v[j] = spec_sat(spec_decay(self.v[j], p["leak_shift"], cfg.v_bits) + u[j]
                                     + self.bias[j], cfg.v_bits)
                spike[j] = self.v[j] >= p["threshold"]
            if spike[j]:
                self.v[j] = 0 if p["reset_mode"] == 0 else self.v[j] - p["threshold"]
                self.ref[j] = p["refractory"]
            else:
                self.ref[j] = max(self.ref[j] - 1, 0)
        # 6. traces
        if learn:
            top = 2**cfg.trace_bits - 1

            def trace(x, spiked, k):
                y = spec_decay(x, k, cfg.trace_bits)
                if not spiked:
                    return y
                return min(y + p["trace_inc"], top) if p["trace_mode"] == 0 else p["trace_inc"]
            self.x_post = [trace(self.x_post[j], spike[j], p["post_trace_shift"])
                           for j in range(n)]
            self.x_pre = [trace(self.x_pre[r], r in R, p["pre_trace_shift"])
                          for r in range(cfg.n_rows)]
            # 7. potentiation with the fresh pre-traces
            for j in range(n):
                if spike[j]:
                    for r in range(cfg.n_rows):
                        if self.plastic[r]:
                            dw = (self.x_pre[r] * p["ltp_rate"]) >> p["ltp_shift"]
                            self.W[r][j] = min(max(self.W[r][j] + dw, w_min), w_max)
        # 8. output
        self.prev = spike
        out = [j for j in range(n) if spike[j]]
        self.counters["out_spikes"] += len(out)
        return out


@settings(**SETTINGS)
@given(cfg=configs(), seed=SEEDS)
def test_matches_scalar_transcription_of_spec(cfg, seed):
    """GoldenCore equals a loop-by-loop transcription of docs/semantics.md, step by step."""
    print(f"seed={seed}")
    g, train = build(cfg, seed)
    s = SpecCore(g)
    for t, axons in enumerate(train):
        assert g.step(axons).tolist() == s.step(axons), t
        assert g.v.tolist() == s.v, t
        assert g.i.tolist() == s.i, t
        assert g.ref.tolist() == s.ref, t
        assert g.pre_trace.tolist() == s.x_pre, t
        assert g.post_trace.tolist() == s.x_post, t
        assert g.weights.tolist() == s.W, t
        for name, value in s.counters.items():
            assert g.counters[name] == value, (t, name)


# -- decay properties ------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(width=st.integers(2, 32), data=st.data())
def test_decay_moves_toward_zero(width, data):
    """decay never crosses 0, never grows, and moves a non-zero state by >= 1 unless off."""
    x = data.draw(st.integers(-2**(width - 1), 2**(width - 1) - 1))
    s = data.draw(st.integers(0, width + 2))
    y = int(decay(x, s, width))
    assert min(0, x) <= y <= max(0, x)
    if s >= width:
        assert y == x
    elif x != 0:
        assert abs(y) <= abs(x) - 1
    assert y == spec_decay(x, s, width)


# -- linearity of accumulation ---------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(weight_bits=st.integers(2, 16), n_rows=st.integers(1, 1 << 17))
def test_acc_bits_hold_every_row(weight_bits, n_rows):
    """acc_bits = weight_bits + bitlen(n_rows) holds n_rows times the most negative (and the
    most positive) weight, so accumulation can never saturate."""
    n_axons = min(n_rows, 1 << 16)
    cfg = CoreConfig(n_axons=n_axons, n_neurons=n_rows - n_axons or 1, lanes=1,
                     recurrent=n_rows > n_axons, weight_bits=weight_bits)
    assert cfg.n_rows == n_rows
    lo, hi = -(1 << (cfg.acc_bits - 1)), (1 << (cfg.acc_bits - 1)) - 1
    assert lo <= n_rows * cfg.weight_min and n_rows * cfg.weight_max <= hi


@st.composite
def linear_configs(draw):
    """Wide v, no leak, no bias, no learning, no refractory, threshold out of reach."""
    n_neurons = draw(st.integers(1, 16))
    lanes = draw(st.sampled_from([d for d in range(1, n_neurons + 1) if n_neurons % d == 0]))
    stdp = draw(st.booleans())
    cuba = draw(st.booleans())
    return CoreConfig(
        n_axons=draw(st.integers(1, 16)), n_neurons=n_neurons, lanes=lanes,
        recurrent=draw(st.booleans()), weight_bits=draw(st.integers(2, 16)), v_bits=32,
        i_bits=32 if cuba else 0, syn_shift=draw(st.integers(0, 32)) if cuba else "off",
        threshold=2**31 - 1, refractory=0, bias=0,
        leak_shift=draw(st.sampled_from(["off", 32])), stdp=stdp, learn=False)


@settings(**SETTINGS)
@given(cfg=linear_configs(), seed=SEEDS)
def test_accumulation_is_linear(cfg, seed):
    """Below saturation, v after one step is the sum of the spiking rows' weights, and for
    disjoint axon sets A, B: v(A u B) = v(A) + v(B).

    Bounds: |sum| <= 16 rows * 2^15 = 2^19, far inside v_bits = i_bits = 32; the current
    starts at 0 so its decay (any shift) adds nothing; no spike can reach 2^31 - 1.
    """
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    weights = rng.integers(cfg.weight_min, cfg.weight_max + 1, size=(cfg.n_rows, cfg.n_neurons))
    side = rng.integers(0, 3, size=cfg.n_axons)          # 0: in neither, 1: A, 2: B
    A, B = np.flatnonzero(side == 1).tolist(), np.flatnonzero(side == 2).tolist()

    def membrane_after(axons):
        g = GoldenCore(cfg)
        g.weights[:] = weights
        assert g.step(axons).tolist() == []
        assert (g.weights == weights).all()
        return g.v.copy()

    v_a, v_b, v_ab = membrane_after(A), membrane_after(B), membrane_after(A + B)
    assert v_a.tolist() == weights[A].sum(axis=0).tolist()
    assert v_b.tolist() == weights[B].sum(axis=0).tolist()
    assert (v_ab == v_a + v_b).all()
    # the same input with every event repeated is the same set
    assert (membrane_after(A + A) == v_a).all()
