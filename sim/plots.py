"""Pictures of a run: spike rasters, membrane traces, weight matrices, the STDP window.

Matplotlib with the Agg backend (files only, no display). Every function takes arrays (as
:func:`spikecore.sim.simulate.golden_trace` records them) and writes a PNG; nothing here runs
the core except :func:`stdp_window`, which measures the learning rule on the golden model.
"""

from pathlib import Path

import numpy as np

from spikecore.golden import GoldenCore

__all__ = ["plot_raster", "plot_membrane", "plot_weights", "stdp_window", "plot_stdp_window",
           "plot_run"]

DPI = 80


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)
    return path


def plot_raster(path, spikes, *, inputs=None, title="spikes", marks=None):
    """Raster of output spikes (and, if given, input spikes above them).

    ``marks``: step indices to draw as vertical lines (e.g. image boundaries or pattern
    onsets).
    """
    plt = _pyplot()
    panels = [("input axon", inputs)] if inputs is not None else []
    panels.append(("neuron", spikes))
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 1.6 + 1.6 * len(panels)),
                             sharex=True, squeeze=False)
    for ax, (label, raster) in zip(axes[:, 0], panels):
        t, n = np.nonzero(np.asarray(raster, dtype=bool))
        ax.scatter(t, n, s=3, marker="|", color="k", linewidths=0.8)
        ax.set_ylabel(label)
        ax.set_ylim(-0.5, np.asarray(raster).shape[1] - 0.5)
        for m in marks if marks is not None else ():
            ax.axvline(m - 0.5, color="tab:blue", lw=0.5, alpha=0.4)
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel("timestep")
    return _save(fig, path)


def plot_membrane(path, v, neurons, *, threshold=None, spikes=None, title="membrane"):
    """Membrane potential of ``neurons`` over time, spikes marked, threshold dashed."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    for j in neurons:
        line, = ax.plot(v[:, j], lw=0.9, label=f"neuron {j}")
        if spikes is not None:
            t = np.flatnonzero(spikes[:, j])
            ax.plot(t, np.full(len(t), threshold if threshold else v[:, j].max()), "v",
                    ms=3, color=line.get_color())
    if threshold is not None:
        ax.axhline(threshold, ls="--", color="gray", lw=0.8, label="threshold")
    ax.set_xlabel("timestep")
    ax.set_ylabel("v (core units)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    return _save(fig, path)


def plot_weights(path, before, after=None, *, title="weights"):
    """Weight matrix (rows x neurons) before and, if given, after a run (shared colours)."""
    plt = _pyplot()
    mats = [("before", before)] + ([("after", after)] if after is not None else [])
    lim = max(1, max(int(np.abs(m).max()) for _, m in mats))
    fig, axes = plt.subplots(1, len(mats), figsize=(3.4 * len(mats) + 0.6, 3.4),
                             squeeze=False)
    for ax, (label, mat) in zip(axes[0], mats):
        image = ax.imshow(np.asarray(mat).T, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                          interpolation="nearest")
        ax.set_title(f"{title} {label}" if after is not None else title)
        ax.set_xlabel("presynaptic row")
        ax.set_ylabel("neuron")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def stdp_window(cfg, delays=range(-12, 13), *, start=0):
    """The STDP window of ``cfg``, measured on the golden model.

    For each delay ``d = t_post - t_pre`` a fresh core sees one presynaptic spike on plastic
    row 0 (weight ``start``) at step 20 and a postsynaptic spike of neuron 0 at step
    ``20 + d``, forced through the non-plastic row 1 (weight at the threshold, current
    emptied every step); the change of ``W[0, 0]`` after the traces decayed is the window.

    Returns
    -------
    delays, dw : ndarray of int
    """
    if not cfg.stdp:
        raise ValueError("cfg.stdp must be True to measure an STDP window, not False")
    if cfg.n_axons < 2:
        raise ValueError(f"cfg.n_axons must be at least 2 (a measured row and a driver), "
                         f"not {cfg.n_axons}")
    delays = np.asarray(list(delays), dtype=np.int64)
    t_pre = 20
    length = t_pre + int(np.abs(delays).max(initial=0)) + 4 * cfg.trace_bits + 8
    dws = []
    for d in delays:
        g = GoldenCore(cfg)
        drive = min(cfg.weight_max, cfg.v_max)
        g.set_param("learn", 1)
        g.set_param("threshold", drive)
        g.set_param("refractory", 0)
        if cfg.cuba:
            g.set_param("syn_shift", 0)
        g.plastic[:] = 0
        g.plastic[0] = 1
        g.weights[0, 0] = start
        g.weights[1, 0] = drive
        for t in range(length):
            axons = ([0] if t == t_pre else []) + ([1] if t == t_pre + d else [])
            g.step(axons)
        dws.append(int(g.weights[0, 0]) - start)
    return delays, np.asarray(dws, dtype=np.int64)


def plot_stdp_window(path, delays, dw, *, title="STDP window (golden model)"):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.axhline(0, color="gray", lw=0.6)
    ax.axvline(0, color="gray", lw=0.6)
    ax.plot(delays, dw, "o-", ms=3)
    ax.set_xlabel("t_post - t_pre (timesteps)")
    ax.set_ylabel("weight change (LSB)")
    ax.set_title(title)
    return _save(fig, path)


def plot_run(out_dir, cfg, record, *, neurons=None, marks=None, prefix=""):
    """The standard pictures of one recorded run: raster, membrane traces, weights.

    Parameters
    ----------
    out_dir : path
    cfg : CoreConfig
    record : dict
        As :func:`spikecore.sim.simulate.golden_trace` returns.
    neurons : sequence of int or None
        Neurons whose membrane to draw (default: the 4 that spike most).

    Returns
    -------
    list of Path
    """
    out = Path(out_dir)
    spikes = record["spikes"]
    if neurons is None:
        counts = spikes.sum(axis=0)
        neurons = sorted(np.argsort(-counts, kind="stable")[:min(4, cfg.n_neurons)].tolist())
    threshold = record.get("threshold", cfg.threshold)
    paths = [plot_raster(out / f"{prefix}raster.png", spikes, inputs=record["inputs"],
                         marks=marks),
             plot_membrane(out / f"{prefix}membrane.png", record["v"], neurons,
                           threshold=threshold, spikes=spikes)]
    before, after = record["weights_before"], record["weights_after"]
    paths.append(plot_weights(out / f"{prefix}weights.png", before,
                              None if np.array_equal(before, after) else after))
    return paths
