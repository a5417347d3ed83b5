"""``spikecore bench``: measure, print, and record in ``bench/results.json`` and the README.

Every figure comes from running the real thing: cycles from the RTL under Verilator (checked
against the golden model as it runs), FPGA figures from Yosys and nextpnr, speeds from the
wall clock of this machine. Targets are evaluated against the figures and reported met or
missed, with the numbers.
"""

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from .config import CoreConfig, load_config

__all__ = ["run_bench", "TARGETS"]

#: The targets of the performance issue, each checked against the measured figures.
TARGETS = {
    "row_streaming": "row streaming at >= 0.95 x lanes SOP/cycle",
    "timestep_10pct": "whole timestep within 1.10 x the bound at 10 % input activity",
    "ecp5_100mhz": "ECP5-85F: 256 neurons, 64k synapses, STDP, >= 8 lanes at >= 100 MHz",
    "ice40_fit_24mhz": "iCE40UP5K: the 256-neuron 64k-synapse STDP core fits and runs at "
                       ">= 24 MHz",
    "golden_100x": "golden model >= 100 x faster than the RTL simulation (same workload)",
    "cocotb_50k": "RTL simulation with the full scoreboard >= 50k cycles/s for tiny",
}

README_BEGIN = "<!-- bench:begin -->"
README_END = "<!-- bench:end -->"


def _scale_config(n):
    """The core of the scale sweep with ``n`` axons and ``n`` neurons."""
    lanes = {16: 2, 64: 8, 256: 8, 1024: 16}.get(n, 8)
    return CoreConfig(n_axons=n, n_neurons=n, lanes=lanes, threshold=512)


def _golden_steps_per_second(cfg, activity=0.1, steps=20, learn=True):
    from .golden import GoldenCore
    from .sim.workloads import random_spike_train
    rng = np.random.default_rng(0)
    golden = GoldenCore(cfg)
    golden.weights[:] = rng.integers(-20, 60, size=golden.weights.shape)
    golden.params["learn"] = int(learn and cfg.stdp)
    train = random_spike_train(cfg, rng, steps, activity=activity, duplicates=0, bad=0)
    began = time.perf_counter()
    for axons in train:
        golden.step(axons)
    return steps / (time.perf_counter() - began)


def _throughput(progress, quick):
    from .sim.runner import run_cocotb
    cfg = load_config("default")
    steps = 3 if quick else 10
    rows = []
    for learn in (0, 1):
        progress(f"throughput: default config, learning {'on' if learn else 'off'}, "
                 f"{steps} steps per activity (RTL under Verilator)")
        result = run_cocotb(cfg, "default", "throughput", "timestep_throughput", seed=7,
                            steps=steps, extra_env={"SPIKECORE_LEARN": learn,
                                                    "SPIKECORE_ACTIVITY": "0.01,0.1,0.5"})
        metrics = result.metrics["timestep_throughput"]
        for row in metrics["results"]:
            # the same workload on the golden model: steps per second of each
            row["rtl_cycles_per_second"] = metrics["cycles_per_second"]
            row["rtl_steps_per_second"] = metrics["cycles_per_second"] / row["cycles_per_step"]
            row["golden_steps_per_second"] = _golden_steps_per_second(
                cfg, activity=row["activity"], steps=10 if quick else 40, learn=bool(learn))
            row["golden_speedup"] = row["golden_steps_per_second"] / row["rtl_steps_per_second"]
        rows += metrics["results"]
    progress("row streaming: SOP per cycle while rows stream")
    streaming = {}
    for learn in (0, 1):
        result = run_cocotb(cfg, "default", "throughput", "row_streaming", seed=7,
                            extra_env={"SPIKECORE_LEARN": learn})
        streaming[f"learn_{learn}"] = result.metrics["row_streaming"]
    return rows, streaming


def _scale(progress, quick):
    from .hdl.generate import generate
    from .sim.runner import build, run_cocotb
    sizes = (16, 64) if quick else (16, 64, 256, 1024)
    rows = []
    for n in sizes:
        cfg = _scale_config(n)
        progress(f"scale: {n} x {n} ({cfg.lanes} lanes): generate, verilate, simulate")
        with tempfile.TemporaryDirectory() as tmp:
            generated = generate(cfg, tmp)
        sim = build(cfg, f"scale{n}", force=True)
        steps = 5 if n >= 256 else 20
        result = run_cocotb(cfg, f"scale{n}", "throughput", "timestep_throughput", seed=3,
                            steps=steps, extra_env={"SPIKECORE_LEARN": 0,
                                                    "SPIKECORE_ACTIVITY": "0.1",
                                                    "SPIKECORE_LOAD": "bias"})
        metrics = result.metrics["timestep_throughput"]
        rows.append({"neurons": n, "axons": n, "lanes": cfg.lanes,
                     "generate_seconds": round(generated.seconds, 2),
                     "verilator_build_seconds": round(sim.seconds, 1),
                     "rtl_cycles_per_second": metrics["cycles_per_second"],
                     "cycles_per_step": metrics["results"][0]["cycles_per_step"],
                     "golden_steps_per_second": round(_golden_steps_per_second(
                         cfg, learn=False), 1)})
        rows[-1]["golden_speedup"] = round(
            rows[-1]["golden_steps_per_second"] * rows[-1]["cycles_per_step"] /
            rows[-1]["rtl_cycles_per_second"], 1)
    return rows


def _cocotb_tiny(progress):
    from .sim.runner import run_cocotb
    progress("cocotb speed: tiny, full scoreboard, 100 steps")
    result = run_cocotb(load_config("tiny"), "tiny", "regression", seed=2, steps=100)
    return result.metrics["random_regression"]["cycles_per_second"]


def _fpga(progress, quick):
    from .boards.build import BuildError, build_board
    from .boards.platforms import find_board
    builds = [("icebreaker", "icebreaker", None)]
    if not quick:
        builds += [("ulx3s", "default", 100e6), ("ulx3s", "ulx3s", None)]
    rows = []
    for board, config, freq in builds:
        spec = find_board(board)
        progress(f"FPGA: {config} on {board}" + (f" at {freq / 1e6:g} MHz" if freq else ""))
        with tempfile.TemporaryDirectory() as tmp:
            try:
                report = build_board(spec, load_config(config), tmp, freq=freq,
                                     progress=lambda line: None)
                error = None
            except BuildError as exc:
                report = json.loads((Path(tmp) / "report.json").read_text()) \
                    if (Path(tmp) / "report.json").exists() else None
                error = str(exc)
            else:
                from dataclasses import asdict
                report = asdict(report)
        row = {"board": board, "config": config, "error": error}
        if report:
            row.update({k: report[k] for k in ("device", "lanes", "target_mhz", "fmax_mhz",
                                                "timing_met", "resources", "seconds")})
            row["sop_per_second_at_fmax"] = report["lanes"] * report["fmax_mhz"] * 1e6
        rows.append(row)
    return rows


def _evaluate(results):
    targets = {}
    streaming = results["row_streaming"]["learn_0"]["efficiency"]
    targets["row_streaming"] = {"value": round(streaming, 4), "met": streaming >= 0.95}
    inference = [r for r in results["throughput"] if r["learn"] == 0 and r["activity"] == 0.1]
    ratio = inference[0]["ratio"] if inference else None
    targets["timestep_10pct"] = {"value": ratio and round(ratio, 3),
                                 "met": ratio is not None and ratio <= 1.10}
    ecp5 = [r for r in results.get("fpga", []) if r["board"] == "ulx3s"
            and r["config"] == "default"]
    if ecp5:
        fmax = ecp5[0].get("fmax_mhz")
        targets["ecp5_100mhz"] = {"value": fmax and round(fmax, 1),
                                  "met": bool(fmax and fmax >= 100)}
    ice = [r for r in results.get("fpga", []) if r["board"] == "icebreaker"]
    if ice:
        fmax = ice[0].get("fmax_mhz")
        targets["ice40_fit_24mhz"] = {"value": fmax and round(fmax, 1),
                                      "met": ice[0]["error"] is None and
                                      bool(ice[0].get("timing_met"))}
    # The golden model against the RTL on the throughput workloads (default core): the
    # smallest ratio over activities and learning on/off.
    speedups = [r["golden_speedup"] for r in results["throughput"]]
    targets["golden_100x"] = {"value": round(min(speedups)), "met": min(speedups) >= 100}
    if results.get("cocotb_tiny_cycles_per_second"):
        value = results["cocotb_tiny_cycles_per_second"]
        targets["cocotb_50k"] = {"value": value, "met": value >= 50_000}
    for name, entry in targets.items():
        entry["target"] = TARGETS[name]
    return targets


def _table(results):
    lines = ["| measurement | result |", "|---|---|"]
    for r in results["throughput"]:
        lines.append(f"| default core, {100 * r['activity']:g} % input activity, learning "
                     f"{'on' if r['learn'] else 'off'} | {r['cycles_per_step']:.0f} cycles per "
                     f"timestep, {r['ratio']:.2f} x the bound ({r['bound_per_step']:.0f}); "
                     f"golden model {r['golden_speedup']:.0f} x faster than the RTL |")
    for key, r in results["row_streaming"].items():
        lines.append(f"| row streaming, learning {'on' if r['learn'] else 'off'} | "
                     f"{r['sop_per_cycle']:.2f} SOP/cycle of {r['lanes']} lanes "
                     f"({100 * r['efficiency']:.1f} %) |")
    for r in results.get("fpga", []):
        if "fmax_mhz" not in r:
            lines.append(f"| {r['config']} on {r['board']} | failed: {r['error']} |")
            continue
        res = ", ".join(f"{name} {use['used']}/{use['available']}"
                        for name, use in r["resources"].items())
        lines.append(f"| {r['config']} on {r['board']} ({r['device']}) | Fmax "
                     f"{r['fmax_mhz']:.1f} MHz (target {r['target_mhz']:g}), "
                     f"{r['sop_per_second_at_fmax'] / 1e6:.0f} M SOP/s; {res} |")
    for r in results["scale"]:
        lines.append(f"| scale {r['neurons']} x {r['axons']} ({r['lanes']} lanes) | generate "
                     f"{r['generate_seconds']} s, verilate {r['verilator_build_seconds']} s, "
                     f"RTL {r['rtl_cycles_per_second']:,} cycles/s, golden "
                     f"{r['golden_steps_per_second']:,} steps/s "
                     f"({r['golden_speedup']:g} x the RTL's) |")
    if results.get("cocotb_tiny_cycles_per_second"):
        lines.append(f"| cocotb, tiny, full per-cycle scoreboard | "
                     f"{results['cocotb_tiny_cycles_per_second']:,} cycles/s |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for name, t in results["targets"].items():
        lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines)


def _update_readme(readme, results):
    text = readme.read_text()
    if README_BEGIN not in text:
        return False
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    stamp = (f"Measured by `spikecore bench` on {results['date']} ({results['machine']}); "
             "full figures in `bench/results.json`.")
    readme.write_text(f"{head}{README_BEGIN}\n{stamp}\n\n{_table(results)}\n{README_END}{tail}")
    return True


def run_bench(*, quick=False, json_path=None, fpga=True, readme=None, progress=print):
    """Measure everything; write ``json_path`` (default ``bench/results.json``) and, if
    given, the table in ``readme``. Returns the results."""
    began = time.time()
    results = {"date": time.strftime("%Y-%m-%d"), "quick": quick,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                          f"Python {platform.python_version()}"}
    results["throughput"], results["row_streaming"] = _throughput(progress, quick)
    results["scale"] = _scale(progress, quick)
    results["cocotb_tiny_cycles_per_second"] = _cocotb_tiny(progress)
    if fpga:
        results["fpga"] = _fpga(progress, quick)
    results["targets"] = _evaluate(results)
    results["seconds"] = round(time.time() - began)
    path = Path(json_path or Path("bench") / "results.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(_table(results))
    if readme is not None and _update_readme(Path(readme), results):
        progress(f"updated the table in {readme}")
    progress(f"wrote {path} ({results['seconds']} s)")
    return results
