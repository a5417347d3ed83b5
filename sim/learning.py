"""On-chip learning demo: one neuron learns, by STDP, to detect a spike pattern hidden in
Poisson noise.

A fixed spatio-temporal pattern (``pattern_axons`` axons, each spiking once at a fixed offset
within ``length`` steps) replaces the noise of those axons now and then; every axon spikes
with probability ``rate`` per step (noise); the pattern adds a burst of 8 spikes in 4 steps
on its axons. Neuron 0 starts with equal weights from every axon and learns
with the core's STDP (the other neurons and the recurrent rows are silent and not plastic).
The same training run with ``learn = 0`` is the control. Both weight sets are then tested
with learning off on fresh segments, half with the pattern at a fixed onset and half noise
only, a CLEAR before each: the neuron "detects" when it spikes within the window after the
onset. Selectivity = P(detect | pattern) - P(detect | noise).
"""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["PatternTask", "make_task", "training_raster", "test_raster", "network",
           "run_core", "detections", "evaluate"]

#: Core configuration (shipped) the demo runs on, and the learning parameters it sets.
CONFIG = "tiny"
#: (Chosen by a small search on the golden model: depression slightly outweighs
#: potentiation, so uncorrelated inputs fade and the pattern's early axons grow.)
PARAMS = {"threshold": 500, "refractory": 2, "learn": 1, "trace_mode": 1, "trace_inc": 24,
          "pre_trace_shift": 2, "post_trace_shift": 2, "ltp_rate": 3, "ltp_shift": 5,
          "ltd_rate": 4, "ltd_shift": 5, "w_min": 0, "w_max": 45}


@dataclass
class PatternTask:
    """The pattern and the statistics of the noise around it.

    Attributes
    ----------
    pattern : list of (int, int)
        ``(offset, axon)`` of every spike of the pattern.
    length : int
        Steps the pattern lasts.
    rate : float
        Spike probability of every axon per step (noise).
    n_axons : int
    seed : int
    """
    pattern: list
    length: int
    rate: float
    n_axons: int
    seed: int
    axons: list = field(default_factory=list)


def make_task(n_axons, *, seed=0, pattern_axons=8, length=4, rate=0.1):
    """A random pattern: ``pattern_axons`` axons, each spiking once in ``length`` steps;
    ``rate``: noise spike probability per axon and step."""
    rng = np.random.default_rng(seed)
    axons = sorted(rng.choice(n_axons, size=pattern_axons, replace=False).tolist())
    pattern = [(int(rng.integers(length)), a) for a in axons]
    return PatternTask(pattern=pattern, length=length, rate=rate, n_axons=n_axons,
                       seed=seed, axons=axons)


def _insert(raster, task, onset):
    raster[onset:onset + task.length, task.axons] = False
    for offset, axon in task.pattern:
        raster[onset + offset, axon] = True


def training_raster(task, steps, *, period=20, seed=1):
    """Noise with the pattern at a random onset in every ``period`` steps; returns the raster
    and the onsets."""
    rng = np.random.default_rng(seed)
    raster = rng.random((steps, task.n_axons)) < task.rate
    onsets = []
    for start in range(0, steps - period + 1, period):
        onset = start + int(rng.integers(0, period - task.length))
        _insert(raster, task, onset)
        onsets.append(onset)
    return raster, onsets


def test_raster(task, segments, *, length=24, onset=12, seed=2):
    """``segments`` segments of ``length`` steps, alternately with the pattern at ``onset``
    and noise only; returns the raster, the labels (1 = pattern) and the CLEAR steps."""
    rng = np.random.default_rng(seed)
    raster = rng.random((segments * length, task.n_axons)) < task.rate
    labels = np.arange(segments) % 2 == 0
    for k in np.flatnonzero(labels):
        _insert(raster, task, k * length + onset)
    return raster, labels.astype(int), list(range(0, segments * length, length))


def network(cfg, *, weight=25, learn=True):
    """The starting network: neuron 0 with ``weight`` from every axon, axon rows plastic."""
    w = np.zeros((cfg.n_rows, cfg.n_neurons), dtype=np.int64)
    w[:cfg.n_axons, 0] = weight
    plastic = np.zeros(cfg.n_rows, dtype=np.int64)
    plastic[:cfg.n_axons] = 1
    params = dict(PARAMS, learn=int(learn))
    return {"weight": w, "plastic": plastic, "bias": np.zeros(cfg.n_neurons, dtype=np.int64),
            **{f"param.{k}": np.int64(v) for k, v in params.items()}}


def run_core(cfg, raster, net, *, backend="golden", clear_at=(), out_dir=None, name=CONFIG):
    """Run ``raster`` from network ``net`` (a dict); returns ``(spikes, final state)``."""
    from .simulate import read_spikes, simulate
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(out_dir) if out_dir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        np.savez(work / "network.npz", **net)
        np.save(work / "input.npy", raster)
        simulate(cfg, work / "input.npy", work / backend, name=name,
                 network=work / "network.npz", backend=backend, clear_at=clear_at)
        spikes = np.zeros((len(raster), cfg.n_neurons), dtype=bool)
        for t, neuron in read_spikes(work / backend / "spikes.csv"):
            spikes[t, neuron] = True
        with np.load(work / backend / "state.npz") as data:
            state = {k: data[k].copy() for k in data.files}
    return spikes, state


def detections(spikes, labels, *, length=24, onset=12, window=10):
    """Whether neuron 0 spiked in ``[onset, onset + window)`` of every test segment."""
    per = spikes[:, 0].reshape(len(labels), length)
    return per[:, onset:onset + window].any(axis=1)


def _selectivity(detected, labels):
    hit = float(detected[labels == 1].mean())
    false = float(detected[labels == 0].mean())
    return {"hit_rate": hit, "false_alarm_rate": false, "selectivity": hit - false,
            "accuracy": float(np.mean(detected == (labels == 1)))}


def evaluate(*, backends=("golden",), train_steps=2000, test_segments=100, seed=0,
             out_dir=None):
    """Train with and without learning, test both, on each backend.

    Returns
    -------
    dict
        ``task``; per backend: ``learned`` and ``control`` (hit rate, false-alarm rate,
        selectivity, accuracy), ``weights`` (final weights of the learning run),
        ``train_spikes`` and ``test_spikes`` (learned network), ``seconds``.
    """
    import time
    from spikecore.config import load_config
    cfg = load_config(CONFIG)
    task = make_task(cfg.n_axons, seed=seed)
    train, onsets = training_raster(task, train_steps, seed=seed + 1)
    test, labels, clears = test_raster(task, test_segments, seed=seed + 2)
    result = {"task": task, "onsets": onsets, "cfg": cfg, "train": train, "test": test}
    for backend in backends:
        began = time.perf_counter()
        sub = None if out_dir is None else Path(out_dir) / backend
        entry = {}
        for kind, learn in (("learned", True), ("control", False)):
            spikes, state = run_core(cfg, train, network(cfg, learn=learn), backend=backend,
                                     out_dir=None if sub is None else sub / f"{kind}-train")
            net = network(cfg, learn=False)
            net["weight"] = state["weight"]
            test_spikes, _ = run_core(cfg, test, net, backend=backend, clear_at=clears,
                                      out_dir=None if sub is None else sub / f"{kind}-test")
            entry[kind] = _selectivity(detections(test_spikes, labels), labels)
            if learn:
                entry.update(weights=state["weight"], train_spikes=spikes,
                             test_spikes=test_spikes)
        entry["seconds"] = time.perf_counter() - began
        result[backend] = entry
    return result
