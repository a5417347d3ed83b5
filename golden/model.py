"""The numpy golden model: one timestep of docs/semantics.md, bit-exact.

Integer arrays only (int64 throughout, so no product or sum can overflow before the explicit
saturation of the specification). The hardware is checked against this model, element by
element and, through :mod:`spikecore.golden.cycles`, cycle by cycle.
"""

import numpy as np

from spikecore.config import CoreConfig, TRACE_MODES
from spikecore.regmap import COUNTERS, StatusBit, build_regmap, param_fields, \
    param_reset_values
from .fixedpoint import trace_update, weight_update
from .neuron import neuron_update
from .cycles import step_timing

__all__ = ["GoldenCore"]


class GoldenCore:
    """A software twin of one spiking core.

    Parameters
    ----------
    cfg : CoreConfig
        The configuration; power-on parameter values come from it.

    Attributes
    ----------
    weights : ndarray, shape (n_rows, n_neurons)
        Synaptic weights; row ``r < n_axons`` is axon ``r``, row ``n_axons + j`` is the
        recurrent row of neuron ``j``.
    v, i, ref, bias, post_trace : ndarray, shape (n_neurons,)
        Membrane potential, synaptic current (zeros without CUBA), refractory counter,
        per-neuron bias, postsynaptic trace.
    pre_trace, plastic : ndarray, shape (n_rows,)
        Presynaptic trace and plasticity flag of each row.
    params : dict
        Runtime parameters by register name (see :func:`spikecore.regmap.param_fields`).
    timestep : int
        Number of the next timestep.
    counters : dict
        The hardware's event counters, by name.
    last_timing : StepTiming or None
        Cycle-model prediction for the last timestep.
    """

    def __init__(self, cfg):
        if not isinstance(cfg, CoreConfig):
            raise TypeError(f"cfg must be a CoreConfig, not {cfg!r}")
        self.cfg = cfg
        self.regmap = build_regmap(cfg)
        n, r = cfg.n_neurons, cfg.n_rows
        self.weights = np.zeros((r, n), dtype=np.int64)
        self.v = np.zeros(n, dtype=np.int64)
        self.i = np.zeros(n, dtype=np.int64)
        self.ref = np.zeros(n, dtype=np.int64)
        self.bias = np.full(n, cfg.bias, dtype=np.int64)
        self.post_trace = np.zeros(n, dtype=np.int64)
        self.pre_trace = np.zeros(r, dtype=np.int64)
        self.plastic = np.full(r, int(cfg.plastic), dtype=np.int64)
        self.params = param_reset_values(cfg)
        self.timestep = 0
        self.last_spikes = np.zeros(n, dtype=bool)
        self.counters = {name: 0 for name in COUNTERS}
        self.status = 0
        self.last_timing = None

    # -- parameters ------------------------------------------------------------------------
    def set_param(self, name, value):
        """Set a runtime parameter (as a register write would), range-checked."""
        self.write(name, None, value)

    def _p(self, name, default=0):
        return self.params.get(name, default)

    # -- one timestep ----------------------------------------------------------------------
    def _rows(self, axons):
        """Distinct presynaptic rows of this step, and the AER bookkeeping of ``axons``."""
        cfg = self.cfg
        if isinstance(axons, np.ndarray) and axons.dtype == bool:
            if axons.shape != (cfg.n_axons,):
                raise ValueError(f"input spike vector must have shape ({cfg.n_axons},), "
                                 f"not {axons.shape}")
            events = np.flatnonzero(axons).tolist()
        else:
            events = [int(a) for a in axons]
        seen = np.zeros(cfg.n_axons, dtype=bool)
        for a in events:
            if not 0 <= a < cfg.n_axons:
                self.counters["bad_axons"] += 1          # dropped, counted, flagged
                self.status |= 1 << StatusBit.BAD_AXON
            elif seen[a]:
                self.counters["dup_spikes"] += 1         # merged: a timestep's input is a set
            else:
                seen[a] = True
                self.counters["in_spikes"] += 1
        rows = np.zeros(cfg.n_rows, dtype=bool)
        rows[:cfg.n_axons] = seen
        if cfg.recurrent:
            rows[cfg.n_axons:] = self.last_spikes
        return rows

    def step(self, axons=()):
        """Run one timestep.

        Parameters
        ----------
        axons : iterable of int, or bool ndarray of shape (n_axons,)
            The AER input events of this step, as axon ids (duplicates are merged and
            out-of-range ids dropped, as the hardware does), or a spike vector.

        Returns
        -------
        ndarray of int64
            Ids of the neurons that spiked, ascending (the order the core emits them).
        """
        cfg, p = self.cfg, self.params
        rows = self._rows(axons)
        learn = cfg.stdp and self._p("learn") == 1
        w_min, w_max = self._p("w_min"), self._p("w_max")

        # 1. Synaptic accumulation: each spiking row delivers its weights (read before any
        #    learning update of this step). Exact: acc_bits cannot overflow.
        active_rows = np.flatnonzero(rows)
        acc = self.weights[active_rows].sum(axis=0, dtype=np.int64)
        self.counters["sops"] += len(active_rows) * cfg.n_neurons

        # 2. Depression (pre-spike): a plastic spiking row loses a function of the
        #    postsynaptic traces as they stand at the start of the step.
        if learn:
            ltd = (self.post_trace * p["ltd_rate"]) >> p["ltd_shift"]
            dep = active_rows[self.plastic[active_rows] == 1]
            self.weights[dep] = weight_update(self.weights[dep], -ltd[None, :], w_min, w_max)

        # 3-5. Current, membrane, threshold, reset, refractory; 6. the post-trace.
        state = {"v": self.v, "i": self.i, "ref": self.ref, "bias": self.bias,
                 "post_trace": self.post_trace}
        if not cfg.cuba:
            del state["i"]
        nxt, spikes = neuron_update(cfg, p, state, acc, learn=learn)
        self.v, self.ref, self.post_trace = nxt["v"], nxt["ref"], nxt["post_trace"]
        if cfg.cuba:
            self.i = nxt["i"]

        # 6. The pre-traces, then potentiation (post-spike) with this step's pre-traces.
        if learn:
            mode = TRACE_MODES[p["trace_mode"]]
            self.pre_trace = trace_update(self.pre_trace, rows, shift=p["pre_trace_shift"],
                                          inc=p["trace_inc"], mode=mode, bits=cfg.trace_bits)
            ltp = (self.pre_trace * p["ltp_rate"]) >> p["ltp_shift"]
            pot_rows = np.flatnonzero(self.plastic == 1)
            cols = np.flatnonzero(spikes)
            block = np.ix_(pot_rows, cols)
            self.weights[block] = weight_update(self.weights[block], ltp[pot_rows, None],
                                                w_min, w_max)

        # 7. Bookkeeping: output events, recurrent rows for the next step, cycle model.
        out = np.flatnonzero(spikes)
        self.last_timing = step_timing(cfg, n_rows_active=len(active_rows),
                                       spikes=spikes, learn=learn)
        self.counters["out_spikes"] += len(out)
        self.counters["cycles"] += self.last_timing.cycles
        self.counters["step_cycles"] = self.last_timing.cycles
        for name in self.counters:
            self.counters[name] &= 0xFFFF_FFFF
        self.last_spikes = spikes
        self.timestep = (self.timestep + 1) % (1 << cfg.timestep_bits)
        return out

    def run(self, spike_train):
        """Run one timestep per entry of ``spike_train`` and return the output raster.

        Parameters
        ----------
        spike_train : bool ndarray of shape (T, n_axons), or a sequence of T id lists

        Returns
        -------
        bool ndarray of shape (T, n_neurons)
        """
        steps = list(spike_train) if not isinstance(spike_train, np.ndarray) else spike_train
        raster = np.zeros((len(steps), self.cfg.n_neurons), dtype=bool)
        for t, axons in enumerate(steps):
            raster[t, self.step(axons)] = True
        return raster

    def clear(self):
        """The CLEAR command: zero membranes, currents, refractory counters and traces."""
        self.v[:] = 0
        self.i[:] = 0
        self.ref[:] = 0
        self.post_trace[:] = 0
        self.pre_trace[:] = 0
        self.last_spikes[:] = False

    # -- register/memory access by name (what the command interface reaches) -----------
    def _array(self, name):
        return {"weight": self.weights, "v": self.v, "i": self.i, "ref": self.ref,
                "bias": self.bias, "post_trace": self.post_trace,
                "pre_trace": self.pre_trace, "plastic": self.plastic}[name]

    def read(self, name, index=None):
        """The value a READ of ``name`` (element ``index``) returns."""
        entry = self.regmap[name]
        self.regmap.offset(entry, index)        # range check
        if entry.kind == "mem":
            return int(self._array(name)[index])
        if name == "id":
            return entry.reset
        if name == "status":
            return self.status
        if name == "timestep":
            return self.timestep
        if name in self.counters:
            return self.counters[name]
        return self.params[name]

    def write(self, name, index, value):
        """A WRITE of ``value`` to ``name`` (element ``index``), range-checked."""
        entry = self.regmap[name]
        self.regmap.offset(entry, index)
        self.regmap.encode_value(name, value)   # range check
        if not entry.writable:
            raise ValueError(f"{name} is read-only")
        if entry.kind == "mem":
            self._array(name)[index] = value
        elif name == "status":
            self.status &= ~value
        elif name == "timestep":
            self.timestep = value
        elif name in self.counters:
            self.counters[name] = 0         # a write zeroes a counter, whatever the data
        else:
            self.params[name] = value

    def state(self):
        """Every element of every memory window, by name (copies)."""
        return {e.name: self._array(e.name).copy() for e in self.regmap if e.kind == "mem"}
