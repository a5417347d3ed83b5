"""Hand-derived cases for the fixed-point rules of docs/semantics.md (golden/fixedpoint.py).

Every expected value is worked out by hand in the comment next to it, from the rule in the
specification, never copied from a run of the model.
"""

import numpy as np
import pytest

from spikecore.golden import decay, saturate, trace_update, weight_update


# -- decay(x, s, n) = x * (1 - 2^-s) rounded toward zero; decrement ceil(|x| / 2^s) ------------

@pytest.mark.parametrize("x, shift, width, expected", [
    (100, 2, 16, 75),      # ceil(100 / 4) = 25; 100 - 25 = 75
    (7, 1, 8, 3),          # ceil(7 / 2) = 4; 7 - 4 = 3
    (16, 4, 16, 15),       # ceil(16 / 16) = 1; 16 - 1 = 15
    (17, 4, 16, 15),       # ceil(17 / 16) = 2; 17 - 2 = 15
    (15, 4, 16, 14),       # ceil(15 / 16) = 1; 15 - 1 = 14
    (1000, 3, 16, 875),    # ceil(1000 / 8) = 125; 1000 - 125 = 875
])
def test_decay_positive(x, shift, width, expected):
    """A positive state loses ceil(x / 2^s)."""
    assert decay(x, shift, width) == expected


@pytest.mark.parametrize("x, shift, width, expected", [
    (-100, 2, 16, -75),    # magnitude: ceil(100 / 4) = 25 toward zero; -100 + 25 = -75
    (-7, 1, 8, -3),        # ceil(7 / 2) = 4; -7 + 4 = -3
    (-17, 4, 16, -15),     # ceil(17 / 16) = 2; -17 + 2 = -15
    (-1000, 3, 16, -875),  # ceil(1000 / 8) = 125; -1000 + 125 = -875
])
def test_decay_negative(x, shift, width, expected):
    """A negative state moves toward zero by ceil(|x| / 2^s), mirroring the positive case."""
    assert decay(x, shift, width) == expected


@pytest.mark.parametrize("shift", range(0, 18))
def test_decay_zero_stays_zero(shift):
    """decay(0) = 0 for every shift, including shift 0 and the 'off' codes."""
    assert decay(0, shift, 16) == 0


@pytest.mark.parametrize("x", [1, -1, 123, -123, 32767, -32768])
def test_decay_shift_zero_empties(x):
    """s = 0: the decrement is ceil(|x| / 1) = |x|, so the state becomes 0."""
    assert decay(x, 0, 16) == 0


@pytest.mark.parametrize("x", [1, -1, 123, -123, 32767, -32768])
@pytest.mark.parametrize("shift", [16, 17, 31])
def test_decay_shift_at_least_width_is_off(x, shift):
    """s >= n is the 'off' code: the state is kept unchanged."""
    assert decay(x, shift, 16) == x


@pytest.mark.parametrize("x, shift, expected", [
    (1, 4, 0),       # ceil(1 / 16) = 1; 1 - 1 = 0: small values reach 0 (Xylo's floor would stick)
    (-1, 4, 0),      # ceil(1 / 16) = 1; -1 + 1 = 0
    (1, 15, 0),      # ceil(1 / 2^15) = 1; still reaches 0 with the largest shift that decays
    (3, 4, 2),       # ceil(3 / 16) = 1; 3 - 1 = 2: every non-zero state moves by at least 1
    (-3, 4, -2),     # ceil(3 / 16) = 1; -3 + 1 = -2
])
def test_decay_small_values_reach_zero(x, shift, expected):
    """A non-zero state always moves toward zero by at least 1 and never crosses it."""
    assert decay(x, shift, 16) == expected


@pytest.mark.parametrize("x, shift, width, expected", [
    (-32768, 1, 16, -16384),   # ceil(32768 / 2) = 16384; -32768 + 16384 = -16384
    (-32768, 15, 16, -32767),  # ceil(32768 / 32768) = 1; -32768 + 1 = -32767
    (-32768, 16, 16, -32768),  # s = n: off, kept
    (-32768, 0, 16, 0),        # s = 0: empties
    (-128, 7, 8, -127),        # ceil(128 / 128) = 1; -128 + 1 = -127
    (-128, 3, 8, -112),        # ceil(128 / 8) = 16; -128 + 16 = -112
    (32767, 15, 16, 32766),    # the maximum: ceil(32767 / 32768) = 1; 32767 - 1 = 32766
    (-2**31, 1, 32, -2**30),   # 32-bit minimum: ceil(2^31 / 2) = 2^30; -2^31 + 2^30 = -2^30
])
def test_decay_signed_extremes(x, shift, width, expected):
    """The most negative value of a signed width decays without overflow (|x| = 2^(n-1))."""
    assert decay(x, shift, width) == expected


def test_decay_elementwise_on_arrays():
    """decay works element by element on arrays and returns int64."""
    x = np.array([100, -100, 0, 1, -1, 17], dtype=np.int64)
    # shift 2: 100 -> 100 - 25 = 75; -100 -> -75; 0 -> 0; 1 -> 1 - ceil(1/4) = 0; -1 -> 0;
    # 17 -> 17 - ceil(17/4) = 17 - 5 = 12
    out = decay(x, 2, 16)
    assert out.dtype == np.int64
    assert out.tolist() == [75, -75, 0, 0, 0, 12]
    assert x.tolist() == [100, -100, 0, 1, -1, 17]      # the input is not modified


@pytest.mark.parametrize("width", [4, 8])
def test_decay_matches_spec_definition_exhaustively(width):
    """Hardware form == spec definition x - sign(x)*ceil(|x|/2^s), for every x and s of a width.

    The reference below is the specification's formula in plain Python integers (no shifts).
    """
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    xs = np.arange(lo, hi + 1, dtype=np.int64)
    for shift in range(0, width + 3):
        got = decay(xs, shift, width).tolist()
        for x, y in zip(xs.tolist(), got):
            if shift >= width:
                want = x
            else:
                dec = -(-abs(x) // 2**shift)               # ceil(|x| / 2^s)
                want = x - dec if x >= 0 else x + dec
            assert y == want, (x, shift, width)
            # the result lies between 0 and x: no saturation is ever needed
            assert min(0, x) <= y <= max(0, x)


# -- saturate --------------------------------------------------------------------------------

@pytest.mark.parametrize("x, bits, expected", [
    (127, 8, 127),        # in range: unchanged
    (-128, 8, -128),      # in range: unchanged
    (128, 8, 127),        # one above 2^7 - 1: clamped to 127, not wrapped to -128
    (-129, 8, -128),      # one below -2^7: clamped to -128, not wrapped to 127
    (1000, 8, 127),
    (-1000, 8, -128),
    (2**40, 32, 2**31 - 1),
    (-(2**40), 32, -(2**31)),
])
def test_saturate(x, bits, expected):
    """sat_n clamps to [-2^(n-1), 2^(n-1) - 1] and never wraps."""
    assert saturate(x, bits) == expected


# -- trace(x, spiked, k) = bump(decay(x, k, trace_bits)) if spiked else decay(...) -------------

def test_trace_all_to_all_decays_then_adds():
    """all_to_all: the decayed trace plus trace_inc; without a spike only the decay."""
    # 10 decays with shift 2 to 10 - ceil(10/4) = 10 - 3 = 7; a spike adds 8: 15
    got = trace_update(np.array([10, 10]), np.array([True, False]), shift=2, inc=8,
                       mode="all_to_all", bits=6)
    assert got.tolist() == [15, 7]


def test_trace_all_to_all_saturates():
    """all_to_all saturates at 2^trace_bits - 1."""
    # bits 6: max 63. 60 with shift off (6) stays 60; 60 + 8 = 68 > 63 -> 63
    got = trace_update(np.array([60]), np.array([True]), shift=6, inc=8, mode="all_to_all",
                       bits=6)
    assert got.tolist() == [63]
    # already at the maximum: 63 + 8 -> 63
    got = trace_update(np.array([63]), np.array([True]), shift=6, inc=8, mode="all_to_all",
                       bits=6)
    assert got.tolist() == [63]


def test_trace_nearest_sets():
    """nearest: a spike sets the trace to trace_inc (even below its decayed value)."""
    # spiked: 60 -> set to 8; not spiked: 60 decays with shift 2 to 60 - 15 = 45
    got = trace_update(np.array([60, 60]), np.array([True, False]), shift=2, inc=8,
                       mode="nearest", bits=6)
    assert got.tolist() == [8, 45]


def test_trace_off_shift_keeps_value():
    """A trace shift equal to trace_bits is 'off': the trace is kept without a spike."""
    got = trace_update(np.array([37]), np.array([False]), shift=6, inc=8, mode="all_to_all",
                       bits=6)
    assert got.tolist() == [37]


# -- weight_update: clamp(w + dw, w_min, w_max) ------------------------------------------------

@pytest.mark.parametrize("w, dw, w_min, w_max, expected", [
    (50, 20, -100, 60, 60),        # 70 > w_max = 60 -> 60
    (-95, -10, -100, 100, -100),   # -105 < w_min = -100 -> -100
    (10, -4, -100, 100, 6),        # in range: 10 - 4 = 6
    (120, 0, -100, 100, 100),      # stored above w_max, zero change: still pulled to 100
    (-120, 0, -100, 100, -100),    # stored below w_min, zero change: pulled to -100
])
def test_weight_update_clamps(w, dw, w_min, w_max, expected):
    """Every visited synapse is clamped to [w_min, w_max], even when dw == 0."""
    assert weight_update(w, dw, w_min, w_max) == expected
