"""``spikecore sim``: run a spike train through the golden model or the RTL.

Both backends write the same files to the output folder:

- ``spikes.csv``: ``timestep,neuron`` of every output spike (timestep = index in the train);
- ``state.npz``: the final state, in the network format (it can seed another run);
- ``summary.json``: backend, steps, spike count, counters, busy cycles per step.

The RTL backend runs the generated Verilog under Verilator through cocotb and checks it
against the golden model every cycle on the way, so its outputs are the RTL's own and a
difference from the golden model stops the run with a report.
"""

import json
from pathlib import Path

import numpy as np

from spikecore.golden import GoldenCore
from .spike_io import load_network, load_spike_train, save_network, save_spikes

__all__ = ["simulate", "BACKENDS"]

BACKENDS = ("golden", "rtl")


def _golden(cfg, train, network, out):
    golden = GoldenCore(cfg)
    if network:
        load_network(network, golden)
    spikes, cycles = [], []
    for t, axons in enumerate(train):
        spikes += [(t, int(n)) for n in golden.step(axons)]
        cycles.append(golden.last_timing.cycles)
    save_spikes(out / "spikes.csv", spikes)
    save_network(out / "state.npz", golden)
    return {"spikes": len(spikes), "counters": dict(golden.counters), "step_cycles": cycles}


def _rtl(cfg, name, train_path, steps, network, out, waves):
    from .runner import run_cocotb
    env = {"SPIKECORE_OUT": str(out.resolve()), "SPIKECORE_INPUT": str(Path(train_path).resolve())}
    if network:
        env["SPIKECORE_NETWORK"] = str(Path(network).resolve())
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
             steps=None, waves=False):
    """Run the spike train in ``input_path`` and write the results to ``out_dir``.

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
    if backend == "golden":
        summary = _golden(cfg, train, network, out)
    else:
        summary = _rtl(cfg, name, input_path, len(train), network, out, waves)
    summary = {"backend": backend, "config": cfg.summary(), "steps": len(train), **summary}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def read_spikes(path):
    """``(timestep, neuron)`` pairs from a ``spikes.csv``."""
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    return [tuple(int(x) for x in row) for row in data]
