"""The cycle model: how many clock cycles the hardware spends on a timestep, and when each
output event leaves the core. docs/semantics.md ("Schedule") explains each term.

Cycle 0 is the cycle in which the engine takes the START request, ``START_LATENCY`` cycles
after the START command is accepted on the command stream; the core is busy from cycle 1 to
``cycles`` inclusive and idle again from ``cycles + 1``. The
figures assume an output sink that is always ready; backpressure delays events and the end
of the step, never loses them.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["StepTiming", "step_timing", "START_LATENCY", "ROW_LATENCY", "NEURON_LATENCY",
           "LEARN_LATENCY", "SERIAL_LATENCY", "SINGLE_PORT_DELAY"]

#: Cycles from the START command's acceptance (command stream) to the engine's cycle 0: the
#: command is decoded, then handed to the engine.
START_LATENCY = 2
#: Cycles from the last row issue to the first neuron issue (the row pipeline drains: read,
#: register, accumulate-and-write).
ROW_LATENCY = 3
#: Cycles from the last neuron issue until the spike list is complete (read, four pipeline
#: stages, the write).
NEURON_LATENCY = 6
#: Cycles from the last learning issue to its last weight write (read, register, trace
#: decay, trace bump, product, shift and weight read, weight register, clamp and write).
LEARN_LATENCY = 7
#: Cycles from the start of the output phase to the first output event.
SERIAL_LATENCY = 2
#: Extra cycles of the learning pipeline with a single-port synapse RAM (its writes fall
#: between two reads).
SINGLE_PORT_DELAY = 1


@dataclass(frozen=True)
class StepTiming:
    """Cycle-model prediction for one timestep.

    Attributes
    ----------
    cycles : int
        Busy cycles of the step (the ``step_cycles`` counter).
    rows, neurons, learn, output : tuple of (first, last) or None
        First and last issue cycle of each phase (with a single-port synapse RAM a learning
        step issues rows and potentiation words every other cycle); ``None`` for a phase
        that did not run.
    events : tuple of int
        The cycle each output event is handed over (valid and ready), in emission order.
    sops : int
        Synaptic operations (weights read and accumulated).
    """
    cycles: int
    rows: tuple | None
    neurons: tuple
    learn: tuple | None
    output: tuple | None
    events: tuple
    sops: int

    lanes: int = 1

    @property
    def bound(self):
        """Lower bound for a core of this width: SOPs / lanes plus one neuron pass."""
        return self.sops // self.lanes + (self.neurons[1] - self.neurons[0] + 1)

    @property
    def sops_cycles(self):
        """Cycles of the rows phase, first issue to last."""
        return 0 if self.rows is None else self.rows[1] - self.rows[0] + 1


def step_timing(cfg, *, n_rows_active, spikes, learn):
    """Predict the schedule of one timestep.

    Parameters
    ----------
    cfg : CoreConfig
    n_rows_active : int
        Presynaptic rows streamed this step (distinct input axons plus recurrent spikes).
    spikes : bool array of shape (n_neurons,)
        Which neurons spike this step.
    learn : bool
        Whether the learning passes run.
    """
    G = cfg.groups
    spikes = np.asarray(spikes, dtype=bool).reshape(G, cfg.lanes)
    group_has_spike = spikes.any(axis=1)
    n_groups_spiking = int(group_has_spike.sum())
    n_events = int(spikes.sum())

    # A single-port synapse RAM that learns spends every other cycle writing.
    single = cfg.weight_ram == "single"
    row_stride = 2 if single and learn else 1
    # Rows: G issues per row, back to back (one every row_stride cycles) from cycle 1.
    if n_rows_active:
        rows = (1, 1 + row_stride * (n_rows_active * G - 1))
        n_first = rows[1] + ROW_LATENCY
    else:
        rows = None
        n_first = 1
    neurons = (n_first, n_first + G - 1)
    after_neurons = neurons[1] + NEURON_LATENCY
    last = after_neurons        # the first cycle of the closing phase is always spent

    learn_slots = None
    if learn:
        ops = cfg.n_rows * max(1, n_groups_spiking)
        learn_stride = 2 if single and n_groups_spiking else 1
        learn_slots = (after_neurons, after_neurons + learn_stride * (ops - 1))
        last = max(last, learn_slots[1] + LEARN_LATENCY + (SINGLE_PORT_DELAY if single else 0))

    output = None
    events = ()
    if n_events:
        first_event = after_neurons + SERIAL_LATENCY
        events = tuple(range(first_event, first_event + n_events))
        output = (after_neurons, events[-1])
        last = max(last, events[-1])

    return StepTiming(cycles=last, rows=rows, neurons=neurons, learn=learn_slots,
                      output=output, events=events, sops=n_rows_active * cfg.n_neurons,
                      lanes=cfg.lanes)
