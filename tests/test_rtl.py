"""Regression tier: the generated Verilog under Verilator, through cocotb, against the golden
model, every cycle of every timestep.

Each configuration is verilated once (``build/cache/<name>-<hash>/sim_build``) and reused.
The testbenches live in ``cocotb_tests/`` (package ``spikecore.cocotb_tests``); a failure
names the seed, configuration, timestep, cycle, field, expected and actual values and the
command that reruns it with waves. Rerun one seed with ``SPIKECORE_SEED=<n> pytest <test id>``.
"""

import numpy as np
import pytest

from spikecore.config import CoreConfig, load_config
from spikecore.hdl.faults import FAULTS
from spikecore.sim.scenarios import SCENARIOS, scenario_configs
from spikecore.sim.runner import run_cocotb
from spikecore.sim.workloads import random_golden

CONFIGS = {
    # 16 axons x 16 neurons, 4 lanes, recurrent, CUBA, STDP: the workhorse
    "tiny": load_config("tiny"),
    # 32 axons x 64 neurons, 8 lanes, recurrent, CUBA, STDP; 6-bit timesteps wrap in a run
    "regress64": load_config("regress64"),
    # lanes not a power of two (address holes), no STDP, no CUBA, 3-bit timesteps
    "three_lanes": CoreConfig(n_axons=7, n_neurons=9, lanes=3, v_bits=9, weight_bits=5,
                              threshold=40, stdp=False, learn=False, timestep_bits=3),
}

STEPS = 100

# Fixed seeds, chosen to cover both reset modes and learning on and off on tiny, and both
# trace modes on regress64 (learning forced on there).
REGRESSION = [("tiny", 2, None), ("tiny", 4, None), ("regress64", 1, 1), ("regress64", 4, 1),
              ("three_lanes", 1, None)]


def test_fixed_seeds_cover_modes():
    """The fixed seeds draw both reset modes and learning on and off on tiny, and both
    trace modes on regress64 (no simulation: the workload's draws only)."""
    def draws(name, seed, learn):
        golden = random_golden(CONFIGS[name], np.random.default_rng(seed),
                               learn=None if learn is None else int(learn))
        return {k: golden.params.get(k) for k in ("reset_mode", "learn", "trace_mode")}
    tiny = [draws(*case) for case in REGRESSION if case[0] == "tiny"]
    assert {d["reset_mode"] for d in tiny} == {0, 1}
    assert {d["learn"] for d in tiny} == {0, 1}
    big = [draws(*case) for case in REGRESSION if case[0] == "regress64"]
    assert {d["trace_mode"] for d in big} == {0, 1}


def regression(name, seed, learn, steps=STEPS):
    env = {} if learn is None else {"SPIKECORE_LEARN": learn}
    result = run_cocotb(CONFIGS[name], name, "regression", extra_env=env, seed=seed,
                        steps=steps)
    metrics = result.metrics["random_regression"]
    assert metrics["steps"] == steps
    return result, metrics


@pytest.mark.parametrize("name, seed, learn",
                         [pytest.param(n, s, lrn, id=f"{n}-{s}") for n, s, lrn in REGRESSION],
                         indirect=["seed"])
def test_regression(name, seed, learn, record_property):
    """Random network and spike train: outputs, their cycles, busy, state after every
    step, counters at the end, all equal to the golden model and its cycle model."""
    result, metrics = regression(name, seed, learn)
    assert metrics["events"] > 0, "a run without output events checks little"
    build = f"build {result.build.seconds:.1f} s" if result.build.seconds else "build cached"
    print(f"{name} seed {seed}: {metrics['cycles']} cycles, {metrics['events']} events, "
          f"{metrics['cycles_per_second']} simulated cycles/s with the full scoreboard "
          f"(learn={metrics['learn']}; {build}; run {result.seconds:.1f} s)")
    record_property("cycles_per_second", metrics["cycles_per_second"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 400), indirect=True)
def test_regression_tiny_many_seeds(seed):
    regression("tiny", seed, None)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 200), indirect=True)
def test_regression_regress64_many_seeds(seed):
    regression("regress64", seed, None)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 200), indirect=True)
def test_regression_three_lanes_many_seeds(seed):
    regression("three_lanes", seed, None)


DIRECTED = ["bad_commands_change_nothing", "busy_access_refused",
            "aer_backpressure_and_bad_axons", "output_backpressure_loses_nothing", "clear",
            "registers_round_trip"]


@pytest.mark.parametrize("testcase", DIRECTED)
def test_directed_tiny(testcase):
    """Error paths, access while busy, AER and output backpressure, CLEAR, registers."""
    run_cocotb(CONFIGS["tiny"], "tiny", "directed", testcase, seed=1)


@pytest.mark.parametrize("name", ["tiny", "regress64"])
def test_backpressure_stretches_steps(name):
    """With a stalling output sink, steps without learning end late; the step_cycles and
    cycles counters follow busy, and nothing is lost."""
    result = run_cocotb(CONFIGS[name], name, "directed", "output_backpressure_loses_nothing",
                        seed=2)
    metrics = result.metrics["output_backpressure_loses_nothing"]
    assert metrics["aer_out_stalls"] > 0 and metrics["steps_stretched"] > 0, metrics


@pytest.mark.parametrize("testcase", ["bad_commands_change_nothing", "registers_round_trip"])
def test_directed_three_lanes(testcase):
    """Address holes of a core whose lanes and groups are not powers of two."""
    run_cocotb(CONFIGS["three_lanes"], "three_lanes", "directed", testcase, seed=1)


def test_directed_whole_module_in_one_simulation():
    """The directed tests also pass back to back in one simulation (memories survive
    ``rst``; each test starts with CLEAR and a full load)."""
    result = run_cocotb(CONFIGS["tiny"], "tiny", "directed", seed=2)
    assert sorted(result.tests) == sorted(DIRECTED)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 150), indirect=True)
def test_backpressure_many_seeds(seed):
    run_cocotb(CONFIGS["regress64"], "regress64", "directed",
               "output_backpressure_loses_nothing", seed=seed)


@pytest.mark.parametrize("fault, field", [
    ("event_cycle", "field:    aer_out handshake cycle"),
    ("neuron", "field:    aer_out.neuron"),
    ("busy", "field:    busy"),
    ("state", "field:    v[0]"),
])
def test_checks_bite(fault, field):
    """A spoiled prediction (one event a cycle late, a wrong neuron, a step one cycle
    longer, one membrane off by one) fails the run with a full report."""
    with pytest.raises(AssertionError) as failure:
        run_cocotb(CONFIGS["tiny"], "tiny", "regression", seed=2, steps=10,
                   extra_env={"SPIKECORE_INJECT": fault})
    message = str(failure.value)
    for part in ("RTL mismatch", field, "seed:     2", "config:   tiny", "timestep: step",
                 "cycle:    ", "expected: ", "actual:   ", "rerun with waves: ", "--waves"):
        assert part in message, f"{part!r} missing from:\n{message}"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_regression_catches_injected_bug(fault):
    """Each known bug injected into the generated design (hdl/faults.py) makes the
    regression fail, with a report naming a mismatch."""
    with pytest.raises(AssertionError) as failure:
        run_cocotb(CONFIGS["tiny"], "tiny", "regression", seed=4, steps=40,
                   extra_env={"SPIKECORE_LEARN": 1}, faults=[fault])
    assert "RTL mismatch" in str(failure.value), str(failure.value)[:2000]


@pytest.mark.parametrize("name", ["tiny", "plain"])
def test_semantic_scenarios(name):
    """Every directed scenario (saturation at each bound, both resets, refractory, both
    trace modes, weight clamps, fixed rows, learning off, recurrence, CUBA on and off) on
    the RTL, cycle by cycle against the golden model, each with its witness."""
    cfg = scenario_configs()[name]
    result = run_cocotb(cfg, name, "scenarios", seed=1)
    expected = [s.name for s in SCENARIOS if s.config == name]
    assert result.metrics["semantic_scenarios"]["scenarios"] == expected
