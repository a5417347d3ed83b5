"""Steps 3 to 6 (post-trace) of docs/semantics.md for any number of neurons: the LIF update.

:func:`neuron_update` is what one neuron group of the hardware computes (``hdl/neuron.py``),
and what :class:`~spikecore.golden.model.GoldenCore` applies to all neurons at once.
"""

import numpy as np

from spikecore.config import RESET_MODES, TRACE_MODES
from .fixedpoint import saturate, decay, trace_update

__all__ = ["neuron_update"]


def neuron_update(cfg, params, state, acc, *, learn):
    """One timestep of LIF neurons.

    Parameters
    ----------
    cfg : CoreConfig
    params : dict
        Runtime parameters by register name.
    state : dict of int64 arrays
        ``v``, ``i`` (CUBA), ``ref``, ``bias``, ``post_trace`` (STDP), one entry per neuron.
    acc : int64 array
        The synaptic input accumulated this step.
    learn : bool
        Whether the postsynaptic trace updates.

    Returns
    -------
    (dict, bool array)
        The next state (same keys; ``bias`` unchanged) and which neurons spiked.
    """
    p = params
    nxt = dict(state)
    # 3. Current (CUBA): decay, then add the accumulated input; saturate.
    if cfg.cuba:
        nxt["i"] = saturate(decay(state["i"], p["syn_shift"], cfg.i_bits) + acc, cfg.i_bits)
        drive = nxt["i"]
    else:
        drive = np.asarray(acc, dtype=np.int64)
    # 4. Membrane: leak + input + bias, one saturation. Refractory neurons are held.
    integrating = state["ref"] == 0
    v_new = saturate(decay(state["v"], p["leak_shift"], cfg.v_bits) + drive + state["bias"],
                     cfg.v_bits)
    v_new = np.where(integrating, v_new, state["v"])
    # 5. Threshold, spike, reset and refractory.
    spikes = integrating & (v_new >= p["threshold"])
    if RESET_MODES[p["reset_mode"]] == "zero":
        v_new = np.where(spikes, 0, v_new)
    else:
        v_new = np.where(spikes, v_new - p["threshold"], v_new)
    nxt["v"] = v_new
    nxt["ref"] = np.where(spikes, p["refractory"], np.maximum(state["ref"] - 1, 0))
    # 6. The postsynaptic trace (only while learning).
    if learn and "post_trace" in state:
        nxt["post_trace"] = trace_update(state["post_trace"], spikes,
                                         shift=p["post_trace_shift"], inc=p["trace_inc"],
                                         mode=TRACE_MODES[p["trace_mode"]],
                                         bits=cfg.trace_bits)
    return nxt, spikes
