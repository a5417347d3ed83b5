"""Directed semantic scenarios (sim/scenarios.py) on the Amaranth core against the golden
model; each scenario's witness proves its case was really exercised."""

import pytest

from spikecore.sim.amaranth_host import run_sim
from spikecore.sim.scenarios import SCENARIOS, run_golden, scenario_configs

CONFIGS = scenario_configs()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario):
    cfg = CONFIGS[scenario.config]
    initial, train, run = run_golden(cfg, scenario)
    assert scenario.witness(cfg, run), f"the scenario no longer shows: {scenario.what}"

    async def body(host):
        await host.load(initial)
        for t, axons in enumerate(train):
            _, events = await host.step(axons)
            assert [n for _, n, _ in events] == run.spikes[t], f"step {t}: output spikes"
            state = host.peek_state()
            for name, expected in run.states[t].items():
                assert (state[name] == expected).all(), f"step {t}: {name} differs"
    run_sim(cfg, body)
