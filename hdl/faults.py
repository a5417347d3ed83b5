"""Known bugs that can be injected into the generated core, for tests only.

The regression must catch each of them; ``tests/test_rtl.py`` proves it does. A core is
built with faults only when asked (``Core(cfg, faults=...)``), never by default.
"""

__all__ = ["FAULTS", "check_faults"]

FAULTS = {
    "leak_off_by_one": "the membrane leak shifts one bit more than its register says",
    "lost_saturation": "the membrane sum wraps around instead of saturating",
    "stdp_sign_flip": "potentiation subtracts its weight change instead of adding it",
    "dropped_output_event": "the last output event of every timestep is never sent",
}


def check_faults(faults):
    """``faults`` as a frozenset of known fault names, or :exc:`ValueError`."""
    if isinstance(faults, str):
        raise TypeError(f"faults must be a collection of fault names, not the string "
                        f"{faults!r}")
    faults = frozenset(faults)
    unknown = sorted(faults - FAULTS.keys())
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; known: {', '.join(FAULTS)}")
    return faults
