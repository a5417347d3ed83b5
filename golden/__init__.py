"""The numpy golden model of spikecore: the executable form of docs/semantics.md.

It imports no Amaranth. :class:`GoldenCore` runs timesteps bit-exactly;
:func:`step_timing` predicts the hardware's cycle-by-cycle schedule.
"""

from .fixedpoint import saturate, decay, trace_update, weight_update
from .cycles import StepTiming, step_timing
from .model import GoldenCore

__all__ = ["GoldenCore", "StepTiming", "step_timing", "saturate", "decay", "trace_update",
           "weight_update"]
