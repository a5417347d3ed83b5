"""Fixed-point rules of docs/semantics.md as Amaranth expressions.

Each function mirrors the function of the same name in ``golden/fixedpoint.py``. Amaranth
assignment truncates (wraps); every function here that narrows a value saturates first.
"""

from amaranth.hdl import Mux, signed, unsigned, Const

__all__ = ["saturate", "decay", "clamp", "trace_update"]


def saturate(value, shape):
    """``value`` clamped to the range of ``shape`` (signed or unsigned)."""
    if shape.signed:
        lo, hi = -(1 << (shape.width - 1)), (1 << (shape.width - 1)) - 1
    else:
        lo, hi = 0, (1 << shape.width) - 1
    return clamp(value, Const(lo), Const(hi))


def clamp(value, lo, hi):
    """``min(max(value, lo), hi)``; ``lo`` and ``hi`` may be constants or signals."""
    return Mux(value < lo, lo, Mux(value > hi, hi, value))


def decay(x, shift, width):
    """``x * (1 - 2**-shift)`` rounded toward zero; ``shift >= width`` keeps ``x``.

    With ``m = -|x|`` the arithmetic shift ``m >> shift`` is ``-ceil(|x| / 2**shift)``, so
    the result is ``x + (m >> shift)`` for ``x >= 0`` and ``x - (m >> shift)`` otherwise; it
    lies between 0 and ``x`` and needs no saturation.
    """
    negative = x < 0
    neg_abs = Mux(negative, x, -x).as_signed()
    step = neg_abs >> shift
    return Mux(shift >= width, x, Mux(negative, x - step, x + step))


def trace_update(trace, spiked, *, shift, inc, nearest, bits):
    """Decay an unsigned trace, then on a spike add ``inc`` (saturating) or set it."""
    decayed = decay(trace, shift, bits)
    bumped = Mux(nearest, inc, saturate(decayed + inc, unsigned(bits)))
    return Mux(spiked, bumped, decayed)
