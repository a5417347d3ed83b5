"""Digit classification on the core: scikit-learn's 8x8 digits, a float classifier, its NIR
graph, and the spiking run on the golden model or the RTL.

The float model is a logistic regression on the 64 pixels (scaled to 0..1). It becomes a NIR
graph ``Input(64) -> Affine -> IF(10)`` that :func:`spikecore.sim.nir_import.import_nir` maps
onto a 64-axon core. Pixels are rate coded, deterministically: over ``steps`` timesteps pixel
``x`` (0..16) spikes at step ``t`` iff ``floor((t+1)*x/16) > floor(t*x/16)``, i.e.
``floor(steps*x/16)`` evenly spaced spikes. An IF neuron then integrates ``steps`` times its
logit; the logits get one common offset (the argmax does not change) so that the winner's
drive is positive, and the threshold is set so that a typical winner spikes about every second
step. The class is the output neuron with most spikes; a tie goes to the neuron that reached
that count first (its last spike is earliest: the larger input gets there first), then to the
lower index. Images run back to back in one simulation with a CLEAR before each.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DigitsData", "load_split", "train_classifier", "float_accuracy", "encode",
           "to_nir", "classify", "run_images", "evaluate"]

PIXEL_MAX = 16


@dataclass
class DigitsData:
    """A train/test split of the digits (pixels are integers 0..16)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int


def load_split(seed=0, test_size=0.2):
    """The digits, split stratified with ``seed`` (``test_size``: fraction held out)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = digits.data.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, digits.target, test_size=test_size,
                                          random_state=seed, stratify=digits.target)
    return DigitsData(xtr, ytr, xte, yte, seed)


def train_classifier(x, y, seed=0):
    """Logistic regression on ``x / 16``; returns ``(weight (10, 64), bias (10,))``."""
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(max_iter=5000, C=0.5, random_state=seed)
    model.fit(x / PIXEL_MAX, y)
    return model.coef_.copy(), model.intercept_.copy()


def float_accuracy(weight, bias, x, y):
    """Accuracy of the float classifier."""
    return float(np.mean(np.argmax(x / PIXEL_MAX @ weight.T + bias, axis=1) == y))


def encode(x, steps):
    """Rate-code images into one raster, ``steps`` timesteps per image.

    Returns
    -------
    raster : bool ndarray, shape (len(x) * steps, 64)
    clear_at : list of int
        The first step of every image (the core is cleared before it).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, not {steps!r}")
    x = np.asarray(x, dtype=np.int64)
    t = np.arange(steps + 1)[:, None, None]
    counts = (t * x[None]) // PIXEL_MAX                # spikes up to each step, (T+1, N, 64)
    raster = (counts[1:] > counts[:-1]).transpose(1, 0, 2).reshape(-1, x.shape[1])
    return raster, list(range(0, len(x) * steps, steps))


def to_nir(weight, bias, x_train):
    """The classifier as a NIR graph ``Input -> Affine -> IF``.

    The logits of the training images set the common offset (the winner's logit at its 5th
    percentile becomes a tenth of its median) and the threshold (twice the median winner's
    drive per step).
    """
    import nir
    logits = x_train / PIXEL_MAX @ weight.T + bias
    top = logits.max(axis=1)
    offset = max(0.0, -np.percentile(top, 5))
    offset += 0.1 * np.median(top + offset)
    threshold = 2.0 * float(np.median(top + offset))
    n_out, n_in = weight.shape
    return nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([n_in])),
        nir.Affine(weight=weight.copy(), bias=bias + offset),
        nir.IF(r=np.ones(n_out), v_threshold=np.full(n_out, threshold)),
        nir.Output(output_type=np.array([n_out])))


def classify(spikes, steps, columns):
    """Class of every image from the output raster (see the module docstring).

    Parameters
    ----------
    spikes : bool ndarray, shape (n_images * steps, n_neurons)
    steps : int
    columns : range
        The output neurons, class ``k`` at ``columns[k]``.
    """
    per = np.asarray(spikes, dtype=bool)[:, columns.start:columns.stop]
    per = per.reshape(-1, steps, per.shape[1])              # (images, steps, classes)
    counts = per.sum(axis=1)
    last = np.where(per.any(axis=1), steps - 1 - np.argmax(per[:, ::-1], axis=1), steps)
    # Most spikes first, then the earliest last spike, then the lowest index.
    key = counts * (steps + 1) - last
    return np.argmax(key, axis=1)


def run_images(imported, x, steps, *, backend="golden", out_dir=None, name="digits"):
    """Run images through the core; returns the output raster ``(len(x)*steps, n_neurons)``.

    Both backends run :func:`spikecore.sim.simulate.simulate` on one spike train with a
    CLEAR before every image (the RTL in one Verilator process).
    """
    from .simulate import read_spikes, simulate
    raster, clear_at = encode(x, steps)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(out_dir) if out_dir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        imported.write(work / "net")
        np.save(work / "input.npy", raster)
        simulate(imported.cfg, work / "input.npy", work / backend, name=name,
                 network=work / "net" / "network.npz", backend=backend, clear_at=clear_at)
        out = np.zeros((len(raster), imported.cfg.n_neurons), dtype=bool)
        for t, neuron in read_spikes(work / backend / "spikes.csv"):
            out[t, neuron] = True
    return out


def evaluate(*, backends=("golden",), steps=16, limit=None, seed=0, base="default",
             out_dir=None):
    """Train, import, and classify the held-out images on each backend.

    Parameters
    ----------
    backends : sequence of str
        ``"golden"`` and/or ``"rtl"``.
    steps : int
        Timesteps per image.
    limit : int or None
        Classify only the first ``limit`` held-out images (all: ``None``).
    seed : int
        Seed of the split and of the classifier.

    Returns
    -------
    dict
        ``float`` accuracy (same images), per backend ``{"accuracy", "seconds"}``,
        ``spikes`` (the output raster of each backend), ``imported``, ``images``.
    """
    import time
    from .nir_import import import_nir
    data = load_split(seed)
    weight, bias = train_classifier(data.x_train, data.y_train, seed)
    x, y = data.x_test[:limit], data.y_test[:limit]
    imported = import_nir(to_nir(weight, bias, data.x_train), base=base)
    result = {"seed": seed, "steps": steps, "images": len(x), "imported": imported,
              "float": float_accuracy(weight, bias, x, y), "spikes": {}}
    for backend in backends:
        began = time.perf_counter()
        spikes = run_images(imported, x, steps, backend=backend,
                            out_dir=None if out_dir is None else Path(out_dir) / backend)
        predicted = classify(spikes, steps, imported.output_columns)
        result[backend] = {"accuracy": float(np.mean(predicted == y)),
                           "seconds": time.perf_counter() - began}
        result["spikes"][backend] = spikes
    return result
