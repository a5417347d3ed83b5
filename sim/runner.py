"""Run the cocotb testbenches of ``spikecore.cocotb_tests`` on the generated Verilog.

Each configuration is verilated once into ``build/cache/<name>-<hash>/sim_build`` (or
``sim_build_waves`` with tracing) and reused by every later run; a file lock makes
concurrent pytest-xdist workers wait for the first build instead of repeating it. A build is
redone only when the Verilog, the ``.vlt``, the build arguments or the tool versions change.

The testbench learns what to do from environment variables (see
:mod:`spikecore.cocotb_tests.context`): ``SPIKECORE_CONFIG`` (path of the ``config.toml``),
``SPIKECORE_NAME``, ``SPIKECORE_SEED``, ``SPIKECORE_STEPS``, ``SPIKECORE_METRICS`` (where it
writes measurements) and ``SPIKECORE_RERUN`` (the command that repeats the run with waves).

Command line, e.g. to repeat a failing run with waves::

    python -m spikecore.sim.runner --config tiny --module regression --seed 3 --waves
"""

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cocotb_tools.runner as cocotb_runner

from spikecore.config import CoreConfig, load_config
from spikecore.hdl.generate import TOP
from .build_cache import generated, locked
from .toolchain import verilator_env, verilator_root

__all__ = ["SimBuild", "RunResult", "build", "run_cocotb", "rerun_command", "TEST_PACKAGE",
           "main"]

#: Package holding the cocotb test modules.
TEST_PACKAGE = "spikecore.cocotb_tests"

#: Extra Verilator arguments. None: the generated ``.vlt`` carries the only waivers and the
#: visibility of ports and state memories. Tracing adds ``--trace-fst`` (see
#: :func:`wave_format`).
BUILD_ARGS = ()
WAVE_ARGS = {"fst": ("--trace-fst",), "vcd": ()}


def wave_format():
    """``"fst"`` if the C++ compiler finds the headers Verilator's FST writer includes
    (``lz4.h``: Debian ``liblz4-dev``; ``zlib.h``: ``zlib1g-dev``), else ``"vcd"``."""
    probe = subprocess.run(["c++", "-E", "-x", "c++", "-", "-o", os.devnull],
                           input="#include <lz4.h>\n#include <zlib.h>\n", text=True,
                           capture_output=True)
    return "fst" if probe.returncode == 0 else "vcd"


class _Verilator(cocotb_runner.Verilator):
    """cocotb's Verilator runner without ``--public-flat-rw``.

    cocotb makes every signal public; on a flattened Amaranth netlist that slows the
    Verilator build many times over. The generated ``.vlt`` makes public exactly what the
    testbench touches: the ports and the state memories.
    """

    def _build_command(self):
        commands = super()._build_command()
        commands[0] = [arg for arg in commands[0] if arg != "--public-flat-rw"]
        return commands


@dataclass
class SimBuild:
    """A verilated core, ready to run testbenches.

    Attributes
    ----------
    name : str
        Short name of the configuration (used in paths and messages).
    cfg : CoreConfig
    out_dir : Path
        The configuration's cache folder (generated Verilog, ``.vlt``, ``config.toml``).
    build_dir : Path
        Verilator's output folder.
    waves : bool
        Built with FST tracing.
    seconds : float
        Time the Verilator build took, or 0.0 if an earlier build was reused.
    """
    name: str
    cfg: CoreConfig
    out_dir: Path
    build_dir: Path
    waves: bool
    seconds: float


@dataclass
class RunResult:
    """The outcome of :func:`run_cocotb` (only returned when every test passed).

    Attributes
    ----------
    build : SimBuild
    tests : list of str
        Names of the cocotb tests that ran (all passed).
    metrics : dict
        What the testbenches reported, by test name (e.g. simulated cycles, wall time).
    run_dir : Path
        Folder of the run: ``results.xml``, ``sim.log`` and, with waves, ``dump.fst``.
    seconds : float
        Wall time of the simulation (build excluded).
    waves_file : Path or None
        ``dump.fst`` (or ``dump.vcd``) when the run recorded waves.
    """
    build: SimBuild
    tests: list
    metrics: dict
    run_dir: Path
    seconds: float
    waves_file: Path | None = field(default=None)


@contextmanager
def _environment(variables):
    """Run the block with Verilator on PATH and ``variables`` set, then restore.

    cocotb's runner copies ``os.environ`` over any ``extra_env`` it is given, so our variables
    go into ``os.environ`` itself. ``PYTEST_CURRENT_TEST`` is hidden: with it the runner
    calls ``sys.exit`` on a failing test, where we want to report the failures ourselves.
    ``WAVES`` is hidden so that the ``waves`` argument decides.
    """
    saved = dict(os.environ)
    try:
        env = verilator_env(saved)
        env.update(variables)
        for name in ("PYTEST_CURRENT_TEST", "WAVES", "GUI"):
            env.pop(name, None)
        os.environ.clear()
        os.environ.update(env)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _stamp(core, args):
    """What a build depends on: sources, arguments, tool versions."""
    import cocotb
    digest = hashlib.sha256()
    for part in (core.verilog.read_bytes(), core.vlt.read_bytes(), " ".join(args).encode(),
                 cocotb.__version__.encode(), str(verilator_root()).encode(),
                 (verilator_root() / "include" / "verilated_config.h").read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def build(cfg, name="core", *, waves=False, faults=(), force=False):
    """Verilate ``cfg``'s core, or reuse the build made earlier; see :class:`SimBuild`.

    Parameters
    ----------
    cfg : CoreConfig
    name : str
        Short name of the configuration.
    waves : bool
        Build with tracing (a separate build folder): FST, or VCD where the FST writer's
        headers are missing (see :func:`wave_format`).

    Raises
    ------
    RuntimeError
        If Verilator or the C++ build fails; the message ends with the build log's tail.
    """
    if not isinstance(cfg, CoreConfig):
        raise TypeError(f"cfg must be a CoreConfig, not {cfg!r}")
    core = generated(cfg, name, faults=faults)
    args = [*BUILD_ARGS, *(WAVE_ARGS[wave_format()] if waves else ())]
    build_dir = core.out_dir / ("sim_build_waves" if waves else "sim_build")
    stamp_file = build_dir / ".built"
    stamp = _stamp(core, args)
    seconds = 0.0
    with locked(build_dir.with_suffix(".lock")):
        if force or not stamp_file.exists() or stamp_file.read_text().strip() != stamp:
            began = time.perf_counter()
            log = core.out_dir / f"{build_dir.name}.log"
            runner = _Verilator()
            try:
                with _environment({}):
                    runner.build(sources=[cocotb_runner.VerilatorControlFile(core.vlt),
                                          core.verilog],
                                 hdl_toplevel=TOP, build_dir=build_dir, build_args=args,
                                 waves=waves, clean=True, always=True, log_file=log)
            except (RuntimeError, SystemExit) as error:
                tail = log.read_text()[-4000:] if log.exists() else ""
                raise RuntimeError(f"Verilator build of {name} failed ({error}); log {log}:"
                                   f"\n{tail}") from None
            stamp_file.write_text(stamp + "\n")
            seconds = time.perf_counter() - began
    return SimBuild(name=name, cfg=cfg, out_dir=core.out_dir, build_dir=build_dir,
                    waves=waves, seconds=seconds)


def rerun_command(sim, module, testcase=None, *, seed=None, steps=None, extra_env=None):
    """The shell command that repeats a run with waves (printed by every failure)."""
    parts = [sys.executable, "-m", "spikecore.sim.runner", "--config",
             str(sim.out_dir / "config.toml"), "--name", sim.name, "--module", module]
    if testcase:
        parts += ["--testcase", testcase]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if steps is not None:
        parts += ["--steps", str(steps)]
    for key, value in sorted((extra_env or {}).items()):
        parts += ["--env", f"{key}={value}"]
    parts.append("--waves")
    build_root = sim.out_dir.parent.parent      # <build>/cache/<key>
    return f"SPIKECORE_BUILD={shlex.quote(str(build_root))} " + shlex.join(parts)


def _failures(results_xml):
    """``(tests, failures)`` from cocotb's results file: test names, and
    ``(name, message, traceback)`` of each failed one."""
    tests, failures = [], []
    root = ElementTree.parse(results_xml).getroot()
    for case in root.iter("testcase"):
        name = case.get("name")
        tests.append(name)
        for kind in ("failure", "error"):
            for element in case.findall(kind):
                failures.append((name, element.get("message") or kind, element.text or ""))
    return tests, failures


def run_cocotb(cfg, name, test_module, testcase=None, *, extra_env=None, waves=False,
               seed=1, steps=None, faults=()):
    """Build ``cfg``'s core if needed and run the cocotb tests of one module on it.

    Parameters
    ----------
    cfg : CoreConfig
    name : str
        Short name of the configuration (paths, messages).
    test_module : str
        A module of :data:`TEST_PACKAGE` (``"regression"``) or a full module name.
    testcase : str or None
        Run only this cocotb test (default: every test of the module).
    extra_env : dict or None
        More environment variables for the testbench.
    waves : bool
        Record ``dump.fst`` in the run folder.
    seed : int
        Seed of the workload (``SPIKECORE_SEED``) and of cocotb's ``random``.
    steps : int or None
        Timesteps to simulate (``SPIKECORE_STEPS``), for testbenches that take it.
    faults : collection of str
        Known bugs to inject into the design (:data:`spikecore.hdl.faults.FAULTS`), to prove
        that the tests catch them.

    Returns
    -------
    RunResult

    Raises
    ------
    AssertionError
        If a cocotb test failed, or the simulation ended abnormally: the message lists each
        failing test with its message (seed, config, timestep, cycle, expected and actual
        values, and the command to rerun with waves).
    """
    module = test_module if "." in test_module else f"{TEST_PACKAGE}.{test_module}"
    short = module.rsplit(".", 1)[-1]
    sim = build(cfg, name, waves=waves, faults=faults)
    # One folder per distinct run (module, test, seed, steps, environment), so that
    # concurrent workers running different variants never share result files.
    variant = hashlib.sha256(repr((steps, sorted((extra_env or {}).items()), waves))
                             .encode()).hexdigest()[:8]
    run_dir = sim.out_dir / "runs" / f"{short}.{testcase or 'all'}.seed{seed}.{variant}"
    run_dir.mkdir(parents=True, exist_ok=True)
    results = run_dir / "results.xml"
    metrics_file = run_dir / "metrics.json"
    log = run_dir / "sim.log"
    for stale in (results, metrics_file, run_dir / "dump.fst", run_dir / "dump.vcd"):
        stale.unlink(missing_ok=True)
    rerun = rerun_command(sim, short, testcase, seed=seed, steps=steps, extra_env=extra_env)
    variables = {str(k): str(v) for k, v in (extra_env or {}).items()}
    variables.update({
        "SPIKECORE_CONFIG": str(sim.out_dir / "config.toml"), "SPIKECORE_NAME": name,
        "SPIKECORE_SEED": str(seed), "SPIKECORE_METRICS": str(metrics_file),
        "SPIKECORE_RERUN": rerun, "SPIKECORE_WAVES": str(int(waves)),
        "COCOTB_ANSI_OUTPUT": "0",
    })
    if steps is not None:
        variables["SPIKECORE_STEPS"] = str(steps)
    runner = _Verilator()
    began = time.perf_counter()
    abnormal = None
    with _environment(variables):
        try:
            runner.test(test_module=module, testcase=testcase, hdl_toplevel=TOP,
                        hdl_toplevel_lang="verilog", build_dir=sim.build_dir,
                        test_dir=run_dir, results_xml=str(results), seed=seed, waves=waves,
                        log_file=log)
        except (RuntimeError, SystemExit) as error:
            abnormal = error
    seconds = time.perf_counter() - began
    where = f"config {name} ({cfg.summary()}), module {short}, seed {seed}"
    if not results.exists():
        tail = log.read_text()[-3000:] if log.exists() else ""
        raise AssertionError(f"the simulation ended abnormally ({abnormal}); {where}\n"
                             f"log: {log}\n{tail}\nrerun with waves: {rerun}")
    tests, failures = _failures(results)
    if failures:
        lines = [f"{len(failures)} of {len(tests)} cocotb tests failed; {where}; log: {log}"]
        for test, message, text in failures:
            lines.append(f"--- {test}: {message}")
            if "RtlMismatch" not in text:
                lines.append(text.strip()[-2500:])
        if not any("rerun with waves" in message for _, message, _ in failures):
            lines.append(f"rerun with waves: {rerun}")
        raise AssertionError("\n".join(lines))
    if not tests:
        raise AssertionError(f"no cocotb test ran; {where} (testcase {testcase!r})")
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    dumps = [run_dir / "dump.fst", run_dir / "dump.vcd"]
    dump = next((path for path in dumps if path.exists()), None) if waves else None
    return RunResult(build=sim, tests=tests, metrics=metrics, run_dir=run_dir,
                     seconds=seconds, waves_file=dump)


def main(argv=None):
    """``python -m spikecore.sim.runner``: run one cocotb module (e.g. with waves)."""
    parser = argparse.ArgumentParser(prog="python -m spikecore.sim.runner",
                                     description=main.__doc__)
    parser.add_argument("--config", default="tiny",
                        help="shipped configuration name or path of a config.toml")
    parser.add_argument("--name", default=None, help="short name (default: from --config)")
    parser.add_argument("--module", default="regression", help="module of " + TEST_PACKAGE)
    parser.add_argument("--testcase", default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--waves", action="store_true", help="record dump.fst")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    name = args.name or Path(args.config).stem
    extra = dict(item.split("=", 1) for item in args.env)
    try:
        result = run_cocotb(cfg, name, args.module, args.testcase, extra_env=extra,
                            waves=args.waves, seed=args.seed, steps=args.steps)
    except AssertionError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"passed: {', '.join(result.tests)} in {result.seconds:.1f} s "
          f"(build {result.build.seconds:.1f} s); run folder {result.run_dir}")
    if result.waves_file:
        print(f"waves: {result.waves_file}")
    for test, values in result.metrics.items():
        print(f"{test}: {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
