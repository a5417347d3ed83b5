"""The float reference of an imported NIR graph: the same discretization, no quantization.

:func:`run_float` runs the layers of a :class:`~spikecore.sim.nir_import.NirImport` with the
exact float factors the import started from (forward Euler with step ``dt``: decay ``dt/tau``
instead of ``2^-shift``, float weights, thresholds and biases) and the same layout in time
(one step of delay per layer after the first, as the recurrent rows give on the core). The
difference between its spikes and the core's is the quantization error the import reports.
"""

import numpy as np

__all__ = ["run_float"]


def run_float(imported, raster, *, clear_at=()):
    """Spikes of the float network for an input raster.

    Parameters
    ----------
    imported : NirImport
    raster : bool ndarray, shape (T, n_in)
        Input spikes (``n_in`` = the graph's Input size).
    clear_at : iterable of int
        Steps before which every state returns to zero (as the core's CLEAR).

    Returns
    -------
    bool ndarray, shape (T, n)
        Spikes of every neuron of every layer, in the core's column order.
    """
    layers = imported.layers
    raster = np.asarray(raster, dtype=bool)
    n_in = layers[0].weight.shape[1]
    if raster.ndim != 2 or raster.shape[1] != n_in:
        raise ValueError(f"raster must have shape (T, {n_in}), not {raster.shape}")
    subtract = imported.cfg.reset == "subtract"
    clear_at = set(int(t) for t in clear_at)
    total = layers[-1].columns.stop
    out = np.zeros((len(raster), total), dtype=bool)
    v = [np.zeros(len(layer.weight)) for layer in layers]
    cur = [np.zeros(len(layer.weight)) for layer in layers]
    last = np.zeros(total, dtype=bool)
    for t, x in enumerate(raster):
        if t in clear_at:
            for state in (*v, *cur):
                state[:] = 0
            last[:] = False
        spikes = np.zeros(total, dtype=bool)
        for index, layer in enumerate(layers):
            pre = x if index == 0 else last[layers[index - 1].columns.start:
                                            layers[index - 1].columns.stop]
            drive = layer.gain * (layer.weight @ pre.astype(np.float64))
            if layer.syn_decay is not None:
                cur[index] = cur[index] * (1 - layer.syn_decay) + drive
                drive = cur[index]
            v[index] = v[index] * (1 - layer.decay) + drive + layer.bias
            fired = v[index] > layer.v_threshold
            v[index][fired] = (v[index][fired] - layer.v_threshold[fired]) if subtract else 0.0
            spikes[layer.columns.start:layer.columns.stop] = fired
        out[t] = last = spikes
    return out
