"""Fixed-point rules of docs/semantics.md as Amaranth expressions.

Each function mirrors the function of the same name in ``golden/fixedpoint.py``. Amaranth
assignment truncates (wraps); every function here that narrows a value saturates first.
The forms are chosen for small, fast logic: one adder per conditional negation (XOR and
carry-in), and saturation by checking the bits above the target width, not by comparators.
"""

from amaranth.hdl import Cat, Const, Mux, Value, signed, unsigned

__all__ = ["saturate", "decay", "clamp", "trace_bump", "negate_if"]


def _signed(value):
    """``value`` as a signed value of the same numeric value (unsigned ones gain a bit)."""
    value = Value.cast(value)
    return value if value.shape().signed else Cat(value, Const(0, 1)).as_signed()


def negate_if(value, condition):
    """``-value`` where ``condition`` holds, else ``value``: ``(value ^ c) + c``, one adder."""
    value = _signed(value)
    width = len(value) + 1
    flip = condition.replicate(width).as_signed()
    return (value ^ flip) + condition


def saturate(value, shape):
    """``value`` clamped to the range of ``shape`` (signed or unsigned).

    The value fits when the bits from the target's sign position up are all equal (signed)
    or all zero (unsigned, for a non-negative value); otherwise the result is the bound on
    the value's side.
    """
    value = Value.cast(value)
    if shape.signed:
        lo, hi = -(1 << (shape.width - 1)), (1 << (shape.width - 1)) - 1
    else:
        lo, hi = 0, (1 << shape.width) - 1
    if not value.shape().signed:
        # Unsigned input: only the upper bound can be crossed.
        if len(value) <= shape.width - int(shape.signed):
            return value
        over = value[shape.width - int(shape.signed):].any()
        return Mux(over, Const(hi, shape), value[:shape.width])
    if len(value) <= shape.width and shape.signed:
        return value
    negative = value[-1]
    if shape.signed:
        top = value[shape.width - 1:]
        fits = ~top.any() | top.all()
    else:
        fits = ~negative & (value[shape.width:] == 0) if len(value) > shape.width \
            else ~negative
    kept = value[:shape.width].as_signed() if shape.signed else value[:shape.width]
    return Mux(fits, kept, Mux(negative, Const(lo, shape), Const(hi, shape)))


def clamp(value, lo, hi):
    """``min(max(value, lo), hi)``; ``lo`` and ``hi`` may be constants or signals."""
    return Mux(value < lo, lo, Mux(value > hi, hi, value))


def decay(x, shift, width):
    """``x * (1 - 2**-shift)`` rounded toward zero; ``shift >= width`` keeps ``x``.

    With ``m = -|x|`` the arithmetic shift ``m >> shift`` is ``-ceil(|x| / 2**shift)``; the
    result is ``x + (m >> shift)`` for ``x >= 0`` and ``x - (m >> shift)`` otherwise, i.e.
    ``x`` plus the step negated where ``x`` is negative. It lies between 0 and ``x`` and
    needs no saturation.
    """
    x = Value.cast(x)
    negative = x[-1] if x.shape().signed else Const(0, 1)
    neg_abs = negate_if(x, ~negative)               # -|x|
    step = neg_abs >> shift
    decayed = _signed(x) + negate_if(step, negative)
    return Mux(shift >= width, x, decayed[:len(x)].as_signed() if x.shape().signed
               else decayed[:len(x)])


def trace_bump(decayed, *, inc, nearest, bits):
    """A decayed trace after a spike: plus ``inc`` saturating (all-to-all), or ``inc``
    (nearest). With :func:`decay` before it, this is golden ``trace_update`` on a spike."""
    return Mux(nearest, inc, saturate(decayed + inc, unsigned(bits)))
