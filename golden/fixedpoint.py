"""Fixed-point primitives of docs/semantics.md, on int64 numpy arrays.

Each function is one rule of the specification; the hardware (``hdl/arith.py``) implements the
same rule with the same name. Inputs may be Python ints or numpy integer arrays; results are
int64 arrays (or numpy scalars).
"""

import numpy as np

__all__ = ["saturate", "decay", "trace_update", "weight_update"]


def saturate(x, bits):
    """Clamp ``x`` to the range of a signed ``bits``-wide integer (never wraps)."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(np.asarray(x, dtype=np.int64), lo, hi)


def decay(x, shift, width):
    """One step of shift-based decay: ``x * (1 - 2**-shift)`` rounded toward zero.

    The decrement is ``ceil(|x| / 2**shift)`` in magnitude, so a non-zero state always
    moves toward zero and never crosses it, and ``shift == 0`` empties it. A shift of at
    least ``width`` (the width of the state) is the "off" code: the state is kept.

    Hardware form (no division, no rounding constant): with ``m = -|x|``, ``t = m >> shift``
    (arithmetic, i.e. floor) is ``-ceil(|x| / 2**shift)``; the result is ``x + t`` for
    ``x >= 0`` and ``x - t`` otherwise.
    """
    x = np.asarray(x, dtype=np.int64)
    if shift >= width:
        return x.copy()
    t = (-np.abs(x)) >> np.int64(shift)
    return np.where(x >= 0, x + t, x - t)


def trace_update(trace, spiked, *, shift, inc, mode, bits):
    """Decay an unsigned trace, then apply this step's spike.

    ``mode`` is ``"all_to_all"`` (add ``inc``, saturating at ``2**bits - 1``) or
    ``"nearest"`` (set to ``inc``).
    """
    trace = decay(trace, shift, bits)
    if mode == "all_to_all":
        bumped = np.minimum(trace + inc, (1 << bits) - 1)
    else:
        bumped = np.full_like(trace, inc)
    return np.where(spiked, bumped, trace)


def weight_update(w, dw, w_min, w_max):
    """``clamp(w + dw, w_min, w_max)``: the only way a learning rule changes a weight.

    Below ``w_min`` gives ``w_min``, else above ``w_max`` gives ``w_max`` (the order matters
    only for a host that writes ``w_min > w_max``; the hardware tests in this order too).
    """
    x = np.asarray(w, dtype=np.int64) + dw
    return np.where(x < w_min, w_min, np.where(x > w_max, w_max, x))
