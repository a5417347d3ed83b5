"""cocotb: the directed semantic scenarios of :mod:`spikecore.sim.scenarios` on the RTL.

Every scenario written for this run's configuration (``SPIKECORE_NAME``: ``tiny`` or
``plain``) runs in one simulation, one after the other; each step is checked cycle by cycle
against the golden model like the regression, and the scenario's witness must hold, so each
semantic case (saturation bounds, resets, refractory, trace modes, clamps, fixed rows,
recurrence) is shown to be exercised.
"""

import cocotb

from spikecore.sim.scenarios import SCENARIOS, run_golden
from .context import RunContext
from .host import Bench


@cocotb.test()
async def semantic_scenarios(dut):
    """Each scenario: golden witness holds, RTL equal to golden every cycle and step."""
    ctx = RunContext.from_env()
    cfg = ctx.cfg
    scenarios = [s for s in SCENARIOS if s.config == ctx.name]
    assert scenarios, f"no scenario is written for configuration {ctx.name!r}"
    bench = Bench(dut, ctx)
    first = True
    for scenario in scenarios:
        initial, train, run = run_golden(cfg, scenario)
        assert scenario.witness(cfg, run), f"{scenario.name}: no longer shows {scenario.what}"
        golden = run_golden(cfg, scenario)[0]          # a fresh copy to step beside the RTL
        if first:
            await bench.reset(golden)
            first = False
        else:
            await bench.restart(golden)
        for index, axons in enumerate(train):
            await bench.run_step(golden, axons, index)
        await bench.check_registers(golden)
        dut._log.info("scenario %s: %s, %d steps", scenario.name, scenario.what, len(train))
    ctx.report("semantic_scenarios", scenarios=[s.name for s in scenarios])
