"""`spikecore sim`: file formats, the golden backend, and golden and RTL giving the same
outputs and final state."""

import json

import numpy as np
import pytest

from spikecore.cli import main
from spikecore.config import load_config
from spikecore.golden import GoldenCore
from spikecore.sim.simulate import read_spikes
from spikecore.sim.spike_io import load_network, load_spike_train, save_network
from spikecore.sim.workloads import random_golden, random_spike_train


def write_train_csv(path, train):
    lines = ["# timestep,axon"] + [f"{t},{a}" for t, axons in enumerate(train) for a in axons]
    path.write_text("\n".join(lines) + "\n")


def test_spike_train_formats(tmp_path):
    """A .csv AER list and a .npy raster give the same spike train; --steps pads."""
    cfg = load_config("tiny")
    raster = np.zeros((3, cfg.n_axons), dtype=bool)
    raster[0, [1, 4]] = raster[2, 15] = True
    np.save(tmp_path / "r.npy", raster)
    (tmp_path / "r.csv").write_text("0,1\n0,4  # two axons\n\n2,15\n")
    assert load_spike_train(tmp_path / "r.npy", cfg) == [[1, 4], [], [15]]
    assert load_spike_train(tmp_path / "r.csv", cfg) == [[1, 4], [], [15]]
    assert load_spike_train(tmp_path / "r.csv", cfg, steps=5)[3:] == [[], []]


@pytest.mark.parametrize("content, message", [
    ("0;1\n", r"r\.csv:1: expected 'timestep,axon', not '0;1'"),
    ("-1,2\n", r"r\.csv:1: timestep and axon must be non-negative"),
])
def test_spike_train_wrong(tmp_path, content, message):
    (tmp_path / "r.csv").write_text(content)
    with pytest.raises(ValueError, match=message):
        load_spike_train(tmp_path / "r.csv", load_config("tiny"))


def test_spike_raster_shape_wrong(tmp_path):
    np.save(tmp_path / "r.npy", np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"must have shape \(timesteps, 16\), not \(2, 3\)"):
        load_spike_train(tmp_path / "r.npy", load_config("tiny"))


def test_network_round_trip_and_wrong(tmp_path):
    cfg = load_config("tiny")
    golden = random_golden(cfg, np.random.default_rng(1))
    save_network(tmp_path / "n.npz", golden)
    fresh = GoldenCore(cfg)
    load_network(tmp_path / "n.npz", fresh)
    for name, array in golden.state().items():
        assert np.array_equal(fresh.state()[name], array), name
    assert fresh.params == golden.params
    np.savez(tmp_path / "bad.npz", weight=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"weight must have shape \(32, 16\), not \(2, 2\)"):
        load_network(tmp_path / "bad.npz", GoldenCore(cfg))


def test_golden_backend_matches_the_model(tmp_path, capsys):
    """The golden backend's files are what GoldenCore computes for the same inputs."""
    cfg = load_config("tiny")
    rng = np.random.default_rng(7)
    golden = random_golden(cfg, rng, activity=0.6)
    train = random_spike_train(cfg, rng, 8, activity=0.6)
    save_network(tmp_path / "net.npz", golden)
    write_train_csv(tmp_path / "in.csv", train)
    assert main(["sim", "--config", "tiny", "--input", str(tmp_path / "in.csv"), "--network",
                 str(tmp_path / "net.npz"), "--out", str(tmp_path / "out")]) == 0
    expected = [(t, int(n)) for t, axons in enumerate(train) for n in golden.step(axons)]
    assert read_spikes(tmp_path / "out" / "spikes.csv") == expected
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["spikes"] == len(expected) and summary["counters"] == golden.counters
    assert "output spikes" in capsys.readouterr().out


def test_waves_need_rtl(tmp_path, capsys):
    (tmp_path / "in.csv").write_text("0,1\n")
    assert main(["sim", "--config", "tiny", "--input", str(tmp_path / "in.csv"), "--waves",
                 "--out", str(tmp_path / "o")]) == 2
    assert "waves are recorded by the rtl backend only" in capsys.readouterr().err


def test_backends_agree(tmp_path):
    """The RTL backend (Verilator, checked every cycle on the way) writes the same spikes
    and the same final state as the golden backend."""
    cfg = load_config("tiny")
    rng = np.random.default_rng(9)
    golden = random_golden(cfg, rng, activity=0.6, learn=1)
    save_network(tmp_path / "net.npz", golden)
    write_train_csv(tmp_path / "in.csv", random_spike_train(cfg, rng, 12, activity=0.6))
    outs = {}
    for backend in ("golden", "rtl"):
        outs[backend] = tmp_path / backend
        assert main(["sim", "--config", "tiny", "--input", str(tmp_path / "in.csv"),
                     "--network", str(tmp_path / "net.npz"), "--backend", backend,
                     "--out", str(outs[backend])]) == 0
    spikes = {b: read_spikes(o / "spikes.csv") for b, o in outs.items()}
    assert spikes["golden"] == spikes["rtl"] and spikes["golden"]
    states = {b: np.load(o / "state.npz") for b, o in outs.items()}
    for key in states["golden"].files:
        assert np.array_equal(states["golden"][key], states["rtl"][key]), key
