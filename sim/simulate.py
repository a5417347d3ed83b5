"""``spikecore sim``: run a spike train through the golden model or the RTL.

Both backends write the same files to the output folder:

- ``spikes.csv``: ``timestep,neuron`` of every output spike (timestep = index in the train);
- ``state.npz``: the final state, in the network format (it can seed another run);
- ``summary.json``: backend, steps, spike count, counters, busy cycles per step.

``clear_at`` (optional) lists step indices before which the core is cleared (the CLEAR
command: membranes, currents, refractory counters and traces to zero), so that independent
segments of one spike train, e.g. one image each, run in one simulation on either backend.

The RTL backend runs the generated Verilog under Verilator through cocotb and checks it
against the golden model every cycle on the way, so its outputs are the RTL's own and a
difference from the golden model stops the run with a report.
"""

import json
import warnings
from pathlib import Path

import numpy as np

from spikecore.golden import GoldenCore
from .spike_io import load_network, load_spike_train, save_clear_steps, save_network, \
    save_spikes

__all__ = ["simulate", "golden_trace", "read_spikes", "BACKENDS"]

BACKENDS = ("golden", "rtl")


def _golden(cfg, train, network, out, clear_at):
    golden = GoldenCore(cfg)
    if network:
        load_network(network, golden)
    spikes, cycles = [], []
    for t, axons in enumerate(train):
        if t in clear_at:
            golden.clear()
        spikes += [(t, int(n)) for n in golden.step(axons)]
        cycles.append(golden.last_timing.cycles)
    save_spikes(out / "spikes.csv", spikes)
    save_network(out / "state.npz", golden)
    return {"spikes": len(spikes), "counters": dict(golden.counters), "step_cycles": cycles}


def _rtl(cfg, name, train_path, steps, network, out, waves, clear_at):
    from .runner import run_cocotb
    env = {"SPIKECORE_OUT": str(out.resolve()), "SPIKECORE_INPUT": str(Path(train_path).resolve())}
    if network:
        env["SPIKECORE_NETWORK"] = str(Path(network).resolve())
    if clear_at:
        save_clear_steps(out / "clear.txt", clear_at)
        env["SPIKECORE_CLEAR"] = str((out / "clear.txt").resolve())
    result = run_cocotb(cfg, name, "workload", extra_env=env, steps=steps, waves=waves)
    rtl = json.loads((out / "rtl.json").read_text())
    (out / "rtl.json").unlink()
    with open(out / "spikes.csv") as handle:
        count = sum(1 for _ in handle) - 1
    summary = {"spikes": count, "counters": rtl["counters"], "run_folder": str(result.run_dir)}
    if result.waves_file:
        summary["waves"] = str(result.waves_file)
    return summary


def simulate(cfg, input_path, out_dir, *, name="core", network=None, backend="golden",
             steps=None, waves=False, clear_at=None):
    """Run the spike train in ``input_path`` and write the results to ``out_dir``.

    ``clear_at``: step indices before which the core is cleared (default: none).
    Returns the summary (also written as ``summary.json``).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if waves and backend != "rtl":
        raise ValueError("waves are recorded by the rtl backend only, not by "
                         f"backend={backend!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = load_spike_train(input_path, cfg, steps=steps)
    clear_at = _clear_steps(clear_at)
    if backend == "golden":
        summary = _golden(cfg, train, network, out, clear_at)
    else:
        summary = _rtl(cfg, name, input_path, len(train), network, out, waves, clear_at)
    summary = {"backend": backend, "config": cfg.summary(), "steps": len(train), **summary}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _clear_steps(clear_at):
    steps = set()
    for t in clear_at or ():
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"clear_at must hold non-negative step indices, not {t!r}")
        steps.add(int(t))
    return steps


def golden_trace(cfg, train, *, network=None, clear_at=None):
    """Run ``train`` through the golden model and record the state after every step.

    Parameters
    ----------
    cfg : CoreConfig
    train : list of id lists (as :func:`~spikecore.sim.spike_io.load_spike_train` gives)
    network : path or None
        Network ``.npz`` to start from.
    clear_at : iterable of int or None
        Step indices before which the core is cleared.

    Returns
    -------
    dict of ndarray
        ``inputs`` (T, n_axons) and ``spikes`` (T, n_neurons) bool rasters (ids out of
        range are left out), ``v`` and ``i`` (T, n_neurons) after each step,
        ``weights_before`` and ``weights_after`` (n_rows, n_neurons); and ``threshold``,
        the threshold parameter (an int).
    """
    clear_at = _clear_steps(clear_at)
    golden = GoldenCore(cfg)
    if network:
        load_network(network, golden)
    steps, n = len(train), cfg.n_neurons
    rec = {"inputs": np.zeros((steps, cfg.n_axons), dtype=bool),
           "spikes": np.zeros((steps, n), dtype=bool),
           "v": np.zeros((steps, n), dtype=np.int64), "i": np.zeros((steps, n), dtype=np.int64),
           "weights_before": golden.weights.copy()}
    for t, axons in enumerate(train):
        if t in clear_at:
            golden.clear()
        ids = [int(a) for a in axons if 0 <= int(a) < cfg.n_axons]
        rec["inputs"][t, ids] = True
        rec["spikes"][t, golden.step(axons)] = True
        rec["v"][t], rec["i"][t] = golden.v, golden.i
    rec["weights_after"] = golden.weights.copy()
    rec["threshold"] = int(golden.params["threshold"])
    return rec


def read_spikes(path):
    """``(timestep, neuron)`` pairs from a ``spikes.csv``."""
    with warnings.catch_warnings():         # a run without any spike is a valid result
        warnings.simplefilter("ignore", UserWarning)
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    return [tuple(int(x) for x in row) for row in data]
