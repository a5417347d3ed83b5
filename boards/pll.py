"""PLL settings for the board families: the core's clock from the board's oscillator.

Each function searches the divider space of one PLL primitive for the output frequency
closest to the request within the primitive's documented operating ranges, and raises
:exc:`ValueError` naming the request when nothing fits.
"""

from dataclasses import dataclass

__all__ = ["ICE40PLL", "ECP5PLL", "ice40_pll", "ecp5_pll"]


@dataclass(frozen=True)
class ICE40PLL:
    """``SB_PLL40_CORE`` settings: ``f_out = f_in * (divf + 1) / ((divr + 1) * 2**divq)``."""
    divr: int
    divf: int
    divq: int
    filter_range: int
    f_out: float


def ice40_pll(f_in, f_req):
    """Dividers for an iCE40 ``SB_PLL40_CORE`` (iCE40 sysCLOCK PLL user guide ranges:
    PFD 10-133 MHz, VCO 533-1066 MHz, output 16-275 MHz)."""
    if not 16e6 <= f_req <= 275e6:
        raise ValueError(f"iCE40 PLL output must be in [16 MHz, 275 MHz], not "
                         f"{f_req / 1e6:g} MHz")
    best = None
    for divr in range(16):
        pfd = f_in / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                f_out = vco / (1 << divq)
                if best is None or abs(f_out - f_req) < abs(best.f_out - f_req):
                    filter_range = next(i for i, edge in enumerate(
                        (17e6, 26e6, 44e6, 66e6, 101e6, 133e6)) if pfd < edge) + 1
                    best = ICE40PLL(divr, divf, divq, filter_range, f_out)
    if best is None:
        raise ValueError(f"no iCE40 PLL setting reaches {f_req / 1e6:g} MHz from "
                         f"{f_in / 1e6:g} MHz")
    return best


@dataclass(frozen=True)
class ECP5PLL:
    """``EHXPLLL`` settings with CLKOP as feedback: ``f_out = f_in * clkfb_div / clki_div``
    and the VCO at ``f_out * clkop_div``."""
    clki_div: int
    clkfb_div: int
    clkop_div: int
    clkop_cphase: int
    f_out: float


def ecp5_pll(f_in, f_req):
    """Dividers for an ECP5 ``EHXPLLL`` (ECP5 sysCLOCK user guide ranges: PFD 3.125-400 MHz,
    VCO 400-800 MHz, output 3.125-400 MHz)."""
    if not 3.125e6 <= f_req <= 400e6:
        raise ValueError(f"ECP5 PLL output must be in [3.125 MHz, 400 MHz], not "
                         f"{f_req / 1e6:g} MHz")
    best = None
    for clki_div in range(1, 129):
        pfd = f_in / clki_div
        if not 3.125e6 <= pfd <= 400e6:
            continue
        for clkfb_div in range(1, 81):
            f_out = pfd * clkfb_div
            if not 3.125e6 <= f_out <= 400e6:
                continue
            # The VCO as close to the middle of its range (600 MHz) as a divider allows.
            dividers = [d for d in range(1, 129) if 400e6 <= f_out * d <= 800e6]
            if not dividers:
                continue
            clkop_div = min(dividers, key=lambda d: abs(f_out * d - 600e6))
            if best is None or abs(f_out - f_req) < abs(best.f_out - f_req):
                best = ECP5PLL(clki_div, clkfb_div, clkop_div, clkop_div - 1, f_out)
    if best is None:
        raise ValueError(f"no ECP5 PLL setting reaches {f_req / 1e6:g} MHz from "
                         f"{f_in / 1e6:g} MHz")
    return best
