"""The scoreboard: what the golden model and its cycle model say the RTL must do, checked.

For every timestep the test hands over a :class:`StepPrediction` (from
:class:`~spikecore.golden.GoldenCore` and :mod:`spikecore.golden.cycles`). When the START
command's handshake is seen, the prediction is anchored: the engine's cycle 0 is that cycle
plus ``START_LATENCY``. From then on, every cycle is checked:

* each output event (valid and ready on ``aer_out``) must happen exactly at its predicted
  cycle, with the predicted neuron and timestep number, and no other event may happen;
* ``busy`` must be 1 from cycle 1 to cycle ``timing.cycles`` of the step and 0 otherwise.

With ``timed=False`` (a stalling output sink, which the cycle model does not cover) events
are checked in order and never earlier than predicted, and ``busy`` must at least cover the
predicted window and be 0 once the step is over.

The first difference raises :exc:`RtlMismatch`, whose message names the seed, the
configuration, the timestep, the cycle, the field, the expected and actual values, and the
command that reruns the test with waves.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from spikecore.golden.cycles import START_LATENCY

__all__ = ["RtlMismatch", "StepPrediction", "Scoreboard"]


class RtlMismatch(AssertionError):
    """The RTL differs from the golden model or its cycle model."""


@dataclass
class StepPrediction:
    """The golden model's account of one timestep.

    Attributes
    ----------
    index : int
        Position of the step in the test (0 for the first START).
    timestep : int
        Timestep number the output events carry (the ``timestep`` register before it).
    neurons : tuple of int
        Output events in emission order (ascending neuron id).
    timing : StepTiming
        The cycle model's schedule of the step.
    state : dict
        ``GoldenCore.state()`` after the step.
    cycle0 : int or None
        The engine's cycle 0, once the START handshake was seen.
    """
    index: int
    timestep: int
    neurons: tuple
    timing: object
    state: dict
    cycle0: int | None = None
    inputs: list = field(default_factory=list)


@dataclass
class _Event:
    cycle: int
    neuron: int
    timestep: int
    step: StepPrediction
    k: int


class Scoreboard:
    """Check the RTL against step predictions, cycle by cycle.

    Parameters
    ----------
    ctx : RunContext
        For failure messages (seed, configuration, rerun command).
    timed : bool
        Check exact cycles (``True``) or only order and lower bounds (``False``).

    Attributes
    ----------
    events_checked, cycles_checked, steps_begun : int
        How much was compared (a test asserts these are not zero).
    """

    def __init__(self, ctx, *, timed=True):
        self.ctx = ctx
        self.timed = timed
        self.enabled = False
        self._events = deque()
        self._windows = deque()         # steps whose busy window has not ended
        self._last = None               # the most recent step begun
        self._open = None               # untimed: begun and not yet closed
        self.events_checked = 0
        self.cycles_checked = 0
        self.steps_begun = 0

    # -- failure reports -------------------------------------------------------------------
    def _where(self, cycle, step):
        step = step or self._step_at(cycle)
        if step is None:
            timestep = "none (before the first START)"
        else:
            timestep = (f"step {step.index} of the test (timestep number {step.timestep}, "
                        f"inputs {step.inputs})")
        if step is None or step.cycle0 is None:
            when = f"{cycle}"
        else:
            when = (f"{cycle} = engine cycle {cycle - step.cycle0} of the step (engine "
                    f"cycle 0 = START handshake in cycle {step.cycle0 - START_LATENCY} "
                    f"+ {START_LATENCY})")
        return timestep, when

    def _step_at(self, cycle):
        for step in self._windows:
            if step.cycle0 is not None and step.cycle0 <= cycle:
                return step
        return self._last

    def fail(self, cycle, field, expected, actual, what, step=None):
        """Raise :exc:`RtlMismatch` with the full context of a difference."""
        timestep, when = self._where(cycle, step)
        raise RtlMismatch(
            f"RTL mismatch: {what}\n"
            f"  config:   {self.ctx.name} ({self.ctx.cfg.summary()}; {self.ctx.config_path})\n"
            f"  seed:     {self.ctx.seed}\n"
            f"  timestep: {timestep}\n"
            f"  cycle:    {when}\n"
            f"  field:    {field}\n"
            f"  expected: {expected}\n"
            f"  actual:   {actual}\n"
            f"  rerun with waves: {self.ctx.rerun}")

    # -- predictions -----------------------------------------------------------------------
    def begin(self, accept_cycle, step):
        """The START of ``step`` was accepted in ``accept_cycle``: anchor its schedule."""
        step.cycle0 = c0 = accept_cycle + START_LATENCY
        timing = step.timing
        if len(timing.events) != len(step.neurons):
            raise ValueError("the cycle model and the golden model disagree on the number "
                             f"of output events: {timing.events} vs {step.neurons}")
        for k, (offset, neuron) in enumerate(zip(timing.events, step.neurons)):
            self._events.append(_Event(c0 + offset, int(neuron), step.timestep, step, k))
        self._windows.append(step)
        self._last = step
        self._open = step
        self.steps_begun += 1

    def close(self, cycle):
        """The host saw the step end (SYNC answered in ``cycle``): nothing may be pending."""
        step = self._last
        if self._events:
            head = self._events[0]
            self.fail(cycle, "aer_out", f"neuron {head.neuron}, timestep {head.timestep} "
                      f"(event {head.k} of its step)", "nothing before the step ended",
                      "an output event is missing", head.step)
        if step is not None and step.cycle0 is not None:
            end = step.cycle0 + step.timing.cycles
            if cycle <= end:
                self.fail(cycle, "rsp (SYNC)", f"after cycle {end} (the step's last busy "
                          "cycle)", f"cycle {cycle}", "SYNC answered before the step ended",
                          step)
        self._open = None

    # -- per-cycle checks ------------------------------------------------------------------
    def on_event(self, cycle, neuron, timestep):
        """An output event was handed over in ``cycle``."""
        if not self.enabled:
            return
        if not self._events:
            self.fail(cycle, "aer_out", "no event", f"neuron {neuron}, timestep {timestep}",
                      "unexpected output event")
        head = self._events[0]
        step = head.step
        if self.timed and cycle != head.cycle:
            self.fail(cycle, "aer_out handshake cycle",
                      f"cycle {head.cycle} (engine cycle {head.cycle - step.cycle0}) for "
                      f"neuron {head.neuron}", f"cycle {cycle} (neuron {neuron})",
                      f"output event {head.k} of the step came at the wrong cycle", step)
        if not self.timed and cycle < head.cycle:
            self.fail(cycle, "aer_out handshake cycle", f">= {head.cycle}", cycle,
                      f"output event {head.k} came earlier than possible", step)
        if neuron != head.neuron:
            self.fail(cycle, "aer_out.neuron", head.neuron, neuron,
                      f"output event {head.k} of the step names the wrong neuron", step)
        if timestep != head.timestep:
            self.fail(cycle, "aer_out.timestep", head.timestep, timestep,
                      f"output event {head.k} of the step carries the wrong timestep", step)
        self._events.popleft()
        self.events_checked += 1

    def end_of_cycle(self, cycle, busy):
        """Every cycle, after the streams were sampled: missed events and ``busy``."""
        if not self.enabled:
            return
        self.cycles_checked += 1
        if self.timed and self._events and self._events[0].cycle <= cycle:
            head = self._events[0]
            self.fail(cycle, "aer_out", f"neuron {head.neuron}, timestep {head.timestep} "
                      f"in cycle {head.cycle}", "no handshake",
                      f"output event {head.k} of the step is missing", head.step)
        windows = self._windows
        while windows and windows[0].cycle0 + windows[0].timing.cycles < cycle:
            windows.popleft()
        inside = any(s.cycle0 + 1 <= cycle <= s.cycle0 + s.timing.cycles for s in windows)
        if self.timed:
            expected = int(inside)
        elif inside:
            expected = 1
        elif self._open is None:
            expected = 0
        else:
            return                      # a stalled step may run past its predicted end
        if busy != expected:
            self.fail(cycle, "busy", expected, busy, "busy differs from the cycle model")

    # -- values read back ------------------------------------------------------------------
    def check_value(self, cycle, field, expected, actual, what, step=None):
        if expected != actual:
            self.fail(cycle, field, expected, actual, what, step)

    def check_state(self, cycle, actual, expected, step=None):
        """Compare every memory element; report the first difference and how many differ."""
        for name, want in expected.items():
            got = np.asarray(actual[name])
            if got.shape != want.shape:
                self.fail(cycle, name, f"shape {want.shape}", f"shape {got.shape}",
                          "state memory has the wrong shape", step)
            diff = np.argwhere(got != want)
            if len(diff):
                first = tuple(int(i) for i in diff[0])
                self.fail(cycle, f"{name}{list(first)}", int(want[first]), int(got[first]),
                          f"state memory {name} differs from the golden model after the step "
                          f"({len(diff)} of {want.size} elements differ)", step)
