"""Real networks on both backends: a slice of the digits classifier and a short STDP
learning run, golden and RTL bit-identical; accuracy and selectivity checked against values
computed here (the float model on the same images, the same run without learning)."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from spikecore.config import load_config
from spikecore.sim import digits, learning
from spikecore.sim.plots import stdp_window

ROOT = Path(__file__).resolve().parent.parent


def test_digits_slice_golden_and_rtl_identical():
    result = digits.evaluate(backends=("golden", "rtl"), steps=16, limit=24, seed=0)
    spikes = result["spikes"]
    assert np.array_equal(spikes["golden"], spikes["rtl"])
    assert spikes["golden"].sum() > 24                  # every image makes output spikes
    assert result["golden"]["accuracy"] == result["rtl"]["accuracy"]
    # Within 2 points of the float model on the same images (24 images: at most one
    # image worse than the float model).
    assert result["golden"]["accuracy"] >= result["float"] - 1 / 24


def test_digits_encoding_and_tie_break():
    raster, clear_at = digits.encode(np.array([[16, 8, 0, 1]]), 16)
    assert raster.sum(axis=0).tolist() == [16, 8, 0, 1] and clear_at == [0]
    spikes = np.zeros((4, 3), dtype=bool)
    spikes[[0, 2], 1] = spikes[[1, 3], 2] = True       # neurons 1 and 2 tie at two spikes
    assert digits.classify(spikes, 4, range(3)).tolist() == [1]   # 1 reached two first


def test_stdp_learning_golden_and_rtl_identical():
    result = learning.evaluate(backends=("golden", "rtl"), train_steps=400, test_segments=20)
    golden, rtl = result["golden"], result["rtl"]
    assert np.array_equal(golden["weights"], rtl["weights"])
    assert np.array_equal(golden["train_spikes"], rtl["train_spikes"])
    assert np.array_equal(golden["test_spikes"], rtl["test_spikes"])
    assert golden["learned"] == rtl["learned"] and golden["control"] == rtl["control"]
    # Learning changed the weights: the pattern's axons end stronger than the others.
    w = golden["weights"][:result["cfg"].n_axons, 0]
    pattern = result["task"].axons
    assert w[pattern].mean() > np.delete(w, pattern).mean()


def test_stdp_learning_improves_selectivity():
    """Golden only, a longer run: selectivity with learning beats the same run without."""
    result = learning.evaluate(backends=("golden",), train_steps=2000, test_segments=100)
    assert result["golden"]["learned"]["selectivity"] > \
        result["golden"]["control"]["selectivity"]


def test_stdp_window_shape():
    d, dw = stdp_window(load_config("tiny"), range(-6, 7), start=20)
    assert all(dw[d > 0] >= 0) and all(dw[d < 0] <= 0)
    assert dw[d == 0][0] > 0 and dw[d == -1][0] < 0 and dw[d == 6][0] < dw[d == 1][0]


def test_sim_plot_option(tmp_path):
    cfg = load_config("tiny")
    raster = np.random.default_rng(0).random((30, cfg.n_axons)) < 0.4
    np.save(tmp_path / "in.npy", raster)
    np.savez(tmp_path / "net.npz", **learning.network(cfg))
    from spikecore.cli import main
    assert main(["sim", "--config", "tiny", "--input", str(tmp_path / "in.npy"), "--network",
                 str(tmp_path / "net.npz"), "--out", str(tmp_path / "o"), "--plot",
                 str(tmp_path / "p")]) == 0
    for name in ("raster.png", "membrane.png", "weights.png"):
        path = tmp_path / "p" / name
        assert path.exists() and 1000 < path.stat().st_size < 150_000, name


def test_example_scripts_quick_golden(tmp_path):
    for script in ("nir_import.py", "digits.py", "stdp_pattern.py"):
        done = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--quick",
                               "--backend", "golden", "--out", str(tmp_path)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "plot ->" in done.stdout
