"""The boards spikecore builds for, and how to name them.

Two boards are supported and tested: the iCEBreaker (iCE40UP5K) and the ULX3S 85F (ECP5).
Any other amaranth-boards platform of the same families that has a ``uart`` resource can be
named by its class name (``ULX3S_45F_Platform``, ``ICEBreakerBitsyPlatform`` ...); it gets the
family's defaults.
"""

import importlib
import pkgutil
from dataclasses import dataclass, replace

__all__ = ["BoardSpec", "SUPPORTED", "find_board", "board_names"]


@dataclass(frozen=True)
class BoardSpec:
    """What spikecore needs to know about a board.

    Attributes
    ----------
    name : str
        The name ``--board`` takes.
    platform : str
        ``module:Class`` of the amaranth-boards platform.
    family : str
        ``"ice40"`` or ``"ecp5"``.
    config : str
        The shipped configuration built by default.
    freq : float
        Target core clock, Hz (a PLL makes it from the board's oscillator).
    baud : int
        UART baud rate of the link to the host.
    programmer : tuple of str
        The command that flashes a bitstream (``{bitstream}`` is replaced).
    """
    name: str
    platform: str
    family: str
    config: str
    freq: float
    baud: int
    programmer: tuple

    def platform_class(self):
        module, cls = self.platform.split(":")
        return getattr(importlib.import_module(module), cls)

    def bitstream_suffix(self):
        return ".bin" if self.family == "ice40" else ".bit"


_ICE40 = dict(family="ice40", baud=1_000_000,
              # iCEBreaker's programmer is an FT2232H: openFPGALoader serves it as
              # ice40_generic (writes the SPI flash), iceprog does the same.
              programmer=("openfpgaloader-cli", "-b", "ice40_generic", "-f", "{bitstream}"))
_ECP5 = dict(family="ecp5", baud=1_000_000,
             programmer=("openfpgaloader-cli", "-b", "ulx3s", "-f", "{bitstream}"))

SUPPORTED = {
    "icebreaker": BoardSpec(name="icebreaker", platform="amaranth_boards.icebreaker:"
                            "ICEBreakerPlatform", config="icebreaker", freq=24e6, **_ICE40),
    "ulx3s": BoardSpec(name="ulx3s", platform="amaranth_boards.ulx3s:ULX3S_85F_Platform",
                       config="ulx3s", freq=60e6, **_ECP5),
}


def _same_family_boards():
    """``{ClassName: BoardSpec}`` of amaranth-boards platforms of the supported families with
    a UART, found by looking through the package."""
    import amaranth_boards
    from amaranth.vendor import LatticeICE40Platform, LatticeECP5Platform
    found = {}
    for info in pkgutil.iter_modules(amaranth_boards.__path__):
        if info.name in ("test", "resources", "extensions"):
            continue
        try:
            module = importlib.import_module(f"amaranth_boards.{info.name}")
        except Exception:                       # a board module needing optional packages
            continue
        for cls in vars(module).values():
            if not isinstance(cls, type) or cls.__module__ != module.__name__:
                continue
            if getattr(cls, "device", None) is None or cls.__name__.startswith("_"):
                continue
            if issubclass(cls, LatticeICE40Platform):
                family = _ICE40
            elif issubclass(cls, LatticeECP5Platform) and str(cls.device).startswith("LFE5U"):
                family = _ECP5                  # (the same class also serves MachXO, Nexus)
            else:
                continue
            if not any(r.name == "uart" for r in getattr(cls, "resources", [])):
                continue
            base = SUPPORTED["icebreaker" if family is _ICE40 else "ulx3s"]
            found[cls.__name__] = replace(base, name=cls.__name__,
                                          platform=f"{module.__name__}:{cls.__name__}")
    return found


def board_names():
    return list(SUPPORTED)


def find_board(name):
    """The :class:`BoardSpec` of ``name``; :exc:`ValueError` listing the choices otherwise."""
    if name in SUPPORTED:
        return SUPPORTED[name]
    others = _same_family_boards()
    if name in others:
        return others[name]
    raise ValueError(f"unknown board {name!r}; supported: {', '.join(SUPPORTED)}; other "
                     f"amaranth-boards platforms of the same families (iCE40, ECP5) with a "
                     f"UART: {', '.join(sorted(others))}")
