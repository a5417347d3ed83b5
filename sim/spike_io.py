"""File formats of ``spikecore sim``: spike trains, networks (core state) and results.

Spike train (``--input``):
    ``.npy``: a boolean raster of shape ``(timesteps, n_axons)``;
    ``.csv`` / ``.txt``: one ``timestep,axon`` pair per line (``#`` starts a comment). Ids are
    AER events: repeats and out-of-range ids are passed to the core as they are.
Network (``--network``, and the ``state.npz`` a run writes):
    ``.npz`` holding any of the memory windows of the register map by name (``weight`` of shape
    ``(n_rows, n_neurons)``, ``v``, ``i``, ``ref``, ``bias``, ``post_trace``, ``pre_trace``,
    ``plastic``) and parameters as ``param.<name>`` scalars.
"""

import csv
from pathlib import Path

import numpy as np

__all__ = ["load_spike_train", "save_spikes", "load_network", "save_network",
           "load_clear_steps", "save_clear_steps"]


def load_spike_train(path, cfg, *, steps=None):
    """A list of per-timestep AER id lists from ``path``."""
    path = Path(path)
    if path.suffix == ".npy":
        raster = np.load(path)
        if raster.ndim != 2 or raster.shape[1] != cfg.n_axons:
            raise ValueError(f"spike raster {path} must have shape (timesteps, {cfg.n_axons}), "
                             f"not {raster.shape}")
        train = [[int(a) for a in np.flatnonzero(row)] for row in raster.astype(bool)]
    elif path.suffix in (".csv", ".txt"):
        pairs = []
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                try:
                    t, axon = (int(x) for x in line.replace(",", " ").split())
                except ValueError:
                    raise ValueError(f"{path}:{number}: expected 'timestep,axon', not "
                                     f"{line!r}") from None
                if t < 0 or axon < 0:
                    raise ValueError(f"{path}:{number}: timestep and axon must be "
                                     f"non-negative, not {line!r}")
                pairs.append((t, axon))
        length = max((t for t, _ in pairs), default=-1) + 1
        train = [[] for _ in range(length)]
        for t, axon in pairs:
            train[t].append(axon)
    else:
        raise ValueError(f"spike train {path} must be .npy (raster) or .csv/.txt (timestep,axon "
                         f"pairs), not {path.suffix!r}")
    if steps is not None:
        train = (train + [[] for _ in range(steps)])[:steps]
    return train


def save_spikes(path, spikes):
    """Write ``(timestep, neuron)`` pairs as CSV."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestep", "neuron"])
        writer.writerows(spikes)


def load_network(path, golden):
    """Apply the state and parameters stored in ``path`` to ``golden`` (a GoldenCore)."""
    data = np.load(path)
    arrays = golden.state()
    for key in data.files:
        if key.startswith("param."):
            golden.set_param(key[len("param."):], int(data[key]))
        elif key in arrays:
            value = np.asarray(data[key], dtype=np.int64)
            if value.shape != arrays[key].shape:
                raise ValueError(f"{path}: {key} must have shape {arrays[key].shape}, "
                                 f"not {value.shape}")
            golden._array(key)[...] = value
        else:
            raise ValueError(f"{path}: unknown entry {key!r}; known: "
                             f"{', '.join(arrays)}, param.<name>")


def save_network(path, golden):
    """Store ``golden``'s memories and parameters in the network format."""
    np.savez(path, **golden.state(),
             **{f"param.{name}": np.int64(value) for name, value in golden.params.items()})


def save_clear_steps(path, steps):
    """Write the step indices before which the core is cleared, one a line."""
    Path(path).write_text("".join(f"{int(t)}\n" for t in sorted(set(steps))))


def load_clear_steps(path):
    """The set of step indices in a clear-steps file (see :func:`save_clear_steps`)."""
    steps = set()
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.isdigit():
            raise ValueError(f"{path}:{number}: expected a non-negative step index, not "
                             f"{line!r}")
        steps.add(int(line))
    return steps
